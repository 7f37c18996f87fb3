/**
 * Maintenance window recurrence across daylight-saving changes, and "the Saturday after Patch Tuesday", checked
 * against real calendar dates (Microsoft's Patch Tuesdays of 2026).
 */
import { occurrenceHolding, occurrences, validateWindowRule } from '../../src/change/maintenance-windows';
import { UserInputError } from '../../src/errors';

const iso = (d: Date) => d.toISOString().slice(0, 16);

describe('maintenance window recurrence', () => {
  const tuesdayEvenings = { rrule: 'FREQ=WEEKLY;BYDAY=TU', firstStart: '2026-01-06T19:00', timeZone: 'Europe/London', durationMinutes: 240 };

  it('keeps every Tuesday 19:00–23:00 Europe/London at 19:00 local across the March clock change', () => {
    // Clocks go forward on Sunday 29 March 2026: 19:00 GMT is 19:00Z before, 19:00 BST is 18:00Z after.
    const got = occurrences(tuesdayEvenings, new Date('2026-03-16T00:00Z'), new Date('2026-04-08T00:00Z'));
    expect(got.map((o) => [iso(o.start), iso(o.end)])).toEqual([
      ['2026-03-17T19:00', '2026-03-17T23:00'],
      ['2026-03-24T19:00', '2026-03-24T23:00'],
      ['2026-03-31T18:00', '2026-03-31T22:00'],
      ['2026-04-07T18:00', '2026-04-07T22:00'],
    ]);
  });

  it('and back across the October clock change', () => {
    // Clocks go back on Sunday 25 October 2026.
    const got = occurrences(tuesdayEvenings, new Date('2026-10-19T00:00Z'), new Date('2026-11-04T00:00Z'));
    expect(got.map((o) => iso(o.start))).toEqual(['2026-10-20T18:00', '2026-10-27T19:00', '2026-11-03T19:00']);
  });

  it('finds the Saturday after Patch Tuesday with BYDAY=SA;BYMONTHDAY=12..18', () => {
    // Patch Tuesdays 2026: 13 Jan, 10 Feb, 10 Mar, 14 Apr, 12 May, 9 Jun, 14 Jul, 11 Aug, 8 Sep, 13 Oct, 10 Nov, 8 Dec.
    const rule = { rrule: 'FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=12,13,14,15,16,17,18', firstStart: '2026-01-01T22:00', timeZone: 'Europe/London', durationMinutes: 360 };
    const got = occurrences(rule, new Date('2026-01-01T00:00Z'), new Date('2027-01-01T00:00Z'));
    expect(got.map((o) => o.start.toISOString().slice(0, 10))).toEqual([
      '2026-01-17', '2026-02-14', '2026-03-14', '2026-04-18', '2026-05-16', '2026-06-13',
      '2026-07-18', '2026-08-15', '2026-09-12', '2026-10-17', '2026-11-14', '2026-12-12',
    ]);
    // 22:00 local: GMT in winter, BST in summer.
    expect(iso(got[0].start)).toBe('2026-01-17T22:00');
    expect(iso(got[5].start)).toBe('2026-06-13T21:00');
  });

  it('works in a zone far from UTC (Australia/Sydney, whose clocks change in April and October)', () => {
    const rule = { rrule: 'FREQ=WEEKLY;BYDAY=WE', firstStart: '2026-03-04T20:00', timeZone: 'Australia/Sydney', durationMinutes: 120 };
    const got = occurrences(rule, new Date('2026-03-30T00:00Z'), new Date('2026-04-10T00:00Z'));
    // 20:00 AEDT (+11) on 1 April is 09:00Z; 20:00 AEST (+10) on 8 April is 10:00Z.
    expect(got.map((o) => iso(o.start))).toEqual(['2026-04-01T09:00', '2026-04-08T10:00']);
  });

  it('says which occurrence holds a planned period, and none when the period runs past its end', () => {
    expect(occurrenceHolding([tuesdayEvenings], new Date('2026-03-31T18:30Z'), new Date('2026-03-31T21:00Z'))?.start).toEqual(new Date('2026-03-31T18:00Z'));
    expect(occurrenceHolding([tuesdayEvenings], new Date('2026-03-31T18:30Z'), new Date('2026-03-31T22:30Z'))).toBeNull();
    expect(occurrenceHolding([tuesdayEvenings], new Date('2026-04-01T18:30Z'), new Date('2026-04-01T19:00Z'))).toBeNull();
  });

  it.each([
    [{ timeZone: 'Europe/Londres' }, 'w.timeZone'],
    [{ firstStart: '2026-01-06 19:00+01:00' }, 'w.firstStart'],
    [{ firstStart: '2026-02-30T19:00' }, 'w.firstStart'],
    [{ durationMinutes: 0 }, 'w.durationMinutes'],
    [{ rrule: 'FREQ=SOMETIMES' }, 'w.rrule'],
    [{ rrule: 'FREQ=HOURLY' }, 'w.rrule'],
    [{ rrule: 'DTSTART;TZID=Europe/London:20260106T190000;FREQ=WEEKLY' }, 'w.rrule'],
  ])('refuses %j naming %s', (change, field) => {
    let error: unknown;
    try {
      validateWindowRule('w', { ...tuesdayEvenings, ...change });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as UserInputError).field).toBe(field);
  });
});
