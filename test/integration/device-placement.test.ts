/**
 * A device's tenant key and its site, told apart: a tool with organisations and locations maps each organisation to
 * a tenant and places each device at its location's site; the deprecated vendorSite/vendorSiteId still mean what
 * they meant; the contract kit's record checks accept either.
 */
import type { DeviceRecord } from '../../connectors/sdk/contract';
import { recordProblems } from '../../connectors/sdk/testkit/checks';
import { Asset, ConnectorInstance, Site, SourceDevice, VendorSite } from '../../src/entities';
import { applyRun } from '../../src/sync/apply/apply-run';
import { SourceRead } from '../../src/sync/read-source';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { sourceRead, SYNC_T0, syncHarness } from '../helpers/sync';

describe(`tenant keys and sites on ${ENGINE}`, () => {
  let db: TestDatabase;
  let h: ReturnType<typeof syncHarness>;
  let factory: Factory;
  beforeAll(async () => {
    db = await openTestDatabase();
    h = syncHarness(db.dataSource);
    factory = new Factory(db.dataSource);
  });
  afterAll(() => db.drop());

  const repo = <T extends object>(e: new () => T) => db.dataSource.getRepository(e);
  let clock = SYNC_T0.getTime();
  const read = (devices: DeviceRecord[]): SourceRead => sourceRead({ devices, fullDeviceRead: true });
  async function applyAccount(instance: ConnectorInstance, devices: DeviceRecord[]) {
    const fresh = await repo(ConnectorInstance).findOneByOrFail({ id: instance.id });
    clock += 3_600_000;
    return db.dataSource.transaction((m) => applyRun(m, { instance: fresh, read: read(devices), now: new Date(clock), syncRunId: newId() }));
  }
  const account = () => h.admin.create({ tenantId: null, kind: 'file-import', name: `RMM account ${newId().slice(0, 6)}`, settings: { path: '/dev/null' }, enabled: false });
  const site = async (tenantId: string, name: string) => {
    const s = Object.assign(new Site(), { id: newId(), tenantId, name, createdAt: SYNC_T0, updatedAt: SYNC_T0 });
    await repo(Site).insert(s);
    return s;
  };
  const siteOfAsset = async (instance: ConnectorInstance, externalId: string) => {
    const device = await repo(SourceDevice).findOneByOrFail({ connectorInstanceId: instance.id, externalId });
    return (await repo(Asset).findOneByOrFail({ id: device.assetId! })).siteId;
  };

  it('maps an organisation to a tenant and places each of its devices at its own location', async () => {
    const a = await account();
    const northwind = await factory.tenant('Northwind (placement)');
    const [leeds, york] = [await site(northwind.id, 'Leeds Surgery'), await site(northwind.id, 'York Surgery')];
    const devices: DeviceRecord[] = [
      { externalId: 'n1', hostname: 'NWD-PC-01', serialNumber: 'SN-NWD-01', tenantKey: 'org-17', tenantName: 'Northwind Dental', site: { id: 'loc-1', name: 'Leeds Surgery' } },
      { externalId: 'n2', hostname: 'NWD-PC-02', serialNumber: 'SN-NWD-02', tenantKey: 'org-17', tenantName: 'Northwind Dental', site: { id: 'loc-2', name: 'York Surgery' } },
    ];
    expect((await applyAccount(a, devices)).devices).toMatchObject({ seen: 2, unmapped: 2 });
    // One mapping row for the organisation, named as the vendor names it: the locations are not tenants.
    const rows = await repo(VendorSite).findBy({ connectorInstanceId: a.id });
    expect(rows.map((r) => [r.externalId, r.name, r.deviceCount])).toEqual([['org-17', 'Northwind Dental', 2]]);

    await repo(VendorSite).update({ id: rows[0].id }, { tenantId: northwind.id });
    expect((await applyAccount(a, devices)).devices).toMatchObject({ seen: 2, created: 2, unmapped: 0 });
    expect(await siteOfAsset(a, 'n1')).toBe(leeds.id);
    expect(await siteOfAsset(a, 'n2')).toBe(york.id);
    const stored = await repo(SourceDevice).findOneByOrFail({ connectorInstanceId: a.id, externalId: 'n2' });
    expect([stored.tenantId, stored.vendorSiteId, stored.vendorSite]).toEqual([northwind.id, 'org-17', 'York Surgery']);
  });

  it('still reads the deprecated vendorSiteId/vendorSite as both the mapping key and the site, as before', async () => {
    const a = await account();
    const fabrikam = await factory.tenant('Fabrikam (placement)');
    const office = await site(fabrikam.id, 'Head Office');
    const devices: DeviceRecord[] = [{ externalId: 'f1', hostname: 'FAB-PC-01', serialNumber: 'SN-FAB-01', vendorSiteId: 'uid-head-office', vendorSite: 'Head Office' }];
    await applyAccount(a, devices);
    const [row] = await repo(VendorSite).findBy({ connectorInstanceId: a.id });
    expect([row.externalId, row.name]).toEqual(['uid-head-office', 'Head Office']);
    await repo(VendorSite).update({ id: row.id }, { tenantId: fabrikam.id });
    expect((await applyAccount(a, devices)).devices).toMatchObject({ created: 1 });
    expect(await siteOfAsset(a, 'f1')).toBe(office.id);
    expect(await repo(SourceDevice).findOneByOrFail({ connectorInstanceId: a.id, externalId: 'f1' })).toMatchObject({ vendorSiteId: 'uid-head-office', vendorSite: 'Head Office' });
  });

  it("places a tenant instance's device by its site; a tenant key there changes nothing", async () => {
    const contoso = await factory.tenant('Contoso (placement)');
    const hillside = await site(contoso.id, 'Hillside Primary');
    const instance = await h.admin.create({ tenantId: contoso.id, kind: 'file-import', name: 'Contoso tool', settings: { path: '/dev/null' }, enabled: false });
    const devices: DeviceRecord[] = [{ externalId: 'c1', hostname: 'CAT-PC-01', serialNumber: 'SN-CAT-01', tenantKey: 'someone-else', site: { id: 'grp-9', name: 'Hillside Primary' } }];
    await db.dataSource.transaction((m) => applyRun(m, { instance, read: read(devices), now: SYNC_T0, syncRunId: newId() }));
    const stored = await repo(SourceDevice).findOneByOrFail({ connectorInstanceId: instance.id, externalId: 'c1' });
    expect([stored.tenantId, stored.vendorSiteId, stored.vendorSite]).toEqual([contoso.id, 'grp-9', 'Hillside Primary']);
    expect(await siteOfAsset(instance, 'c1')).toBe(hillside.id);
  });

  it('fails a run whose site is not an { id, name } object, naming the device, and writes nothing', async () => {
    const contoso = await factory.tenant('Contoso (bad placement)');
    const instance = await h.admin.create({ tenantId: contoso.id, kind: 'file-import', name: 'bad site', settings: { path: '/dev/null' }, enabled: false });
    const bad = [{ externalId: 'b1', hostname: 'B-1', site: 'Leeds Surgery' as unknown as DeviceRecord['site'] }];
    await expect(db.dataSource.transaction((m) => applyRun(m, { instance, read: read(bad), now: SYNC_T0, syncRunId: newId() })))
      .rejects.toThrow('device b1: site is not an object with an id and a name');
    expect(await repo(SourceDevice).countBy({ connectorInstanceId: instance.id })).toBe(0);
  });

  it("the contract kit's record checks accept the new fields and the deprecated ones, and refuse a malformed site", () => {
    const run = (devices: DeviceRecord[]) => recordProblems({ devices, updates: [], patchStates: [] });
    expect(run([{ externalId: 'a', tenantKey: 'org-1', tenantName: 'Org', site: { id: 'l1', name: 'Leeds' } }])).toEqual([]);
    expect(run([{ externalId: 'b', vendorSiteId: 'uid-1', vendorSite: 'Leeds' }])).toEqual([]);
    expect(run([{ externalId: 'c', site: 'Leeds' as never }])).toEqual(['device #0 (c).site is not an object with an id and a name ("Leeds")']);
    expect(run([{ externalId: 'd', tenantKey: 17 as never }])).toEqual(['device #0 (d).tenantKey is not text (17)']);
  });
});
