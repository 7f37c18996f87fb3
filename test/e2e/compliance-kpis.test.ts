/**
 * The compliance KPIs over real HTTP, on a real Apollo server and database (both engines), for the fleet of
 * test/helpers/kpi-fleet.ts on the real Microsoft catalog: numbers worked out from the fixture, a series whose
 * every point matches compliance(asOf) at that day's end, typed refusals of bad arguments, and tenant scoping.
 */
import { join } from 'node:path';
import { EvidenceKind } from '../../src/entities/enums';
import { importIntelFile } from '../../src/intel/import-intel';
import { Role } from '../../src/entities/enums';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import {
  expectedAgeing, expectedCoverage, expectedCyberEssentialsStatuses, expectedOverdueCount, expectedSla, expectedTimeToPatch, loadKpiFleet, MachineSpec,
} from '../helpers/kpi-fleet';
import { startTestServer, TestServer } from '../helpers/server';

const AS_OF = '2026-03-31T00:00:00.000Z';
const FROM = '2024-08-01T00:00:00.000Z';
const NOW = new Date('2026-11-02T10:00:00.000Z');

const KPIS = `query ($asOf: DateTimeISO!, $from: DateTimeISO!) {
  compliance(policy: "cyber-essentials-v3.3", asOf: $asOf) {
    timeToPatch(from: $from) {
      from to
      overall { count meanHours medianHours p90Hours }
      bySeverity { severity count meanHours medianHours p90Hours }
      byRule { rule count meanHours medianHours p90Hours }
    }
    slaAttainment(from: $from) { installed installedOnTime attainment missed missedExempt byRule { rule installed installedOnTime attainment missed missedExempt } }
    overdueAgeing { findings assets bands { band count } }
    coverage { days assets reporting reportingShare perUpdateEvidence perUpdateEvidenceShare }
    coverage14: coverage(days: 14) { reporting }
  }
}`;

// Another tenant's machine, which Contoso's key must not see: KB5041585 installed 48 hours after its release.
const FABRIKAM: MachineSpec[] = [{ name: 'FAB-01', evidence: EvidenceKind.REPORTED, lastSeenAt: new Date('2026-03-30T12:00:00Z'), fixes: [
  { kb: 'KB5041585', missingAt: new Date('2024-08-14T09:00:00Z'), installedAt: new Date('2024-08-15T07:00:00Z'), recordedAt: new Date('2024-08-15T12:00:00Z') }] }];

describe(`compliance KPIs over GraphQL on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let contosoKey: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const { updates } = await f.catalog();
    const contoso = await f.tenant('Contoso Academy Trust');
    await loadKpiFleet(f, contoso, updates);
    await loadKpiFleet(f, await f.tenant('Fabrikam Dental'), updates, FABRIKAM);
    server = await startTestServer(db);
    contosoKey = await server.keyFor(Role.CLIENT_ADMIN, [contoso.id]);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('answers time to patch, SLA attainment, overdue ageing and coverage for the caller\'s tenant, as worked out from the fixture', async () => {
    const res = await server.gql(KPIS, { asOf: AS_OF, from: FROM }, contosoKey);
    expect(res.body.errors).toBeUndefined();
    const c = res.body.data.compliance;
    const asOf = new Date(AS_OF);
    const ttp = expectedTimeToPatch('cyber-essentials', new Date(FROM), asOf, NOW);
    const strip = ({ key, ...s }: { key: string | null }) => s;
    expect(c.timeToPatch).toEqual({
      from: FROM, to: AS_OF,
      overall: strip(ttp.overall),
      bySeverity: ttp.bySeverity.map((s) => ({ severity: s.key, ...strip(s) })),
      byRule: [{ rule: 'high-risk-14d', ...strip(ttp.overall) }],
    });
    expect(c.timeToPatch.overall).toEqual({ count: 6, meanHours: 238, medianHours: 168, p90Hours: 480 });
    const sla = expectedSla('cyber-essentials', new Date(FROM), asOf, asOf, NOW);
    expect(c.slaAttainment).toEqual({ ...sla, byRule: [{ rule: 'high-risk-14d', ...sla }] });
    expect(c.overdueAgeing).toEqual(expectedAgeing('cyber-essentials', asOf, NOW));
    const coverage = expectedCoverage(asOf, 7);
    expect(c.coverage).toEqual({ ...coverage, reportingShare: coverage.reporting / coverage.assets, perUpdateEvidenceShare: coverage.perUpdateEvidence / coverage.assets });
    expect(c.coverage14).toEqual({ reporting: expectedCoverage(asOf, 14).reporting });
  });

  it('counts every tenant for an MSP-wide key: Fabrikam\'s 48-hour install joins the statistics', async () => {
    const res = await server.gql(KPIS, { asOf: AS_OF, from: FROM });
    const hours = [48, 60, 72, 168, 240, 408, 480];
    expect(res.body.data.compliance.timeToPatch.overall).toEqual({
      count: 7, meanHours: Math.round((hours.reduce((a, b) => a + b) / 7) * 100) / 100, medianHours: hours[Math.ceil(3.5) - 1], p90Hours: hours[Math.ceil(6.3) - 1],
    });
    expect(res.body.data.compliance.coverage.assets).toBe(11);
  });

  it('a week\'s series changes on the day of an install, and each point is what compliance(asOf) says at that day\'s end', async () => {
    const days = ['2024-08-26', '2024-08-27', '2024-08-28', '2024-08-29', '2024-08-30', '2024-08-31', '2024-09-01'];
    const perDay = days.map((d, i) => `d${i}: compliance(policy: "cyber-essentials-v3.3", asOf: "${d}T23:59:59.999Z") { byStatus { status count } }`).join('\n');
    const res = await server.gql(`{
      compliance(policy: "cyber-essentials-v3.3", asOf: "2024-09-01T23:59:59.999Z") { series(from: "2024-08-26", to: "2024-09-01") { day asOf byStatus { status count } overdueFindings } }
      ${perDay}
    }`, {}, contosoKey);
    expect(res.body.errors).toBeUndefined();
    const series = res.body.data.compliance.series;
    expect(series.map((p: { day: string }) => p.day)).toEqual(days);
    series.forEach((p: { day: string; asOf: string; byStatus: Array<{ status: string; count: number }>; overdueFindings: number }, i: number) => {
      expect(p.asOf).toBe(`${p.day}T23:59:59.999Z`);
      expect(p.byStatus).toEqual(res.body.data[`d${i}`].byStatus);
      expect(Object.fromEntries(p.byStatus.map((s) => [s.status, s.count]))).toEqual(expectedCyberEssentialsStatuses(new Date(p.asOf), NOW));
      expect(p.overdueFindings).toBe(expectedOverdueCount(new Date(p.asOf), NOW));
    });
    expect(series.map((p: { overdueFindings: number }) => p.overdueFindings)).toEqual([0, 2, 2, 2, 1, 1, 1]);
  });

  it.each([
    ['a period ending after asOf', `timeToPatch(to: "2026-04-01T00:00:00Z") { overall { count } }`, 'to'],
    ['a reversed period', `slaAttainment(from: "2026-03-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { installed }`, 'from'],
    ['a coverage window of no days', 'coverage(days: 0) { reporting }', 'days'],
    ['a day that does not exist', 'series(from: "2025-02-30", to: "2025-03-01") { day }', 'from'],
    ['a series of more than 366 days', 'series(from: "2025-01-01", to: "2026-01-02") { day }', 'to'],
    ['a series past knownAt', 'series(from: "2026-11-01", to: "2026-11-03") { day }', 'to'],
  ])('refuses %s with BAD_USER_INPUT naming the argument', async (_name, field, argument) => {
    const res = await server.gql(`{ compliance(policy: "cyber-essentials-v3.3", asOf: "${AS_OF}") { ${field} } }`);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: argument });
    expect(res.body.errors![0].extensions!.stacktrace).toBeUndefined();
  });

  it('each finding names the CVE facts it was judged on and their intel version, as held at knownAt', async () => {
    const query = `query ($asOf: DateTimeISO!, $knownAt: DateTimeISO) {
      compliance(policy: "cisa-bod-22-01", asOf: $asOf, knownAt: $knownAt) {
        knownAt intel { kind version }
        assets(first: 50) { nodes { findings { update { kb } cves { cveId kevDateAdded kevDueDate knownRansomwareUse kevSource { kind version } } } } }
      }
    }`;
    const held = async (knownAt: string | null) => {
      // Before September's cumulative update superseded August's on WSUS-04, whose August finding is still open then.
      const res = await server.gql(query, { asOf: '2024-09-15T00:00:00Z', knownAt }, contosoKey);
      expect(res.body.errors).toBeUndefined();
      const c = res.body.data.compliance;
      const cves = c.assets.nodes.flatMap((n: any) => n.findings).filter((f: any) => f.update.kb === 'KB5041585').flatMap((f: any) => f.cves);
      return { intel: c.intel, cve: cves.find((x: any) => x.cveId === 'CVE-2024-38178') };
    };
    const before = await held(null);
    expect(before.intel).toEqual([]);
    expect(before.cve).toEqual({ cveId: 'CVE-2024-38178', kevDateAdded: '2024-08-13', kevDueDate: '2024-09-03', knownRansomwareUse: false, kevSource: null });

    // The repository's KEV catalog is imported after that answer was given; an answer asked as of then is unchanged.
    await importIntelFile(db.dataSource, join(__dirname, '..', '..', 'intel', 'baseline', 'kev', 'known_exploited_vulnerabilities_2026.08.21.json'), new Date(NOW.getTime() + 3_600_000));
    const answeredAt = new Date(NOW.getTime() + 60_000).toISOString();
    const later = await held(new Date(NOW.getTime() + 2 * 3_600_000).toISOString());
    expect(later.intel).toEqual([{ kind: 'KEV', version: '2026.08.21' }]);
    expect(later.cve.kevSource).toEqual({ kind: 'KEV', version: '2026.08.21' });
    expect(await held(answeredAt)).toEqual(before);
  });
});
