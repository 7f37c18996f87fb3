import { ComplianceEvaluation, ComplianceStatusName, STATUS_BY_RANK, STATUS_RANK, toDate } from './evaluation';
import { sqlTime } from '../db/sql-time';

export interface StatusCount {
  status: ComplianceStatusName;
  count: number;
}

export interface AssetStatusRow {
  assetId: string;
  tenantId: string;
  siteId: string | null;
  hostname: string;
  status: ComplianceStatusName;
  reasons: string[];
}

export interface FindingRow {
  assetId: string;
  updateId: string;
  sourceDeviceId: string;
  ruleId: string;
  state: string;
  evidence: string;
  status: ComplianceStatusName;
  clockStartAt: Date | null;
  dueAt: Date | null;
  firstMissingAt: Date | null;
  exceptionId: string | null;
}

/** Age bands of open findings, by days since the fix's clock started. */
export const AGE_BANDS = [
  { label: '0-7 days', from: 0, to: 7 },
  { label: '8-14 days', from: 7, to: 14 },
  { label: '15-30 days', from: 14, to: 30 },
  { label: '31-90 days', from: 30, to: 90 },
  { label: 'over 90 days', from: 90, to: null },
] as const;


/**
 * Answers of one evaluation, each one SQL statement over its CTEs: counts and groupings are GROUP BYs, the asset
 * list a keyset page. Nothing here reads more rows than it returns.
 *
 * Each statement evaluates the whole CTE chain again, so answers that are sums of one grouping share it: the total,
 * the counts by status and by tenant read one count by (tenant, status), and the open findings by severity and by age
 * one count by (severity, status, age band). A dashboard asking for all of them costs two evaluations, not five.
 * A report serves one request (one GraphQL `compliance` field), so the shared answers are kept for its life.
 */
export class ComplianceReport {
  private tenantStatus?: Promise<Array<{ k: string; statusRank: number; n: number }>>;
  private findingCounts?: Promise<Array<{ severity: string; statusRank: number; band: string; n: number }>>;

  constructor(readonly evaluation: ComplianceEvaluation) {}

  /** Assets by tenant and status, ordered by tenant: what total, statusCounts and statusCountsBy('tenantId') sum. */
  private byTenantAndStatus(): Promise<Array<{ k: string; statusRank: number; n: number }>> {
    this.tenantStatus ??= this.evaluation.run<{ k: string; statusRank: number; n: number }>(
      'SELECT sa.tenantId AS k, s.statusRank, COUNT(*) AS n FROM asset_status s JOIN scope_assets sa ON sa.assetId = s.assetId GROUP BY sa.tenantId, s.statusRank ORDER BY sa.tenantId',
    );
    return this.tenantStatus;
  }

  async statusCounts(): Promise<StatusCount[]> {
    return withZeros(sumBy(await this.byTenantAndStatus(), (r) => String(r.statusRank)).map(([rank, n]) => ({ statusRank: Number(rank), n })));
  }

  async statusCountsBy(column: 'tenantId' | 'siteId'): Promise<Array<{ key: string | null; counts: StatusCount[] }>> {
    const rows = column === 'tenantId'
      ? await this.byTenantAndStatus()
      : await this.evaluation.run<{ k: string | null; statusRank: number; n: number }>(
        `SELECT sa.${column} AS k, s.statusRank, COUNT(*) AS n FROM asset_status s JOIN scope_assets sa ON sa.assetId = s.assetId GROUP BY sa.${column}, s.statusRank ORDER BY sa.${column}`,
      );
    const byKey = new Map<string | null, Array<{ statusRank: number; n: number }>>();
    for (const r of rows) byKey.set(r.k, [...(byKey.get(r.k) ?? []), r]);
    return [...byKey].map(([key, counts]) => ({ key, counts: withZeros(counts) }));
  }

  /**
   * Open findings (one per asset and update, its worst status over the rules) by the update's severity, status and
   * age band (how long its clock has run at asOf): what openFindingsBySeverity and openFindingsByAge sum.
   */
  private bySeverityStatusAndAge(): Promise<Array<{ severity: string; statusRank: number; band: string; n: number }>> {
    if (!this.findingCounts) {
      const asOf = this.evaluation.question.asOf.getTime();
      const params: unknown[] = [];
      const cases = AGE_BANDS.map((b) => {
        params.push(sqlTime(new Date(asOf - b.from * 86_400_000)));
        if (b.to === null) return `WHEN f.startedAt <= ? THEN '${b.label}'`;
        params.push(sqlTime(new Date(asOf - b.to * 86_400_000)));
        return `WHEN f.startedAt <= ? AND f.startedAt > ? THEN '${b.label}'`;
      });
      this.findingCounts = this.evaluation.run(
        `SELECT u.severity, f.statusRank, CASE ${cases.join(' ')} ELSE 'not started' END AS band, COUNT(*) AS n FROM (
           SELECT assetId, updateId, MAX(statusRank) AS statusRank, MIN(COALESCE(clockStartAt, firstMissingAt)) AS startedAt FROM finding_status GROUP BY assetId, updateId) f
         JOIN software_update u ON u.id = f.updateId GROUP BY u.severity, f.statusRank, band`,
        params,
      );
    }
    return this.findingCounts;
  }

  /** Findings not yet remedied, by the update's severity: those overdue, due soon, within their allowance or exempt. */
  async openFindingsBySeverity(): Promise<Array<{ severity: string; status: ComplianceStatusName; count: number }>> {
    const rows = sumBy(await this.bySeverityStatusAndAge(), (r) => `${r.severity}\n${r.statusRank}`)
      .map(([key, n]) => ({ severity: key.split('\n')[0], statusRank: Number(key.split('\n')[1]), n }))
      .sort((a, b) => (a.severity < b.severity ? -1 : a.severity > b.severity ? 1 : a.statusRank - b.statusRank));
    return rows.map((r) => ({ severity: r.severity, status: STATUS_BY_RANK[r.statusRank], count: r.n }));
  }

  /** Open findings by how long their clock has run at asOf. */
  async openFindingsByAge(): Promise<Array<{ band: string; count: number }>> {
    const counts = new Map(sumBy(await this.bySeverityStatusAndAge(), (r) => r.band));
    return AGE_BANDS.map((b) => ({ band: b.label, count: counts.get(b.label) ?? 0 }));
  }

  /** The assets with the most overdue findings. */
  async worstAssets(limit: number): Promise<Array<{ assetId: string; overdue: number }>> {
    const rows = await this.evaluation.run<{ assetId: string; n: number }>(
      `SELECT f.assetId, COUNT(DISTINCT f.updateId) AS n FROM finding_status f JOIN scope_assets sa ON sa.assetId = f.assetId
       WHERE f.statusRank = ${STATUS_RANK.NON_COMPLIANT} GROUP BY f.assetId, sa.hostname ORDER BY n DESC, sa.hostname, f.assetId LIMIT ${Math.trunc(limit)}`,
    );
    return rows.map((r) => ({ assetId: r.assetId, overdue: Number(r.n) }));
  }

  /**
   * A page of assets, worst status first, then by host name and id; `after` is the last row of the previous page.
   * The reasons are the kinds of rows that gave the asset its status.
   */
  async assets(first: number, after: { statusRank: number; hostname: string; assetId: string } | null, statuses: ComplianceStatusName[] | null): Promise<AssetStatusRow[]> {
    const params: unknown[] = [];
    const conds: string[] = [];
    if (statuses) conds.push(statuses.length ? `s.statusRank IN (${statuses.map((st) => STATUS_RANK[st]).join(', ')})` : '1 = 0');
    if (after) {
      conds.push('(s.statusRank < ? OR (s.statusRank = ? AND (sa.hostname > ? OR (sa.hostname = ? AND sa.assetId > ?))))');
      params.push(after.statusRank, after.statusRank, after.hostname, after.hostname, after.assetId);
    }
    const rows = await this.evaluation.run<{ assetId: string; tenantId: string; siteId: string | null; hostname: string; statusRank: number }>(
      `SELECT sa.assetId, sa.tenantId, sa.siteId, sa.hostname, s.statusRank FROM asset_status s JOIN scope_assets sa ON sa.assetId = s.assetId
       ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY s.statusRank DESC, sa.hostname, sa.assetId LIMIT ${Math.trunc(first)}`,
      params,
    );
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.assetId);
    const reasons = await this.evaluation.run<{ assetId: string; reason: string }>(
      `SELECT DISTINCT r.assetId, r.reason FROM ranked r JOIN asset_status s ON s.assetId = r.assetId AND s.statusRank = r.statusRank
       WHERE r.assetId IN (${ids.map(() => '?').join(', ')}) AND r.reason <> 'BASE'`,
      ids,
    );
    return rows.map((r) => ({
      assetId: r.assetId, tenantId: r.tenantId, siteId: r.siteId, hostname: r.hostname, status: STATUS_BY_RANK[Number(r.statusRank)],
      reasons: reasons.filter((x) => x.assetId === r.assetId).map((x) => x.reason).sort(),
    }));
  }

  async total(statuses: ComplianceStatusName[] | null): Promise<number> {
    const ranks = statuses && new Set<number>(statuses.map((st) => STATUS_RANK[st]));
    return (await this.byTenantAndStatus()).filter((r) => !ranks || ranks.has(Number(r.statusRank))).reduce((sum, r) => sum + Number(r.n), 0);
  }

  /** The findings of some assets (a page's), worst first. */
  async findings(assetIds: readonly string[]): Promise<FindingRow[]> {
    if (assetIds.length === 0) return [];
    const rows = await this.evaluation.run<Record<string, any>>(
      `SELECT * FROM finding_status WHERE assetId IN (${assetIds.map(() => '?').join(', ')}) ORDER BY assetId, statusRank DESC, dueAt, updateId, ruleId`,
      [...assetIds],
    );
    const time = (v: unknown) => (v === null || v === undefined ? null : toDate(v));
    return rows.map((r) => ({
      assetId: r.assetId, updateId: r.updateId, sourceDeviceId: r.sourceDeviceId, ruleId: r.ruleId, state: r.toState, evidence: r.evidence,
      status: STATUS_BY_RANK[Number(r.statusRank)], clockStartAt: time(r.clockStartAt), dueAt: time(r.dueAt), firstMissingAt: time(r.firstMissingAt),
      exceptionId: r.exceptionId ?? null,
    }));
  }
}

/** Sums of the rows' counts by key, in the order keys first appear. */
function sumBy<T extends { n: number | string }>(rows: readonly T[], key: (r: T) => string): Array<[string, number]> {
  const sums = new Map<string, number>();
  for (const r of rows) sums.set(key(r), (sums.get(key(r)) ?? 0) + Number(r.n));
  return [...sums];
}

export function withZeros(rows: Array<{ statusRank: number; n: number }>): StatusCount[] {
  const counts = new Map(rows.map((r) => [Number(r.statusRank), Number(r.n)]));
  return (Object.keys(STATUS_RANK) as ComplianceStatusName[]).map((status) => ({ status, count: counts.get(STATUS_RANK[status]) ?? 0 }));
}

