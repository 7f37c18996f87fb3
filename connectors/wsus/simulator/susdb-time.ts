/**
 * Times as SUSDB's `datetime` columns hold them: UTC with no offset, and milliseconds only to 1/300 s (SQL Server
 * rounds them to .000, .003 or .007), which is what a reader sees in real rows.
 */
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** What SUSDB stores for "never" where the column is not nullable: SQL Server's smallest datetime. */
export const SUSDB_NEVER = '1753-01-01T00:00:00';

/** Rounds to SQL Server's datetime precision, so the value a reader parses equals the one the simulator keeps. */
export function susdbMs(ms: number): number {
  const whole = Math.floor(ms / 10) * 10;
  const last = ms - whole;
  return whole + (last < 2 ? 0 : last < 5 ? 3 : last < 9 ? 7 : 10);
}

/** "2026-11-02T03:14:07.123" */
export function susdbTime(ms: number): string {
  return new Date(susdbMs(ms)).toISOString().slice(0, 23);
}

/** The second Tuesday of the month `monthsBack` before the one `ms` falls in: Microsoft's release day. */
export function patchTuesday(ms: number, monthsBack: number): number {
  const d = new Date(ms);
  const first = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - monthsBack, 1);
  const weekday = new Date(first).getUTCDay();
  const firstTuesday = 1 + ((2 - weekday + 7) % 7);
  // Released 10:00 Redmond time, which WSUS stores as 17:00 or 18:00 UTC.
  return first + (firstTuesday + 7 - 1) * DAY + 17 * HOUR;
}

/** "2026-11", the month a title starts with. */
export function yearMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}
