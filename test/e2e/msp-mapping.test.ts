/**
 * An MSP-wide connector instance over GraphQL: one vendor account for many clients. Its sites are reported,
 * devices of unmapped sites wait, and mapVendorSite sends each site's devices to a tenant (and site).
 */
import { Role } from '../../src/entities/enums';
import { decodeGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { InventoryFile } from '../helpers/inventory';
import { startTestServer, TestServer } from '../helpers/server';

const SITES = `query($id: ID!, $only: Boolean) { node(id: $id) { ... on ConnectorInstance { tenant { name } vendorSites(unmappedOnly: $only) {
  id externalId name deviceCount unmapped ignored tenant { name } site { name } } } } }`;
const MAP = `mutation($input: MapVendorSiteInput!) { mapVendorSite(input: $input) { name unmapped ignored tenant { name } site { name } } }`;
const SYNC = `mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { status errorMessage counts { devices { seen created unmapped } } } }`;

describe(`MSP-wide instances over GraphQL on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let instanceId: string;
  let northwind: { id: string; sites: Array<{ id: string; name: string }> };
  let fabrikam: { id: string };

  const data = async (query: string, variables?: Record<string, unknown>, key?: string) => {
    const res = await server.gql(query, variables, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
    northwind = (await data(`mutation { createTenant(input: { name: "Northwind Dental" }) { id } }`)).createTenant;
    const leeds = (await data(`mutation($t: ID!) { createSite(input: { tenantId: $t, name: "Leeds Surgery" }) { id name } }`, { t: northwind.id })).createSite;
    northwind.sites = [leeds];
    fabrikam = (await data(`mutation { createTenant(input: { name: "Fabrikam Logistics" }) { id } }`)).createTenant;
    const file = new InventoryFile().write([
      { externalId: 'd1', hostname: 'NWD-FRONTDESK-01', vendorSiteId: 'site-nwd', vendorSite: 'Northwind Dental - Leeds' },
      { externalId: 'd2', hostname: 'NWD-XRAY-02', vendorSiteId: 'site-nwd', vendorSite: 'Northwind Dental - Leeds' },
      { externalId: 'd3', hostname: 'FAB-LT-014', vendorSiteId: 'site-fab', vendorSite: 'Fabrikam Logistics' },
      { externalId: 'd4', hostname: 'MSP-TEST-01', vendorSiteId: 'site-lab', vendorSite: 'MSP test bench' },
    ]);
    instanceId = (await data(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id tenant { name } } }`, {
      input: { tenantId: null, kind: 'file-import', name: 'Datto account (export)', settings: { path: file.path } },
    })).createConnectorInstance.id;
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('imports nothing until sites are mapped, and lists the sites waiting for a mapping', async () => {
    const run = (await data(SYNC, { id: instanceId })).triggerSync;
    expect(run).toMatchObject({ status: 'SUCCEEDED', counts: { devices: { seen: 4, created: 0, unmapped: 4 } } });
    const sites = (await data(SITES, { id: instanceId, only: true })).node;
    expect(sites.tenant).toBeNull();
    expect(sites.vendorSites.map((s: any) => [s.name, s.deviceCount, s.unmapped])).toEqual([
      ['Fabrikam Logistics', 1, true], ['MSP test bench', 1, true], ['Northwind Dental - Leeds', 2, true],
    ]);
    expect(server.logs.some((l) => l.msg?.includes('not mapped to a tenant') && l.unmapped === 4)).toBe(true);
  });

  it('maps sites to tenants (and a site), ignores the test bench, and the next sync imports accordingly', async () => {
    const sites = (await data(SITES, { id: instanceId, only: false })).node.vendorSites;
    const idOf = (name: string) => sites.find((s: any) => s.name === name).id;
    expect((await data(MAP, { input: { vendorSiteId: idOf('Northwind Dental - Leeds'), tenantId: northwind.id, siteId: northwind.sites[0].id } })).mapVendorSite)
      .toEqual({ name: 'Northwind Dental - Leeds', unmapped: false, ignored: false, tenant: { name: 'Northwind Dental' }, site: { name: 'Leeds Surgery' } });
    await data(MAP, { input: { vendorSiteId: idOf('Fabrikam Logistics'), tenantId: fabrikam.id } });
    await data(MAP, { input: { vendorSiteId: idOf('MSP test bench'), ignored: true } });

    const run = (await data(SYNC, { id: instanceId })).triggerSync;
    expect(run.counts.devices).toEqual({ seen: 4, created: 3, unmapped: 0 });
    const assets = (await data(`{ assets(first: 10) { nodes { hostname tenant { name } site { name } } } }`)).assets.nodes;
    expect(assets.map((a: any) => [a.hostname, a.tenant.name, a.site?.name ?? null]).sort()).toEqual([
      ['FAB-LT-014', 'Fabrikam Logistics', null], ['NWD-FRONTDESK-01', 'Northwind Dental', 'Leeds Surgery'], ['NWD-XRAY-02', 'Northwind Dental', 'Leeds Surgery'],
    ]);
    expect((await data(SITES, { id: instanceId, only: true })).node.vendorSites).toEqual([]);
  });

  it('refuses a site of another tenant, mapping and ignoring at once, and callers below MSP_ADMIN', async () => {
    const sites = (await data(SITES, { id: instanceId, only: false })).node.vendorSites;
    const fab = sites.find((s: any) => s.name === 'Fabrikam Logistics').id;
    const wrongSite = await server.gql(MAP, { input: { vendorSiteId: fab, tenantId: fabrikam.id, siteId: northwind.sites[0].id } });
    expect(wrongSite.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.siteId' });
    const both = await server.gql(MAP, { input: { vendorSiteId: fab, tenantId: fabrikam.id, ignored: true } });
    expect(both.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.ignored' });

    const technician = await server.keyFor(Role.TECHNICIAN, [decodeGlobalId(fabrikam.id, 'id').key]);
    const forbidden = await server.gql(MAP, { input: { vendorSiteId: fab, tenantId: fabrikam.id } }, technician);
    expect(forbidden.body.errors![0].extensions!.code).toBe('FORBIDDEN');
    // A tenant's own principal never sees an MSP-wide instance, let alone its list of clients.
    const admin = await server.keyFor(Role.CLIENT_ADMIN, [decodeGlobalId(fabrikam.id, 'id').key]);
    const hidden = await server.gql(SITES, { id: instanceId, only: false }, admin);
    expect(hidden.body.errors![0].extensions!.code).toBe('NOT_FOUND');
  });
});
