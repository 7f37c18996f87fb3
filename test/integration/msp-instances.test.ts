/**
 * MSP-wide instances (one vendor account serving many clients, as Datto RMM does) and device-level patch posture,
 * driven through applyRun (an account-wide instance's partitions) with hand-built reads so the rules are tested apart from any connector.
 */
import type { DeviceRecord } from '../../connectors/sdk/contract';
import { Asset, ConnectorInstance, PatchPostureEvent, PatchState, Site, SourceDevice, VendorSite } from '../../src/entities';
import { applyRun } from '../../src/sync/apply/apply-run';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { KB1 } from '../helpers/inventory';
import { ReadParts, sourceRead, SYNC_T0, syncHarness } from '../helpers/sync';
import { loadBundledCatalog } from '../../src/catalog/bundled-catalog';
import { TenantScope } from '../../src/access/tenant-scope';
import { ComplianceEvaluation } from '../../src/compliance/evaluation';
import { PRESETS } from '../../src/compliance/presets';

describe(`MSP-wide instances and patch posture on ${ENGINE}`, () => {
  let db: TestDatabase;
  let h: ReturnType<typeof syncHarness>;
  let factory: Factory;
  beforeAll(async () => {
    db = await openTestDatabase();
    h = syncHarness(db.dataSource);
    factory = new Factory(db.dataSource);
    await db.dataSource.transaction((m) => loadBundledCatalog(m, SYNC_T0));
  });
  afterAll(() => db.drop());

  const repo = <T extends object>(e: new () => T) => db.dataSource.getRepository(e);
  let clock = SYNC_T0.getTime();
  async function apply(instance: ConnectorInstance, parts: ReadParts) {
    const fresh = await repo(ConnectorInstance).findOneByOrFail({ id: instance.id });
    const read = sourceRead({ fullDeviceRead: true, ...parts });
    clock += 3_600_000;
    return db.dataSource.transaction((m) => applyRun(m, { instance: fresh, read, now: new Date(clock), syncRunId: newId() }));
  }
  const account = () => h.admin.create({ tenantId: null, kind: 'file-import', name: `Datto account ${newId().slice(0, 6)}`, settings: { path: '/dev/null' }, enabled: false });
  const device = (id: string, site: string, fields: Partial<DeviceRecord> = {}): DeviceRecord => ({
    externalId: id, hostname: id.toUpperCase(), serialNumber: `SN-${id}`, vendorSiteId: `uid-${site}`, vendorSite: site, ...fields,
  });
  const mapSite = async (instance: ConnectorInstance, site: string, tenantId: string, siteId: string | null = null) =>
    repo(VendorSite).update({ connectorInstanceId: instance.id, externalId: `uid-${site}` }, { tenantId, siteId });
  const sourceOf = (instance: ConnectorInstance, externalId: string) => repo(SourceDevice).findOneByOrFail({ connectorInstanceId: instance.id, externalId });

  it('records every vendor site, imports nothing from unmapped ones, and counts what waits', async () => {
    const a = await account();
    const counts = await apply(a, { devices: [device('n1', 'Northwind Dental'), device('n2', 'Northwind Dental'), device('f1', 'Fabrikam')] });
    expect(counts.devices).toMatchObject({ seen: 3, created: 0, unmapped: 3 });
    expect(await repo(SourceDevice).countBy({ connectorInstanceId: a.id })).toBe(0);
    const sites = await repo(VendorSite).find({ where: { connectorInstanceId: a.id }, order: { name: 'ASC' } });
    expect(sites.map((s) => [s.name, s.deviceCount, s.tenantId, s.ignored])).toEqual([['Fabrikam', 1, null, false], ['Northwind Dental', 2, null, false]]);
  });

  it('imports each mapped site into its tenant and site; an ignored site is skipped without a warning count', async () => {
    const a = await account();
    const northwind = await factory.tenant('Northwind (MSP test)');
    const leeds = Object.assign(new Site(), { id: newId(), tenantId: northwind.id, name: 'Leeds Surgery', createdAt: SYNC_T0, updatedAt: SYNC_T0 });
    await repo(Site).insert(leeds);
    const devices = [device('n1', 'Northwind Dental'), device('t1', 'MSP test bench')];
    await apply(a, { devices });
    await mapSite(a, 'Northwind Dental', northwind.id, leeds.id);
    await repo(VendorSite).update({ connectorInstanceId: a.id, externalId: 'uid-MSP test bench' }, { ignored: true });

    const counts = await apply(a, { devices });
    expect(counts.devices).toMatchObject({ seen: 2, created: 1, unmapped: 0 });
    const n1 = await sourceOf(a, 'n1');
    expect(n1).toMatchObject({ tenantId: northwind.id, vendorSiteId: 'uid-Northwind Dental', vendorSite: 'Northwind Dental' });
    // The mapping's site wins although the vendor's site name matches none of the tenant's sites.
    expect((await repo(Asset).findOneByOrFail({ id: n1.assetId! })).siteId).toBe(leeds.id);
    expect(await repo(SourceDevice).countBy({ connectorInstanceId: a.id, externalId: 't1' })).toBe(0);
  });

  it('moves a device to another tenant when the MSP moves it to another client\'s site, with its current states', async () => {
    const a = await account();
    const [one, two] = [await factory.tenant('Move from'), await factory.tenant('Move to')];
    const state = { deviceExternalId: 'm1', updateKey: KB1.key, state: 'MISSING' as const, evidence: 'REPORTED' as const };
    await apply(a, { devices: [device('m1', 'Client One')] });
    await apply(a, { devices: [device('m1', 'Client Two')] });
    await mapSite(a, 'Client One', one.id);
    await mapSite(a, 'Client Two', two.id);
    await apply(a, { devices: [device('m1', 'Client One')], patchStates: [state] });
    const before = await sourceOf(a, 'm1');
    expect(before.tenantId).toBe(one.id);

    await apply(a, { devices: [device('m1', 'Client Two')], patchStates: [state] });
    const after = await sourceOf(a, 'm1');
    expect(after.tenantId).toBe(two.id);
    expect((await repo(Asset).findOneByOrFail({ id: after.assetId! })).tenantId).toBe(two.id);
    expect(await repo(Asset).countBy({ id: before.assetId! })).toBe(0);
    const states = await repo(PatchState).findBy({ sourceDeviceId: after.id });
    expect(states.map((s) => [s.tenantId, s.assetId, s.state])).toEqual([[two.id, after.assetId, 'MISSING']]);

    // A device moved in a read that lists none of its states: they follow it without the summary of events that stay
    // behind, so compliance in the new tenant replays rather than read times its own history does not hold.
    await apply(a, { devices: [device('m2', 'Client Two'), device('x1', 'Client Three')], patchStates: [{ ...state, deviceExternalId: 'm2' }] });
    const m2 = await sourceOf(a, 'm2');
    expect((await repo(PatchState).findOneByOrFail({ sourceDeviceId: m2.id })).maxEventAt).not.toBeNull();
    await mapSite(a, 'Client Three', (await factory.tenant('Move on')).id);
    await apply(a, { devices: [device('m2', 'Client Three')], fullDeviceRead: false });
    const moved = await repo(PatchState).findBy({ sourceDeviceId: m2.id });
    expect(moved.map((s) => [s.state, s.lastEventAt, s.firstOpenAt, s.maxEventAt])).toEqual([['MISSING', null, null, null]]);
    const now = new Date(clock + 3_600_000);
    const question = { policyKey: 'cyber-essentials-v3.3', policy: PRESETS['cyber-essentials-v3.3'], asOf: now, knownAt: now, assignedOnly: false, tenantId: moved[0].tenantId };
    expect(await new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), question).statePath()).toBe('replay');
  });

  it('a full read marks devices stale in a tenant whose site was unmapped since', async () => {
    const a = await account();
    const t = await factory.tenant('Unmapped later');
    await apply(a, { devices: [device('u1', 'Leaving client')] });
    await mapSite(a, 'Leaving client', t.id);
    await apply(a, { devices: [device('u1', 'Leaving client')] });
    await repo(VendorSite).update({ connectorInstanceId: a.id }, { tenantId: null });
    const counts = await apply(a, { devices: [device('u1', 'Leaving client')] });
    expect(counts.devices).toMatchObject({ unmapped: 1, stale: 1 });
    expect((await sourceOf(a, 'u1')).stale).toBe(true);
  });

  it('keeps patch posture with a history event per change and none when it is unchanged', async () => {
    const a = await account();
    const t = await factory.tenant('Posture Ltd');
    await apply(a, { devices: [device('p1', 'Posture')] });
    await mapSite(a, 'Posture', t.id);
    const at = (status: NonNullable<DeviceRecord['patchPosture']>['status'], pending: number) =>
      apply(a, { devices: [device('p1', 'Posture', { patchPosture: { status, approvedPending: pending, notApproved: 1, installed: 140 } })] });
    await at('APPROVED_PENDING', 3);
    expect((await at('APPROVED_PENDING', 3)).events).toBe(0);
    await at('INSTALL_ERROR', 3);
    await at('FULLY_PATCHED', 0);
    const p1 = await sourceOf(a, 'p1');
    expect(p1).toMatchObject({ postureStatus: 'FULLY_PATCHED', postureApprovedPending: 0, postureNotApproved: 1, postureInstalled: 140 });
    const history = await repo(PatchPostureEvent).find({ where: { sourceDeviceId: p1.id }, order: { observedAt: 'ASC' } });
    expect(history.map((e) => [e.fromStatus, e.toStatus, e.approvedPending])).toEqual([
      [null, 'APPROVED_PENDING', 3], ['APPROVED_PENDING', 'INSTALL_ERROR', 3], ['INSTALL_ERROR', 'FULLY_PATCHED', 0],
    ]);
    expect(new Set(history.map((e) => e.assetId))).toEqual(new Set([p1.assetId]));
  });
});
