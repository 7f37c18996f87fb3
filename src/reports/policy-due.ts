import { DataSource } from 'typeorm';
import { TenantScope } from '../access/tenant-scope';
import { ComplianceEvaluation, toDate } from '../compliance/evaluation';
import { PolicyDefinition } from '../compliance/policy-definition';
import { AdvisoryFacts, RuleTerm, ruleTerms } from '../compliance/rule-terms';
import { NOT_REMEDIATED_STATES, PatchStateValue } from '../entities/enums';
import { sqlTime } from '../db/sql-time';

export interface DueVerdict {
  dueAt: Date | null;
  met: boolean | null;
}

export interface AssetUpdate {
  assetId: string;
  updateId: string;
  assetClass: string;
}

const OPEN = new Set<string>(NOT_REMEDIATED_STATES);

/**
 * When a fix was due on an asset under a policy, and whether it was in place by then, as patchgraph had recorded it
 * by `knownAt`. The due time is the earliest of the policy's rules that cover the update for the asset's class,
 * computed by the compliance engine's rule terms (compliance/rule-terms.ts): calendar arithmetic in the policy's time
 * zone, KEV due dates, advisories; a FIRST_DETECTED clock starts at the asset's first event (any source) showing the
 * update not installed. Met means the asset's latest event (any source) at or before the due time was INSTALLED, and
 * not met that it was anything else, or that the asset was first seen lacking the fix after the due time. Unknown
 * (null): first seen with the fix installed only after the due time, or the due time is after knownAt and no install
 * is recorded by then (an install recorded by knownAt counts as met).
 */
export class PolicyDue {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TenantScope,
    private readonly knownAt: Date,
    private readonly terms: ReadonlyMap<string, RuleTerm[]>,
  ) {}

  static async prepare(dataSource: DataSource, scope: TenantScope, policy: { key: string; definition: PolicyDefinition }, knownAt: Date): Promise<PolicyDue> {
    const advisories = (await dataSource.query('SELECT authority, noticeAt, cveIds, kbs FROM advisory WHERE createdAt <= ? AND noticeAt <= ?', [sqlTime(knownAt), sqlTime(knownAt)]))
      .map((a: { authority: string; noticeAt: unknown; cveIds: string; kbs: string }): AdvisoryFacts => ({
        authority: a.authority, noticeAt: toDate(a.noticeAt), cveIds: JSON.parse(a.cveIds), kbs: JSON.parse(a.kbs),
      }));
    // The catalog's facts as held at knownAt, read by the compliance engine itself.
    const catalog = await new ComplianceEvaluation(dataSource, scope, { policyKey: policy.key, policy: policy.definition, asOf: knownAt, knownAt, assignedOnly: false }).updateFacts();
    const byUpdate = new Map<string, RuleTerm[]>();
    for (const t of ruleTerms(policy.definition, catalog, advisories)) byUpdate.set(t.updateId, [...(byUpdate.get(t.updateId) ?? []), t]);
    return new PolicyDue(dataSource, scope, knownAt, byUpdate);
  }

  /** The updates the policy covers (for some asset class): a report with a policy lists only these. */
  get updateIds(): string[] {
    return [...this.terms.keys()].sort();
  }

  /** Verdicts for the (asset, update) pairs of one batch of rows, keyed `${assetId} ${updateId}`. */
  async verdicts(pairs: readonly AssetUpdate[]): Promise<Map<string, DueVerdict>> {
    const wanted = pairs.filter((p) => this.terms.has(p.updateId));
    const verdicts = new Map<string, DueVerdict>();
    if (wanted.length === 0) return verdicts;
    const history = await this.history(wanted);
    for (const p of wanted) {
      const key = `${p.assetId} ${p.updateId}`;
      if (verdicts.has(key)) continue;
      const events = history.get(key) ?? [];
      const firstMissing = events.find((e) => OPEN.has(e.state))?.at ?? null;
      const dueAt = earliestDue(this.terms.get(p.updateId)!, p.assetClass, firstMissing);
      verdicts.set(key, { dueAt, met: dueAt === null ? null : metBy(events, dueAt, this.knownAt) });
    }
    return verdicts;
  }

  /** Every event of the pairs recorded by knownAt, by the time it describes, keyed like verdicts. */
  private async history(pairs: readonly AssetUpdate[]): Promise<Map<string, Array<{ state: string; at: Date }>>> {
    const assets = [...new Set(pairs.map((p) => p.assetId))];
    const updates = [...new Set(pairs.map((p) => p.updateId))];
    const params: unknown[] = [...assets, ...updates, sqlTime(this.knownAt)];
    let tenantCond = '';
    if (!this.scope.all) {
      const ids = this.scope.allowedIds();
      tenantCond = ids.length ? `AND pe.tenantId IN (${ids.map(() => '?').join(', ')})` : 'AND 1 = 0';
      params.push(...ids);
    }
    const rows: Array<{ assetId: string; updateId: string; toState: string; at: unknown }> = await this.dataSource.query(
      `SELECT sd.assetId, pe.updateId, pe.toState, COALESCE(pe.reportedAt, pe.observedAt) AS at
       FROM patch_event pe JOIN source_device sd ON sd.id = pe.sourceDeviceId
       WHERE sd.assetId IN (${assets.map(() => '?').join(', ')}) AND pe.updateId IN (${updates.map(() => '?').join(', ')})
         AND pe.observedAt <= ? ${tenantCond}
       ORDER BY sd.assetId, pe.updateId, at, pe.observedAt, pe.id`,
      params,
    );
    const byPair = new Map<string, Array<{ state: string; at: Date }>>();
    for (const r of rows) {
      const key = `${r.assetId} ${r.updateId}`;
      byPair.set(key, [...(byPair.get(key) ?? []), { state: r.toState, at: toDate(r.at) }]);
    }
    return byPair;
  }
}

function earliestDue(terms: readonly RuleTerm[], assetClass: string, firstMissing: Date | null): Date | null {
  let due: Date | null = null;
  for (const t of terms) {
    if (t.assetClass !== null && t.assetClass !== assetClass) continue;
    const at = t.dueAt ?? (t.allowanceSeconds !== null && firstMissing ? new Date(firstMissing.getTime() + t.allowanceSeconds * 1000) : null);
    if (at && (!due || at < due)) due = at;
  }
  return due;
}

/** Whether a fix was in place by its due time, from an asset's events of the update (recorded by knownAt), by time. */
export function metBy(events: ReadonlyArray<{ state: string; at: Date }>, dueAt: Date, knownAt: Date): boolean | null {
  const judgedAt = dueAt <= knownAt ? dueAt : knownAt;
  const last = events.filter((e) => e.at <= judgedAt).at(-1);
  if (last) return last.state === PatchStateValue.INSTALLED ? true : dueAt <= knownAt ? false : null;
  // No evidence from before the due time: first seen lacking the fix after it, it was overdue then; first seen with
  // it installed, nothing says whether that was in time.
  if (dueAt > knownAt || events.length === 0) return null;
  return events[0].state === PatchStateValue.INSTALLED ? null : false;
}
