/**
 * ISO 8601 dates as inventory files carry them: a date ("2024-08-13", taken as UTC midnight) or a date and time
 * with a zone ("2024-08-13T07:00:00Z", "2024-08-13 09:00:00+02:00"). A time without a zone is refused: it means a
 * different instant on every server that reads it. Date.parse alone is no check: it accepts "8/13/2024" and rolls
 * 2024-02-30 over into March.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** The instant, or why the text is not one (to follow the quoted value in a message). */
export function parseIsoDate(text: string): Date | string {
  const m = ISO.exec(text.trim());
  if (!m) return 'is not an ISO 8601 date (such as 2024-08-13 or 2024-08-13T07:00:00Z)';
  const [, y, mo, d, h, mi, s = '00', frac = '', zone] = m;
  if (h !== undefined && zone === undefined) return 'has no time zone; add Z (UTC) or an offset such as +01:00';
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) {
    return 'is not a real calendar date';
  }
  if (h === undefined) return day;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return 'is not a real time of day';
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  // Milliseconds are all a Date holds; finer digits are dropped rather than rounded into the next second.
  const instant = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${offset}`);
  return Number.isNaN(instant.getTime()) ? 'is not an ISO 8601 date' : instant;
}
