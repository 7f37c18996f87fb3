import { DataSource } from 'typeorm';
import { TenantScope } from '../access/tenant-scope';
// evaluation.ts imports this module too: only used inside functions, so the cycle is harmless.
import { ComplianceQuestion, toDate } from './evaluation';

/** How an evaluation reads the state at asOf: from the stored current states, or by replaying the events. */
export type StatePath = 'current' | 'replay';

/**
 * Whether a question can be answered from patch_state instead of replaying patch_event, and still get the replay's
 * answer exactly. The replay keeps, per (source, update), the last event recorded by knownAt whose evidence time is at
 * or before asOf. When no event of the tenants in scope is later than that on either count, the last event is simply
 * the last one written, and patch_state holds its state and, in lastEventAt, firstOpenAt and maxEventAt, what the
 * replay reads from the history (write-states.ts keeps them). That is the question about now, unless a vendor
 * reported a time in the future.
 *
 * Decided per tenant in scope by index probes whose cost does not grow with the fleet:
 * - the latest observedAt of its events (ix_patch_event_tenant_observed) is at or before knownAt and asOf;
 * - the latest evidence time of its states (ix_patch_state_tenant_event) is at or before asOf;
 * - none of its states lacks the summary (NULL sorts first in the same index): written around the sync, or moved from
 *   another tenant, their history is not what the row says;
 * - its patch history was never pruned (an audit.prune record in its chain): the replay no longer sees the events
 *   removed, which the current states still reflect.
 * Any doubt, including a tenant with events and no states, replays.
 */
export async function statePathFor(dataSource: DataSource, scope: TenantScope, q: Pick<ComplianceQuestion, 'asOf' | 'knownAt' | 'tenantId'>): Promise<StatePath> {
  const params: unknown[] = [];
  const conds: string[] = [];
  if (!scope.all) {
    const ids = scope.allowedIds();
    if (ids.length === 0) return 'replay';
    conds.push(`t.id IN (${ids.map(() => '?').join(', ')})`);
    params.push(...ids);
  }
  if (q.tenantId) {
    conds.push('t.id = ?');
    params.push(q.tenantId);
  }
  const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
  // One row per tenant in scope, each column a probe of an index; summed up in code (a handful of tenants to thousands).
  // ORDER BY ... DESC LIMIT 1 rather than MAX: MariaDB reads every index entry of the tenant for a correlated MAX
  // (about 1 s at 1,000 assets) but one for the ordered form; NULLs sort last in DESC on both engines.
  const rows: Array<{ observed: unknown; evidence: unknown; unknown: unknown; pruned: unknown }> = await dataSource.query(
    `SELECT
       (SELECT pe.observedAt FROM patch_event pe WHERE pe.tenantId = t.id ORDER BY pe.observedAt DESC LIMIT 1) AS observed,
       (SELECT ps.maxEventAt FROM patch_state ps WHERE ps.tenantId = t.id ORDER BY ps.maxEventAt DESC LIMIT 1) AS evidence,
       CASE WHEN EXISTS (SELECT 1 FROM patch_state ps WHERE ps.tenantId = t.id AND ps.maxEventAt IS NULL) THEN 1 ELSE 0 END AS unknown,
       CASE WHEN EXISTS (SELECT 1 FROM audit_event ae WHERE ae.targetType = 'AuditChain' AND ae.targetId = t.id AND ae.action = 'audit.prune') THEN 1 ELSE 0 END AS pruned
     FROM tenant t ${where}`,
    params,
  );
  const asOf = q.asOf.getTime();
  const knownAt = q.knownAt.getTime();
  for (const r of rows) {
    if (Number(r.unknown) || Number(r.pruned)) return 'replay';
    if (r.observed !== null && r.observed !== undefined) {
      // Events but no state summary at all: history the states do not stand for.
      if (r.evidence === null || r.evidence === undefined) return 'replay';
      // Bounded by asOf too: an event observed after asOf with an earlier reported time is in the replay's answer,
      // but this check needs no summary to be right, whoever wrote the event.
      if (toDate(r.observed).getTime() > Math.min(knownAt, asOf)) return 'replay';
    }
    if (r.evidence !== null && r.evidence !== undefined && toDate(r.evidence).getTime() > asOf) return 'replay';
  }
  return 'current';
}
