import { PatchState, SourceDevice } from '../../src/entities';
import { PatchStateValue, Role } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

/** A key limited to one client tenant must never see, count, load or change another tenant's data. */
describe(`tenant scoping on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let acmeKey: string;
  const g: Record<string, string> = {};

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const { updates } = await f.catalog();
    const acme = await f.tenant('Acme Ltd');
    const globex = await f.tenant('Globex Corp');
    const acmeSite = await f.site(acme, 'Acme HQ');
    const globexSite = await f.site(globex, 'Globex HQ');
    const [acmeAsset] = await f.insertAssets([f.asset(acme, { hostname: 'ACME-01', siteId: acmeSite.id })]);
    const [globexAsset] = await f.insertAssets([f.asset(globex, { hostname: 'GLOBEX-01', siteId: globexSite.id })]);
    const acmeSource = f.source(acmeAsset, await f.connector(acme));
    const globexSource = f.source(globexAsset, await f.connector(globex));
    await f.insert(SourceDevice, [acmeSource, globexSource]);
    const kb = updates.get('KB5041585')!.id;
    await f.insert(PatchState, [f.patchState(acmeSource, kb, PatchStateValue.MISSING), f.patchState(globexSource, kb, PatchStateValue.MISSING)]);
    Object.assign(g, {
      acme: toGlobalId('Tenant', acme.id), globex: toGlobalId('Tenant', globex.id),
      globexSite: toGlobalId('Site', globexSite.id), globexAsset: toGlobalId('Asset', globexAsset.id),
      globexSource: toGlobalId('SourceDevice', globexSource.id), acmeAsset: toGlobalId('Asset', acmeAsset.id),
    });
    server = await startTestServer(db);
    acmeKey = await server.keyFor(Role.CLIENT_ADMIN, [acme.id]);
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  const as = (query: string, variables?: Record<string, unknown>) => server.gql(query, variables, acmeKey);

  it('lists and counts only the visible tenant', async () => {
    const res = await as(`{ tenants { totalCount nodes { name } } sites { totalCount nodes { name } }
      assets { totalCount nodes { hostname } } patchStates { totalCount nodes { asset { hostname } } } }`);
    expect(res.body.data).toEqual({
      tenants: { totalCount: 1, nodes: [{ name: 'Acme Ltd' }] },
      sites: { totalCount: 1, nodes: [{ name: 'Acme HQ' }] },
      assets: { totalCount: 1, nodes: [{ hostname: 'ACME-01' }] },
      patchStates: { totalCount: 1, nodes: [{ asset: { hostname: 'ACME-01' } }] },
    });
  });

  it.each([
    ['node(tenant)', 'query($id: ID!) { node(id: $id) { id } }', 'globex'],
    ['node(site)', 'query($id: ID!) { node(id: $id) { id } }', 'globexSite'],
    ['node(asset)', 'query($id: ID!) { node(id: $id) { id } }', 'globexAsset'],
    ['node(source device)', 'query($id: ID!) { node(id: $id) { id } }', 'globexSource'],
    ['asset(id)', 'query($id: ID!) { asset(id: $id) { id } }', 'globexAsset'],
    ['tenant(id)', 'query($id: ID!) { tenant(id: $id) { id } }', 'globex'],
  ])('answers NOT_FOUND for another tenant\'s object through %s, exactly as for a missing one', async (_n, query, key) => {
    const res = await as(query, { id: g[key] });
    expect({ errors: res.body.errors?.map((e) => e.extensions?.code), leaked: Object.values(res.body.data ?? {}).filter(Boolean) })
      .toEqual({ errors: ['NOT_FOUND'], leaked: [] });
  });

  it('treats a filter naming another tenant as not found', async () => {
    const res = await as('query($t: [ID!]) { assets(filter: { tenantIds: $t }) { totalCount } }', { t: [g.globex] });
    expect(res.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('returns nothing for another tenant\'s site or asset in a filter', async () => {
    const res = await as('query($s: [ID!], $a: [ID!]) { assets(filter: { siteIds: $s }) { totalCount } patchStates(filter: { assetIds: $a }) { totalCount } }', { s: [g.globexSite], a: [g.globexAsset] });
    expect(res.body.data).toEqual({ assets: { totalCount: 0 }, patchStates: { totalCount: 0 } });
  });

  it('cannot create tenants (FORBIDDEN by role) or rename another tenant\'s objects (NOT_FOUND)', async () => {
    const create = await as('mutation { createTenant(input: { name: "Initech" }) { id } }');
    expect(create.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const rename = await as('mutation($id: ID!) { renameTenant(input: { id: $id, name: "Pwned" }) { id } }', { id: g.globex });
    expect(rename.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const names = await server.gql('{ tenants { nodes { name } } }');
    expect(names.body.data!.tenants.nodes).toEqual([{ name: 'Acme Ltd' }, { name: 'Globex Corp' }]);
  });

  it('an admin limited to one tenant still cannot reach another through a mutation', async () => {
    const row = await db.dataSource.query('SELECT id FROM tenant WHERE name = ?', ['Acme Ltd']);
    const limitedAdmin = await server.keyFor(Role.MSP_ADMIN, [row[0].id]);
    const rename = await server.gql('mutation($id: ID!) { renameTenant(input: { id: $id, name: "Pwned" }) { id } }', { id: g.globex }, limitedAdmin);
    // Renaming needs an all-tenants key (the matrix says so), so the answer is the same whichever tenant is named.
    expect(rename.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const site = await server.gql('mutation($t: ID!) { createSite(input: { tenantId: $t, name: "Sneaky" }) { id } }', { t: g.globex }, limitedAdmin);
    expect(site.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const create = await server.gql('mutation { createTenant(input: { name: "Initech" }) { id } }', undefined, limitedAdmin);
    expect(create.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    // Tenant names are unique across all tenants, so a limited admin renaming even its own could probe other clients' names.
    const own = await server.gql('mutation($id: ID!) { renameTenant(input: { id: $id, name: "Acme Limited" }) { name } }', { id: g.acme }, limitedAdmin);
    expect(own.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
