import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Asset, ConnectorInstance, PatchEvent, PatchState, SourceDevice, SyncRun, Tenant, Update, UpdateApproval, VendorSite, Vulnerability } from '../../src/entities';
import { PatchStateValue, SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { MICROSOFT_CATALOG } from '../../src/demo/catalog';
import { buildAtLeast } from '../../src/demo/fleet';
import { DEMO_TENANTS } from '../../src/demo/demo-fleet';
import { demoWsusSnapshot, DemoSimulators, resumeDemoSimulators } from '../../src/demo/demo-simulators';
import { loadDemo, needsDemo } from '../../src/demo/load-demo';
import { parseCounts } from '../../src/sync/sync-engine';
import { In } from 'typeorm';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { syncHarness } from '../helpers/sync';

describe(`demo mode on ${ENGINE}`, () => {
  let db: TestDatabase;
  let dir: string;
  let harness: ReturnType<typeof syncHarness>;
  let simulators: DemoSimulators | undefined;
  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-demo-'));
    harness = syncHarness(db.dataSource);
  });
  afterAll(async () => {
    await simulators?.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads through the Intune, Datto RMM and WSUS connectors, merging each machine seen by two tools into one asset', async () => {
    expect(await needsDemo(db.dataSource)).toBe(true);
    const { engine, secrets, clock } = harness;
    const result = await loadDemo({ dataSource: db.dataSource, secrets, clock, engine, dataDir: dir });
    simulators = result.simulators;
    expect(await needsDemo(db.dataSource)).toBe(false);
    expect(result.tenants).toBe(3);
    expect(result.connectorInstances).toBe(5);
    // Datto syncs twice: once to report its sites, once after they are mapped.
    expect(result.syncRuns.map((r) => r.status)).toEqual(Array(6).fill(SyncRunStatus.SUCCEEDED));
    expect(await db.dataSource.getRepository(Tenant).count()).toBe(3);
    expect(await db.dataSource.getRepository(ConnectorInstance).countBy({ kind: 'wsus' })).toBe(2);
    expect(await db.dataSource.getRepository(ConnectorInstance).countBy({ kind: 'intune' })).toBe(2);
    const datto = await db.dataSource.getRepository(ConnectorInstance).findOneByOrFail({ kind: 'datto-rmm' });
    expect(datto.tenantId).toBeNull();
    // The MSP's own Datto site waits for a mapping; its two machines are counted, not imported.
    const vendorSites = await db.dataSource.getRepository(VendorSite).findBy({ connectorInstanceId: datto.id });
    expect(vendorSites.filter((v) => !v.tenantId).map((v) => [v.name, v.deviceCount])).toEqual([['Contoso MSP (internal)', 2]]);
    expect(vendorSites.filter((v) => v.tenantId && v.siteId)).toHaveLength(4);
    expect(parseCounts(result.syncRuns[result.syncRuns.length - 1]).devices).toMatchObject({ unmapped: 2, created: 22 });
    // The real catalog, plus the other updates WSUS lists (Defender, .NET, Edge…); the CVEs are Microsoft's only.
    expect(await db.dataSource.getRepository(Update).count()).toBeGreaterThan(12);
    expect(await db.dataSource.getRepository(Vulnerability).count()).toBe(123);
    expect(await db.dataSource.getRepository(UpdateApproval).count()).toBeGreaterThan(0);
    // 38 machines, most seen by two tools: identity resolution must give exactly one asset per machine.
    expect(await db.dataSource.getRepository(Asset).count()).toBe(38);
    const sources = await db.dataSource.getRepository(SourceDevice).find();
    expect(sources.length).toBeGreaterThan(38);
    expect(sources.every((s) => s.assetId)).toBe(true);
    const rules = new Set(sources.map((s) => JSON.parse(s.matchedBy!).rule));
    expect([...rules].sort()).toEqual(['HOSTNAME', 'MAC_ADDRESS', 'NEW', 'SERIAL_NUMBER']);
    // The white-box PC's placeholder serial never matches; its Wi-Fi MAC does.
    const whiteBox = sources.filter((s) => s.serialNumber === 'To Be Filled By O.E.M.' && s.hostname === 'FAB-PC-003' || s.hostname === 'FAB-LT-003');
    expect(whiteBox.length).toBe(2);
    expect(new Set(whiteBox.map((s) => s.assetId)).size).toBe(1);
    expect(whiteBox.map((s) => JSON.parse(s.matchedBy!).rule).sort()).toEqual(['MAC_ADDRESS', 'NEW']);
    // Every asset took a site from an RMM or WSUS group name where one was reported.
    const assets = await db.dataSource.getRepository(Asset).find();
    expect(assets.filter((a) => a.siteId).length).toBeGreaterThan(20);
  });

  it('derives and reports each cumulative update state from the device build and the fixed build Microsoft publishes', async () => {
    const catalog = MICROSOFT_CATALOG.updates;
    const updates = new Map((await db.dataSource.getRepository(Update).find()).map((u) => [u.id, u]));
    const sources = new Map((await db.dataSource.getRepository(SourceDevice).find()).map((s) => [s.id, s]));
    const cumulative = new Set(catalog.map((u) => u.kb));
    const all = await db.dataSource.getRepository(PatchState).find();
    // WSUS also reports the other updates it manages; the build rule is about the cumulative ones.
    const states = all.filter((ps) => cumulative.has(updates.get(ps.updateId)!.kb!) && ps.state !== PatchStateValue.UNKNOWN);
    expect(states.length).toBeGreaterThan(100);
    for (const ps of states) {
      const source = sources.get(ps.sourceDeviceId)!;
      expect(source.assetId).toBe(ps.assetId);
      expect(source.tenantId).toBe(ps.tenantId);
      const fixedBuilds = Object.values(catalog.find((u) => u.kb === updates.get(ps.updateId)!.kb)!.fixedBuilds);
      const fixed = fixedBuilds.find((b) => b.split('.')[2] === source.osBuild!.split('.')[0]);
      expect(fixed).toBeDefined();
      expect(ps.state === PatchStateValue.INSTALLED).toBe(buildAtLeast(source.osBuild!, fixed!));
    }
    expect(await db.dataSource.getRepository(PatchEvent).count()).toBe(all.length);
  });

  it('is idempotent: a full re-read of every demo instance writes nothing', async () => {
    const events = await db.dataSource.getRepository(PatchEvent).count();
    const tenants = new Map((await db.dataSource.getRepository(Tenant).find()).map((t) => [t.id, t.name]));
    for (const instance of await db.dataSource.getRepository(ConnectorInstance).find()) {
      // A WSUS instance syncs when its collector uploads: upload the same snapshot again.
      const wsusTenant = instance.kind === 'wsus' ? DEMO_TENANTS.find((t) => t.name === tenants.get(instance.tenantId!))! : null;
      const payload = wsusTenant ? demoWsusSnapshot(wsusTenant, harness.clock.now()) : undefined;
      const run = await harness.engine.run(instance.id, { trigger: SyncTrigger.CLI, full: true, payload });
      expect(run.status).toBe(SyncRunStatus.SUCCEEDED);
      const c = parseCounts(run);
      expect([c.devices.created, c.devices.changed, c.devices.stale, c.patchStates.created, c.patchStates.changed, c.events, c.assets.created, c.assets.changed]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      expect(c.devices.seen).toBeGreaterThan(0);
    }
    expect(await db.dataSource.getRepository(PatchEvent).count()).toBe(events);
    expect(await db.dataSource.getRepository(SyncRun).count()).toBe(11);
  });

  it('after a restart, brings the simulators back and points the demo Intune and Datto instances at them', async () => {
    await simulators!.close();
    const simulated = await db.dataSource.getRepository(ConnectorInstance).findBy({ kind: In(['intune', 'datto-rmm']) });
    expect(simulated).toHaveLength(3);
    for (const instance of simulated) expect((await harness.engine.run(instance.id, { trigger: SyncTrigger.CLI })).status).toBe(SyncRunStatus.FAILED);

    simulators = (await resumeDemoSimulators({ dataSource: db.dataSource, secrets: harness.secrets, clock: harness.clock }))!;
    for (const instance of simulated) {
      const run = await harness.engine.run(instance.id, { trigger: SyncTrigger.CLI, full: true });
      expect(run.errorMessage).toBeNull();
      expect(parseCounts(run).devices).toMatchObject({ created: 0, stale: 0 });
    }
  });
});
