/**
 * Compliance KPIs on both engines, over a fleet on the real Microsoft catalog (test/helpers/kpi-fleet.ts): every
 * number is compared with one worked out in memory from the fixture, and every answer is shown to be one statement.
 */
import { TenantScope } from '../../src/access/tenant-scope';
import { ComplianceReport } from '../../src/compliance/compliance-report';
import { ComplianceEvaluation } from '../../src/compliance/evaluation';
import { dailySeries, parseDay } from '../../src/compliance/kpi-series';
import { ComplianceKpis } from '../../src/compliance/kpis';
import { PolicyDefinition } from '../../src/compliance/policy-definition';
import { PRESETS } from '../../src/compliance/presets';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import {
  expectedAgeing, expectedCoverage, expectedCyberEssentialsStatuses, expectedOverdueCount, expectedSla, expectedTimeToPatch, loadKpiFleet, TIERED,
} from '../helpers/kpi-fleet';

const KNOWN_AT = new Date('2026-12-01T00:00:00Z');
const AS_OF = new Date('2026-03-31T00:00:00Z');
const FROM = new Date('2024-08-01T00:00:00Z');

describe(`compliance KPIs on ${ENGINE}`, () => {
  let db: TestDatabase;

  const kpis = (policy: PolicyDefinition, policyKey: string, asOf = AS_OF, knownAt = KNOWN_AT) =>
    new ComplianceKpis(new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), { policyKey, policy, asOf, knownAt, assignedOnly: false }));
  const ce = (asOf = AS_OF, knownAt = KNOWN_AT) => kpis(PRESETS['cyber-essentials-v3.3'], 'cyber-essentials-v3.3', asOf, knownAt);

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const { updates } = await f.catalog();
    await loadKpiFleet(f, await f.tenant('Contoso Academy Trust'), updates);
  });
  afterAll(() => db.drop());

  it('time to patch under Cyber Essentials: mean, nearest-rank median and p90, overall and by severity, in one statement', async () => {
    db.counter.reset();
    const answer = await ce().timeToPatch({ from: FROM, to: AS_OF });
    const expected = expectedTimeToPatch('cyber-essentials', FROM, AS_OF, KNOWN_AT);
    // The fixture's numbers, to read: 60, 168, 240, 408 hours (CRITICAL), 72, 480 (IMPORTANT).
    expect(expected.overall).toEqual({ key: null, count: 6, meanHours: 238, medianHours: 168, p90Hours: 480 });
    expect(answer.overall).toEqual(expected.overall);
    expect(answer.bySeverity).toEqual(expected.bySeverity);
    expect(answer.byRule).toEqual([{ ...expected.overall, key: 'high-risk-14d' }]);
    expect(db.counter.statements.filter((s) => /kpi_ranked/.test(s))).toHaveLength(1);
  });

  it('time to patch by tier: each rule against its own clock (release, or first detection), the first-due rule for the totals', async () => {
    const answer = await kpis(TIERED, 'tiered').timeToPatch({ from: FROM, to: AS_OF });
    const expected = expectedTimeToPatch('tiered', FROM, AS_OF, KNOWN_AT);
    expect(expected.byRule.map((r) => [r.key, r.count])).toEqual([['critical-14d', 4], ['kev-detected-7d', 6]]);
    expect(answer).toEqual(expected);
  });

  it('the period bounds installs by their (vendor) time, and knownAt hides installs recorded later', async () => {
    const to = new Date('2024-08-20T07:00:00Z');
    expect(await ce().timeToPatch({ from: FROM, to })).toMatchObject({ overall: expectedTimeToPatch('cyber-essentials', FROM, to, KNOWN_AT).overall });
    expect((await ce().timeToPatch({ from: FROM, to })).overall.count).toBe(2);
    // WSUS-03's install (2024-08-15T19:00) was recorded on 2024-08-16T06:00.
    const asOf = new Date('2024-08-16T00:00:00Z');
    expect((await ce(asOf, asOf).timeToPatch({ from: FROM, to: asOf })).overall).toEqual({ key: null, count: 0, meanHours: null, medianHours: null, p90Hours: null });
    const later = new Date('2024-08-16T06:00:00Z');
    const known = (await ce(asOf, later).timeToPatch({ from: FROM, to: asOf })).overall;
    expect(known).toEqual(expectedTimeToPatch('cyber-essentials', FROM, asOf, later).overall);
    expect(known).toMatchObject({ count: 1, meanHours: 60 });
  });

  it('SLA attainment: installs by their due time, and fixes due in the period still missing (exempt ones apart)', async () => {
    const answer = await ce().slaAttainment({ from: FROM, to: AS_OF });
    const expected = expectedSla('cyber-essentials', FROM, AS_OF, AS_OF, KNOWN_AT);
    // WSUS-04 never installed August's fix, but September's supersedes it: not missed.
    expect(expected).toEqual({ installed: 6, installedOnTime: 4, attainment: 4 / 6, missed: 2, missedExempt: 1 });
    expect(answer).toEqual({ rule: null, ...expected, byRule: [{ rule: 'high-risk-14d', ...expected }] });
    const tiered = await kpis(TIERED, 'tiered').slaAttainment({ from: FROM, to: AS_OF });
    expect({ ...tiered, rule: undefined, byRule: undefined }).toEqual({ ...expectedSla('tiered', FROM, AS_OF, AS_OF, KNOWN_AT), rule: undefined, byRule: undefined });
    expect(tiered.byRule.map((r) => r.rule)).toEqual(['critical-14d', 'kev-detected-7d']);
  });

  it.each([
    ['2024-08-30T00:00:00Z', [2, 0, 0, 0]],
    // WSUS-08's KB5043076 was due 2024-09-24T07:00Z: exactly 8 days before, so in the second band.
    // WSUS-04's August fix is closed by September's, which supersedes it, from 2024-09-20.
    ['2024-10-02T07:00:00Z', [0, 1, 0, 0]],
    ['2026-03-31T00:00:00Z', [0, 0, 1, 1]],
  ])('overdue ageing at %s', async (iso, bands) => {
    const asOf = new Date(iso);
    const answer = await ce(asOf).overdueAgeing();
    const expected = expectedAgeing('cyber-essentials', asOf, KNOWN_AT);
    expect(expected.bands.map((b) => b.count)).toEqual(bands);
    expect(answer).toEqual(expected);
  });

  it('coverage: assets heard from within N days, and assets with per-update evidence (the Datto machine has posture only)', async () => {
    expect(await ce().coverage(7)).toEqual(expectedCoverage(AS_OF, 7));
    expect(await ce().coverage(14)).toEqual(expectedCoverage(AS_OF, 14));
    expect(expectedCoverage(AS_OF, 7)).toEqual({ days: 7, assets: 10, reporting: 8, perUpdateEvidence: 9 });
    expect(expectedCoverage(AS_OF, 14).reporting).toBe(9);
    await expect(ce().coverage(0)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'days' });
  });

  it('a daily series over a week: status counts and overdue findings per day end, changing on the day of an install', async () => {
    const evaluation = new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), {
      policyKey: 'cyber-essentials-v3.3', policy: PRESETS['cyber-essentials-v3.3'], asOf: AS_OF, knownAt: KNOWN_AT, assignedOnly: false,
    });
    const points = await dailySeries(evaluation, parseDay('from', '2024-08-26'), parseDay('to', '2024-09-01'));
    expect(points.map((p) => p.day)).toEqual(['2024-08-26', '2024-08-27', '2024-08-28', '2024-08-29', '2024-08-30', '2024-08-31', '2024-09-01']);
    for (const p of points) {
      expect(p.asOf.toISOString()).toBe(`${p.day}T23:59:59.999Z`);
      expect(Object.fromEntries(p.byStatus.map((s) => [s.status, s.count]))).toEqual(expectedCyberEssentialsStatuses(p.asOf, KNOWN_AT));
      expect(p.overdueFindings).toBe(expectedOverdueCount(p.asOf, KNOWN_AT));
      // A point is what the evaluation answers at that time.
      expect(await new ComplianceReport(evaluation.at(p.asOf)).statusCounts()).toEqual(p.byStatus);
    }
    // Due 2024-08-27T07:00Z: INTUNE-02 and WSUS-04 overdue from the 27th; INTUNE-02's install on the 30th ends one.
    expect(points.map((p) => p.overdueFindings)).toEqual([0, 2, 2, 2, 1, 1, 1]);
    expect(points.map((p) => p.byStatus.find((s) => s.status === 'COMPLIANT')!.count)).toEqual([3, 3, 3, 3, 4, 4, 4]);
  });

  it('refuses a series longer than 366 days, reversed, or past knownAt, naming the argument', async () => {
    const evaluation = new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), {
      policyKey: 'cyber-essentials-v3.3', policy: PRESETS['cyber-essentials-v3.3'], asOf: AS_OF, knownAt: AS_OF, assignedOnly: false,
    });
    await expect(dailySeries(evaluation, parseDay('from', '2025-01-01'), parseDay('to', '2026-01-02'))).rejects.toMatchObject({ field: 'to', message: expect.stringMatching(/at most 366 days; this range has 367/) });
    await expect(dailySeries(evaluation, parseDay('from', '2025-01-02'), parseDay('to', '2025-01-01'))).rejects.toMatchObject({ field: 'from' });
    await expect(dailySeries(evaluation, parseDay('from', '2026-03-30'), parseDay('to', '2026-04-01'))).rejects.toMatchObject({ field: 'to' });
    expect(() => parseDay('from', '2025-02-30')).toThrow('from: "2025-02-30" is not a day written YYYY-MM-DD');
  });
});
