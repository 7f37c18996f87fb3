/**
 * The attack as it was found: an admin limited to one tenant points a file-import instance at another client's export
 * on the server, or at an internal address, and syncs it into their own tenant. A real server configured as an
 * operator would (PATCHGRAPH_IMPORT_DIR, no private URLs), real files and symlinks, GraphQL over HTTP.
 */
import { mkdir, mkdtemp, realpath, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Role } from '../../src/entities/enums';
import { ConnectorInstance } from '../../src/entities';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const CREATE = `mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id settings } }`;
const UPDATE = `mutation($id: ID!, $settings: JSONObject!) { updateConnectorInstance(input: { id: $id, settings: $settings }) { id settings } }`;
const TRIGGER = `mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { status errorKind errorMessage counts { devices { seen created } } } }`;

function inventory(prefix: string, n: number): string {
  const devices = Array.from({ length: n }, (_, i) => ({ externalId: `${prefix}-${i}`, hostname: `${prefix.toUpperCase()}-PC-${i}`, serialNumber: `${prefix}SN${i}` }));
  return JSON.stringify({ format: 'patchgraph-inventory', version: 1, devices, updates: [], patchStates: [] });
}

describe(`file-import paths and URLs are confined on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let root: string;
  let importDir: string;
  let fabrikamExport: string;
  let contosoId: string;
  let limitedAdmin: string;

  beforeAll(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'pg-confinement-')));
    importDir = join(root, 'imports', 'contoso');
    await mkdir(importDir, { recursive: true });
    await mkdir(join(root, 'exports', 'fabrikam'), { recursive: true });
    fabrikamExport = join(root, 'exports', 'fabrikam', 'inventory.json');
    await writeFile(fabrikamExport, inventory('fab', 5));
    await writeFile(join(importDir, 'contoso.json'), inventory('con', 2));

    db = await openTestDatabase();
    server = await startTestServer(db, { PATCHGRAPH_IMPORT_DIR: importDir, PATCHGRAPH_ALLOW_PRIVATE_URLS: 'false' });
    contosoId = (await server.gql('mutation { createTenant(input: { name: "Contoso" }) { id } }')).body.data!.createTenant.id;
    await server.gql('mutation { createTenant(input: { name: "Fabrikam" }) { id } }');
    const [row] = await db.dataSource.query('SELECT id FROM tenant WHERE name = ?', ['Contoso']);
    limitedAdmin = await server.keyFor(Role.MSP_ADMIN, [row.id]);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await rm(root, { recursive: true, force: true });
  });

  const create = (settings: Record<string, unknown>) =>
    server.gql(CREATE, { input: { tenantId: contosoId, kind: 'file-import', name: `import ${Object.values(settings)[0]}`, settings } }, limitedAdmin);

  it("refuses another client's export, by absolute path, by .. and through a symlink, as BAD_USER_INPUT on input.settings.path", async () => {
    await symlink(join(root, 'exports'), join(importDir, 'exports-link'));
    const before = await db.dataSource.getRepository(ConnectorInstance).count();
    for (const path of [fabrikamExport, '../../exports/fabrikam/inventory.json', 'exports-link/fabrikam/inventory.json', '/etc/passwd']) {
      const res = await create({ path });
      expect(res.body.data).toBeNull();
      expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.settings.path' });
      expect(res.body.errors![0].message).toContain(`outside the import directory ${importDir}`);
      expect(res.body.errors![0].extensions!.stacktrace).toBeUndefined();
    }
    expect(await db.dataSource.getRepository(ConnectorInstance).count()).toBe(before);
  });

  it('refuses URLs to internal addresses as BAD_USER_INPUT on the setting', async () => {
    for (const [field, settings] of [
      ['url', { url: 'http://169.254.169.254/latest/meta-data/' }],
      ['url', { url: 'http://127.0.0.1:3306/' }],
      ['url', { url: 'http://[::1]:4000/graphql' }],
      ['url', { url: 'http://10.0.0.7/inventory' }],
      ['tokenUrl', { url: 'https://inventory.example.com/v1', tokenUrl: 'http://192.168.1.1/token', clientId: 'c', clientSecret: 's' }],
    ] as const) {
      const res = await create(settings);
      expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: `input.settings.${field}` });
      expect(res.body.errors![0].message).toMatch(/address; an operator can allow internal feeds with PATCHGRAPH_ALLOW_PRIVATE_URLS/);
    }
  });

  it('syncs a file in the import directory, and refuses it at sync time once it is swapped for a symlink out', async () => {
    const created = await create({ path: 'contoso.json' });
    const id = created.body.data!.createConnectorInstance.id;
    const first = (await server.gql(TRIGGER, { id }, limitedAdmin)).body.data!.triggerSync;
    expect(first).toMatchObject({ status: 'SUCCEEDED', counts: { devices: { seen: 2, created: 2 } } });

    await unlink(join(importDir, 'contoso.json'));
    await symlink(fabrikamExport, join(importDir, 'contoso.json'));
    const second = (await server.gql(TRIGGER, { id }, limitedAdmin)).body.data!.triggerSync;
    expect(second).toMatchObject({ status: 'FAILED', errorKind: 'config' });
    expect(second.errorMessage).toContain('outside the import directory');
    const fab = await server.gql('{ assets(filter: { hostnameContains: "FAB-PC" }) { totalCount } }');
    expect(fab.body.data!.assets.totalCount).toBe(0);

    const moved = await server.gql(UPDATE, { id, settings: { path: fabrikamExport } }, limitedAdmin);
    expect(moved.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.settings.path' });
  });
});

describe(`file-import paths without an import directory on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  beforeAll(async () => {
    db = await openTestDatabase();
    // What an operator who sets nothing gets: the suite's helpers allow temp files, so undo that here.
    server = await startTestServer(db, { PATCHGRAPH_IMPORT_DIR: '', PATCHGRAPH_ALLOW_PRIVATE_URLS: '' });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('refuses every path, saying how an operator enables them', async () => {
    const tenantId = (await server.gql('mutation { createTenant(input: { name: "Northwind" }) { id } }')).body.data!.createTenant.id;
    const res = await server.gql(CREATE, { input: { tenantId, kind: 'file-import', name: 'export', settings: { path: join(tmpdir(), 'inventory.json') } } });
    expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.settings.path' });
    expect(res.body.errors![0].message).toContain('file paths are disabled on this server; an operator enables them by setting PATCHGRAPH_IMPORT_DIR');
  });
});
