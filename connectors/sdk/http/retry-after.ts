import type { Clock } from '../clock';

/**
 * Parses a `Retry-After` header (RFC 9110 §10.2.3) into milliseconds to wait. It is either delta-seconds ("120")
 * or an HTTP-date, which only means something relative to "now", so the clock is an argument.
 *
 * The result is clamped to `maxMs`: a vendor asking for an hour would otherwise park a sync worker for an hour.
 * Anything unreadable gives `undefined`, and the caller falls back to its own backoff.
 */
export const DEFAULT_MAX_RETRY_AFTER_MS = 120_000;

export function parseRetryAfter(value: string | null | undefined, clock: Clock, maxMs = DEFAULT_MAX_RETRY_AFTER_MS): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const now = clock.now();
    const at = parseHttpDate(text, now);
    if (!at) return undefined;
    // A date in the past means "you may retry now".
    ms = Math.max(0, at.getTime() - now.getTime());
  }
  return Math.min(ms, Math.max(0, maxMs));
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

// The three formats RFC 9110 §5.6.7 says a recipient must accept. Date.parse is not used: it also accepts things
// that are not HTTP-dates (Date.parse("1") is a date in 2001 in V8).
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
const RFC850_DATE = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`, 'i');

/** An HTTP-date, or undefined. `now` resolves the two-digit years of the obsolete RFC 850 format. */
export function parseHttpDate(text: string, now: Date): Date | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m) return build(Number(m[3]), m[2], m[1], m[4], m[5], m[6]);
  m = RFC850_DATE.exec(text);
  if (m) {
    // RFC 9110: a two-digit year that appears more than 50 years in the future is in the past century.
    const yy = Number(m[3]);
    const century = Math.floor(now.getUTCFullYear() / 100) * 100;
    let year = century + yy;
    if (year > now.getUTCFullYear() + 50) year -= 100;
    return build(year, m[2], m[1], m[4], m[5], m[6]);
  }
  m = ASCTIME_DATE.exec(text);
  if (m) return build(Number(m[6]), m[1], m[2].trim(), m[3], m[4], m[5]);
  return undefined;
}

function build(year: number, monthName: string, day: string, hour: string, minute: string, second: string): Date | undefined {
  const month = MONTHS.indexOf(monthName.toLowerCase());
  const [d, h, mi, s] = [Number(day), Number(hour), Number(minute), Number(second)];
  if (h > 23 || mi > 59 || s > 60) return undefined;
  // Date.UTC rolls 31 Feb over into March; a date that does not round-trip is not a date.
  const at = new Date(Date.UTC(year, month, d, h, mi, Math.min(s, 59)));
  if (at.getUTCDate() !== d || at.getUTCMonth() !== month) return undefined;
  return at;
}
