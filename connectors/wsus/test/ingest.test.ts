/**
 * The WSUS push path end to end: the collector (the simulator's upload, gzip over HTTP) → POST /ingest/wsus/:id →
 * checks → the sync engine → the database → GraphQL. Every refused upload leaves the graph byte-for-byte as it was.
 */
import { gzipSync } from 'node:zlib';
import { buildManagedDevice, startIntuneSimulator } from '../../intune/simulator';
import { WsusSimulator } from '../simulator';
import { ENGINE, openTestDatabase, TestDatabase } from '../../../test/helpers/database';
import { startTestServer, TestServer } from '../../../test/helpers/server';
import { tableDigests } from '../../../test/helpers/table-digest';

const NOW = new Date('2026-11-02T10:00:00.000Z');
const KEY = 'wsus-ingest-key-for-tests-0123456789abcdef';
const TABLES = ['source_device', 'asset', 'patch_state', 'patch_event', 'update_approval', 'vulnerability', 'software_update', 'connector_instance'];

describe(`WSUS ingest on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let instanceId: string;
  let tenantId: string;
  let url: string;
  let wsus: WsusSimulator;

  const data = async (query: string, variables?: Record<string, unknown>) => {
    const res = await server.gql(query, variables);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };
  /** Every row a snapshot can write, hashed per table: "unchanged" means this is equal. */
  const graphDigest = () => tableDigests(db.dataSource, TABLES);
  const post = (body: Buffer, key = KEY, headers: Record<string, string> = {}, to = url) =>
    fetch(to, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${key}`, ...headers }, body })
      .then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
    tenantId = (await data(`mutation { createTenant(input: { name: "Contoso" }) { id } }`)).createTenant.id;
    instanceId = (await data(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id secretsSet } }`, {
      input: { tenantId, kind: 'wsus', name: 'WSUS wsus01', settings: { ingestKey: KEY } },
    })).createConnectorInstance.id;
    url = `${server.app.url}/ingest/wsus/${instanceId}`;
    wsus = new WsusSimulator({ computers: 30, updates: 60, seed: 4, now: NOW });
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('ingests a collector upload: every computer with its reported per-KB states, CVEs from Microsoft data, approvals as evidence', async () => {
    const res = await wsus.upload(url, KEY);
    expect(res.status).toBe(200);
    const run = (res.body as any).syncRun;
    expect(run).toMatchObject({ status: 'SUCCEEDED', mode: 'FULL', counts: { devices: { created: 30 } } });
    expect(run.counts.patchStates.created).toBeGreaterThan(200);

    const assets = (await data(`query($t: ID!) { assets(first: 100, filter: { tenantIds: [$t] }) { totalCount nodes { fqdn sources { connector { kind } } } } }`, { t: tenantId })).assets;
    expect(assets.totalCount).toBe(30);
    const snapshot = wsus.snapshot();
    expect(assets.nodes.map((a: any) => a.fqdn).sort()).toEqual(snapshot.rows.computerTargets.map((c) => c.Name.toLowerCase()).sort());

    // One computer's states, against the snapshot it was given (declined updates and state 1 excluded).
    const computer = snapshot.rows.computerTargets[0];
    const declined = new Set(snapshot.rows.updates.filter((u) => u.IsDeclined === true || u.IsDeclined === 1).map((u) => u.UpdateId.toLowerCase()));
    const missing = snapshot.rows.installations.filter(([c, u, s]) => c === computer.ComputerTargetId && !declined.has(u.toLowerCase()) && [2, 3, 5, 6].includes(s));
    const asset = (await data(`query($t: ID!, $h: String!) { assets(filter: { tenantIds: [$t], hostnameContains: $h }) { nodes {
      missingUpdateCount patchStates(states: [MISSING, FAILED, PENDING_REBOOT]) { evidence update { kb } } } } }`, { t: tenantId, h: computer.Name.split('.')[0] })).assets.nodes[0];
    expect(asset.patchStates.length).toBeGreaterThan(0);
    expect(asset.patchStates.every((s: any) => s.evidence === 'REPORTED')).toBe(true);
    expect(missing.length).toBeGreaterThanOrEqual(asset.patchStates.length); // variants of one KB merge into one state

    const approved = (await data(`{ updates(first: 200) { nodes { kb approvals { groupName action approvedAt approvedBy connector { name } } vulnerabilities { cveId } } } }`)).updates.nodes
      .filter((u: any) => u.approvals.length);
    expect(approved.length).toBeGreaterThan(0);
    expect(approved[0].approvals[0]).toMatchObject({ action: expect.any(String), groupName: expect.any(String), connector: { name: 'WSUS wsus01' } });
    expect(approved.some((u: any) => u.vulnerabilities.length > 0)).toBe(true);
  });

  it('refuses a sync schedule for a collector-fed instance: it has nothing to pull', async () => {
    const res = await server.gql(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`, {
      input: { tenantId, kind: 'wsus', name: 'WSUS scheduled', settings: { ingestKey: KEY }, syncIntervalSeconds: 3600 },
    });
    expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.syncIntervalSeconds' });
    const update = await server.gql(`mutation($input: UpdateConnectorInstanceInput!) { updateConnectorInstance(input: $input) { id } }`, {
      input: { id: instanceId, syncIntervalSeconds: 3600 },
    });
    expect(update.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.syncIntervalSeconds' });
  });

  it('accepts the longest server name the envelope allows (it names who triggered the run)', async () => {
    const other = new WsusSimulator({ computers: 3, updates: 20, seed: 8, now: NOW });
    const id = (await data(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`, {
      input: { tenantId: (await data(`mutation { createTenant(input: { name: "Long names" }) { id } }`)).createTenant.id, kind: 'wsus', name: 'WSUS long', settings: { ingestKey: KEY } },
    })).createConnectorInstance.id;
    const snapshot = { ...other.snapshot(), server: { id: 'x', name: `${'w'.repeat(240)}.corp.example` } };
    const res = await post(gzipSync(JSON.stringify(snapshot)), KEY, {}, `${server.app.url}/ingest/wsus/${id}`);
    expect(res.status).toBe(200);
  });

  it('re-posting the same snapshot writes nothing', async () => {
    const before = await graphDigest();
    const res = await wsus.upload(url, KEY);
    expect(res.status).toBe(200);
    expect((res.body as any).syncRun.counts).toMatchObject({ devices: { created: 0, changed: 0, stale: 0 }, patchStates: { created: 0, changed: 0 }, events: 0 });
    expect(await graphDigest()).toEqual(before);
  });

  describe('refused uploads, each with a clear error, the graph unchanged', () => {
    let before: Record<string, string>;
    beforeEach(async () => {
      before = await graphDigest();
    });
    afterEach(async () => {
      expect(await graphDigest()).toEqual(before);
    });
    const snapshotGzip = () => gzipSync(JSON.stringify(wsus.snapshot()));

    it('a wrong key → 401, and an instance id that is not a WSUS instance answers the same', async () => {
      expect(await post(snapshotGzip(), 'not-the-key')).toEqual({ status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'the ingest key is missing or wrong for this instance' } } });
      expect((await post(snapshotGzip(), '')).status).toBe(401);
      const other = await fetch(`${server.app.url}/ingest/wsus/${tenantId}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: snapshotGzip() });
      expect(other.status).toBe(401);
    });

    it('a truncated gzip upload → 400 MALFORMED_UPLOAD', async () => {
      const gz = snapshotGzip();
      const res = await post(gz.subarray(0, Math.floor(gz.length / 2)));
      expect(res).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_UPLOAD' } } });
      expect(res.body.error.message).toMatch(/not a complete gzip stream/);
    });

    it('gzip of something that is not JSON → 400 MALFORMED_UPLOAD', async () => {
      expect(await post(gzipSync('<html>proxy error</html>'))).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_UPLOAD', message: expect.stringMatching(/not JSON/) } } });
    });

    it('a schema violation → 422 SCHEMA_VIOLATION naming where', async () => {
      const bad = wsus.snapshot() as any;
      bad.rows.installations[3][2] = 9;
      const res = await post(gzipSync(JSON.stringify(bad)));
      expect(res).toMatchObject({ status: 422, body: { error: { code: 'SCHEMA_VIOLATION', message: '/rows/installations/3/2 must be <= 6' } } });
    });

    it('an unknown envelope version → 422 UNKNOWN_ENVELOPE_VERSION', async () => {
      const res = await post(gzipSync(JSON.stringify({ ...wsus.snapshot(), version: 2 })));
      expect(res).toMatchObject({ status: 422, body: { error: { code: 'UNKNOWN_ENVELOPE_VERSION' } } });
    });

    it('a snapshot older than the last one applied → 409 STALE_SNAPSHOT', async () => {
      const old = { ...wsus.snapshot(), generatedAt: new Date(NOW.getTime() - 86_400_000).toISOString() };
      const res = await post(gzipSync(JSON.stringify(old)));
      expect(res).toMatchObject({ status: 409, body: { error: { code: 'STALE_SNAPSHOT' } } });
    });

    it('an upload over the size limit → 413', async () => {
      const huge = Buffer.alloc(65 * 1_048_576, 0x20);
      const res = await post(huge);
      expect(res).toMatchObject({ status: 413, body: { error: { code: 'UPLOAD_TOO_LARGE' } } });
    });
  });

  it('a computer seen by WSUS and Intune resolves to one asset with per-KB states from WSUS', async () => {
    const computer = wsus.snapshot().rows.computerTargets.find((c) => /^ws-/i.test(c.Name)) ?? wsus.snapshot().rows.computerTargets[0];
    const host = computer.Name.split('.')[0].toUpperCase();
    const intune = await startIntuneSimulator({
      pageSize: 10, now: NOW,
      fleet: [buildManagedDevice({ id: 'aaaaaaaa-0000-4000-8000-000000000001', deviceName: host, osVersion: `10.0.${computer.OSBuildNumber}.${computer.ClientVersion!.split('.')[3]}`, lastSyncDateTime: '2026-11-02T09:00:00Z', enrolledDateTime: '2026-01-01T00:00:00Z' })],
    });
    try {
      const id = (await data(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`, {
        input: { tenantId, kind: 'intune', name: 'Intune', settings: intune.validConfig() },
      })).createConnectorInstance.id;
      expect((await data(`mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { status errorMessage } }`, { id })).triggerSync.status).toBe('SUCCEEDED');
      const nodes = (await data(`query($t: ID!, $h: String!) { assets(filter: { tenantIds: [$t], hostnameContains: $h }) { nodes { hostname
        sources { connector { kind } matchedBy { rule } } patchStates { evidence source { connector { kind } } } } } }`, { t: tenantId, h: host })).assets.nodes;
      expect(nodes).toHaveLength(1);
      expect(nodes[0].sources.map((s: any) => s.connector.kind).sort()).toEqual(['intune', 'wsus']);
      expect(nodes[0].sources.find((s: any) => s.connector.kind === 'intune').matchedBy.rule).toBe('HOSTNAME');
      expect(nodes[0].patchStates.some((s: any) => s.evidence === 'REPORTED' && s.source.connector.kind === 'wsus')).toBe(true);
    } finally {
      await intune.close();
    }
  });
});
