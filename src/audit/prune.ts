/**
 * The retention job, the only code that deletes audit history (`npx patchgraph audit prune --before <date>`). For
 * each chain it removes, in one transaction:
 *
 * - the chain's prefix of audit events that occurred before the cut (up to the first one at or after it);
 * - in a tenant's chain, the patch and posture events of every sync run whose seal is in that prefix, and their
 *   leaf lists: a run's history goes with the audit event that seals it, so every run left is still whole;
 * - events written before runs were sealed (an older database) observed before the cut.
 *
 * The database refuses these deletes to everyone else (the triggers of the AuditTrail migration); this job lets
 * itself through with a permit row that exists only inside its transaction. It then appends an audit.prune event
 * (src/audit/prune-record.ts) saying what went, so verification afterwards accepts the chain starting later.
 */
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { inTransaction } from '../db/transaction';
import { AuditChainHead, AuditEvent, AuditPrunePermit, Tenant } from '../entities';
import { Clock } from '../util/clock';
import { appendAudit, GLOBAL_CHAIN } from './audit-log';
import { readRows } from '../db/read-rows';
import { leafHash, merkleRoot } from './merkle';
import { PRUNE_ACTION, PruneRecord } from './prune-record';
import { runRef, SYNC_RUN_ACTION } from './sync-run-audit';
import { sqlTime } from '../db/sql-time';

export interface PruneOptions {
  before: Date;
  /** The tenants whose chains to prune; null prunes every tenant's chain and the MSP-wide one. */
  tenantIds: string[] | null;
  /** Who runs the job, for the audit event. */
  actor: string;
  clock: Clock;
  /** Work out what would go, change nothing. */
  dryRun?: boolean;
}

export interface ChainPrune {
  chainKey: string;
  tenantId: string | null;
  /** What was (or, on a dry run, would be) removed; null when nothing was before the cut. */
  record: PruneRecord | null;
}

const IN_CHUNK = 500;

class DryRun extends Error {
  constructor(readonly result: PruneRecord | null) {
    super('dry run');
  }
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_CHUNK) out.push(items.slice(i, i + IN_CHUNK));
  return out;
}

export async function pruneAuditTrail(dataSource: DataSource, options: PruneOptions): Promise<ChainPrune[]> {
  let tenantIds = options.tenantIds;
  if (!tenantIds) {
    const fromHeads = (await dataSource.getRepository(AuditChainHead).find()).map((h) => h.chainKey).filter((k) => k !== GLOBAL_CHAIN);
    const fromTenants = (await dataSource.getRepository(Tenant).find({ select: { id: true } })).map((t) => t.id);
    tenantIds = [...new Set([...fromHeads, ...fromTenants])].sort();
  }
  const chains: Array<string | null> = options.tenantIds ? tenantIds : [...tenantIds, null];
  const out: ChainPrune[] = [];
  for (const tenantId of chains) {
    let record: PruneRecord | null;
    try {
      record = await inTransaction(dataSource, async (m) => {
        const result = await pruneChain(m, tenantId, options);
        if (options.dryRun) throw new DryRun(result);
        return result;
      });
    } catch (err) {
      if (!(err instanceof DryRun)) throw err;
      record = err.result;
    }
    out.push({ chainKey: tenantId ?? GLOBAL_CHAIN, tenantId, record });
  }
  return out;
}

async function pruneChain(m: EntityManager, tenantId: string | null, options: PruneOptions): Promise<PruneRecord | null> {
  const q = (c: string) => m.connection.driver.escape(c);
  const sql = (text: string) => text.replace(/\{(\w+)\}/g, (_, c: string) => q(c));
  const chainKey = tenantId ?? GLOBAL_CHAIN;
  const before = sqlTime(options.before);
  const one = async (text: string, params: unknown[]): Promise<number | null> => {
    const [row] = await m.query(sql(text), params);
    const v = row ? Object.values(row)[0] : null;
    return v === null || v === undefined ? null : Number(v);
  };

  const firstKept = await one('SELECT MIN({seq}) AS v FROM {audit_event} WHERE {chainKey} = ? AND {occurredAt} >= ?', [chainKey, before]);
  const toSeq = firstKept !== null ? firstKept - 1 : (await one('SELECT MAX({seq}) AS v FROM {audit_event} WHERE {chainKey} = ?', [chainKey])) ?? 0;
  const prefix = toSeq > 0 ? await readRows(m, AuditEvent, sql('{chainKey} = ? AND {seq} <= ? ORDER BY {seq}'), [chainKey, toSeq]) : [];

  // The runs sealed in the prefix; a tenant's part of an MSP-wide run is named by its runRef.
  const sealed: Array<{ ref: string; syncRunId: string | null; count: number; root: string }> = [];
  for (const e of prefix) {
    if (e.action !== SYNC_RUN_ACTION) continue;
    const data = JSON.parse(e.data) as { runRef?: string; events?: { count: number; root: string } };
    if (!data.events) continue;
    sealed.push({ ref: e.targetId ?? data.runRef ?? '', syncRunId: e.targetId, count: data.events.count, root: data.events.root });
  }

  let runIds: string[] = [];
  let unsealed: Array<string | null> = [];
  if (tenantId) {
    const known = new Set<string>();
    for (const table of ['run_event_leaves', 'patch_event', 'patch_posture_event']) {
      for (const { r } of await m.query(sql(`SELECT DISTINCT {syncRunId} AS r FROM {${table}} WHERE {tenantId} = ?`), [tenantId])) if (r) known.add(r);
    }
    const byRef = new Map([...known].map((id) => [runRef(id), id]));
    runIds = sealed.map((s) => s.syncRunId ?? byRef.get(s.ref)).filter((id): id is string => !!id);
    // Events before the cut that no seal in the whole chain covers were written before runs were sealed.
    const sealedAnywhere = new Set<string>();
    for (const e of await readRows(m, AuditEvent, sql('{chainKey} = ? AND {action} = ?'), [chainKey, SYNC_RUN_ACTION])) {
      const data = JSON.parse(e.data) as { runRef?: string };
      sealedAnywhere.add(e.targetId ? runRef(e.targetId) : data.runRef ?? '');
    }
    const candidates = new Set<string | null>();
    for (const table of ['patch_event', 'patch_posture_event']) {
      for (const { r } of await m.query(sql(`SELECT DISTINCT {syncRunId} AS r FROM {${table}} WHERE {tenantId} = ? AND {observedAt} < ?`), [tenantId, before])) candidates.add(r);
    }
    unsealed = [...candidates].filter((r) => r === null || !sealedAnywhere.has(runRef(r)));
  }

  const count = async (table: string, where: string, params: unknown[]) => (await one(`SELECT COUNT(*) AS v FROM {${table}} WHERE ${where}`, params)) ?? 0;
  const inRuns = (ids: string[]) => `{tenantId} = ? AND {syncRunId} IN (${ids.map(() => '?').join(', ')})`;
  const tally = { patchEvents: 0, postureEvents: 0, unsealedEvents: 0 };
  const deletes: Array<[string, string, unknown[]]> = [];
  for (const ids of chunks(runIds)) {
    tally.patchEvents += await count('patch_event', inRuns(ids), [tenantId, ...ids]);
    tally.postureEvents += await count('patch_posture_event', inRuns(ids), [tenantId, ...ids]);
    for (const table of ['patch_event', 'patch_posture_event', 'run_event_leaves']) deletes.push([table, inRuns(ids), [tenantId, ...ids]]);
  }
  const unsealedIds = unsealed.filter((r): r is string => r !== null);
  const unsealedWhere: Array<[string, unknown[]]> = chunks(unsealedIds).map((ids) => [`${inRuns(ids)} AND {observedAt} < ?`, [tenantId, ...ids, before]]);
  if (unsealed.includes(null)) unsealedWhere.push(['{tenantId} = ? AND {syncRunId} IS NULL AND {observedAt} < ?', [tenantId, before]]);
  for (const [where, params] of unsealedWhere) {
    for (const table of ['patch_event', 'patch_posture_event']) {
      tally.unsealedEvents += await count(table, where, params);
      deletes.push([table, where, params]);
    }
  }

  if (prefix.length === 0 && tally.unsealedEvents === 0) return null;
  const record: PruneRecord = {
    before: options.before.toISOString(),
    auditEvents: prefix.length ? { count: prefix.length, fromSeq: prefix[0].seq, toSeq, lastHash: prefix[prefix.length - 1].hash } : null,
    runs: { count: sealed.length, root: merkleRoot(sealed.map((s) => leafHash(JSON.stringify([s.ref, s.count, s.root])))) },
    ...tally,
  };

  const permit = Object.assign(new AuditPrunePermit(), { id: randomUUID(), grantedAt: options.clock.now() });
  await m.getRepository(AuditPrunePermit).insert(permit);
  for (const [table, where, params] of deletes) await m.query(sql(`DELETE FROM {${table}} WHERE ${where}`), params);
  if (prefix.length) await m.query(sql('DELETE FROM {audit_event} WHERE {chainKey} = ? AND {seq} <= ?'), [chainKey, toSeq]);
  await m.getRepository(AuditPrunePermit).delete({ id: permit.id });
  await appendAudit(m, {
    tenantId, actor: options.actor, action: PRUNE_ACTION, targetType: 'AuditChain', targetId: chainKey,
    data: record as unknown as Record<string, unknown>, occurredAt: options.clock.now(),
  });
  return record;
}
