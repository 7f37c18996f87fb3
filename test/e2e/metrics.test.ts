/**
 * /metrics end to end: a real server, a real sync through the Intune connector against the Graph simulator (with a
 * 429 on the way), a real GraphQL query and a scheduled run; then the Prometheus text a scraper would read.
 */
import { IntuneSimulator, SIMULATOR_CLIENT_SECRET, startIntuneSimulator } from '../../connectors/intune/simulator';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { loadConfig } from '../../src/config/config';
import { Metrics } from '../../src/observability/metrics';
import { ConnectorInstance } from '../../src/entities';
import { SyncScheduler } from '../../src/sync/scheduler';
import { fixedClock } from '../../src/util/clock';
import { keyOf } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { sample, samples } from '../helpers/metrics-text';
import { startTestServer, TestServer } from '../helpers/server';

const NOW = new Date('2026-11-02T10:00:00.000Z'); // the test server's fixed clock
const TOKEN = 'scrape-token-0123456789abcdef-xyz';
const CREATE = `mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`;
const TRIGGER = `mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { status errorMessage } }`;

async function scrape(url: string, token?: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

describe(`/metrics on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let sim: IntuneSimulator;

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db, { PATCHGRAPH_METRICS_TOKEN: TOKEN });
    sim = await startIntuneSimulator({ pageSize: 10, devices: 24, seed: 11, now: NOW });
  });
  afterAll(async () => {
    await sim.close();
    await server.stop();
    await db.drop();
  });

  it('counts a sync (runs, rows, the vendor 429 and its retry, the lease), a named GraphQL operation and the scheduler lag', async () => {
    const before = await scrape(`${server.app.url}/metrics`, TOKEN);
    expect(before.status).toBe(200);
    expect(sample(before.text, 'patchgraph_sync_runs_total', { kind: 'intune', outcome: 'succeeded' })).toBeUndefined();

    const tenantId = (await server.gql('mutation { createTenant(input: { name: "Contoso" }) { id } }')).body.data.createTenant.id;
    const created = await server.gql(CREATE, { input: { tenantId, kind: 'intune', name: 'Contoso Intune', settings: sim.validConfig() } });
    const instanceId = created.body.data.createConnectorInstance.id;
    sim.inject({ type: 'status', status: 429, onRequest: 2 });
    const run = await server.gql(TRIGGER, { id: instanceId });
    expect(run.body.data.triggerSync).toMatchObject({ status: 'SUCCEEDED' });
    const fleet = await server.gql('query Fleet { tenants { totalCount } }');
    expect(fleet.body.data.tenants.totalCount).toBe(1);
    const refused = await server.gql('query Broken { tenants { nope } }');
    expect(refused.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    // A scheduled run 90 s after its 60 s interval came round: the lag series says 90 s late.
    const clock = fixedClock(new Date(NOW.getTime() + 150_000));
    await db.dataSource.getRepository(ConnectorInstance).update({ id: keyOf('ConnectorInstance', instanceId, 'id') }, { syncIntervalSeconds: 60 });
    const scheduler = new SyncScheduler({ dataSource: db.dataSource, engine: server.sync, clock, tickMs: 60_000, metrics: server.app.metrics });
    expect(await scheduler.tick()).toEqual([keyOf('ConnectorInstance', instanceId, 'id')]);

    const { status, text, type } = await scrape(`${server.app.url}/metrics`, TOKEN);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(text, 'patchgraph_sync_runs_total', { kind: 'intune', outcome: 'succeeded' })).toBe(2);
    expect(sample(text, 'patchgraph_sync_run_duration_seconds_count', { kind: 'intune', outcome: 'succeeded' })).toBe(2);
    // The first run imported the fleet: every device and state read, and written; the second found nothing new.
    expect(sample(text, 'patchgraph_sync_rows_read_total', { connector: 'intune', kind: 'devices' })).toBeGreaterThanOrEqual(24);
    expect(sample(text, 'patchgraph_sync_rows_read_total', { connector: 'intune', kind: 'states' })).toBeGreaterThan(0);
    expect(sample(text, 'patchgraph_sync_rows_written_total', { connector: 'intune', kind: 'devices' })).toBeGreaterThanOrEqual(24);
    expect(sample(text, 'patchgraph_sync_rows_written_total', { connector: 'intune', kind: 'states' })).toBeGreaterThan(0);
    expect(sample(text, 'patchgraph_vendor_rate_limited_total', { connector: 'intune' })).toBe(1);
    expect(sample(text, 'patchgraph_vendor_retries_total', { connector: 'intune', cause: 'rate_limited' })).toBe(1);
    expect(sample(text, 'patchgraph_sync_lease_wait_seconds_count', { result: 'acquired' })).toBe(2);
    expect(sample(text, 'patchgraph_scheduler_lag_seconds_count', { kind: 'intune' })).toBe(1);
    expect(sample(text, 'patchgraph_scheduler_lag_seconds_sum', { kind: 'intune' })).toBe(90);
    expect(sample(text, 'patchgraph_graphql_operation_duration_seconds_count', { operation: 'Fleet', type: 'query' })).toBe(1);
    expect(sample(text, 'patchgraph_graphql_operation_duration_seconds_count', { operation: 'anonymous', type: 'mutation' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'patchgraph_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(sample(text, 'patchgraph_http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status: '200' })).toBeGreaterThanOrEqual(4);
    // The first scrape was answered too, and is counted under the route's pattern.
    expect(sample(text, 'patchgraph_http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status: '200' })).toBe(1);
    expect(samples(text, 'process_cpu_user_seconds_total').length).toBe(1);
    expect(samples(text, 'nodejs_eventloop_lag_seconds').length).toBe(1);

    // Nothing secret in a scrape: not the scrape token, not an API key, not a connector's client secret.
    for (const secret of [TOKEN, server.adminKey, SIMULATOR_CLIENT_SECRET]) expect(text).not.toContain(secret);
  });

  it('measures an accepted WSUS upload: its bytes as sent and the states it held', async () => {
    const key = 'wsus-ingest-key-for-metrics-0123456789abcdef';
    const tenantId = (await server.gql('mutation { createTenant(input: { name: "Fabrikam" }) { id } }')).body.data.createTenant.id;
    const created = await server.gql(CREATE, { input: { tenantId, kind: 'wsus', name: 'WSUS wsus01', settings: { ingestKey: key } } });
    const wsus = new WsusSimulator({ computers: 10, updates: 20, seed: 4, now: NOW });
    const body = wsus.gzipSnapshot();
    const res = await wsus.upload(`${server.app.url}/ingest/wsus/${created.body.data.createConnectorInstance.id}`, key, body);
    expect(res.status).toBe(200);
    const states = (res.body as any).syncRun.counts.patchStates.seen;
    expect(states).toBeGreaterThan(0);
    // A refused upload (wrong key) is not a snapshot: it is not measured.
    expect((await wsus.upload(`${server.app.url}/ingest/wsus/${created.body.data.createConnectorInstance.id}`, `${key}-wrong`, body)).status).toBe(401);

    const { text } = await scrape(`${server.app.url}/metrics`, TOKEN);
    expect(sample(text, 'patchgraph_ingest_snapshot_bytes_count')).toBe(1);
    expect(sample(text, 'patchgraph_ingest_snapshot_bytes_sum')).toBe(body.length);
    expect(sample(text, 'patchgraph_ingest_snapshot_states_count')).toBe(1);
    expect(sample(text, 'patchgraph_ingest_snapshot_states_sum')).toBe(states);
    expect(sample(text, 'patchgraph_sync_runs_total', { kind: 'wsus', outcome: 'succeeded' })).toBe(1);
    expect(sample(text, 'patchgraph_http_request_duration_seconds_count', { method: 'POST', route: '/ingest/wsus/:instanceId', status: '200' })).toBe(1);
    expect(text).not.toContain(key);
  });

  it('keeps operation names a bounded label: an overlong name counts as "other"', async () => {
    const long = `Q${'x'.repeat(80)}`;
    expect((await server.gql(`query ${long} { viewer { name } }`)).body.errors).toBeUndefined();
    const { text } = await scrape(`${server.app.url}/metrics`, TOKEN);
    expect(text).not.toContain(long);
    expect(sample(text, 'patchgraph_graphql_operation_duration_seconds_count', { operation: 'other', type: 'query' })).toBe(1);
  });

  it('answers 401 without the token or with a wrong one, and says nothing of the series', async () => {
    for (const token of [undefined, 'x'.repeat(TOKEN.length), TOKEN.slice(0, -1)]) {
      const res = await scrape(`${server.app.url}/metrics`, token);
      expect(res.status).toBe(401);
      expect(res.text).not.toContain('patchgraph_');
      expect(JSON.parse(res.text).error.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe(`/metrics protection on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer | undefined;
  beforeEach(async () => {
    db = await openTestDatabase();
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await db.drop();
  });

  it('is not served at all (404) when neither a token nor a port is configured', async () => {
    server = await startTestServer(db);
    const res = await scrape(`${server.app.url}/metrics`, 'anything-at-all-0123456789');
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('patchgraph_');
    expect(server.app.metricsServer).toBeUndefined();
  });

  it('with PATCHGRAPH_METRICS_PORT, serves /metrics on that port (loopback, no token) and not on the API port', async () => {
    server = await startTestServer(db, { PATCHGRAPH_METRICS_PORT: '0' });
    await server.gql('query Viewer { viewer { name } }');
    const own = server.app.metricsServer!;
    expect(own.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await scrape(own.url);
    expect(res.status).toBe(200);
    expect(sample(res.text, 'patchgraph_graphql_operation_duration_seconds_count', { operation: 'Viewer', type: 'query' })).toBe(1);
    expect((await scrape(`${server.app.url}/metrics`)).status).toBe(404);
    expect((await scrape(own.url.replace('/metrics', '/graphql'))).status).toBe(404);
  });
});

describe('operation name labels', () => {
  it('keeps the first 200 distinct names and counts every later new one as "other"', async () => {
    const metrics = new Metrics({ processMetrics: false });
    for (let i = 0; i < 250; i++) metrics.graphqlDuration.observe({ operation: metrics.operationLabel(`Op${i}`), type: 'query' }, 0.01);
    metrics.graphqlDuration.observe({ operation: metrics.operationLabel('Op7'), type: 'query' }, 0.01);
    const text = (await metrics.exposition()).body;
    const names = new Set(samples(text, 'patchgraph_graphql_operation_duration_seconds_count').map((s) => s.labels.operation));
    expect(names.size).toBe(201);
    expect(sample(text, 'patchgraph_graphql_operation_duration_seconds_count', { operation: 'other' })).toBe(50);
    expect(sample(text, 'patchgraph_graphql_operation_duration_seconds_count', { operation: 'Op7' })).toBe(2);
    expect(metrics.operationLabel(null)).toBe('anonymous');
  });
});

describe('metrics settings', () => {
  const base = { PATCHGRAPH_DEMO: 'false' };
  it.each([
    [{ PATCHGRAPH_METRICS_TOKEN: 'short' }, 'PATCHGRAPH_METRICS_TOKEN'],
    [{ PATCHGRAPH_METRICS_TOKEN: 'has a space in it 0123456789abcdef' }, 'PATCHGRAPH_METRICS_TOKEN'],
    [{ PATCHGRAPH_METRICS_PORT: '70000' }, 'PATCHGRAPH_METRICS_PORT'],
    [{ PATCHGRAPH_METRICS_PORT: 'nine' }, 'PATCHGRAPH_METRICS_PORT'],
    [{ PATCHGRAPH_METRICS_PORT: '4000' }, 'PATCHGRAPH_METRICS_PORT'],
    [{ PATCHGRAPH_METRICS_HOST: '0.0.0.0' }, 'PATCHGRAPH_METRICS_HOST'],
    [{ PATCHGRAPH_METRICS_PORT: '9464', PATCHGRAPH_METRICS_HOST: 'not a host!' }, 'PATCHGRAPH_METRICS_HOST'],
  ])('refuses %j, naming the variable', (env, variable) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(expect.objectContaining({ name: 'ConfigError', variable }));
  });

  it('defaults to closed: no token, no port, loopback for a port when one is given', () => {
    expect(loadConfig(base).metrics).toEqual({ token: undefined, port: undefined, host: '127.0.0.1' });
    expect(loadConfig({ ...base, PATCHGRAPH_METRICS_PORT: '9464' }).metrics).toEqual({ token: undefined, port: 9464, host: '127.0.0.1' });
  });
});
