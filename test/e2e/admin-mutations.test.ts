import { AuditEvent } from '../../src/entities';
import { auditHash } from '../../src/audit/audit-log';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const CREATE_TENANT = 'mutation($name: String!) { createTenant(input: { name: $name }) { id name createdAt updatedAt } }';
const RENAME_TENANT = 'mutation($id: ID!, $name: String!) { renameTenant(input: { id: $id, name: $name }) { id name updatedAt } }';
const CREATE_SITE = 'mutation($t: ID!, $name: String!) { createSite(input: { tenantId: $t, name: $name }) { id name tenant { name } } }';
const RENAME_SITE = 'mutation($id: ID!, $name: String!) { renameSite(input: { id: $id, name: $name }) { id name } }';

describe(`admin mutations on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('creates and renames tenants and sites, stamping times from the server clock', async () => {
    const created = await server.gql(CREATE_TENANT, { name: 'Contoso' });
    expect(created.body.errors).toBeUndefined();
    const tenant = created.body.data!.createTenant;
    expect(tenant).toMatchObject({ name: 'Contoso', createdAt: '2026-11-02T10:00:00.000Z', updatedAt: '2026-11-02T10:00:00.000Z' });

    (server.clock as any).advance(60_000);
    const renamed = await server.gql(RENAME_TENANT, { id: tenant.id, name: 'Contoso Ltd' });
    expect(renamed.body.data!.renameTenant).toEqual({ id: tenant.id, name: 'Contoso Ltd', updatedAt: '2026-11-02T10:01:00.000Z' });

    const site = await server.gql(CREATE_SITE, { t: tenant.id, name: 'Reading' });
    expect(site.body.data!.createSite).toMatchObject({ name: 'Reading', tenant: { name: 'Contoso Ltd' } });
    const renamedSite = await server.gql(RENAME_SITE, { id: site.body.data!.createSite.id, name: 'Reading Office' });
    expect(renamedSite.body.data!.renameSite.name).toBe('Reading Office');

    const check = await server.gql('query($id: ID!) { tenant(id: $id) { name sites { name } } }', { id: tenant.id });
    expect(check.body.data!.tenant).toEqual({ name: 'Contoso Ltd', sites: [{ name: 'Reading Office' }] });
  });

  it('refuses duplicate names with CONFLICT naming the field, and writes nothing', async () => {
    await server.gql(CREATE_TENANT, { name: 'Fabrikam' });
    const before = await db.dataSource.getRepository(AuditEvent).count();
    const dup = await server.gql(CREATE_TENANT, { name: 'Fabrikam' });
    expect(dup.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.name' });
    const other = await server.gql(CREATE_TENANT, { name: 'Northwind' });
    const rename = await server.gql(RENAME_TENANT, { id: other.body.data!.createTenant.id, name: 'Fabrikam' });
    expect(rename.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.name' });
    // Only Northwind's creation was audited; the refused writes left no trace.
    expect(await db.dataSource.getRepository(AuditEvent).count()).toBe(before + 1);
    const names = (await server.gql('{ tenants(filter: { nameContains: "o" }) { nodes { name } } }')).body.data!.tenants.nodes;
    expect(names.map((n: any) => n.name)).toEqual(['Contoso Ltd', 'Northwind']);
  });

  it('allows the same site name in two tenants but not twice in one', async () => {
    const a = (await server.gql(CREATE_TENANT, { name: 'Alpha' })).body.data!.createTenant.id;
    const b = (await server.gql(CREATE_TENANT, { name: 'Beta' })).body.data!.createTenant.id;
    expect((await server.gql(CREATE_SITE, { t: a, name: 'Main' })).body.errors).toBeUndefined();
    expect((await server.gql(CREATE_SITE, { t: b, name: 'Main' })).body.errors).toBeUndefined();
    const dup = await server.gql(CREATE_SITE, { t: a, name: 'Main' });
    expect(dup.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.name' });
  });

  it('records every change as an audit event in an intact per-tenant hash chain', async () => {
    const events = await db.dataSource.getRepository(AuditEvent).find({ order: { chainKey: 'ASC', seq: 'ASC' } });
    const contoso = events.filter((e) => e.action.startsWith('tenant.') && JSON.parse(e.data).name === 'Contoso');
    expect(contoso).toHaveLength(1);
    const chain = events.filter((e) => e.chainKey === contoso[0].chainKey);
    expect(chain.map((e) => e.action)).toEqual(['tenant.create', 'tenant.rename', 'site.create', 'site.rename']);
    // The key's name and id identify it; no part of the key itself (not even its prefix) is written into a record.
    expect(chain.map((e) => e.actor)).toEqual(Array(4).fill(expect.stringMatching(/^api-key:test-admin \([0-9a-f-]{36}\)$/)));
    expect(JSON.parse(chain[1].data)).toEqual({ from: 'Contoso', to: 'Contoso Ltd' });
    chain.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.prevHash).toBe(i === 0 ? '0'.repeat(64) : chain[i - 1].hash);
      expect(e.hash).toBe(auditHash(e));
    });
  });

  it('keeps the chain consistent when many changes to one tenant race', async () => {
    const t = (await server.gql(CREATE_TENANT, { name: 'Racing' })).body.data!.createTenant.id;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => server.gql(CREATE_SITE, { t, name: `Site ${i}` })));
    expect(results.map((r) => r.body.errors)).toEqual(Array(8).fill(undefined));
    const tenantKey = Buffer.from(t, 'base64url').toString().split(':')[1];
    const chain = await db.dataSource.getRepository(AuditEvent).find({ where: { chainKey: tenantKey }, order: { seq: 'ASC' } });
    expect(chain.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    chain.forEach((e, i) => i > 0 && expect(e.prevHash).toBe(chain[i - 1].hash));
  });
});
