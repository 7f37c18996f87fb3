import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Asset, ConnectorInstance, PatchEvent, PatchState, SourceDevice, SyncRun, Tenant, Update, UpdateApproval, VendorSite, Vulnerability } from '../../src/entities';
import { PatchStateValue, SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { MICROSOFT_CATALOG } from '../../src/catalog/bundled-catalog';
import { buildAtLeast } from '../../connectors/shared/demo/builds';
import { CLONED_VM_SERIAL, DEMO_TENANTS } from '../../src/demo/demo-fleet';
import { SERIAL_SHARED_BY_LIVE_RECORDS } from '../../src/identity/match';
import { DemoSimulators, resumeDemoSimulators } from '../../src/demo/demo-simulations';
import { demoClient } from '../../src/demo/demo-clients';
import { demoSnapshot } from '../../connectors/wsus/demo';
import { loadDemo, needsDemo } from '../../src/demo/load-demo';
import { parseCounts } from '../../src/sync/run-counts';
import { In } from 'typeorm';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { syncHarness } from '../helpers/sync';

const NOT_REMEDIATED = new Set(['MISSING', 'FAILED', 'PENDING_REBOOT']);
/** The bundled catalog's KBs for one Windows product, oldest first. */
const kbsOf = (product: string) =>
  MICROSOFT_CATALOG.updates.filter((u) => u.fixedBuilds[product]).sort((a, b) => a.releasedAt.localeCompare(b.releasedAt)).map((u) => u.kb);
const CUMULATIVE = new Set(MICROSOFT_CATALOG.updates.map((u) => u.kb));

describe(`demo mode on ${ENGINE}`, () => {
  let db: TestDatabase;
  let dir: string;
  let harness: ReturnType<typeof syncHarness>;
  let simulators: DemoSimulators | undefined;
  let server: TestServer | undefined;
  const data = async (query: string) => {
    server ??= await startTestServer(db);
    const res = await server.gql(query);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };
  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-demo-'));
    harness = syncHarness(db.dataSource);
  });
  afterAll(async () => {
    await simulators?.close();
    // The server closes the data source it shares with the test; the database is dropped after.
    await server?.stop();
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
    expect(parseCounts(result.syncRuns[result.syncRuns.length - 1]).devices).toMatchObject({ unmapped: 2, created: 24 });
    // The real catalog, plus the other updates WSUS lists (Defender, .NET, Edge…); the CVEs are Microsoft's only.
    expect(await db.dataSource.getRepository(Update).count()).toBeGreaterThan(12);
    expect(await db.dataSource.getRepository(Vulnerability).count()).toBe(123);
    expect(await db.dataSource.getRepository(UpdateApproval).count()).toBeGreaterThan(0);
    // 38 seeded machines and 6 built ones, most seen by two tools: exactly one asset per machine.
    expect(await db.dataSource.getRepository(Asset).count()).toBe(44);
    const sources = await db.dataSource.getRepository(SourceDevice).find();
    expect(sources.length).toBeGreaterThan(44);
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

  it('keeps two live VMs cloned from one template apart: their shared BIOS serial identifies nothing, each joins its own host name', async () => {
    const { assets } = await data(`{ assets(filter: { hostnameContains: "FAB-VM-10" }) { totalCount nodes { hostname serialNumber manufacturer model status
      sources { connector { kind } hostname serialNumber inactive enrolledAt matchedBy { rule values { name value } conflicts } } } } }`);
    expect(assets.totalCount).toBe(2);
    expect(assets.nodes.map((a: any) => a.hostname)).toEqual(['FAB-VM-101', 'FAB-VM-102']);
    for (const asset of assets.nodes) {
      expect(asset).toMatchObject({ serialNumber: CLONED_VM_SERIAL, manufacturer: 'VMware, Inc.', model: 'VMware7,1', status: 'ACTIVE' });
      const byKind = Object.fromEntries(asset.sources.map((s: any) => [s.connector.kind, s]));
      expect(Object.keys(byKind).sort()).toEqual(['datto-rmm', 'intune']);
      for (const s of asset.sources) {
        expect(s).toMatchObject({ hostname: asset.hostname, serialNumber: CLONED_VM_SERIAL, inactive: false });
        // Both tools give an enrolment time (Intune enrolledDateTime, Datto creationDate), and the clones' lives overlap.
        expect(s.enrolledAt).not.toBeNull();
        // In each tool the twin is live too, so the serial is void: the match explanation says so.
        expect(s.matchedBy.conflicts.filter((c: string) => c.startsWith(SERIAL_SHARED_BY_LIVE_RECORDS))).toHaveLength(1);
      }
      // VMware MACs (00:50:56) never match, so the host name joins Datto's record to Intune's.
      expect(byKind.intune.matchedBy.rule).toBe('NEW');
      expect(byKind['datto-rmm'].matchedBy).toMatchObject({ rule: 'HOSTNAME', values: [{ name: 'hostname', value: asset.hostname }] });
    }
  });

  it("merges a re-imaged laptop's old and new records into one asset, whose counts read only current evidence", async () => {
    const { assets } = await data(`{ assets(filter: { hostnameContains: "CAT-LT-101" }) { totalCount nodes { hostname osBuild status missingUpdateCount
      sources { id connector { kind } osBuild inactive enrolledAt lastCheckInAt matchedBy { rule conflicts } }
      all: patchStates(view: ALL_SOURCES) { state evidence effective sourceOutOfDate update { kb } source { id inactive } }
      effective: patchStates { state effective sourceOutOfDate update { id kb } source { id inactive } } } } }`);
    expect(assets.totalCount).toBe(1);
    const [laptop] = assets.nodes;
    // The current records' build, not the old record's.
    expect(laptop).toMatchObject({ hostname: 'CAT-LT-101', osBuild: '22631.6649', status: 'ACTIVE' });
    const intune = laptop.sources.filter((s: any) => s.connector.kind === 'intune').sort((a: any, b: any) => a.lastCheckInAt.localeCompare(b.lastCheckInAt));
    expect(laptop.sources.map((s: any) => s.connector.kind).sort()).toEqual(['intune', 'intune', 'wsus']);
    const [old, current] = intune;
    expect(old).toMatchObject({ osBuild: '22631.3880', inactive: true });
    expect(current).toMatchObject({ osBuild: '22631.6649', inactive: false });
    // Re-enrolment, not a clone: the old record went quiet before the new one enrolled, so the serial still joins them.
    expect(Date.parse(old.lastCheckInAt)).toBeLessThan(Date.parse(current.enrolledAt));
    expect(laptop.sources.flatMap((s: any) => s.matchedBy.conflicts).filter((c: string) => c.startsWith(SERIAL_SHARED_BY_LIVE_RECORDS))).toEqual([]);
    expect(laptop.sources.map((s: any) => s.matchedBy.rule).sort()).toEqual(['HOSTNAME', 'NEW', 'SERIAL_NUMBER']);

    // The old record's derived states stay visible, out of date and deciding nothing: all three KBs are MISSING at its build.
    const win11 = kbsOf('Windows 11 Version 23H2 for x64-based Systems');
    const fromOld = laptop.all.filter((p: any) => p.source.id === old.id);
    expect(fromOld.map((p: any) => [p.update.kb, p.state, p.effective, p.sourceOutOfDate]).sort()).toEqual(win11.map((kb) => [kb, 'MISSING', false, true]).sort());
    for (const kb of win11) {
      const effective = laptop.all.filter((p: any) => p.update.kb === kb && p.effective);
      expect(effective).toHaveLength(1);
      expect(effective[0]).toMatchObject({ state: 'INSTALLED', sourceOutOfDate: false });
    }
    // One effective state per update, none from the old record; the count is those of them not remediated.
    expect(new Set(laptop.effective.map((p: any) => p.update.id)).size).toBe(laptop.effective.length);
    expect(laptop.effective.every((p: any) => p.effective && !p.sourceOutOfDate && p.source.id !== old.id)).toBe(true);
    expect(laptop.missingUpdateCount).toBe(laptop.effective.filter((p: any) => NOT_REMEDIATED.has(p.state)).length);
    expect(laptop.effective.filter((p: any) => NOT_REMEDIATED.has(p.state) && CUMULATIVE.has(p.update.kb))).toEqual([]);
  });

  it('has a Windows 10 and a Windows 11 machine one Patch Tuesday behind each miss only its own release\'s KB of that month', async () => {
    const fields = `hostname osName osBuild missingUpdateCount
      all: patchStates(view: ALL_SOURCES) { state evidence effective update { kb } source { connector { kind } } }`;
    const { win10, win11 } = await data(`{ win10: assets(filter: { hostnameContains: "CAT-PC-102" }) { nodes { ${fields} } }
      win11: assets(filter: { hostnameContains: "CAT-PC-103" }) { nodes { ${fields} } } }`);
    const machines = [
      { asset: win10.nodes, osBuild: '19045.6809', product: 'Windows 10 Version 22H2 for x64-based Systems', missing: 'KB5075912', sibling: 'KB5075941', decidedBy: 'intune' },
      { asset: win11.nodes, osBuild: '22631.6491', product: 'Windows 11 Version 23H2 for x64-based Systems', missing: 'KB5075941', sibling: 'KB5075912', decidedBy: 'wsus' },
    ];
    for (const m of machines) {
      expect(m.asset).toHaveLength(1);
      const [asset] = m.asset;
      expect(asset.osBuild).toBe(m.osBuild);
      const own = kbsOf(m.product);
      // The latest month of the catalog is the one KB its release lacks.
      expect(own.at(-1)).toBe(m.missing);
      const cumulative = asset.all.filter((p: any) => CUMULATIVE.has(p.update.kb));
      // Intune derives and WSUS reports the same KBs, each for its own release only: never the sibling's of the same month.
      for (const kind of ['intune', 'wsus']) {
        expect(cumulative.filter((p: any) => p.source.connector.kind === kind).map((p: any) => p.update.kb).sort()).toEqual([...own].sort());
      }
      expect(cumulative.some((p: any) => p.update.kb === m.sibling)).toBe(false);
      for (const p of cumulative) expect([p.update.kb, NOT_REMEDIATED.has(p.state)]).toEqual([p.update.kb, p.update.kb === m.missing]);
      expect(cumulative.filter((p: any) => p.effective && NOT_REMEDIATED.has(p.state)).map((p: any) => p.update.kb)).toEqual([m.missing]);
      // Both tools are current: the one that heard from the machine last decides (Intune for the first, WSUS for the second).
      expect(cumulative.filter((p: any) => p.effective && p.update.kb === m.missing).map((p: any) => p.source.connector.kind)).toEqual([m.decidedBy]);
    }
  });

  it('shows every compliance status under Cyber Essentials, a machine behind only on this fortnight\'s Edge releases DUE_SOON', async () => {
    const { compliance } = await data(`{ compliance(policy: "cyber-essentials-v3.3", assignedOnly: true) { asOf byStatus { status count }
      dueSoon: assets(first: 5, status: [DUE_SOON]) { totalCount nodes { asset { hostname } status reasons
        findings { update { title releasedAt } rule status state evidence dueAt } } } } }`);
    // Each status the API has, with at least one asset.
    expect(compliance.byStatus.filter((s: any) => s.count > 0).map((s: any) => s.status)).toEqual(['COMPLIANT', 'EXEMPT', 'DUE_SOON', 'UNVERIFIED', 'NON_COMPLIANT']);
    expect(compliance.dueSoon.totalCount).toBe(1);
    const [pc] = compliance.dueSoon.nodes;
    expect(pc).toMatchObject({ asset: { hostname: 'CAT-PC-104' }, status: 'DUE_SOON', reasons: ['FINDING'] });
    // Its only open fixes are WSUS-reported Edge releases, none overdue: the older one due within the 72-hour window.
    const now = Date.parse(compliance.asOf);
    expect(pc.findings.map((f: any) => [f.rule, f.status, f.evidence, f.update.title.startsWith('Microsoft Edge-Stable Channel')]))
      .toEqual([['high-risk-14d', 'DUE_SOON', 'REPORTED', true], ['high-risk-14d', 'COMPLIANT', 'REPORTED', true]]);
    const dueInHours = pc.findings.map((f: any) => (Date.parse(f.dueAt) - now) / 3_600_000);
    expect(dueInHours[0]).toBeGreaterThan(0);
    expect(dueInHours[0]).toBeLessThanOrEqual(72);
    expect(dueInHours[1]).toBeGreaterThan(72);
    for (const f of pc.findings) expect(now - Date.parse(f.update.releasedAt)).toBeLessThan(14 * 86_400_000);
  });

  it('is idempotent: a full re-read of every demo instance writes nothing', async () => {
    const events = await db.dataSource.getRepository(PatchEvent).count();
    const tenants = new Map((await db.dataSource.getRepository(Tenant).find()).map((t) => [t.id, t.name]));
    for (const instance of await db.dataSource.getRepository(ConnectorInstance).find()) {
      // A WSUS instance syncs when its collector uploads: upload the same snapshot again.
      const wsusTenant = instance.kind === 'wsus' ? DEMO_TENANTS.find((t) => t.name === tenants.get(instance.tenantId!))! : null;
      const payload = wsusTenant ? demoSnapshot(demoClient(wsusTenant, 'wsus', harness.clock.now()), harness.clock.now()) : undefined;
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
