/**
 * One NinjaOne account through the real sync engine and database: an MSP-wide instance lists each NinjaOne
 * organization as a vendor site to map, imports nothing until one is mapped, then puts the organization's devices in
 * the mapped tenant, each at the tenant's site named like its NinjaOne location; an ignored organization stays out.
 */
import { In } from 'typeorm';
import { Asset, Site, SourceDevice, SyncRun } from '../../../src/entities';
import { SyncTrigger } from '../../../src/entities/enums';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database';
import { Factory } from '../../../test/helpers/factories';
import { syncHarness } from '../../../test/helpers/sync';
import { startNinjaOneSimulator, type NinjaOneSimulator } from '../simulator/server';

let db: TestDatabase;
let sim: NinjaOneSimulator;

beforeEach(async () => {
  db = await openTestDatabase();
  sim = await startNinjaOneSimulator({ pageSize: 5, devices: 15, seed: 3 });
});

afterEach(async () => {
  await sim.close();
  await db.drop();
});

function counts(run: SyncRun) {
  return JSON.parse(run.counts) as { devices: { seen: number; unmapped: number; ignored: number } };
}

it('maps NinjaOne organizations to tenants and locations to their sites', async () => {
  const { engine, admin } = syncHarness(db.dataSource);
  const f = new Factory(db.dataSource);
  const instance = await admin.create({ tenantId: null, kind: 'ninjaone', name: 'NinjaOne (MSP)', settings: sim.validConfig() });

  const first = await engine.run(instance.id, { trigger: SyncTrigger.API });
  expect(first.status).toBe('SUCCEEDED');
  expect(counts(first).devices).toMatchObject({ seen: 15, unmapped: 15 });
  expect(await db.dataSource.getRepository(SourceDevice).count()).toBe(0);

  const sites = await admin.vendorSites(instance, false);
  expect(sites.map((s) => [s.externalId, s.name]).sort()).toEqual([
    ['1', 'Contoso Ltd'],
    ['2', 'Fabrikam Inc'],
    ['3', 'Northwind Traders'],
  ]);

  const contoso = await f.tenant('Contoso');
  await f.site(contoso, 'Head Office');
  await f.site(contoso, 'Warehouse');
  const fabrikam = await f.tenant('Fabrikam');
  const bySite = new Map(sites.map((s) => [s.externalId, s]));
  await admin.mapVendorSite({ id: bySite.get('1')!.id, tenantId: contoso.id, siteId: null, ignored: false });
  await admin.mapVendorSite({ id: bySite.get('2')!.id, tenantId: fabrikam.id, siteId: null, ignored: false });
  await admin.mapVendorSite({ id: bySite.get('3')!.id, tenantId: null, siteId: null, ignored: true });

  const second = await engine.run(instance.id, { trigger: SyncTrigger.API });
  expect(second.status).toBe('SUCCEEDED');

  const byOrganization = (org: number) => sim.fleet.devices.filter((d) => d.organizationId === org);
  expect(counts(second).devices).toMatchObject({ seen: 15, unmapped: 0, ignored: byOrganization(3).length });

  const sources = await db.dataSource.getRepository(SourceDevice).findBy({ connectorInstanceId: instance.id });
  const tenantOf = new Map(sources.map((s) => [s.externalId, s.tenantId]));
  for (const device of byOrganization(1)) expect(tenantOf.get(String(device.id))).toBe(contoso.id);
  for (const device of byOrganization(2)) expect(tenantOf.get(String(device.id))).toBe(fabrikam.id);
  for (const device of byOrganization(3)) expect(tenantOf.has(String(device.id))).toBe(false);

  // Each Contoso device sits at the Contoso site named like its NinjaOne location.
  const locationName = new Map(sim.fleet.locations.map((l) => [l.id, l.name]));
  const assets = await db.dataSource.getRepository(Asset).findBy({ id: In(sources.map((s) => s.assetId).filter((id): id is string => id !== null)) });
  const assetSite = new Map(assets.map((a) => [a.id, a.siteId]));
  const siteName = new Map((await db.dataSource.getRepository(Site).find()).map((s) => [s.id, s.name]));
  const contosoDevices = byOrganization(1);
  expect(contosoDevices.length).toBeGreaterThan(0);
  for (const device of contosoDevices) {
    const source = sources.find((s) => s.externalId === String(device.id))!;
    expect(siteName.get(assetSite.get(source.assetId!) ?? '')).toBe(locationName.get(device.locationId!));
  }
});
