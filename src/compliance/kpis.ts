import { NOT_REMEDIATED_STATES } from '../entities/enums';
import { UserInputError } from '../errors';
import { ComplianceEvaluation, STATUS_RANK } from './evaluation';
import { sqlTime } from '../db/sql-time';

const DAY = 86_400_000;

/** A span of time the period KPIs measure: installs and due dates within it, both ends included. */
export interface Period {
  from: Date;
  to: Date;
}

/** Time from a rule's clock start to the install, over a group of fixes. Null statistics when the group is empty. */
export interface TimeToPatchStats {
  /** The group: an update severity, a rule id, or null for every fix. */
  key: string | null;
  count: number;
  meanHours: number | null;
  medianHours: number | null;
  p90Hours: number | null;
}

export interface TimeToPatch {
  overall: TimeToPatchStats;
  bySeverity: TimeToPatchStats[];
  byRule: TimeToPatchStats[];
}

export interface SlaCounts {
  /** Null for every rule. */
  rule: string | null;
  installed: number;
  installedOnTime: number;
  /** installedOnTime / installed; null when nothing was installed. */
  attainment: number | null;
  /** Due in the period and still not installed at asOf, without a risk exception. */
  missed: number;
  /** As `missed`, but covered by a risk exception at asOf. */
  missedExempt: number;
}

export interface SlaAttainment extends SlaCounts {
  byRule: SlaCounts[];
}

/** Bands of days overdue at asOf: `below` is the first whole number of days past the due time not in the band. */
export const OVERDUE_BANDS = [
  { label: '0-7 days', below: 8 },
  { label: '8-30 days', below: 31 },
  { label: '31-90 days', below: 91 },
  { label: 'over 90 days', below: null },
] as const;

export interface OverdueAgeing {
  /** Overdue (asset, update) pairs at asOf: NON_COMPLIANT findings, exempt ones not counted. */
  findings: number;
  assets: number;
  bands: Array<{ band: string; count: number }>;
}

export interface Coverage {
  days: number;
  assets: number;
  /** Assets whose last check-in was within `days` of asOf. */
  reporting: number;
  /** Assets with per-update evidence at asOf (REPORTED or DERIVED states), not device posture alone. */
  perUpdateEvidence: number;
}

/** The period the KPIs use when none is given: the 90 days before asOf. */
export function defaultPeriod(asOf: Date): Period {
  return { from: new Date(asOf.getTime() - 90 * DAY), to: asOf };
}

/**
 * Checks a period against the evaluation: it cannot end after asOf, because the evaluation sees only events up to
 * asOf, so installs after it would silently be left out.
 */
export function checkPeriod(period: Period, asOf: Date): Period {
  if (period.from > period.to) throw new UserInputError('from', 'must not be after to');
  if (period.to > asOf) throw new UserInputError('to', `must not be after asOf (${asOf.toISOString()}): the answer sees only what happened by asOf`);
  return period;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const hours = (ms: unknown): number | null => (ms === null || ms === undefined ? null : Math.round(Number(ms) / 36_000) / 100);
const share = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

/**
 * Key performance indicators over one evaluation, each one SQL statement of aggregates and window functions added
 * to its CTEs: no finding is ever loaded into JavaScript to compute them.
 *
 * A fix is an (asset, update) pair in the policy's scope. It counts as installed at its first INSTALLED event (the
 * source's own time where it gives one, else when patchgraph observed it, as the evaluation orders events) after
 * patchgraph had seen the asset lack it: an install never seen missing may be the date a device was enrolled, not
 * the date it was patched. Where several rules of the policy cover a fix, the one due first governs the fix's due
 * time and clock (by severity and overall); by rule, each rule counts the fix against its own clock.
 */
export class ComplianceKpis {
  constructor(readonly evaluation: ComplianceEvaluation) {}

  private get asOf(): Date {
    return this.evaluation.question.asOf;
  }

  /** CTEs appended to the evaluation's: a leading comma continues its WITH list. */
  private fixedInPeriodCtes(period: Period, params: unknown[]): string {
    const d = this.evaluation.dialect;
    const open = NOT_REMEDIATED_STATES.map((st) => `'${st}'`).join(', ');
    params.push(sqlTime(period.from), sqlTime(period.to));
    return `,
    kpi_installs AS (
      SELECT assetId, updateId, MIN(firstMissingAt) AS firstMissingAt, MIN(CASE WHEN toState = 'INSTALLED' AND at >= firstMissingAt THEN at END) AS installedAt
      FROM (
        -- first_missing as a window, not a join: the planner would rescan an update's events for every pair.
        SELECT e.assetId, e.updateId, e.toState, e.at, MIN(CASE WHEN e.toState IN (${open}) THEN e.at END) OVER (PARTITION BY e.assetId, e.updateId) AS firstMissingAt
        FROM events e
      ) x
      GROUP BY assetId, updateId
    ),
    kpi_fixed AS (
      SELECT i.assetId, i.updateId, i.installedAt, t.ruleId, u.severity,
        COALESCE(t.clockStartAt, i.firstMissingAt) AS clockStartAt,
        COALESCE(t.dueAt, ${d.addSeconds('i.firstMissingAt', 't.allowanceSeconds')}) AS dueAt
      FROM kpi_installs i
      JOIN scope_assets sa ON sa.assetId = i.assetId
      JOIN terms t ON t.updateId = i.updateId AND (t.assetClass IS NULL OR t.assetClass = sa.assetClass)
      JOIN software_update u ON u.id = i.updateId
      WHERE i.installedAt >= ? AND i.installedAt <= ?
    ),
    kpi_fixed_governing AS (
      SELECT f.*, ROW_NUMBER() OVER (PARTITION BY f.assetId, f.updateId ORDER BY f.dueAt, f.ruleId) AS pick FROM kpi_fixed f
    )`;
  }

  /**
   * Mean, median and 90th percentile of the time from each fix's clock start to its install, for fixes installed in
   * the period. Percentiles are nearest-rank: the value at rank ceil(p × n) of the sorted times, so the median of
   * an even count is the lower middle one. A fix installed before its clock started (before a CVE was added to
   * KEV, say) took no time.
   */
  async timeToPatch(period: Period): Promise<TimeToPatch> {
    const d = this.evaluation.dialect;
    const params: unknown[] = [];
    const ctes = this.fixedInPeriodCtes(period, params);
    const ms = `CASE WHEN ${d.millisBetween('clockStartAt', 'installedAt')} < 0 THEN 0 ELSE ${d.millisBetween('clockStartAt', 'installedAt')} END`;
    const rows = await this.evaluation.run<{ dim: string; k: string; n: number; mean: unknown; median: unknown; p90: unknown }>(
      `${ctes},
      kpi_samples AS (
        SELECT 'ALL' AS dim, '' AS k, ${ms} AS ms FROM kpi_fixed_governing WHERE pick = 1 AND clockStartAt IS NOT NULL
        UNION ALL SELECT 'SEVERITY', severity, ${ms} FROM kpi_fixed_governing WHERE pick = 1 AND clockStartAt IS NOT NULL
        UNION ALL SELECT 'RULE', ruleId, ${ms} FROM kpi_fixed WHERE clockStartAt IS NOT NULL
      ),
      kpi_ranked AS (
        SELECT dim, k, ms, ROW_NUMBER() OVER (PARTITION BY dim, k ORDER BY ms) AS rn, COUNT(*) OVER (PARTITION BY dim, k) AS n FROM kpi_samples
      )
      SELECT dim, k, COUNT(*) AS n, AVG(ms) AS mean,
        MIN(CASE WHEN rn * 100 >= n * 50 THEN ms END) AS median,
        MIN(CASE WHEN rn * 100 >= n * 90 THEN ms END) AS p90
      FROM kpi_ranked GROUP BY dim, k ORDER BY dim, k`,
      params,
    );
    const stats = (r: (typeof rows)[number] | undefined, key: string | null): TimeToPatchStats => ({
      key, count: num(r?.n), meanHours: r ? hours(r.mean) : null, medianHours: r ? hours(r.median) : null, p90Hours: r ? hours(r.p90) : null,
    });
    return {
      overall: stats(rows.find((r) => r.dim === 'ALL'), null),
      bySeverity: rows.filter((r) => r.dim === 'SEVERITY').map((r) => stats(r, r.k)),
      byRule: rows.filter((r) => r.dim === 'RULE').map((r) => stats(r, r.k)),
    };
  }

  /**
   * Of the fixes installed in the period, how many by their due time; and the fixes that fell due in the period and
   * were still not installed at asOf.
   */
  async slaAttainment(period: Period): Promise<SlaAttainment> {
    const params: unknown[] = [];
    const ctes = this.fixedInPeriodCtes(period, params);
    params.push(sqlTime(period.from), sqlTime(period.to), sqlTime(period.from), sqlTime(period.to));
    const onTime = 'SUM(CASE WHEN installedAt <= dueAt THEN 1 ELSE 0 END)';
    const rows = await this.evaluation.run<{ dim: string; k: string; installed: unknown; onTime: unknown; missed: unknown; exempt: unknown }>(
      `${ctes},
      kpi_open_pairs AS (
        SELECT assetId, updateId, MIN(dueAt) AS dueAt, MAX(CASE WHEN exceptionId IS NULL THEN 0 ELSE 1 END) AS exempt FROM finding_status GROUP BY assetId, updateId
      ),
      kpi_sla AS (
        SELECT 'ALL' AS dim, '' AS k, COUNT(*) AS installed, ${onTime} AS onTime, 0 AS missed, 0 AS exempt FROM kpi_fixed_governing WHERE pick = 1
        UNION ALL SELECT 'RULE', ruleId, COUNT(*), ${onTime}, 0, 0 FROM kpi_fixed GROUP BY ruleId
        UNION ALL SELECT 'ALL', '', 0, 0, SUM(1 - exempt), SUM(exempt) FROM kpi_open_pairs WHERE dueAt >= ? AND dueAt <= ?
        UNION ALL SELECT 'RULE', ruleId, 0, 0, SUM(CASE WHEN exceptionId IS NULL THEN 1 ELSE 0 END), SUM(CASE WHEN exceptionId IS NULL THEN 0 ELSE 1 END)
          FROM finding_status WHERE dueAt >= ? AND dueAt <= ? GROUP BY ruleId
      )
      SELECT dim, k, SUM(installed) AS installed, SUM(onTime) AS onTime, SUM(missed) AS missed, SUM(exempt) AS exempt FROM kpi_sla GROUP BY dim, k ORDER BY dim, k`,
      params,
    );
    const counts = (r: (typeof rows)[number] | undefined, rule: string | null): SlaCounts => {
      const installed = num(r?.installed);
      const installedOnTime = num(r?.onTime);
      return { rule, installed, installedOnTime, attainment: share(installedOnTime, installed), missed: num(r?.missed), missedExempt: num(r?.exempt) };
    };
    return { ...counts(rows.find((r) => r.dim === 'ALL'), null), byRule: rows.filter((r) => r.dim === 'RULE').map((r) => counts(r, r.k)) };
  }

  /** Overdue fixes at asOf by how long past their due time (the earliest, where several rules cover a fix). */
  async overdueAgeing(): Promise<OverdueAgeing> {
    const params: unknown[] = [];
    const cases = OVERDUE_BANDS.map((b) => {
      if (b.below === null) return `ELSE '${b.label}'`;
      params.push(sqlTime(new Date(this.asOf.getTime() - b.below * DAY)));
      return `WHEN dueAt > ? THEN '${b.label}'`;
    });
    const rows = await this.evaluation.run<{ band: string; n: unknown; assets: unknown }>(
      `, kpi_overdue AS (
        SELECT assetId, updateId, MIN(dueAt) AS dueAt FROM finding_status WHERE statusRank = ${STATUS_RANK.NON_COMPLIANT} GROUP BY assetId, updateId
      )
      SELECT band, COUNT(*) AS n, 0 AS assets FROM (SELECT CASE ${cases.join(' ')} END AS band FROM kpi_overdue) b GROUP BY band
      UNION ALL SELECT 'ALL', COUNT(*), COUNT(DISTINCT assetId) FROM kpi_overdue`,
      params,
    );
    const byBand = new Map(rows.map((r) => [r.band, r]));
    return {
      findings: num(byBand.get('ALL')?.n),
      assets: num(byBand.get('ALL')?.assets),
      bands: OVERDUE_BANDS.map((b) => ({ band: b.label, count: num(byBand.get(b.label)?.n) })),
    };
  }

  /**
   * How much of the fleet in scope can be vouched for at asOf: assets heard from within `days` (the last check-in
   * known; one after asOf means the device was still reporting then), and assets with per-update evidence.
   */
  async coverage(days: number): Promise<Coverage> {
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UserInputError('days', 'must be a whole number of days from 1 to 3650');
    const [row] = await this.evaluation.run<{ n: unknown; reporting: unknown; perUpdate: unknown }>(
      `SELECT COUNT(*) AS n, SUM(CASE WHEN sa.lastSeenAt >= ? THEN 1 ELSE 0 END) AS reporting,
        SUM(CASE WHEN EXISTS (SELECT 1 FROM asset_state s WHERE s.assetId = sa.assetId) THEN 1 ELSE 0 END) AS perUpdate
      FROM scope_assets sa`,
      [sqlTime(new Date(this.asOf.getTime() - days * DAY))],
    );
    return { days, assets: num(row?.n), reporting: num(row?.reporting), perUpdateEvidence: num(row?.perUpdate) };
  }
}
