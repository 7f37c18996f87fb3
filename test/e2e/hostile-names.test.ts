import { hostname } from 'node:os';
import { insertRows } from '../../src/db/insert-rows';
import { ConnectorInstance, SyncLock, SyncRun, Tenant } from '../../src/entities';
import { Role, SyncMode, SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { acquireSyncLock } from '../../src/sync/sync-lock';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory, T0 } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

const CREATE_TENANT = 'mutation($name: String!) { createTenant(input: { name: $name }) { id name } }';
const RENAME_TENANT = 'mutation($id: ID!, $name: String!) { renameTenant(input: { id: $id, name: $name }) { id name } }';
const CREATE_SITE = 'mutation($t: ID!, $name: String!) { createSite(input: { tenantId: $t, name: $name }) { id name } }';
const RENAME_SITE = 'mutation($id: ID!, $name: String!) { renameSite(input: { id: $id, name: $name }) { id name } }';
const CREATE_CONNECTOR = 'mutation($t: ID!, $name: String!) { createConnectorInstance(input: { tenantId: $t, kind: "file-import", name: $name, settings: {} }) { id } }';
const UPDATE_CONNECTOR = 'mutation($id: ID!, $name: String!) { updateConnectorInstance(input: { id: $id, name: $name }) { id name } }';
const TRIGGER = 'mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id }) { id } }';

/** Names no mutation may store: each is invisible, reorders text, is not valid Unicode, or passes for another name. */
const HOSTILE: Array<[string, string, RegExp]> = [
  ['NUL', 'Con\u0000toso', /control character \(U\+0000 at character 4\)/],
  ['C1 control (NEL)', 'Con\u0085toso', /control character \(U\+0085/],
  ['line feed', 'Contoso\nLtd', /control character \(U\+000A/],
  ['unpaired high surrogate', 'Contoso \ud800', /unpaired surrogate \(U\+D800/],
  ['unpaired low surrogate', '\udc00Contoso', /unpaired surrogate \(U\+DC00 at character 1\)/],
  ['right-to-left override', 'invoice\u202Etxt.exe', /format character .*U\+202E/],
  ['left-to-right isolate', 'Contoso \u2066x\u2069', /format character .*U\+2066/],
  ['right-to-left mark', 'Contoso\u200F', /format character .*U\+200F/],
  ['Arabic letter mark', 'Contoso\u061C', /format character .*U\+061C/],
  ['zero-width space', 'Con\u200Btoso', /format character .*U\+200B/],
  ['byte order mark inside', 'Con\uFEFFtoso', /format character .*U\+FEFF/],
  ['Hangul filler (invisible letter)', 'Contoso \u3164', /invisible character \(U\+3164/],
  ['line separator', 'Contoso\u2028Ltd', /line or paragraph separator/],
  ['private use', 'Contoso \uE000', /private-use character/],
  ['Latin with a Cyrillic о', 'C\u043Entoso', /must not mix letters of look-alike scripts: Latin \(U\+0043\) and Cyrillic \(U\+043E\)/],
  ['Latin with a Greek ο', 'C\u03BFntoso', /Latin \(U\+0043\) and Greek \(U\+03BF\)/],
  ['only white space', ' \u00A0 ', /must not be empty/],
  ['201 characters', 'x'.repeat(201), /at most 200 characters, got 201/],
];

describe(`hostile and look-alike names on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let f: Factory;

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
    f = new Factory(db.dataSource);
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  const code = (res: { body: { errors?: Array<{ extensions?: Record<string, any> }> } }) => res.body.errors?.[0]?.extensions?.code ?? 'ok';

  it.each(HOSTILE)('refuses a name with %s in every name-taking mutation, with BAD_USER_INPUT on input.name, storing nothing', async (_what, name, reason) => {
    const tenant = await f.tenant();
    const site = await f.site(tenant);
    const connector = await f.connector(tenant, 'file-import');
    const [t, s, c] = [toGlobalId('Tenant', tenant.id), toGlobalId('Site', site.id), toGlobalId('ConnectorInstance', connector.id)];
    const counts = async () => [await db.dataSource.getRepository(Tenant).count(), await db.dataSource.query('SELECT name FROM site ORDER BY id'), await db.dataSource.query('SELECT name FROM connector_instance ORDER BY id'), await db.dataSource.query('SELECT name FROM tenant ORDER BY id')];
    const before = await counts();
    for (const [query, vars] of [
      [CREATE_TENANT, { name }], [RENAME_TENANT, { id: t, name }], [CREATE_SITE, { t, name }], [RENAME_SITE, { id: s, name }],
      [CREATE_CONNECTOR, { t, name }], [UPDATE_CONNECTOR, { id: c, name }],
    ] as const) {
      const res = await server.gql(query, vars);
      expect({ query, status: res.status, error: res.body.errors?.[0]?.extensions }).toEqual({ query, status: 200, error: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.name' }) });
      expect(res.body.errors![0].message).toMatch(/^input\.name: /);
      expect(res.body.errors![0].message).toMatch(reason);
      expect(JSON.stringify(res.body)).not.toMatch(/stacktrace|\s{4}at |\.ts:\d+/);
    }
    expect(await counts()).toEqual(before);
  });

  it('stores names trimmed and NFC-normalised, so the same text typed two ways is one name', async () => {
    const decomposed = '  Cafe\u0301 Noir \t'.replace('\t', ' ');
    const res = await server.gql(CREATE_TENANT, { name: decomposed });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.createTenant.name).toBe('Caf\u00E9 Noir');
    const [row] = await db.dataSource.query('SELECT name FROM tenant WHERE name LIKE ?', ['Caf%Noir']);
    expect(row.name).toBe('Caf\u00E9 Noir');
    expect(code(await server.gql(CREATE_TENANT, { name: 'Caf\u00E9 Noir' }))).toBe('CONFLICT');

    const connector = await f.connector(await f.tenant(), 'file-import');
    const renamed = await server.gql(UPDATE_CONNECTOR, { id: toGlobalId('ConnectorInstance', connector.id), name: '  CMDB fe\u0301ed ' });
    expect(renamed.body.data?.updateConnectorInstance.name).toBe('CMDB f\u00E9ed');
  });

  it('treats case, compatibility-form, accent and white-space twins of a tenant name as taken, the same on both engines', async () => {
    // Each step's answer is written out once: SQLite and MariaDB must both give exactly these.
    const steps: Array<[string, string]> = [
      ['Northwind', 'ok'],
      ['northwind', 'CONFLICT'],
      ['NORTHWIND', 'CONFLICT'],
      ['\uFF2E\uFF4F\uFF52\uFF54\uFF48\uFF57\uFF49\uFF4E\uFF44', 'CONFLICT'], // fullwidth "Ｎｏｒｔｈｗｉｎｄ"
      ['  Northwind ', 'CONFLICT'],
      ['M\u00FCller Bau', 'ok'],
      ['Muller Bau', 'CONFLICT'],
      ['Mu\u0308ller bau', 'CONFLICT'],
      ['Stra\u00DFe AG', 'ok'],
      ['STRASSE AG', 'CONFLICT'],
      ['Wide\u00A0World', 'ok'],
      ['Wide  World', 'CONFLICT'],
      ['\uFB01ne Art', 'ok'], // "ﬁ" ligature
      ['Fine Art', 'CONFLICT'],
      ['\u0420\u043E\u043C\u0430\u0448\u043A\u0430', 'ok'], // all-Cyrillic "Ромашка" is one script, so allowed
      ['\u0420\u041E\u041C\u0410\u0428\u041A\u0410', 'CONFLICT'],
      ['Northwind Traders', 'ok'],
    ];
    const answers: Array<[string, string]> = [];
    for (const [name] of steps) answers.push([name, code(await server.gql(CREATE_TENANT, { name }))]);
    expect(answers).toEqual(steps);

    const dup = await server.gql(CREATE_TENANT, { name: 'NORTHWIND' });
    expect(dup.body.errors![0]).toMatchObject({ message: 'input.name: A tenant named "Northwind" already exists', extensions: { code: 'CONFLICT', field: 'input.name' } });

    const ids = Object.fromEntries((await db.dataSource.getRepository(Tenant).find()).map((t) => [t.name, toGlobalId('Tenant', t.id)]));
    // Renaming to a twin of one's own name is a change of spelling, not a duplicate.
    expect((await server.gql(RENAME_TENANT, { id: ids['Stra\u00DFe AG'], name: 'STRASSE AG' })).body.data?.renameTenant.name).toBe('STRASSE AG');
    const taken = await server.gql(RENAME_TENANT, { id: ids['Northwind Traders'], name: '\uFF4E\uFF4F\uFF52\uFF54\uFF48\uFF57\uFF49\uFF4E\uFF44' });
    expect(taken.body.errors![0]).toMatchObject({ message: 'input.name: A tenant named "Northwind" already exists', extensions: { code: 'CONFLICT' } });
  });

  it('lets exactly one of concurrent creates of twin names win', async () => {
    // MariaDB's own index tells "Race  Day" (two spaces) from "Race Day", so only the locked check in code stops both.
    const names = ['Race Day', 'Race  Day', 'RACE DAY', 'race\u00A0day', 'Race Day', 'Race  Day', 'RACE  DAY', 'race day'];
    const answers = await Promise.all(names.map((name) => server.gql(CREATE_TENANT, { name })));
    expect(answers.map(code).sort()).toEqual([...Array(7).fill('CONFLICT'), 'ok']);
    const stored = (await db.dataSource.getRepository(Tenant).find()).filter((t) => /^race/i.test(t.name));
    expect(stored).toHaveLength(1);
  });

  it('treats twins of a site name as taken within its tenant only', async () => {
    const a = toGlobalId('Tenant', (await f.tenant()).id);
    const b = toGlobalId('Tenant', (await f.tenant()).id);
    const first = await server.gql(CREATE_SITE, { t: a, name: 'Main Office' });
    expect(first.body.errors).toBeUndefined();
    expect(code(await server.gql(CREATE_SITE, { t: a, name: 'MAIN OFFICE' }))).toBe('CONFLICT');
    expect(code(await server.gql(CREATE_SITE, { t: b, name: 'main office' }))).toBe('ok');
    const other = (await server.gql(CREATE_SITE, { t: a, name: 'Annex' })).body.data!.createSite.id;
    const rename = await server.gql(RENAME_SITE, { id: other, name: '\uFF2D\uFF41\uFF49\uFF4E Office' });
    expect(rename.body.errors![0]).toMatchObject({ message: 'input.name: The tenant already has a site named "Main Office"', extensions: { code: 'CONFLICT', field: 'input.name' } });
    expect((await server.gql(RENAME_SITE, { id: first.body.data!.createSite.id, name: 'main office' })).body.data?.renameSite.name).toBe('main office');
  });

  it('does not tell a tenant-limited admin whether another client has a name: renaming tenants needs all tenants', async () => {
    const hidden = await f.tenant('Globex Hidden');
    const own = await f.tenant('Acme Visible');
    const limitedAdmin = await server.keyFor(Role.MSP_ADMIN, [own.id]);
    const toTaken = await server.gql(RENAME_TENANT, { id: toGlobalId('Tenant', own.id), name: 'globex hidden' }, limitedAdmin);
    const toFree = await server.gql(RENAME_TENANT, { id: toGlobalId('Tenant', own.id), name: 'Nobody Has This Name' }, limitedAdmin);
    expect(toTaken.body.errors![0].extensions!.code).toBe('FORBIDDEN');
    // The taken name and a free one get the very same answer, so the answer carries no information about other tenants.
    expect(toTaken.body).toEqual(toFree.body);
    expect(JSON.stringify(toTaken.body)).not.toContain('Globex');
    expect((await db.dataSource.getRepository(Tenant).findOneByOrFail({ id: own.id })).name).toBe('Acme Visible');
    // An admin who sees every tenant is told about the clash, naming the existing tenant.
    const full = await server.gql(RENAME_TENANT, { id: toGlobalId('Tenant', own.id), name: 'globex hidden' });
    expect(full.body.errors![0]).toMatchObject({ message: 'input.name: A tenant named "Globex Hidden" already exists', extensions: { code: 'CONFLICT' } });
    expect(hidden.id).toBeTruthy();
  });

  it("answers a busy triggerSync with CONFLICT but keeps the lease holder's host:pid in the log", async () => {
    const connector = await f.connector(await f.tenant(), 'file-import');
    const lease = await acquireSyncLock(db.dataSource, connector.id, server.clock, 60_000);
    try {
      const holder = (await db.dataSource.getRepository(SyncLock).findOneByOrFail({ connectorInstanceId: connector.id })).holder;
      expect(holder).toContain(String(process.pid));
      const res = await server.gql(TRIGGER, { id: toGlobalId('ConnectorInstance', connector.id) });
      expect(res.body.errors![0]).toMatchObject({
        message: 'input.connectorInstanceId: a sync of this connector instance is already running; try again when it has finished',
        extensions: { code: 'CONFLICT', field: 'input.connectorInstanceId' },
      });
      const body = JSON.stringify(res.body);
      expect(body).not.toContain(hostname());
      expect(body).not.toContain(String(process.pid));
      expect(server.logs.some((l) => l.holder === holder && l.connectorInstanceId === connector.id)).toBe(true);
    } finally {
      await lease.release();
    }
  });

  it('shows who triggered a run and its full error text to MSP staff only', async () => {
    const tenant = await f.tenant();
    const connector: ConnectorInstance = await f.connector(tenant, 'file-import');
    const run = Object.assign(new SyncRun(), {
      id: newId(), connectorInstanceId: connector.id, tenantId: tenant.id, status: SyncRunStatus.FAILED, mode: SyncMode.FULL,
      trigger: SyncTrigger.API, triggeredBy: 'api-key:ops-automation (pgk_Zx81Qa…)', startedAt: T0, finishedAt: T0,
      counts: '{}', errorKind: 'config', errorMessage: "cannot read /srv/patchgraph/imports/cmdb.json: ENOENT: no such file or directory",
    });
    await insertRows(db.dataSource.manager, SyncRun, [run]);
    const query = `query($id: ID!) { syncRuns { nodes { triggeredBy errorKind errorMessage } }
      node(id: $id) { ... on ConnectorInstance { lastSyncRun { triggeredBy errorMessage } } } }`;
    const seenBy = async (key: string) => (await server.gql(query, { id: toGlobalId('ConnectorInstance', connector.id) }, key)).body;

    for (const role of [Role.CLIENT_ADMIN, Role.AUDITOR]) {
      const body = await seenBy(await server.keyFor(role, [tenant.id]));
      expect(body.errors).toBeUndefined();
      // The auditor reads who started a run, as in the audit trail; the failure text stays the MSP's.
      const by = role === Role.AUDITOR ? run.triggeredBy : null;
      const shown = { triggeredBy: by, errorKind: 'config', errorMessage: 'the sync failed (config); your MSP can see the details' };
      expect(body.data!.syncRuns.nodes).toEqual([shown]);
      expect(body.data!.node.lastSyncRun).toEqual({ triggeredBy: by, errorMessage: shown.errorMessage });
      expect(JSON.stringify(body)).not.toMatch(role === Role.AUDITOR ? /\/srv\// : /pgk_|\/srv\//);
    }
    for (const key of [server.adminKey, await server.keyFor(Role.TECHNICIAN, [tenant.id])]) {
      const body = await seenBy(key);
      expect(body.data!.node.lastSyncRun).toEqual({ triggeredBy: run.triggeredBy, errorMessage: run.errorMessage });
    }
  });
});
