/**
 * Records that used to vanish without a trace: an MSP-wide Datto RMM account over its simulator and a real Apollo
 * server. Every device the account lists is counted, the "Deleted Devices" site is listed and cannot be mapped, and
 * unattachedSourceDevices says why each record is not (or no longer) an asset — to the principals allowed to see it.
 */
import { buildDattoDevice, buildDattoSite, buildDeviceAudit, DattoDevice, DattoDeviceAudit, DattoSimulator, startDattoSimulator } from '../../connectors/datto-rmm/simulator';
import { createApiKey } from '../../src/auth/api-keys';
import { Role } from '../../src/entities/enums';
import { decodeGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const NOW = Date.parse('2026-11-02T10:00:00.000Z');
const DAY = 86_400_000;
const ACCOUNT = 'b7d1c2a0-0000-4000-8000-00000000acc7';

const BIN = buildDattoSite({ id: 81001, uid: '5e1e7ed0-0000-4000-8000-000000000b1a', accountUid: ACCOUNT, name: 'Deleted Devices' });
const NORTHWIND = buildDattoSite({ id: 81002, uid: '5e1e7ed0-0000-4000-8000-00000000a0d1', accountUid: ACCOUNT, name: 'Northwind Dental - Leeds' });
const FABRIKAM = buildDattoSite({ id: 81003, uid: '5e1e7ed0-0000-4000-8000-00000000fab1', accountUid: ACCOUNT, name: 'Fabrikam Logistics' });
const LAB = buildDattoSite({ id: 81004, uid: '5e1e7ed0-0000-4000-8000-0000000001ab', accountUid: ACCOUNT, name: 'Contoso MSP (internal)' });

let nextId = 5_500_000;
function computer(site: typeof NORTHWIND, hostname: string, fields: Partial<DattoDevice> = {}): { device: DattoDevice; audit: DattoDeviceAudit | null } {
  const id = nextId++;
  const uid = `d0000000-0000-4000-8000-${String(id).padStart(12, '0')}`;
  const device = buildDattoDevice({
    id, uid, hostname, siteId: site.id, siteUid: site.uid, siteName: site.name, operatingSystem: 'Microsoft Windows 11 Pro 23H2 22631', domain: 'NWD',
    lastSeen: NOW - 10 * 60_000, lastAuditDate: NOW - 2 * 3_600_000, creationDate: NOW - 400 * DAY,
    patchManagement: { patchStatus: 'FullyPatched', patchesApprovedPending: 0, patchesNotApproved: 0, patchesInstalled: 130 },
    ...fields,
  });
  const audit = buildDeviceAudit({
    portalUrl: device.portalUrl,
    systemInfo: { manufacturer: 'Dell Inc.', model: 'OptiPlex 7010', totalPhysicalMemory: 17179869184, username: null, dotNetVersion: '4.8.1', totalCpuCores: 8 },
    bios: { instance: null, releaseDate: NOW - 500 * DAY, serialNumber: `SN${id}`, smBiosVersion: null },
    baseBoard: { manufacturer: 'Dell Inc.', product: '0XYZ12' },
  });
  return { device, audit };
}

/** Eleven devices: five of a client, three of a client nobody mapped yet, two in the MSP's lab, one deleted. */
const FLEET = {
  sites: [BIN, NORTHWIND, FABRIKAM, LAB],
  devices: [
    ...['NWD-PC-01', 'NWD-PC-02', 'NWD-PC-03', 'NWD-PC-04', 'NWD-PC-05'].map((h) => computer(NORTHWIND, h)),
    ...['FAB-LT-01', 'FAB-LT-02', 'FAB-LT-03'].map((h) => computer(FABRIKAM, h)),
    ...['MSP-TECH-01', 'MSP-TECH-02'].map((h) => computer(LAB, h)),
    computer(BIN, 'OLD-PC-07', { deleted: true, online: false, lastSeen: NOW - 90 * DAY }),
  ],
};

const SYNC = `mutation($id: ID!, $full: Boolean) { triggerSync(input: { connectorInstanceId: $id, wait: true, full: $full }) { status errorMessage mode
  counts { devices { seen created changed stale deleted unmapped ignored } patchStates { seen dropped } } } }`;
const SITES = `query($id: ID!, $only: Boolean) { node(id: $id) { ... on ConnectorInstance { vendorSites(unmappedOnly: $only) {
  id name deviceCount unmapped ignored deletedDevicesSite tenant { name } } } } }`;
const MAP = `mutation($input: MapVendorSiteInput!) { mapVendorSite(input: $input) { name unmapped ignored deletedDevicesSite tenant { name } } }`;
const UNATTACHED = `query($filter: UnattachedSourceDeviceFilterInput, $first: Int, $after: String) {
  unattachedSourceDevices(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    nodes { reason externalId hostname vendorSite connector { kind } tenant { name } sourceDevice { stale deletedInSource } asset { hostname status } } } }`;

describe(`records a source returned that are not assets, on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let sim: DattoSimulator;
  let instanceId: string;
  let northwind: { id: string };
  let northwindKey: string;
  let technicianAllTenants: string;

  const data = async (query: string, variables?: Record<string, unknown>, key?: string) => {
    const res = await server.gql(query, variables, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };
  // Full unless asked otherwise: a full run reads every device, so `seen` is the whole account.
  const sync = async (full = true) => {
    const run = (await data(SYNC, { id: instanceId, full })).triggerSync;
    expect(run).toMatchObject({ status: 'SUCCEEDED', errorMessage: null, mode: full ? 'FULL' : 'INCREMENTAL' });
    return run.counts;
  };
  const sites = async () => (await data(SITES, { id: instanceId, only: false })).node.vendorSites as Array<Record<string, any>>;
  const unattached = async (variables: Record<string, unknown> = {}, key?: string) => (await data(UNATTACHED, { first: 50, ...variables }, key)).unattachedSourceDevices;
  const summary = (nodes: Array<Record<string, any>>) => nodes.map((n) => [n.reason, n.hostname]).sort();

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
    sim = await startDattoSimulator({ pageSize: 4, now: new Date(NOW), rateLimit: false, fleet: FLEET });
    northwind = (await data(`mutation { createTenant(input: { name: "Northwind Dental" }) { id } }`)).createTenant;
    await data(`mutation { createTenant(input: { name: "Fabrikam Logistics" }) { id } }`);
    northwindKey = await server.keyFor(Role.CLIENT_ADMIN, [decodeGlobalId(northwind.id, 'id').key]);
    technicianAllTenants = (await createApiKey(db.dataSource, server.clock, { name: 'technician (all tenants)', role: Role.TECHNICIAN, allTenants: true, tenantIds: [] })).key;
    instanceId = (await data(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`, {
      input: { tenantId: null, kind: 'datto-rmm', name: 'Datto RMM (MSP account)', settings: sim.validConfig() },
    })).createConnectorInstance.id;
  });
  afterAll(async () => {
    await sim?.close();
    await server.stop();
    await db.drop();
  });

  it('counts every device the account lists, the deleted one included, and lists the "Deleted Devices" site flagged', async () => {
    expect(sim.devices).toHaveLength(11);
    const counts = await sync();
    expect(counts.devices).toEqual({ seen: 11, created: 0, changed: 0, stale: 0, deleted: 1, unmapped: 10, ignored: 0 });
    expect(counts.patchStates).toEqual({ seen: 0, dropped: 0 });

    const listed = await sites();
    const bin = listed.find((s) => s.name === 'Deleted Devices')!;
    expect(bin).toMatchObject({ deviceCount: 1, deletedDevicesSite: true, unmapped: false, ignored: false, tenant: null });
    expect(listed.filter((s) => s.deletedDevicesSite).map((s) => s.name)).toEqual(['Deleted Devices']);
    // Waiting for a mapping: the three client sites, never the bin.
    expect((await data(SITES, { id: instanceId, only: true })).node.vendorSites.map((s: any) => s.name).sort()).toEqual([
      'Contoso MSP (internal)', 'Fabrikam Logistics', 'Northwind Dental - Leeds',
    ]);
  });

  it('refuses to map or ignore the "Deleted Devices" site, naming the field', async () => {
    const bin = (await sites()).find((s) => s.deletedDevicesSite)!;
    for (const input of [{ vendorSiteId: bin.id, tenantId: northwind.id }, { vendorSiteId: bin.id, ignored: true }]) {
      const res = await server.gql(MAP, { input });
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.vendorSiteId' });
      expect(res.body.errors![0].message).toContain('Deleted Devices');
    }
    expect((await sites()).find((s) => s.deletedDevicesSite)).toMatchObject({ tenant: null, ignored: false });
  });

  it('imports the mapped site and shows every other record with its reason: deleted, unmapped site, ignored site', async () => {
    const listed = await sites();
    const idOf = (name: string) => listed.find((s) => s.name === name)!.id;
    await data(MAP, { input: { vendorSiteId: idOf('Northwind Dental - Leeds'), tenantId: northwind.id } });
    await data(MAP, { input: { vendorSiteId: idOf('Contoso MSP (internal)'), ignored: true } });

    const counts = await sync();
    expect(counts.devices).toEqual({ seen: 11, created: 5, changed: 0, stale: 0, deleted: 1, unmapped: 3, ignored: 2 });

    const all = await unattached();
    expect(all.totalCount).toBe(6);
    expect(summary(all.nodes)).toEqual([
      ['DELETED_IN_SOURCE', 'OLD-PC-07'],
      ['IGNORED_SITE', 'MSP-TECH-01'], ['IGNORED_SITE', 'MSP-TECH-02'],
      ['UNMAPPED_SITE', 'FAB-LT-01'], ['UNMAPPED_SITE', 'FAB-LT-02'], ['UNMAPPED_SITE', 'FAB-LT-03'],
    ]);
    const deleted = all.nodes.find((n: any) => n.hostname === 'OLD-PC-07');
    expect(deleted).toMatchObject({ vendorSite: 'Deleted Devices', connector: { kind: 'datto-rmm' }, tenant: null, sourceDevice: null, asset: null });
    expect(all.nodes.find((n: any) => n.hostname === 'FAB-LT-01')).toMatchObject({ vendorSite: 'Fabrikam Logistics', tenant: null });

    const onlyUnmapped = await unattached({ filter: { reasons: ['UNMAPPED_SITE'] } });
    expect(onlyUnmapped.totalCount).toBe(3);
    // An MSP-wide principal that is not an admin sees them too: it sees every tenant.
    expect((await unattached({}, technicianAllTenants)).totalCount).toBe(6);
  });

  it("shows a tenant-limited key none of the MSP-wide account's unimported records", async () => {
    const seen = await unattached({}, northwindKey);
    expect(seen).toMatchObject({ totalCount: 0, nodes: [] });
    // Filtering by a tenant it cannot see is refused as if the tenant did not exist.
    const fabrikam = (await data(`{ tenants(filter: { nameContains: "Fabrikam" }) { nodes { id } } }`)).tenants.nodes[0].id;
    const probe = await server.gql(UNATTACHED, { filter: { tenantIds: [fabrikam] } }, northwindKey);
    expect(probe.body.errors![0].extensions!.code).toBe('NOT_FOUND');
  });

  it('marks a device deleted in Datto after it was imported stale, with its reason, visible to its tenant', async () => {
    const victim = FLEET.devices.find((d) => d.device.hostname === 'NWD-PC-03')!.device.uid;
    sim.deleteDevice(victim);
    // Incremental is enough: Datto still lists the device, flagged deleted, so its absence need not be proved. The
    // run reads the 7 records that are not unchanged imported devices.
    const counts = await sync(false);
    expect(counts.devices).toEqual({ seen: 7, created: 0, changed: 1, stale: 1, deleted: 2, unmapped: 3, ignored: 2 });

    const admin = await unattached({ filter: { reasons: ['DELETED_IN_SOURCE'] } });
    expect(summary(admin.nodes)).toEqual([['DELETED_IN_SOURCE', 'NWD-PC-03'], ['DELETED_IN_SOURCE', 'OLD-PC-07']]);
    const imported = admin.nodes.find((n: any) => n.hostname === 'NWD-PC-03');
    // It keeps its asset and history; its site is still the client's, not Datto's bin.
    expect(imported).toMatchObject({
      vendorSite: 'Northwind Dental - Leeds', tenant: { name: 'Northwind Dental' }, sourceDevice: { stale: true, deletedInSource: true }, asset: { hostname: 'NWD-PC-03', status: 'STALE' },
    });

    const tenantView = await unattached({}, northwindKey);
    expect(tenantView.totalCount).toBe(1);
    expect(tenantView.nodes).toEqual([expect.objectContaining({ reason: 'DELETED_IN_SOURCE', hostname: 'NWD-PC-03', connector: null, tenant: { name: 'Northwind Dental' } })]);
  });

  it('writes nothing when the account has not changed, and pages through every record once', async () => {
    const counts = await sync();
    expect(counts.devices).toMatchObject({ seen: 11, created: 0, changed: 0, stale: 0, deleted: 2 });
    // An incremental run re-reads everything but the imported devices whose listing did not change: the 7 it
    // returned are all accounted for, and nothing is written.
    expect((await sync(false)).devices).toEqual({ seen: 7, created: 0, changed: 0, stale: 0, deleted: 2, unmapped: 3, ignored: 2 });

    const everything = await unattached();
    const paged: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: any = await unattached({ first: 2, after });
      paged.push(...page.nodes.map((n: any) => n.externalId));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(paged).toEqual(everything.nodes.map((n: any) => n.externalId));
    expect(new Set(paged).size).toBe(7);
  });
});
