/**
 * The Datto RMM connector end to end: an MSP-wide instance over the simulator's enforced rate limit, its sites
 * mapped to tenants, and a machine seen by Datto and Intune resolving to one asset with both views.
 */
import { DattoSimulator, startDattoSimulator } from '../../connectors/datto-rmm/simulator';
import { buildManagedDevice, IntuneSimulator, startIntuneSimulator } from '../../connectors/intune/simulator';
import { RateLimiterRegistry } from '../../connectors/sdk/http';
import { SourceDevice, VendorSite } from '../../src/entities';
import { Factory } from '../helpers/factories';
import { SyncTrigger } from '../../src/entities/enums';
import { SyncEngine } from '../../src/sync/sync-engine';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { syncHarness } from '../helpers/sync';

const NOW = new Date('2026-11-02T10:00:00.000Z');

describe(`Datto RMM connector on ${ENGINE}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(() => db.drop());

  it('syncs 5,000 devices under the enforced 600-reads-a-minute limit without a 429 or an IP block, every device present', async () => {
    // One clock for the simulator's window and the connector's waits: ten simulated minutes take seconds.
    const clock = fixedClock(NOW);
    const sleep = async (ms: number) => clock.advance(ms);
    const sim = await startDattoSimulator({ pageSize: 250, devices: 5000, seed: 11, now: NOW, clock });
    try {
      const h = syncHarness(db.dataSource);
      const engine = new SyncEngine({ dataSource: db.dataSource, secrets: h.secrets, clock, connectorContext: { sleep, rateLimiters: new RateLimiterRegistry({ clock, sleep }) } });
      const instance = await h.admin.create({ tenantId: null, kind: 'datto-rmm', name: 'Datto (5,000 devices)', settings: sim.validConfig(), enabled: false });
      const live = sim.devices.filter((d) => !d.deleted);
      expect(live.length).toBe(5000);
      // The seeded account also holds machines retired long ago, in Datto's "Deleted Devices" site.
      const deleted = sim.devices.length - live.length;
      expect(deleted).toBe(250);
      const audits = () => sim.requests().filter((r) => r.includes('/audit/device/')).length;

      // Nothing mapped yet: every device is listed and its site reported, but no audit is spent on devices that wait.
      const first = await engine.run(instance.id, { trigger: SyncTrigger.CLI });
      expect(first.errorMessage).toBeNull();
      expect(JSON.parse(first.counts).devices).toMatchObject({ seen: 5250, deleted, unmapped: 5000, created: 0 });
      expect(audits()).toBe(0);

      // Map every site to one tenant: the next run audits each live computer (ESXi hosts, printers and network
      // devices have no device audit) and imports all 5,000, under the limiter and without a 429 or an IP block.
      const tenant = await new Factory(db.dataSource).tenant('Big client');
      await db.dataSource.getRepository(VendorSite).update({ connectorInstanceId: instance.id }, { tenantId: tenant.id });
      sim.resetStats();
      const started = clock.now().getTime();
      const second = await engine.run(instance.id, { trigger: SyncTrigger.CLI, full: true });
      expect(second.errorMessage).toBeNull();
      // Every site was mapped, "Deleted Devices" included: its devices are deleted all the same and never imported.
      expect(JSON.parse(second.counts).devices).toMatchObject({ seen: 5250, created: 5000, deleted, unmapped: 0 });
      expect(audits()).toBe(live.filter((d) => d.deviceClass === 'device').length);
      expect(sim.throttled()).toEqual({ tooMany: 0, blocked: 0 });
      // Datto tokens last 100 hours: the first run's token serves this one too.
      expect(sim.stats().tokenRequests).toBe(0);
      // About 5,000 reads at 500 a minute: ten minutes of (simulated) time, as a real first sync takes.
      expect(clock.now().getTime() - started).toBeGreaterThan(9 * 60_000);
      expect(await db.dataSource.getRepository(SourceDevice).countBy({ connectorInstanceId: instance.id, tenantId: tenant.id })).toBe(5000);

      // Nothing changed at the source: a full re-read needs the device pages only.
      sim.resetStats();
      const third = await engine.run(instance.id, { trigger: SyncTrigger.CLI, full: true });
      expect(JSON.parse(third.counts).devices).toMatchObject({ seen: 5250, created: 0, changed: 0, stale: 0, deleted });
      expect(audits()).toBe(0);
    } finally {
      await sim.close();
    }
  }, 120_000);
});

describe(`one machine in Datto RMM and Intune over GraphQL on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let datto: DattoSimulator;
  let intune: IntuneSimulator;

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
  });
  afterAll(async () => {
    await datto?.close();
    await intune?.close();
    await server.stop();
    await db.drop();
  });

  const data = async (query: string, variables?: Record<string, unknown>) => {
    const res = await server.gql(query, variables);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };

  it('resolves to one asset whose API shows the Datto posture beside the per-KB states Intune derives', async () => {
    datto = await startDattoSimulator({ pageSize: 10, devices: 12, seed: 5, now: NOW, rateLimit: false });
    const target = datto.devices.find((d) => !d.deleted && d.deviceClass === 'device' && d.patchManagement?.patchStatus === 'ApprovedPending')
      ?? datto.devices.find((d) => !d.deleted && d.deviceClass === 'device')!;
    const serial = datto.auditOf(target.uid)!.bios.serialNumber!;
    intune = await startIntuneSimulator({
      pageSize: 10, now: NOW,
      fleet: [buildManagedDevice({ id: 'a1b2c3d4-0000-4000-8000-000000000001', deviceName: target.hostname!, serialNumber: serial, osVersion: '10.0.22631.4169', lastSyncDateTime: '2026-11-02T08:00:00Z', enrolledDateTime: '2026-01-05T09:00:00Z' })],
    });

    const tenant = (await data(`mutation { createTenant(input: { name: "Joined Ltd" }) { id } }`)).createTenant.id;
    const create = `mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`;
    const dattoId = (await data(create, { input: { tenantId: null, kind: 'datto-rmm', name: 'Datto account', settings: datto.validConfig() } })).createConnectorInstance.id;
    const intuneId = (await data(create, { input: { tenantId: tenant, kind: 'intune', name: 'Intune', settings: intune.validConfig() } })).createConnectorInstance.id;
    const sync = `mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { status errorMessage } }`;

    expect((await data(sync, { id: dattoId })).triggerSync).toEqual({ status: 'SUCCEEDED', errorMessage: null });
    const sites = (await data(`query($id: ID!) { node(id: $id) { ... on ConnectorInstance { vendorSites { id name } } } }`, { id: dattoId })).node.vendorSites;
    const site = sites.find((s: any) => s.name === target.siteName);
    await data(`mutation($input: MapVendorSiteInput!) { mapVendorSite(input: $input) { name } }`, { input: { vendorSiteId: site.id, tenantId: tenant } });
    expect((await data(sync, { id: dattoId })).triggerSync.status).toBe('SUCCEEDED');
    expect((await data(sync, { id: intuneId })).triggerSync.status).toBe('SUCCEEDED');

    const res = await data(
      `query($t: ID!, $h: String!) { assets(filter: { tenantIds: [$t], hostnameContains: $h }) { nodes { hostname serialNumber
        sources { connector { kind } matchedBy { rule } patchPosture { status approvedPending notApproved installed } patchPostureHistory { fromStatus toStatus } }
        patchStates { state evidence update { kb } } } } }`,
      { t: tenant, h: target.hostname },
    );
    expect(res.assets.nodes).toHaveLength(1);
    const asset = res.assets.nodes[0];
    const bySource = Object.fromEntries(asset.sources.map((s: any) => [s.connector.kind, s]));
    expect(Object.keys(bySource).sort()).toEqual(['datto-rmm', 'intune']);
    const pm = target.patchManagement!;
    const POSTURE: Record<string, string> = { NoPolicy: 'NO_POLICY', NoData: 'NO_DATA', RebootRequired: 'REBOOT_REQUIRED', InstallError: 'INSTALL_ERROR', ApprovedPending: 'APPROVED_PENDING', FullyPatched: 'FULLY_PATCHED' };
    expect(bySource['datto-rmm'].patchPosture).toEqual({ status: POSTURE[pm.patchStatus!], approvedPending: pm.patchesApprovedPending, notApproved: pm.patchesNotApproved, installed: pm.patchesInstalled });
    expect(bySource['datto-rmm'].patchPostureHistory).toEqual([{ fromStatus: null, toStatus: POSTURE[pm.patchStatus!] }]);
    expect(bySource.intune.matchedBy.rule).toBe('SERIAL_NUMBER');
    expect(asset.patchStates.map((s: any) => [s.update.kb, s.state, s.evidence]).sort()).toEqual([
      ['KB5041585', 'INSTALLED', 'DERIVED'], ['KB5043076', 'INSTALLED', 'DERIVED'], ['KB5075941', 'MISSING', 'DERIVED'],
    ]);
  });
});

