/**
 * Maintenance window recurrence. The rule is expanded by the `rrule` library in the window's *local wall-clock
 * time* (a "floating" expansion: local date-times carried in UTC fields), and each local start is then placed in
 * its time zone by Luxon. That is RFC 5545's meaning of DTSTART;TZID=…: "every Tuesday 19:00 Europe/London" stays
 * at 19:00 local on both sides of a clock change, i.e. 19:00Z in winter and 18:00Z in summer. Letting rrule apply
 * the zone itself (its tzid option) shifts occurrences by the host's own offset, which is why it is not used.
 *
 * "The Saturday after Patch Tuesday": Patch Tuesday is the second Tuesday, day 8 to 14, so the Saturday four days
 * later falls on day 12 to 18: FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=12,13,14,15,16,17,18.
 */
import { DateTime } from 'luxon';
import { RRule } from 'rrule';
import { UserInputError } from '../errors';

export interface WindowRule {
  rrule: string;
  /** Local date and time of the first occurrence: 2026-01-06T19:00. */
  firstStart: string;
  timeZone: string;
  durationMinutes: number;
}

export interface Occurrence {
  start: Date;
  end: Date;
}

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const MAX_DURATION_MINUTES = 7 * 24 * 60;
/** Enough for any zone's offset from UTC, so a floating range never misses an occurrence near its edges. */
const ZONE_SLACK_MS = 15 * 3600_000;

/** Checks a rule as given by a caller; each problem names its field. */
export function validateWindowRule(field: string, rule: WindowRule): WindowRule {
  if (!DateTime.now().setZone(rule.timeZone).isValid) throw new UserInputError(`${field}.timeZone`, `"${rule.timeZone}" is not an IANA time zone such as Europe/London`);
  if (!LOCAL_DATE_TIME.test(rule.firstStart) || !floatingStart(rule.firstStart)) {
    throw new UserInputError(`${field}.firstStart`, 'give the local date and time of the first occurrence as YYYY-MM-DDTHH:MM, without an offset (the time zone says where)');
  }
  if (!Number.isInteger(rule.durationMinutes) || rule.durationMinutes < 1 || rule.durationMinutes > MAX_DURATION_MINUTES) {
    throw new UserInputError(`${field}.durationMinutes`, `must be a whole number of minutes from 1 to ${MAX_DURATION_MINUTES}`);
  }
  const body = rule.rrule.trim().replace(/^RRULE:/i, '');
  if (/(^|;)\s*(DTSTART|TZID)\b/i.test(body) || /\n/.test(body)) {
    throw new UserInputError(`${field}.rrule`, 'give only the RRULE body (FREQ=…;BYDAY=…); the first start and the time zone are fields of their own');
  }
  let parsed: RRule;
  try {
    parsed = new RRule({ ...RRule.parseString(body), dtstart: floatingStart(rule.firstStart)! });
  } catch (err) {
    throw new UserInputError(`${field}.rrule`, `not an RFC 5545 recurrence rule: ${(err as Error).message}`);
  }
  if (parsed.origOptions.freq === undefined) throw new UserInputError(`${field}.rrule`, 'the rule needs a FREQ');
  if (parsed.options.freq > RRule.DAILY) throw new UserInputError(`${field}.rrule`, 'a maintenance window recurs daily at most often (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY)');
  return { ...rule, rrule: body };
}

/** The window's occurrences that overlap [from, to), in time order. */
export function occurrences(rule: WindowRule, from: Date, to: Date): Occurrence[] {
  const dtstart = floatingStart(rule.firstStart)!;
  const recurrence = new RRule({ ...RRule.parseString(rule.rrule), dtstart });
  const span = rule.durationMinutes * 60_000;
  const floatingFrom = new Date(from.getTime() - span - ZONE_SLACK_MS);
  const floatingTo = new Date(to.getTime() + ZONE_SLACK_MS);
  return recurrence.between(floatingFrom, floatingTo, true)
    .map((local) => {
      const start = DateTime.fromObject({
        year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate(), hour: local.getUTCHours(), minute: local.getUTCMinutes(), second: local.getUTCSeconds(),
      }, { zone: rule.timeZone });
      // A local start inside a spring-forward gap (01:30 in London on the last Sunday of March) does not exist;
      // Luxon moves it forward by the gap, which is where the clock would show it.
      return { start: start.toJSDate(), end: new Date(start.toMillis() + span) };
    })
    .filter((o) => o.end > from && o.start < to);
}

/** The occurrence of any of the rules that holds the whole period [start, end], if one does. */
export function occurrenceHolding(rules: readonly WindowRule[], start: Date, end: Date): Occurrence | null {
  for (const rule of rules) {
    const hit = occurrences(rule, start, end).find((o) => o.start <= start && end <= o.end);
    if (hit) return hit;
  }
  return null;
}

/** The local date-time as a Date whose UTC fields hold it: what rrule expands without any zone of its own. */
function floatingStart(local: string): Date | null {
  const m = LOCAL_DATE_TIME.exec(local);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s));
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 ? date : null;
}
