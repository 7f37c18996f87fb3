import { fixedClock } from '../../../src/util/clock';
import { parseHttpDate, parseRetryAfter } from '../../../connectors/sdk/http/retry-after';

describe('Retry-After', () => {
  const clock = fixedClock('2025-06-02T10:00:00.000Z');

  it.each([
    ['120', 120_000],
    [' 5 ', 5_000],
    ['0', 0],
  ])('reads delta-seconds %j as %d ms', (header, ms) => {
    expect(parseRetryAfter(header, clock)).toBe(ms);
  });

  it.each([
    ['Mon, 02 Jun 2025 10:00:30 GMT', 30_000], // IMF-fixdate, the form servers send
    ['Monday, 02-Jun-25 10:01:00 GMT', 60_000], // obsolete RFC 850
    ['Mon Jun  2 10:00:10 2025', 10_000], // obsolete asctime
  ])('reads the HTTP-date %j relative to the clock as %d ms', (header, ms) => {
    expect(parseRetryAfter(header, clock)).toBe(ms);
  });

  it('follows the clock: the same date means less waiting later', () => {
    const later = fixedClock('2025-06-02T10:00:20.000Z');
    expect(parseRetryAfter('Mon, 02 Jun 2025 10:00:30 GMT', later)).toBe(10_000);
  });

  it('treats a date in the past as "retry now"', () => {
    expect(parseRetryAfter('Mon, 02 Jun 2025 09:00:00 GMT', clock)).toBe(0);
  });

  it('clamps long waits to the configured maximum', () => {
    expect(parseRetryAfter('3600', clock, 60_000)).toBe(60_000);
    expect(parseRetryAfter('Tue, 03 Jun 2025 10:00:00 GMT', clock, 90_000)).toBe(90_000);
    expect(parseRetryAfter('3600', clock)).toBe(120_000);
  });

  it.each([null, undefined, '', 'soon', '-5', '1.5', '2025-06-02T10:00:30Z', 'Mon, 31 Feb 2025 10:00:00 GMT', 'Mon, 02 Jun 2025 25:00:00 GMT'])(
    'gives undefined for the invalid value %j, so the caller backs off instead',
    (header) => {
      expect(parseRetryAfter(header, clock)).toBeUndefined();
    },
  );

  it('puts a two-digit RFC 850 year more than 50 years ahead into the previous century', () => {
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', new Date('2025-01-01T00:00:00Z'))?.toISOString()).toBe('1994-11-06T08:49:37.000Z');
    expect(parseHttpDate('Friday, 06-Nov-26 08:49:37 GMT', new Date('2025-01-01T00:00:00Z'))?.toISOString()).toBe('2026-11-06T08:49:37.000Z');
  });
});
