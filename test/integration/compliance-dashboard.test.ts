/**
 * The MSP dashboard over GraphQL (one request, real server, MSP-wide key) answers exactly what hand-written SQL over
 * the same patch events answers (test/bench/compliance-baseline.ts), for a 200-asset fleet in 4 tenants on both
 * engines: the same check `npm run bench` makes at 5,000 assets before timing them, kept here so the baseline and
 * the engine cannot drift apart unnoticed.
 */
import { DashboardBaseline, DASHBOARD_QUERY, dashboardOf } from '../bench/compliance-baseline';
import { ComplianceFleet, FLEET_AS_OF, FLEET_NOW } from '../bench/compliance-fleet';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

describe(`compliance dashboard against hand-written SQL on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await openTestDatabase();
    const fleet = await ComplianceFleet.create(db.dataSource, 4);
    await fleet.addAssets(0, 200);
    await fleet.analyze();
    server = await startTestServer(db);
    expect(server.clock.now()).toEqual(FLEET_NOW);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const dashboard = async (policy: string) => {
    const res = await server.gql(DASHBOARD_QUERY, { policy, asOf: FLEET_AS_OF.toISOString() });
    expect(res.body.errors).toBeUndefined();
    return dashboardOf(res.body.data.compliance);
  };
  const count = (d: Awaited<ReturnType<typeof dashboard>>, status: string) => d.byStatus.find((s) => s.status === status)!.count;

  it('Cyber Essentials: every count, by tenant, severity and age, and the worst assets agree', async () => {
    const product = await dashboard('cyber-essentials-v3.3');
    expect(product).toEqual(await new DashboardBaseline(db.dataSource).dashboard('cyber-essentials-v3.3', FLEET_AS_OF, FLEET_NOW));
    // The fleet exercises every status and every kind of answer, so agreeing is not agreeing on nothing.
    for (const status of ['COMPLIANT', 'EXEMPT', 'DUE_SOON', 'UNVERIFIED', 'NON_COMPLIANT']) expect(count(product, status)).toBeGreaterThan(0);
    expect(product.byTenant).toHaveLength(4);
    expect(product.openFindingsBySeverity.map((s) => s.severity)).toEqual(expect.arrayContaining(['CRITICAL', 'IMPORTANT', 'UNSPECIFIED']));
    expect(product.openFindingsByAge.filter((b) => b.count > 0).length).toBeGreaterThan(2);
    expect(product.worstAssets).toHaveLength(10);
  }, 180_000);

  it('evaluates once for the whole dashboard where the engine shares a statement\'s CTEs, with the answers of separate requests', async () => {
    const evaluations = () => db.counter.statements.filter((s) => /^\s*WITH scope_assets/.test(s));
    const policy = 'cyber-essentials-v3.3';
    db.counter.reset();
    const together = await dashboard(policy);
    // SQLite computes a MATERIALIZED CTE once per statement: one UNION ALL of the groupings. MariaDB computes a CTE
    // again for every reference, so each grouping (status by tenant, findings by severity and age, worst assets) is a
    // statement of its own there.
    expect(evaluations()).toHaveLength(ENGINE === 'sqlite' ? 1 : 3);

    // Each field asked alone: its own grouping, and the same answer.
    const alone = async (selection: string) => {
      const res = await server.gql(`query($policy: String!, $asOf: DateTimeISO) { compliance(policy: $policy, asOf: $asOf) { ${selection} } }`, { policy, asOf: FLEET_AS_OF.toISOString() });
      expect(res.body.errors).toBeUndefined();
      return res.body.data.compliance;
    };
    expect((await alone('assetCount')).assetCount).toBe(together.assetCount);
    expect((await alone('byStatus { status count }')).byStatus).toEqual(together.byStatus);
    expect((await alone('openFindingsByAge { band count }')).openFindingsByAge).toEqual(together.openFindingsByAge);
    const worst = (await alone('worstAssets(first: 10) { asset { hostname } overdueUpdates }')).worstAssets;
    expect(worst.map((w: any) => ({ hostname: w.asset.hostname, overdueUpdates: w.overdueUpdates }))).toEqual(together.worstAssets);
    // Two lists of different lengths in one request are two answers, each in its order.
    const both = await alone('top: worstAssets(first: 3) { overdueUpdates } all: worstAssets(first: 10) { overdueUpdates }');
    expect(both.top).toEqual(both.all.slice(0, 3));
  }, 180_000);

  it('BOD 22-01: every count agrees, with KEV due dates instead of release plus 14 days', async () => {
    const product = await dashboard('cisa-bod-22-01');
    expect(product).toEqual(await new DashboardBaseline(db.dataSource).dashboard('cisa-bod-22-01', FLEET_AS_OF, FLEET_NOW));
    for (const status of ['COMPLIANT', 'EXEMPT', 'UNVERIFIED', 'NON_COMPLIANT']) expect(count(product, status)).toBeGreaterThan(0);
    expect(product.worstAssets[0].overdueUpdates).toBeGreaterThan(0);
  }, 180_000);
});
