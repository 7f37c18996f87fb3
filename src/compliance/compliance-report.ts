import DataLoader from 'dataloader';
import { ComplianceEvaluation, ComplianceStatusName, STATUS_BY_RANK, STATUS_RANK, toDate } from './evaluation';
import { sqlTime } from '../db/sql-time';
import { KeptAnswers, KeptView } from './kept-answers';

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


/** One of the aggregate answers a report gathers into a single statement (see ComplianceReport). */
type AggregateKey = 'tenantId' | 'siteId' | 'findings' | `worst:${number}`;

/**
 * A row of the gathered statement: `part` names the answer it belongs to, `ord` its place in that answer's order
 * (the engine's, collation and all: rows of a UNION ALL come back in no promised order).
 */
interface AggregateRow {
  part: string;
  k: string | null;
  k2: string | null;
  statusRank: number | null;
  n: number | string;
  ord: number | string;
}

/**
 * Answers of one evaluation, each a grouping over its CTEs: counts and groupings are GROUP BYs, the asset list a
 * keyset page. Nothing here reads more rows than it returns.
 *
 * Every statement evaluates the whole CTE chain again: the assets in scope, the open states with their rivals'
 * probes, every asset's device rules. The aggregate answers asked in one go (a dashboard asks for all of them in one
 * GraphQL request, its fields resolved in the same tick) are therefore gathered by a DataLoader; on SQLite into one
 * statement, a UNION ALL of their groupings over one evaluation, where they were a statement each. The total, the counts by
 * status and by tenant read one count by (tenant, status); the open findings by severity and by age one count by
 * (severity, status, age band). A report serves one request (one GraphQL `compliance` field), so the answers are kept
 * for its life.
 */
export class ComplianceReport {
  private readonly aggregates = new DataLoader<AggregateKey, AggregateRow[]>((keys) => this.gather(keys));
  private keptView?: Promise<KeptView | null>;

  /** `kept`: answer from kept answers where they hold (kept-answers.ts); without it, every answer is evaluated. */
  constructor(readonly evaluation: ComplianceEvaluation, private readonly kept?: KeptAnswers) {}

  /** The kept answers for this request's question, brought up to date once for all its answers; null to evaluate. */
  private view(): Promise<KeptView | null> {
    return (this.keptView ??= this.kept ? this.kept.view(this.evaluation) : Promise.resolve(null));
  }

  /**
   * The rows of each asked answer: one UNION ALL of their groupings where the engine computes the evaluation's CTEs
   * once for it (SQLite). Elsewhere (MariaDB) each grouping stays a statement of its own, sent at once on the pool's
   * connections.
   */
  private async gather(keys: readonly AggregateKey[]): Promise<AggregateRow[][]> {
    const view = await this.view();
    if (view) return Promise.all(keys.map((key) => this.keptPart(view, key)));
    if (!this.evaluation.dialect.computesCteOnce) {
      return Promise.all(keys.map(async (key) => {
        const params: unknown[] = [];
        const sql = this.partSql(key, params);
        return (await this.evaluation.run<AggregateRow>(sql, params)).sort((a, b) => Number(a.ord) - Number(b.ord));
      }));
    }
    const params: unknown[] = [];
    const parts = keys.map((key, i) => `SELECT * FROM (${this.partSql(key, params)}) p${i}`);
    const rows = await this.evaluation.run<AggregateRow>(parts.join('\n       UNION ALL '), params);
    return keys.map((key) => rows.filter((r) => r.part === key).sort((a, b) => Number(a.ord) - Number(b.ord)));
  }

  /** One answer from kept answers, in the gathered statement's shape. */
  private async keptPart(view: KeptView, key: AggregateKey): Promise<AggregateRow[]> {
    if (key === 'tenantId' || key === 'siteId') {
      return view.statusRows(key).map((r, ord) => ({ part: key, k: r.k, k2: null, statusRank: r.statusRank, n: r.n, ord }));
    }
    if (key === 'findings') {
      const asOf = this.evaluation.question.asOf.getTime();
      // The age bands' CASE in partSql, in code: a clock not started (or in the future) is in none.
      const band = (startedAt: number | null) => {
        if (startedAt === null) return 'not started';
        const found = AGE_BANDS.find((b) => startedAt <= asOf - b.from * 86_400_000 && (b.to === null || startedAt > asOf - b.to * 86_400_000));
        return found ? found.label : 'not started';
      };
      return (await view.findingCounts(band)).map((r) => ({ part: key, k: r.severity, k2: r.band, statusRank: r.statusRank, n: r.n, ord: 0 }));
    }
    return (await view.worst(Number(key.slice('worst:'.length)))).map((r, ord) => ({ part: key, k: r.assetId, k2: null, statusRank: null, n: r.n, ord }));
  }

  /** One answer's grouping as rows of the gathered statement's shape, its parameters appended to `params`. */
  private partSql(key: AggregateKey, params: unknown[]): string {
    params.push(key);
    if (key === 'tenantId' || key === 'siteId') {
      // Assets by key and status, in key order: what total, statusCounts and statusCountsBy sum.
      return `SELECT ? AS part, sa.${key} AS k, NULL AS k2, s.statusRank, COUNT(*) AS n, ROW_NUMBER() OVER (ORDER BY sa.${key}, s.statusRank) AS ord
         FROM asset_status s JOIN scope_assets sa ON sa.assetId = s.assetId GROUP BY sa.${key}, s.statusRank`;
    }
    if (key === 'findings') {
      // Open findings (one per asset and update, its worst status over the rules) by the update's severity, status and
      // age band (how long its clock has run at asOf).
      const asOf = this.evaluation.question.asOf.getTime();
      const cases = AGE_BANDS.map((b) => {
        params.push(sqlTime(new Date(asOf - b.from * 86_400_000)));
        if (b.to === null) return `WHEN f.startedAt <= ? THEN '${b.label}'`;
        params.push(sqlTime(new Date(asOf - b.to * 86_400_000)));
        return `WHEN f.startedAt <= ? AND f.startedAt > ? THEN '${b.label}'`;
      });
      return `SELECT ? AS part, u.severity AS k, CASE ${cases.join(' ')} ELSE 'not started' END AS k2, f.statusRank, COUNT(*) AS n, 0 AS ord FROM (
           SELECT assetId, updateId, MAX(statusRank) AS statusRank, MIN(COALESCE(clockStartAt, firstMissingAt)) AS startedAt FROM finding_status GROUP BY assetId, updateId) f
         JOIN software_update u ON u.id = f.updateId GROUP BY u.severity, f.statusRank, k2`;
    }
    // The assets with the most overdue updates, by host name and id where as many.
    const limit = Number(key.slice('worst:'.length));
    return `SELECT ? AS part, w.assetId AS k, NULL AS k2, NULL AS statusRank, w.n, ROW_NUMBER() OVER (ORDER BY w.n DESC, w.hostname, w.assetId) AS ord FROM (
           SELECT f.assetId, sa.hostname, COUNT(DISTINCT f.updateId) AS n FROM finding_status f JOIN scope_assets sa ON sa.assetId = f.assetId
           WHERE f.statusRank = ${STATUS_RANK.NON_COMPLIANT} GROUP BY f.assetId, sa.hostname ORDER BY n DESC, sa.hostname, f.assetId LIMIT ${limit}) w`;
  }

  private async statusRows(column: 'tenantId' | 'siteId'): Promise<Array<{ k: string | null; statusRank: number; n: number }>> {
    return (await this.aggregates.load(column)).map((r) => ({ k: r.k, statusRank: Number(r.statusRank), n: Number(r.n) }));
  }

  async statusCounts(): Promise<StatusCount[]> {
    return withZeros(sumBy(await this.statusRows('tenantId'), (r) => String(r.statusRank)).map(([rank, n]) => ({ statusRank: Number(rank), n })));
  }

  async statusCountsBy(column: 'tenantId' | 'siteId'): Promise<Array<{ key: string | null; counts: StatusCount[] }>> {
    const byKey = new Map<string | null, Array<{ statusRank: number; n: number }>>();
    for (const r of await this.statusRows(column)) byKey.set(r.k, [...(byKey.get(r.k) ?? []), r]);
    return [...byKey].map(([key, counts]) => ({ key, counts: withZeros(counts) }));
  }

  /** Open findings by the update's severity, status and age band: what openFindingsBySeverity and openFindingsByAge sum. */
  private async bySeverityStatusAndAge(): Promise<Array<{ severity: string; statusRank: number; band: string; n: number }>> {
    return (await this.aggregates.load('findings')).map((r) => ({ severity: r.k!, statusRank: Number(r.statusRank), band: r.k2!, n: Number(r.n) }));
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
    return (await this.aggregates.load(`worst:${Math.trunc(limit)}`)).map((r) => ({ assetId: r.k!, overdue: Number(r.n) }));
  }

  /**
   * A page of assets, worst status first, then by host name and id; `after` is the last row of the previous page.
   * The reasons are the kinds of rows that gave the asset its status.
   */
  async assets(first: number, after: { statusRank: number; hostname: string; assetId: string } | null, statuses: ComplianceStatusName[] | null): Promise<AssetStatusRow[]> {
    const kept = await (await this.view())?.page(first, after, statuses && statuses.map((st) => STATUS_RANK[st]));
    if (kept) return kept;
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
    return (await this.statusRows('tenantId')).filter((r) => !ranks || ranks.has(r.statusRank)).reduce((sum, r) => sum + r.n, 0);
  }

  /**
   * The findings of some assets (a page's), worst first. Where kept answers hold, the question is one about now from
   * the current states, so these assets are evaluated alone (from their own sources' states), not the whole fleet.
   */
  async findings(assetIds: readonly string[]): Promise<FindingRow[]> {
    if (assetIds.length === 0) return [];
    const evaluation = (await this.view()) ? this.evaluation.only(assetIds) : this.evaluation;
    const rows = await evaluation.run<Record<string, any>>(
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

