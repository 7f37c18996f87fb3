/** When the patch history report says a fix was installed by its due time, was not, or cannot say. */
import { metBy } from '../../src/reports/policy-due';

const at = (iso: string) => new Date(iso);
const ev = (state: string, iso: string) => ({ state, at: at(iso) });
const DUE = at('2026-10-12T00:00:00Z');
const KNOWN = at('2026-10-25T00:00:00Z');

describe('metBy', () => {
  it.each([
    ['installed before the due time', [ev('MISSING', '2026-10-01T00:00:00Z'), ev('INSTALLED', '2026-10-10T00:00:00Z')], true],
    ['installed after it', [ev('MISSING', '2026-10-01T00:00:00Z'), ev('INSTALLED', '2026-10-20T00:00:00Z')], false],
    ['rolled back before it', [ev('INSTALLED', '2026-10-01T00:00:00Z'), ev('MISSING', '2026-10-05T00:00:00Z')], false],
    ['failed at it', [ev('FAILED', '2026-10-11T00:00:00Z')], false],
    ['first seen lacking it after the due time: overdue then', [ev('MISSING', '2026-10-20T00:00:00Z')], false],
    ['first seen installed after the due time: unknown', [ev('INSTALLED', '2026-10-20T00:00:00Z')], null],
    ['no event at all', [], null],
  ] as const)('%s', (_label, events, expected) => {
    expect(metBy(events, DUE, KNOWN)).toBe(expected);
  });

  it('a due time after knownAt: met when installed by knownAt, else not known yet', () => {
    const later = at('2026-11-01T00:00:00Z');
    expect(metBy([ev('MISSING', '2026-10-01T00:00:00Z'), ev('INSTALLED', '2026-10-20T00:00:00Z')], later, KNOWN)).toBe(true);
    expect(metBy([ev('MISSING', '2026-10-01T00:00:00Z')], later, KNOWN)).toBeNull();
    expect(metBy([ev('MISSING', '2026-10-30T00:00:00Z')], later, KNOWN)).toBeNull();
  });
});
