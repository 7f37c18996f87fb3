import { UserInputError } from '../errors';
import { StatusCount, withZeros } from './compliance-report';
import { ComplianceEvaluation, STATUS_RANK } from './evaluation';

const DAY = 86_400_000;
export const MAX_SERIES_DAYS = 366;

/** One day of a series: the fleet as it stood at the end of that day (UTC). */
export interface SeriesPoint {
  day: string;
  /** The end of the day, or knownAt for the day knownAt falls in. */
  asOf: Date;
  byStatus: StatusCount[];
  /** Overdue (asset, update) pairs, exempt ones not counted. */
  overdueFindings: number;
}

/** A calendar day written YYYY-MM-DD, as midnight UTC; `field` names the argument in the error. */
export function parseDay(field: string, value: string): Date {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(value);
  const day = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!day || day.toISOString().slice(0, 10) !== value) throw new UserInputError(field, `"${value}" is not a day written YYYY-MM-DD`);
  return day;
}

export const dayOf = (t: Date): string => t.toISOString().slice(0, 10);

/**
 * Counts per day over a range of days, for charts. Each day is the evaluation asked again at that day's end (the
 * same policy, scope and knownAt), so a point is exactly what `compliance(asOf: <end of that day>)` answers: one
 * statement of aggregates per day, plus the evaluation's small reads of the catalog. A single statement joining a
 * table of days to the events would have to restate the whole evaluation per day (exceptions, assignments,
 * advisories and end of servicing all change with the day) and could drift from it; the measurements in the README
 * show the per-day statements fast enough for the 366 days allowed.
 */
export async function dailySeries(evaluation: ComplianceEvaluation, from: Date, to: Date): Promise<SeriesPoint[]> {
  if (from > to) throw new UserInputError('from', 'must not be after to');
  const days = Math.round((to.getTime() - from.getTime()) / DAY) + 1;
  if (days > MAX_SERIES_DAYS) throw new UserInputError('to', `a series covers at most ${MAX_SERIES_DAYS} days; this range has ${days}`);
  const { knownAt } = evaluation.question;
  if (to > knownAt) throw new UserInputError('to', `must not be after knownAt's day (${dayOf(knownAt)}): nothing was recorded about later days`);

  const points: SeriesPoint[] = [];
  for (let i = 0; i < days; i++) {
    const start = new Date(from.getTime() + i * DAY);
    const end = new Date(start.getTime() + DAY - 1);
    const asOf = end < knownAt ? end : knownAt;
    const rows = await evaluation.at(asOf).run<{ kind: string; k: number; n: unknown }>(
      `SELECT 'S' AS kind, statusRank AS k, COUNT(*) AS n FROM asset_status GROUP BY statusRank
      UNION ALL SELECT 'O', 0, COUNT(*) FROM (SELECT assetId, updateId FROM finding_status WHERE statusRank = ${STATUS_RANK.NON_COMPLIANT} GROUP BY assetId, updateId) o`,
    );
    points.push({
      day: dayOf(start),
      asOf,
      byStatus: withZeros(rows.filter((r) => r.kind === 'S').map((r) => ({ statusRank: Number(r.k), n: Number(r.n) }))),
      overdueFindings: Number(rows.find((r) => r.kind === 'O')?.n ?? 0),
    });
  }
  return points;
}
