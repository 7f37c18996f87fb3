/**
 * The generic push route, POST /ingest/:instanceId, for any connector kind whose definition has an ingest hook: a
 * connector of the test's own (not WSUS) registered the way a new connector is, WSUS through the generic route, and
 * the WSUS collector's own URL (POST /ingest/wsus/:instanceId), which must keep answering as it always has.
 */
import { gzipSync } from 'node:zlib';
import { IsString } from 'class-validator';
import { CONNECTORS } from '../../connectors/registry';
import { Setting } from '../../connectors/sdk/config';
import type { ConnectorDefinition, DeviceRecord } from '../../connectors/sdk/contract';
import { UploadRejectedError } from '../../connectors/sdk/errors';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { SyncRun } from '../../src/entities';
import { decodeGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';
import { tableDigests } from '../helpers/table-digest';

const NOW = new Date('2026-11-02T10:00:00.000Z');
const WSUS_KEY = 'wsus-ingest-key-for-the-route-test-0123456789';
const PUSH_KEY = 'push-inventory-key-for-the-route-test-0123456789';
const TABLES = ['source_device', 'asset', 'patch_state', 'patch_event', 'software_update', 'connector_instance', 'sync_run'];

class PushInventoryConfig {
  @Setting({ description: 'The key the agent sends.', secret: true })
  @IsString()
  ingestKey!: string;
}

interface Inventory {
  takenAt: string;
  host: string;
  machines: Array<{ id: string; name: string }>;
}

/** A push source written from the guide: an agent uploads its machine list; the connector yields it. */
const pushInventory: ConnectorDefinition<PushInventoryConfig> = {
  kind: 'test-push-inventory',
  displayName: 'Pushed inventory (test)',
  description: 'An agent uploads its machine list.',
  configClass: PushInventoryConfig,
  pushOnly: () => true,
  ingest: {
    contentTypes: ['application/json'],
    sender: 'inventory agent',
    instanceNoun: 'inventory',
    host: 'agent host',
    ingestKey: (settings) => settings.ingestKey,
    accept(upload) {
      const u = upload as Inventory;
      if (!u || typeof u.takenAt !== 'string' || typeof u.host !== 'string' || !Array.isArray(u.machines)) throw new UploadRejectedError('NOT_AN_INVENTORY', 'the upload has no takenAt, host and machines');
      return { payload: u, generatedAt: new Date(u.takenAt), sentFrom: u.host };
    },
  },
  create: (_config, context) => {
    const inventory = context.payload as Inventory;
    return {
      testConnection: async () => ({ message: 'receives uploads' }),
      async *devices(request) {
        for (const m of inventory.machines) yield { externalId: m.id, hostname: m.name } satisfies DeviceRecord;
        request.setCursor(new Date(inventory.takenAt).toISOString());
      },
      async *updates() {},
      async *patchStates() {},
    };
  },
};

describe(`POST /ingest/:instanceId on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let tenantId: string;
  const ids: Record<string, string> = {};

  const data = async (query: string, variables?: Record<string, unknown>) => {
    const res = await server.gql(query, variables);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };
  /** Every row a snapshot can write, hashed per table: "unchanged" means this is equal. */
  const graphDigest = () => tableDigests(db.dataSource, TABLES);
  const post = (path: string, body: Buffer | string, key: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${server.app.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body })
      .then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
  const inventory = (takenAt: string, machines: Inventory['machines']) => JSON.stringify({ takenAt, host: 'agent01.contoso.example', machines });
  const create = async (kind: string, settings: Record<string, unknown>) =>
    (await data(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`, {
      input: { tenantId, kind, name: kind, settings },
    })).createConnectorInstance.id as string;

  beforeAll(async () => {
    // The one line a new connector adds outside its folder.
    (CONNECTORS as Array<ConnectorDefinition<any>>).push(pushInventory);
    db = await openTestDatabase();
    server = await startTestServer(db, { PATCHGRAPH_INGEST_MAX_UPLOAD_MB: '1' });
    tenantId = (await data(`mutation { createTenant(input: { name: "Contoso" }) { id } }`)).createTenant.id;
    ids.push = await create('test-push-inventory', { ingestKey: PUSH_KEY });
    ids.wsus = await create('wsus', { ingestKey: WSUS_KEY });
    ids.intune = await create('intune', { tenantId: 'contoso.onmicrosoft.com', clientId: '11111111-2222-3333-4444-555555555555', clientSecret: 'not-used-by-this-test' });
  });
  afterAll(async () => {
    (CONNECTORS as Array<ConnectorDefinition<any>>).splice(CONNECTORS.indexOf(pushInventory), 1);
    await server.stop();
    await db.drop();
  });

  it("runs a new kind's upload through its hook and the engine: its devices arrive, the run names the sender", async () => {
    const res = await post(`/ingest/${ids.push}`, inventory('2026-11-02T09:00:00Z', [{ id: 'm-1', name: 'CON-PC-001' }, { id: 'm-2', name: 'CON-PC-002' }]), PUSH_KEY);
    expect(res.status).toBe(200);
    expect(res.body.syncRun).toMatchObject({ status: 'SUCCEEDED', mode: 'FULL', counts: { devices: { created: 2 } } });
    const assets = (await data(`query($t: ID!) { assets(first: 10, filter: { tenantIds: [$t] }) { nodes { hostname } } }`, { t: tenantId })).assets.nodes;
    expect(assets.map((a: any) => a.hostname).sort()).toEqual(['CON-PC-001', 'CON-PC-002']);
    const runs = await db.dataSource.getRepository(SyncRun).findBy({ connectorInstanceId: decodeGlobalId(ids.push, 'id').key });
    expect(runs.map((r) => [r.trigger, r.triggeredBy])).toEqual([['PUSH', 'inventory agent on agent01.contoso.example']]);
  });

  it("answers the hook's refusal as 422 with its code, writing nothing", async () => {
    const before = await graphDigest();
    const res = await post(`/ingest/${ids.push}`, JSON.stringify({ machines: [] }), PUSH_KEY);
    expect(res).toEqual({ status: 422, body: { error: { code: 'NOT_AN_INVENTORY', message: 'the upload has no takenAt, host and machines' } } });
    expect(await graphDigest()).toEqual(before);
  });

  it('applies the route\'s limits and checks to every kind: media type, watermark, clock skew, size, key', async () => {
    const before = await graphDigest();
    const body = inventory('2026-11-02T09:30:00Z', [{ id: 'm-1', name: 'CON-PC-001' }]);
    const textPlain = await post(`/ingest/${ids.push}`, body, PUSH_KEY, { 'content-type': 'text/plain' });
    expect(textPlain.status).toBe(415);
    expect(textPlain.body.error).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type text/plain is not accepted here; send application/json' });
    const older = await post(`/ingest/${ids.push}`, inventory('2026-11-02T08:00:00Z', []), PUSH_KEY);
    expect([older.status, older.body.error.code]).toEqual([409, 'STALE_SNAPSHOT']);
    const future = await post(`/ingest/${ids.push}`, inventory('2026-11-03T10:00:00Z', []), PUSH_KEY);
    expect([future.status, future.body.error.code]).toEqual([422, 'SNAPSHOT_FROM_THE_FUTURE']);
    expect(future.body.error.message).toMatch(/check the agent host's clock$/);
    const deep = await post(`/ingest/${ids.push}`, gzipSync('['.repeat(5_000) + ']'.repeat(5_000)), PUSH_KEY, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect([deep.status, deep.body.error.code]).toEqual([422, 'JSON_TOO_DEEP']);
    const tooLarge = await post(`/ingest/${ids.push}`, Buffer.alloc(2 * 1_048_576, 0x20), PUSH_KEY);
    expect([tooLarge.status, tooLarge.body.error.code]).toEqual([413, 'UPLOAD_TOO_LARGE']);
    const wrongKey = await post(`/ingest/${ids.push}`, body, WSUS_KEY);
    expect(wrongKey).toEqual({ status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'the ingest key is missing or wrong for this instance' } } });
    expect(await graphDigest()).toEqual(before);
  });

  it('refuses a kind without an ingest hook by name (404); the WSUS URL answers it as a wrong key, as before', async () => {
    const generic = await post(`/ingest/${ids.intune}`, '{}', PUSH_KEY);
    expect(generic).toEqual({
      status: 404,
      body: { error: { code: 'INGEST_NOT_SUPPORTED', message: 'connector kind "intune" does not accept pushed snapshots; its instances sync by reading their source' } },
    });
    expect((await post(`/ingest/wsus/${ids.intune}`, '{}', PUSH_KEY)).status).toBe(401);
    // Another push kind is not WSUS either: the collector's URL takes WSUS instances only.
    expect((await post(`/ingest/wsus/${ids.push}`, inventory('2026-11-02T09:45:00Z', []), PUSH_KEY)).body.error.code).toBe('UNAUTHENTICATED');
    expect((await post('/ingest/00000000-0000-4000-8000-000000000000', '{}', PUSH_KEY)).body.error.code).toBe('UNAUTHENTICATED');
  });

  it('takes a WSUS snapshot at the generic route, and the collector URL answers the same upload the same way', async () => {
    const snapshot = gzipSync(JSON.stringify(new WsusSimulator({ computers: 3, updates: 5, seed: 9, now: NOW }).snapshot()));
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    const first = await post(`/ingest/${ids.wsus}`, snapshot, WSUS_KEY, headers);
    expect(first.status).toBe(200);
    expect(first.body.syncRun).toMatchObject({ status: 'SUCCEEDED', counts: { devices: { created: 3 } } });
    const again = await post(`/ingest/wsus/${ids.wsus}`, snapshot, WSUS_KEY, headers);
    expect(again.status).toBe(200);
    expect(again.body.syncRun).toMatchObject({ status: 'SUCCEEDED', counts: { devices: { created: 0, changed: 0 } } });
    expect(Object.keys(again.body.syncRun).sort()).toEqual(Object.keys(first.body.syncRun).sort());
    // The collector URL never checked Content-Type, and does not start now; the generic route does.
    const asText = await post(`/ingest/wsus/${ids.wsus}`, snapshot, WSUS_KEY, { ...headers, 'content-type': 'text/plain' });
    expect(asText.status).toBe(200);
    expect((await post(`/ingest/${ids.wsus}`, snapshot, WSUS_KEY, { ...headers, 'content-type': 'text/plain' })).status).toBe(415);
  });
});
