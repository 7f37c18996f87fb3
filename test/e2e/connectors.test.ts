import { startFileImportSimulator, FileImportSimulator } from '../../connectors/file-import/simulator';
import { AuditEvent, ConnectorInstance, SyncRun } from '../../src/entities';
import { Role } from '../../src/entities/enums';
import { acquireSyncLock } from '../../src/sync/sync-lock';
import { keyOf } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { InventoryFile } from '../helpers/inventory';
import { startTestServer, TestServer } from '../helpers/server';

const CREATE = `mutation($input: CreateConnectorInstanceInput!) {
  createConnectorInstance(input: $input) { id kind name settings secretsSet syncIntervalSeconds enabled tenant { name } lastSyncRun { id } } }`;
const TRIGGER = `mutation($id: ID!, $wait: Boolean) { triggerSync(input: { connectorInstanceId: $id, wait: $wait }) {
  id status mode trigger triggeredBy errorKind errorMessage startedAt finishedAt connector { name }
  counts { devices { seen created changed stale } updates { seen created } patchStates { seen created changed } assets { created changed } events } } }`;

describe(`connector instances, sync runs and identity over GraphQL on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let sim: FileImportSimulator;
  let tenantId: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
    sim = await startFileImportSimulator({ pageSize: 7, devices: 12 });
    tenantId = (await server.gql('mutation { createTenant(input: { name: "Contoso" }) { id } }')).body.data!.createTenant.id;
  });
  afterAll(async () => {
    await sim.close();
    await server.stop();
    await db.drop();
  });

  it('lists the installed connector kinds and their settings, secrets marked', async () => {
    const res = await server.gql('{ connectorKinds { kind displayName settings { name type secret optional description } } }');
    const fileImport = res.body.data!.connectorKinds.find((k: any) => k.kind === 'file-import');
    expect(fileImport.displayName).toBe('Inventory import (CSV/JSON)');
    expect(fileImport.settings.find((s: any) => s.name === 'clientSecret')).toMatchObject({ type: 'string', secret: true });
    expect(fileImport.settings.find((s: any) => s.name === 'url')).toMatchObject({ secret: false });
  });

  it('creates an instance with write-only secrets: never returned, never logged, never audited, encrypted at rest', async () => {
    const settings = sim.validConfig();
    const secret = String(settings.clientSecret);
    const res = await server.gql(CREATE, { input: { tenantId, kind: 'file-import', name: 'CMDB feed', settings, syncIntervalSeconds: 3600 } });
    expect(res.body.errors).toBeUndefined();
    const created = res.body.data!.createConnectorInstance;
    expect(created).toMatchObject({ kind: 'file-import', name: 'CMDB feed', secretsSet: ['clientSecret'], syncIntervalSeconds: 3600, enabled: true, tenant: { name: 'Contoso' }, lastSyncRun: null });
    expect(created.settings).toEqual({ url: settings.url, tokenUrl: settings.tokenUrl, clientId: settings.clientId, pageSize: 7 });

    const sync = await server.gql(TRIGGER, { id: created.id, wait: true });
    expect(sync.body.data!.triggerSync).toMatchObject({ status: 'SUCCEEDED', mode: 'FULL', trigger: 'API', triggeredBy: expect.stringContaining('test-admin'), connector: { name: 'CMDB feed' } });
    expect(sync.body.data!.triggerSync.counts.devices).toEqual({ seen: 12, created: 12, changed: 0, stale: 0 });

    const rows = await db.dataSource.getRepository(ConnectorInstance).find();
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows[0].secretsCiphertext).toMatch(/^v1:/);
    expect(JSON.stringify(await db.dataSource.getRepository(AuditEvent).find())).not.toContain(secret);
    expect(JSON.stringify(server.logs)).not.toContain(secret);
  });

  it('answers bad settings with BAD_USER_INPUT naming the setting, and writes nothing', async () => {
    const before = await db.dataSource.getRepository(ConnectorInstance).count();
    const bad = await server.gql(CREATE, { input: { tenantId, kind: 'file-import', name: 'broken', settings: { url: 'not a url' } } });
    expect(bad.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.settings.url' });
    const unknown = await server.gql(CREATE, { input: { tenantId, kind: 'teams-rmm', name: 'x', settings: {} } });
    expect(unknown.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.kind' });
    expect(await db.dataSource.getRepository(ConnectorInstance).count()).toBe(before);
  });

  it('replaces a secret without revealing it, reports a failed sync with its reason, and refuses a second concurrent sync', async () => {
    const list = await server.gql('{ connectorInstances(filter: { kinds: ["file-import"] }) { totalCount nodes { id name } } }');
    const id = list.body.data!.connectorInstances.nodes[0].id;
    const update = await server.gql('mutation($id: ID!) { updateConnectorInstance(input: { id: $id, settings: { clientSecret: "wrong-secret-value" } }) { secretsSet settings } }', { id });
    expect(update.body.data!.updateConnectorInstance.secretsSet).toEqual(['clientSecret']);
    expect(JSON.stringify(update.body)).not.toContain('wrong-secret-value');

    const tested = await server.gql('mutation($id: ID!) { testConnectorInstance(id: $id) { ok errorKind message } }', { id });
    expect(tested.body.data!.testConnectorInstance).toMatchObject({ ok: false, errorKind: 'auth' });
    (server.clock as any).advance(60_000);
    const failed = await server.gql(TRIGGER, { id, wait: true });
    expect(failed.body.data!.triggerSync).toMatchObject({ status: 'FAILED', errorKind: 'auth' });
    expect(failed.body.data!.triggerSync.errorMessage).not.toContain('wrong-secret-value');

    const runs = await server.gql('query($id: [ID!]) { syncRuns(filter: { connectorInstanceIds: $id }) { totalCount nodes { status errorKind } } }', { id: [id] });
    expect(runs.body.data!.syncRuns).toEqual({ totalCount: 2, nodes: [{ status: 'FAILED', errorKind: 'auth' }, { status: 'SUCCEEDED', errorKind: null }] });

    const key = Buffer.from(id, 'base64url').toString().split(':')[1];
    const lease = await acquireSyncLock(db.dataSource, key, server.clock, 60_000);
    const busy = await server.gql(TRIGGER, { id });
    expect(busy.body.errors![0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.connectorInstanceId' });
    await lease.release();
  });

  it('lets a technician operate only its own tenants and a client admin create no instance; a client admin of another tenant sees nothing', async () => {
    const tech = await server.keyFor(Role.TECHNICIAN, []);
    const elsewhere = await server.gql(CREATE, { input: { tenantId, kind: 'file-import', name: 'x', settings: { path: '/tmp/x.json' } } }, tech);
    expect(elsewhere.body.errors![0].extensions!.code).toBe('NOT_FOUND');
    const client = await server.keyFor(Role.CLIENT_ADMIN, [keyOf('Tenant', tenantId, 'tenantId')]);
    const denied = await server.gql(CREATE, { input: { tenantId, kind: 'file-import', name: 'x', settings: { path: '/tmp/x.json' } } }, client);
    expect(denied.body.errors![0].extensions!.code).toBe('FORBIDDEN');
    const outsider = await server.keyFor(Role.CLIENT_ADMIN, []);
    const seen = await server.gql('{ connectorInstances { totalCount } syncRuns { totalCount } }', undefined, outsider);
    expect(seen.body.data).toEqual({ connectorInstances: { totalCount: 0 }, syncRuns: { totalCount: 0 } });
  });

  it("answers a technician's test or sync of another tenant's instance NOT_FOUND, as for an id that does not exist, and runs nothing", async () => {
    const [instance] = (await server.gql('{ connectorInstances { nodes { id } } }')).body.data!.connectorInstances.nodes;
    const runsBefore = await db.dataSource.getRepository(SyncRun).count();
    const tech = await server.keyFor(Role.TECHNICIAN, []);
    const test = await server.gql('mutation($id: ID!) { testConnectorInstance(id: $id) { ok } }', { id: instance.id }, tech);
    expect(test.body.errors![0].extensions!.code).toBe('NOT_FOUND');
    const sync = await server.gql(TRIGGER, { id: instance.id, wait: true }, tech);
    expect(sync.body.errors![0].extensions!.code).toBe('NOT_FOUND');
    expect(await db.dataSource.getRepository(SyncRun).count()).toBe(runsBefore);
  });

  it('shows merged assets with every source and how it matched, and merges and splits by hand', async () => {
    const rmm = new InventoryFile('rmm.json').write([
      { externalId: 'r-77', hostname: 'FIN-LT-07', serialNumber: 'PF3ABC12', lastCheckInAt: '2026-11-02T07:00:00Z' },
      { externalId: 'r-78', hostname: 'KIOSK', serialNumber: 'System Serial Number', lastCheckInAt: '2026-11-02T07:00:00Z' },
    ]);
    const mdm = new InventoryFile('mdm.json').write([
      { externalId: 'm-1', hostname: 'FIN-LT-07', serialNumber: 'pf3abc12', azureAdDeviceId: '0b7e6f1c-9a52-4c1e-9f0a-2d3b4c5d6e7f', lastCheckInAt: '2026-11-02T09:00:00Z' },
      { externalId: 'm-2', hostname: 'LOBBY-SCREEN', serialNumber: 'System Serial Number' },
    ]);
    for (const [name, file] of [['RMM', rmm], ['MDM', mdm]] as const) {
      const c = await server.gql(CREATE, { input: { tenantId, kind: 'file-import', name, settings: { path: file.path } } });
      expect((await server.gql(TRIGGER, { id: c.body.data!.createConnectorInstance.id, wait: true })).body.data!.triggerSync.status).toBe('SUCCEEDED');
    }
    const q = `query($h: String) { assets(filter: { hostnameContains: $h }) { nodes { id hostname serialNumber
      sources { id externalId connector { name } matchedBy { rule values { name value } } manuallyLinked } } } }`;
    const fin = (await server.gql(q, { h: 'FIN-LT' })).body.data!.assets.nodes;
    expect(fin).toHaveLength(1);
    expect(fin[0].sources.map((s: any) => [s.connector.name, s.matchedBy.rule, s.matchedBy.values]).sort()).toEqual([
      ['MDM', 'SERIAL_NUMBER', [{ name: 'serialNumber', value: 'PF3ABC12' }]],
      ['RMM', 'NEW', []],
    ]);

    const kiosk = (await server.gql(q, { h: 'KIOSK' })).body.data!.assets.nodes[0];
    const lobby = (await server.gql(q, { h: 'LOBBY' })).body.data!.assets.nodes[0];
    const merged = await server.gql('mutation($t: ID!, $a: [ID!]!) { mergeAssets(input: { targetAssetId: $t, assetIds: $a }) { id sources { externalId manuallyLinked matchedBy { rule } } } }', { t: kiosk.id, a: [lobby.id] });
    expect(merged.body.data!.mergeAssets.sources.map((s: any) => [s.externalId, s.manuallyLinked, s.matchedBy.rule]).sort()).toEqual([['m-2', true, 'MANUAL'], ['r-78', true, 'MANUAL']]);
    expect((await server.gql('query($id: ID!) { node(id: $id) { id } }', { id: lobby.id })).body.errors![0].extensions!.code).toBe('NOT_FOUND');

    const mdmSource = merged.body.data!.mergeAssets.sources.find((s: any) => s.externalId === 'm-2');
    const sourceId = (await server.gql(q, { h: 'KIOSK' })).body.data!.assets.nodes[0].sources.find((s: any) => s.externalId === 'm-2').id;
    expect(mdmSource).toBeDefined();
    const split = await server.gql('mutation($a: ID!, $s: [ID!]!) { splitAsset(input: { assetId: $a, sourceDeviceIds: $s }) { hostname sources { externalId } } }', { a: kiosk.id, s: [sourceId] });
    expect(split.body.data!.splitAsset).toEqual({ hostname: 'LOBBY-SCREEN', sources: [{ externalId: 'm-2' }] });
    const empty = await server.gql('mutation($a: ID!, $s: [ID!]!) { splitAsset(input: { assetId: $a, sourceDeviceIds: $s }) { id } }', { a: kiosk.id, s: [] });
    expect(empty.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.sourceDeviceIds' });
  });
});
