/**
 * Verifies one audit chain from the stored rows alone: every event's hash, the link to the event before it, the
 * sequence without gaps up to the chain's head, and every sync run's seal — the Merkle root over the patch and
 * posture events it wrote in the tenant. It names the first broken link and the reason:
 *
 * - HASH_MISMATCH: an audit event's content no longer gives its hash, or its prevHash is not the hash of the one
 *   before (an edited or replaced event);
 * - SEQ_GAP: audit events are missing (deleted), at the start (with no prune record explaining it), in the middle,
 *   or at the end (the head records a later event);
 * - EVENT_ALTERED / EVENT_DELETED / EVENT_INSERTED: a run's events no longer give its root, and the run's leaf list
 *   (which does) names the event: changed, gone, or one the run never wrote; EVENT_INSERTED also names an event that
 *   belongs to no sealed run at all;
 * - ROOT_MISMATCH: a run's events no longer give its root, and neither does its leaf list (it was altered too), so
 *   only the run can be named.
 *
 * It reads without a transaction (SQLite has one connection); runs sealed while it reads are checked as well.
 */
import { DataSource, EntityManager } from 'typeorm';
import { AuditChainHead, AuditEvent, SyncRun } from '../entities';
import { auditHash, GLOBAL_CHAIN } from './audit-log';
import { compareLeaves, digestInSlices, digestOf, EventKind, EventLeaf, EventsDigest, leafVersionOf, leavesWhere, readLeafList, runLeavesIn } from './event-leaves';
import { readRows } from '../db/read-rows';
import { PRUNE_ACTION, PruneRecord } from './prune-record';
import { runRef, SYNC_RUN_ACTION } from './sync-run-audit';
import { sqlTime } from '../db/sql-time';

export type BreakReason = 'HASH_MISMATCH' | 'SEQ_GAP' | 'ROOT_MISMATCH' | 'EVENT_ALTERED' | 'EVENT_DELETED' | 'EVENT_INSERTED';

export interface ChainBreak {
  reason: BreakReason;
  /** The audit event at the break: the broken one, or the sync.run event whose seal does not hold. */
  seq: number | null;
  auditEventId: string | null;
  /** The run whose events broke it. */
  syncRunId: string | null;
  /** The patch or posture event named. */
  event: { kind: EventKind; id: string } | null;
  message: string;
}

export interface ChainVerification {
  chainKey: string;
  /** null for the MSP-wide chain. */
  tenantId: string | null;
  from: Date | null;
  to: Date | null;
  ok: boolean;
  auditEventsChecked: number;
  runsChecked: number;
  /** Patch and posture events whose leaves were recomputed. */
  eventsChecked: number;
  /** Events written before sync runs were sealed (an older database): counted, covered by no root. */
  unsealedEvents: number;
  /** The retention job's record that explains why the chain starts after seq 1. */
  pruned: { throughSeq: number; before: string; prunedAt: Date } | null;
  head: { seq: number; hash: string } | null;
  /** At most MAX_BREAKS, the first in chain order first. */
  breaks: ChainBreak[];
}

export const MAX_BREAKS = 100;
const BATCH = 1000;
const GENESIS = '0'.repeat(64);

interface Seal {
  seq: number;
  auditEventId: string;
  /** The run id when the chain names it, else null (an MSP-wide run's part, named by runRef). */
  syncRunId: string | null;
  runRef: string;
  events: EventsDigest;
  occurredAt: Date;
}

function parseData(e: Pick<AuditEvent, 'data'>): Record<string, any> {
  try {
    const data = JSON.parse(e.data);
    return data && typeof data === 'object' ? data : {};
  } catch {
    return {};
  }
}

function sealOf(e: AuditEvent): Seal | null {
  if (e.action !== SYNC_RUN_ACTION) return null;
  const data = parseData(e);
  const events = data.events as EventsDigest | undefined;
  if (!events || typeof events.count !== 'number' || typeof events.root !== 'string') return null;
  const ref = e.targetId ? runRef(e.targetId) : typeof data.runRef === 'string' ? data.runRef : null;
  if (!ref) return null;
  return { seq: e.seq, auditEventId: e.id, syncRunId: e.targetId, runRef: ref, events, occurredAt: e.occurredAt };
}

class Verification {
  readonly breaks: ChainBreak[] = [];
  auditEventsChecked = 0;
  runsChecked = 0;
  eventsChecked = 0;
  unsealedEvents = 0;
  pruned: ChainVerification['pruned'] = null;
  private readonly checkedRuns = new Set<string>();
  /** Run ids this tenant's events and leaf lists name, by runRef: how an MSP-wide part's run is found. */
  private runsByRef: Map<string, string> | null = null;

  constructor(
    private readonly m: EntityManager,
    readonly chainKey: string,
    readonly tenantId: string | null,
    readonly from: Date | null,
    readonly to: Date | null,
  ) {}

  add(b: ChainBreak): void {
    this.breaks.push(b);
  }

  private async events(where: string, params: unknown[]): Promise<AuditEvent[]> {
    const q = (c: string) => this.m.connection.driver.escape(c);
    return readRows(this.m, AuditEvent, `${q('chainKey')} = ? AND ${where.replace(/\{(\w+)\}/g, (_, c: string) => q(c))}`, [this.chainKey, ...params]);
  }

  private async scalar(sql: string, params: unknown[]): Promise<number | null> {
    const q = (c: string) => this.m.connection.driver.escape(c);
    const [row] = await this.m.query(sql.replace(/\{(\w+)\}/g, (_, c: string) => q(c)), params);
    const v = row ? Object.values(row)[0] : null;
    return v === null || v === undefined ? null : Number(v);
  }

  async run(): Promise<ChainVerification> {
    const head = await this.m.getRepository(AuditChainHead).findOneBy({ chainKey: this.chainKey });
    const seals = await this.walk(head);
    for (const seal of seals) await this.checkSeal(seal);
    if (this.tenantId) await this.findUnsealed();
    this.breaks.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity));
    return {
      chainKey: this.chainKey, tenantId: this.tenantId, from: this.from, to: this.to, ok: this.breaks.length === 0,
      auditEventsChecked: this.auditEventsChecked, runsChecked: this.runsChecked, eventsChecked: this.eventsChecked, unsealedEvents: this.unsealedEvents,
      pruned: this.pruned, head: head && head.seq > 0 ? { seq: head.seq, hash: head.hash } : null, breaks: this.breaks.slice(0, MAX_BREAKS),
    };
  }

  /** Checks the audit events in range in seq order; returns the run seals among them. */
  private async walk(head: AuditChainHead | null): Promise<Seal[]> {
    const lo = await this.scalar(
      `SELECT MIN({seq}) AS v FROM {audit_event} WHERE {chainKey} = ?${this.from ? ' AND {occurredAt} >= ?' : ''}`,
      this.from ? [this.chainKey, sqlTime(this.from)] : [this.chainKey],
    );
    const headSeq = head?.seq ?? 0;
    let hi = headSeq;
    if (this.to) hi = Math.min(hi, (await this.scalar('SELECT MAX({seq}) AS v FROM {audit_event} WHERE {chainKey} = ? AND {occurredAt} <= ?', [this.chainKey, sqlTime(this.to)])) ?? 0);
    if (!head && lo !== null) {
      this.add({ reason: 'SEQ_GAP', seq: lo, auditEventId: null, syncRunId: null, event: null, message: 'the chain has events but no head: its head row was deleted' });
      hi = (await this.scalar('SELECT MAX({seq}) AS v FROM {audit_event} WHERE {chainKey} = ?', [this.chainKey])) ?? 0;
    }
    const seals: Seal[] = [];
    if (lo === null || lo > hi) return seals;

    let prev: AuditEvent | null = (await this.events('{seq} = ?', [lo - 1]))[0] ?? null;
    let expected = lo;
    for (let start = lo; start <= hi; start += BATCH) {
      const batch = await this.events('{seq} >= ? AND {seq} <= ? ORDER BY {seq}', [start, Math.min(hi, start + BATCH - 1)]);
      for (const e of batch) {
        this.auditEventsChecked += 1;
        if (e.seq !== expected) {
          this.add({
            reason: 'SEQ_GAP', seq: e.seq, auditEventId: e.id, syncRunId: null, event: null,
            message: `audit event${e.seq - expected > 1 ? `s ${expected} to ${e.seq - 1} are` : ` ${expected} is`} missing before event ${e.seq}`,
          });
        } else if (prev) {
          if (e.prevHash !== prev.hash) {
            this.add({ reason: 'HASH_MISMATCH', seq: e.seq, auditEventId: e.id, syncRunId: null, event: null, message: `event ${e.seq}'s prevHash is not the hash of event ${prev.seq}` });
          }
        } else {
          await this.checkStart(e);
        }
        if (auditHash(e) !== e.hash) {
          this.add({ reason: 'HASH_MISMATCH', seq: e.seq, auditEventId: e.id, syncRunId: null, event: null, message: `event ${e.seq} (${e.action}) no longer gives its stored hash: it was edited` });
        }
        const seal = sealOf(e);
        if (seal) seals.push(seal);
        prev = e;
        expected = e.seq + 1;
      }
    }
    if (head && hi === headSeq) {
      if (!prev || prev.seq < headSeq) {
        this.add({
          reason: 'SEQ_GAP', seq: headSeq, auditEventId: null, syncRunId: null, event: null,
          message: `the chain's head records event ${headSeq}, but the last event stored is ${prev?.seq ?? 'none'}: the events after it were deleted`,
        });
      } else if (prev.hash !== head.hash) {
        this.add({ reason: 'HASH_MISMATCH', seq: prev.seq, auditEventId: prev.id, syncRunId: null, event: null, message: `event ${prev.seq}'s hash is not the one the chain's head records` });
      }
    }
    return seals;
  }

  /** The first event of the chain links to the genesis hash, or to the last event a prune record says it removed. */
  private async checkStart(e: AuditEvent): Promise<void> {
    if (e.seq === 1) {
      if (e.prevHash !== GENESIS) {
        this.add({ reason: 'HASH_MISMATCH', seq: 1, auditEventId: e.id, syncRunId: null, event: null, message: 'the first event does not link to the genesis hash' });
      }
      return;
    }
    for (const p of await this.events('{action} = ? ORDER BY {seq} DESC', [PRUNE_ACTION])) {
      const record = parseData(p) as Partial<PruneRecord>;
      if (record.auditEvents?.toSeq === e.seq - 1 && record.auditEvents.lastHash === e.prevHash) {
        this.pruned = { throughSeq: e.seq - 1, before: String(record.before), prunedAt: p.occurredAt };
        return;
      }
    }
    this.add({
      reason: 'SEQ_GAP', seq: e.seq, auditEventId: e.id, syncRunId: null, event: null,
      message: `audit events 1 to ${e.seq - 1} are missing and no prune record explains it`,
    });
  }

  private async refs(): Promise<Map<string, string>> {
    if (this.runsByRef) return this.runsByRef;
    const q = (c: string) => this.m.connection.driver.escape(c);
    const ids = new Set<string>();
    for (const table of ['run_event_leaves', 'patch_event', 'patch_posture_event']) {
      const rows: Array<{ r: string | null }> = await this.m.query(`SELECT DISTINCT ${q('syncRunId')} AS r FROM ${q(table)} WHERE ${q('tenantId')} = ?`, [this.tenantId]);
      for (const { r } of rows) if (r) ids.add(r);
    }
    this.runsByRef = new Map([...ids].map((id) => [runRef(id), id]));
    return this.runsByRef;
  }

  /** Checks one run's events in this tenant against the root and count its audit event recorded. */
  private async checkSeal(seal: Seal): Promise<void> {
    // Seals carry roots only in tenants' chains: an MSP-wide run's events are sealed in its clients' chains.
    if (!this.tenantId) return;
    const syncRunId = seal.syncRunId ?? (await this.refs()).get(seal.runRef) ?? null;
    this.runsChecked += 1;
    const at = { seq: seal.seq, auditEventId: seal.auditEventId, syncRunId: seal.syncRunId };
    if (!syncRunId) {
      if (seal.events.count > 0) {
        this.add({ ...at, reason: 'ROOT_MISMATCH', event: null, message: `the ${seal.events.count} events event ${seal.seq} seals, and their leaf list, are all gone` });
      }
      return;
    }
    this.checkedRuns.add(syncRunId);
    // With the leaf version the seal used: a run sealed before evidence joined the leaf verifies as it was sealed.
    const actual = await runLeavesIn(this.m, syncRunId, this.tenantId, leafVersionOf(seal.events));
    this.eventsChecked += actual.length;
    const digest = await digestInSlices(actual);
    if (digest.count === seal.events.count && digest.root === seal.events.root) return;
    const stored = await readLeafList(this.m, syncRunId, this.tenantId);
    const storedDigest = digestOf(stored);
    if (storedDigest.count !== seal.events.count || storedDigest.root !== seal.events.root) {
      this.add({
        ...at, reason: 'ROOT_MISMATCH', event: null,
        message: `the run's events no longer give the root event ${seal.seq} recorded (${digest.count} events stored, ${seal.events.count} sealed), and its leaf list was altered too`,
      });
      return;
    }
    for (const b of diffLeaves(stored, actual)) this.add({ ...at, ...b });
  }

  /** Events of the tenant in the range that no seal in the chain covers: inserted, or written before runs were sealed. */
  private async findUnsealed(): Promise<void> {
    const sealedByRef = new Map<string, Seal>();
    for (const e of await this.events('{action} = ?', [SYNC_RUN_ACTION])) {
      const seal = sealOf(e);
      if (seal) sealedByRef.set(seal.runRef, seal);
    }
    const firstSealAt = [...sealedByRef.values()].reduce<Date | null>((min, s) => (!min || s.occurredAt < min ? s.occurredAt : min), null);
    const range = [...(this.from ? [' AND {observedAt} >= ?'] : []), ...(this.to ? [' AND {observedAt} <= ?'] : [])].join('');
    const params = [this.tenantId, ...(this.from ? [sqlTime(this.from)] : []), ...(this.to ? [sqlTime(this.to)] : [])];
    const groups = new Map<string | null, number>();
    for (const table of ['patch_event', 'patch_posture_event']) {
      const q = (c: string) => this.m.connection.driver.escape(c);
      const rows: Array<{ r: string | null; n: number | string }> = await this.m.query(
        `SELECT ${q('syncRunId')} AS r, COUNT(*) AS n FROM ${q(table)} WHERE ${q('tenantId')} = ?${range.replace(/\{(\w+)\}/g, (_, c: string) => q(c))} GROUP BY ${q('syncRunId')}`,
        params,
      );
      for (const { r, n } of rows) groups.set(r, (groups.get(r) ?? 0) + Number(n));
    }
    for (const [syncRunId, n] of groups) {
      if (syncRunId && this.checkedRuns.has(syncRunId)) continue;
      const seal = syncRunId ? sealedByRef.get(runRef(syncRunId)) : undefined;
      if (seal) {
        // Sealed by an event outside the range (or appended while this ran): check that run too.
        await this.checkSeal({ ...seal, syncRunId: seal.syncRunId ?? syncRunId });
        continue;
      }
      const run = syncRunId ? await this.m.getRepository(SyncRun).findOneBy({ id: syncRunId }) : null;
      if (run && (!firstSealAt || run.startedAt < firstSealAt)) {
        this.unsealedEvents += n;
        continue;
      }
      const where = syncRunId ? '{syncRunId} = ? AND {tenantId} = ?' : '{syncRunId} IS NULL AND {tenantId} = ?';
      const [first] = (await leavesWhere(this.m, where, syncRunId ? [syncRunId, this.tenantId] : [this.tenantId])).get(this.tenantId!) ?? [];
      this.add({
        reason: 'EVENT_INSERTED', seq: null, auditEventId: null, syncRunId, event: first ? { kind: first.kind, id: first.id } : null,
        message: syncRunId
          ? `${n} event(s) name a sync run that no audit event of this chain seals`
          : `${n} event(s) name no sync run, so no audit event seals them`,
      });
    }
  }
}

/** The stored (authentic) leaf list against the events now stored, both in canonical order. */
export function diffLeaves(stored: readonly EventLeaf[], actual: readonly EventLeaf[]): Array<Pick<ChainBreak, 'reason' | 'event' | 'message'>> {
  const out: Array<Pick<ChainBreak, 'reason' | 'event' | 'message'>> = [];
  const label = (l: EventLeaf) => (l.kind === 'patch_event' ? 'the patch event' : 'the patch posture event');
  let i = 0;
  let j = 0;
  while (i < stored.length || j < actual.length) {
    const s = stored[i];
    const a = actual[j];
    const order = !s ? 1 : !a ? -1 : compareLeaves(s, a);
    if (order === 0) {
      if (s.leaf !== a.leaf) out.push({ reason: 'EVENT_ALTERED', event: { kind: a.kind, id: a.id }, message: `${label(a)} was changed after the run sealed it` });
      i += 1;
      j += 1;
    } else if (order < 0) {
      out.push({ reason: 'EVENT_DELETED', event: { kind: s.kind, id: s.id }, message: `${label(s)} was deleted` });
      i += 1;
    } else {
      out.push({ reason: 'EVENT_INSERTED', event: { kind: a.kind, id: a.id }, message: `${label(a)} was added to a run that never wrote it` });
      j += 1;
    }
  }
  return out;
}

/** Verifies a tenant's chain (tenantId) or the MSP-wide one (null), over the events that occurred in [from, to]. */
export function verifyAuditChain(dataSource: DataSource, tenantId: string | null, range: { from?: Date | null; to?: Date | null } = {}): Promise<ChainVerification> {
  return new Verification(dataSource.manager, tenantId ?? GLOBAL_CHAIN, tenantId, range.from ?? null, range.to ?? null).run();
}
