/**
 * `patchgraph audit verify` recomputes audit chains and the Merkle roots of the sync runs they seal, and says where
 * the first broken link is (exit 1 when any chain is broken); `patchgraph audit prune --before <date>` is the
 * retention job, the only deleter of audit history (src/audit/prune.ts). Both work on the database directly, so
 * they run while the server is down.
 */
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { GLOBAL_CHAIN } from '../audit/audit-log';
import { pruneAuditTrail } from '../audit/prune';
import { ChainVerification, verifyAuditChain } from '../audit/verify-chain';
import { Config } from '../config/config';
import { Tenant } from '../entities';
import { UserInputError } from '../errors';
import { createLogger } from '../server/logger';
import { Clock, systemClock } from '../util/clock';
import { cliActor, tenantIdOf } from './keys.command';
import { openDatabase } from './open-database';

type Out = NodeJS.WriteStream | Writable;

export interface AuditVerifyOptions {
  /** Tenants (id, global id or exact name) or "global" for the MSP-wide chain; repeatable. */
  tenant?: string[];
  all?: boolean;
  from?: string;
  to?: string;
  json?: boolean;
}

export interface AuditPruneOptions {
  before?: string;
  tenant?: string[];
  dryRun?: boolean;
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A date (midnight UTC) or a date-time with a zone; a time without one is refused rather than guessed. */
function timeOf(option: string, value: string | undefined): Date | null {
  if (value === undefined) return null;
  const at = ISO.test(value) ? new Date(value.length === 10 ? `${value}T00:00:00Z` : value) : null;
  if (!at || Number.isNaN(at.getTime())) throw new UserInputError(option, `must be a date (2026-01-31) or an ISO 8601 date-time with a zone (2026-01-31T18:00:00Z), got "${value}"`);
  return at;
}

/** The chains to work on: tenant ids, and null for the MSP-wide chain. */
async function chainsOf(dataSource: DataSource, values: string[], all: boolean): Promise<Array<string | null>> {
  if (all && values.length) throw new UserInputError('--tenant', 'give --tenant or --all, not both');
  if (all) return [...(await dataSource.getRepository(Tenant).find({ order: { name: 'ASC' } })).map((t) => t.id), null];
  if (!values.length) throw new UserInputError('--tenant', 'give at least one --tenant <id or exact name> ("global" for the MSP-wide chain), or --all');
  const out: Array<string | null> = [];
  for (const value of values) out.push(value === GLOBAL_CHAIN ? null : await tenantIdOf(dataSource, value));
  return out;
}

function line(v: ChainVerification, name: string): string {
  const counts = `${v.auditEventsChecked} audit events, ${v.runsChecked} sync runs, ${v.eventsChecked} patch and posture events checked`;
  const extra = [
    v.head ? `head ${v.head.seq} ${v.head.hash.slice(0, 12)}…` : 'empty chain',
    ...(v.pruned ? [`events 1-${v.pruned.throughSeq} pruned before ${v.pruned.before}`] : []),
    ...(v.unsealedEvents ? [`${v.unsealedEvents} events written before runs were sealed`] : []),
  ].join('; ');
  if (v.ok) return `OK      ${name}: ${counts} (${extra})\n`;
  const out = [`BROKEN  ${name}: ${v.breaks.length}${v.breaks.length >= 100 ? '+' : ''} broken link(s); ${counts} (${extra})`];
  for (const b of v.breaks.slice(0, 20)) {
    const where = [b.seq !== null ? `audit event ${b.seq}` : null, b.syncRunId ? `sync run ${b.syncRunId}` : null, b.event ? `${b.event.kind} ${b.event.id}` : null]
      .filter(Boolean).join(', ');
    out.push(`  ${b.reason}${where ? ` at ${where}` : ''}: ${b.message}`);
  }
  if (v.breaks.length > 20) out.push(`  … and ${v.breaks.length - 20} more`);
  return `${out.join('\n')}\n`;
}

/** Exit code: 0 when every chain verifies, 1 when any is broken. */
export async function auditVerifyCommand(config: Config, options: AuditVerifyOptions, out: Out = process.stdout): Promise<number> {
  const from = timeOf('--from', options.from);
  const to = timeOf('--to', options.to);
  if (from && to && from > to) throw new UserInputError('--to', 'must not be before --from');
  const logger = createLogger({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const dataSource = await openDatabase(config, logger);
  try {
    const names = new Map((await dataSource.getRepository(Tenant).find()).map((t) => [t.id, t.name]));
    const results: Array<{ name: string; v: ChainVerification }> = [];
    for (const tenantId of await chainsOf(dataSource, options.tenant ?? [], options.all ?? false)) {
      const v = await verifyAuditChain(dataSource, tenantId, { from, to });
      results.push({ name: tenantId ? `${names.get(tenantId)} (${tenantId})` : 'MSP-wide chain (global)', v });
    }
    if (options.json) out.write(`${JSON.stringify(results.map(({ name, v }) => ({ name, ...v })), null, 2)}\n`);
    else for (const { name, v } of results) out.write(line(v, name));
    return results.every((r) => r.v.ok) ? 0 : 1;
  } finally {
    await dataSource.destroy();
  }
}

export async function auditPruneCommand(config: Config, options: AuditPruneOptions, out: Out = process.stdout, clock: Clock = systemClock): Promise<number> {
  const before = timeOf('--before', options.before);
  if (!before) throw new UserInputError('--before', 'is required: history before this date is removed, e.g. --before 2019-01-01');
  if (before > clock.now()) throw new UserInputError('--before', 'must not be in the future');
  const logger = createLogger({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const dataSource = await openDatabase(config, logger);
  try {
    const names = new Map((await dataSource.getRepository(Tenant).find()).map((t) => [t.id, t.name]));
    if (options.tenant?.includes(GLOBAL_CHAIN)) throw new UserInputError('--tenant', 'the MSP-wide chain is pruned only with every tenant (leave out --tenant)');
    const tenantIds = options.tenant?.length ? ((await chainsOf(dataSource, options.tenant, false)).filter((t) => t !== null) as string[]) : null;
    const results = await pruneAuditTrail(dataSource, { before, tenantIds, actor: cliActor(), clock, dryRun: options.dryRun });
    const verb = options.dryRun ? 'would prune' : 'pruned';
    for (const { tenantId, record } of results) {
      const name = tenantId ? `${names.get(tenantId) ?? tenantId} (${tenantId})` : 'MSP-wide chain (global)';
      if (!record) {
        out.write(`${name}: nothing before ${before.toISOString()}\n`);
        continue;
      }
      const audit = record.auditEvents ? `${record.auditEvents.count} audit events (seq ${record.auditEvents.fromSeq}-${record.auditEvents.toSeq})` : 'no audit events';
      out.write(`${name}: ${verb} ${audit}, ${record.runs.count} sealed sync runs with ${record.patchEvents} patch and ${record.postureEvents} posture events` +
        `${record.unsealedEvents ? `, ${record.unsealedEvents} events from before runs were sealed` : ''}\n`);
    }
    if (!options.dryRun) out.write('each pruned chain records what went in an audit.prune event; `patchgraph audit verify` accepts the shorter chain\n');
    return 0;
  } finally {
    await dataSource.destroy();
  }
}
