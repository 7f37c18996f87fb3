/**
 * Traces end to end, collected by an in-memory exporter: a real Intune sync against the Graph simulator and a real
 * GraphQL query on a real server, and the tree of spans they leave.
 */
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { IntuneSimulator, SIMULATOR_CLIENT_SECRET, startIntuneSimulator } from '../../connectors/intune/simulator';
import { tracingVars } from '../../src/config/tracing-config';
import { RunningTracing, startTracing } from '../../src/observability/tracing-bootstrap';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const NOW = new Date('2026-11-02T10:00:00.000Z');
const CREATE = `mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`;
const TRIGGER = `mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { status errorMessage } }`;
const SQL_SYSTEM = ENGINE === 'sqlite' ? 'sqlite' : 'mysql';

/** Every span under `root` (not itself), through the parent links the exporter recorded. */
function descendants(spans: ReadableSpan[], root: ReadableSpan): ReadableSpan[] {
  const children = (s: ReadableSpan) => spans.filter((c) => c.parentSpanContext?.spanId === s.spanContext().spanId);
  const out: ReadableSpan[] = [];
  const queue = children(root);
  while (queue.length) {
    const next = queue.shift()!;
    out.push(next);
    queue.push(...children(next));
  }
  return out;
}
const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const one = (spans: ReadableSpan[], name: string) => {
  const found = named(spans, name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0];
};
const isSql = (s: ReadableSpan) => s.attributes['db.system.name'] === SQL_SYSTEM;
const isVendorHttp = (s: ReadableSpan) => s.kind === SpanKind.CLIENT && typeof s.attributes['http.request.method'] === 'string';

describe(`traces on ${ENGINE}`, () => {
  const exporter = new InMemorySpanExporter();
  let tracing: RunningTracing;
  let db: TestDatabase;
  let server: TestServer;
  let sim: IntuneSimulator;
  let instanceId: string;

  beforeAll(async () => {
    tracing = startTracing({ exporters: ['console'], serviceName: 'patchgraph-test' }, { exporter });
    db = await openTestDatabase();
    server = await startTestServer(db);
    sim = await startIntuneSimulator({ pageSize: 10, devices: 12, seed: 5, now: NOW });
    const tenantId = (await server.gql('mutation { createTenant(input: { name: "Contoso" }) { id } }')).body.data.createTenant.id;
    instanceId = (await server.gql(CREATE, { input: { tenantId, kind: 'intune', name: 'Contoso Intune', settings: sim.validConfig() } })).body.data.createConnectorInstance.id;
  });
  afterAll(async () => {
    await sim.close();
    await server.stop();
    await db.drop();
    await tracing.shutdown();
  });

  it("gives one sync a tree: run → read (vendor HTTP with Graph's request id) and apply → plan, write, seal (SQL statements)", async () => {
    exporter.reset();
    const run = await server.gql(TRIGGER, { id: instanceId });
    expect(run.body.data.triggerSync).toMatchObject({ status: 'SUCCEEDED' });
    const spans = exporter.getFinishedSpans();

    const root = one(spans, 'sync.run');
    expect(root.attributes).toMatchObject({ 'patchgraph.connector.kind': 'intune', 'patchgraph.sync.outcome': 'succeeded', 'patchgraph.sync.mode': 'FULL' });
    expect(root.resource.attributes['service.name']).toBe('patchgraph-test');
    const under = descendants(spans, root);
    const read = one(under, 'sync.read');
    const apply = one(under, 'sync.apply');
    expect(read.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(apply.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(read.attributes['patchgraph.sync.devices_read']).toBe(12);

    // Every Graph call of the read, each with the request id Graph answered with and no query string.
    const http = descendants(spans, read).filter(isVendorHttp);
    const graph = http.filter((s) => s.attributes['patchgraph.vendor'] === 'Microsoft Graph');
    expect(graph.length).toBeGreaterThanOrEqual(2); // 12 devices in pages of 10, and the catalog
    for (const call of graph) {
      expect(call.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'patchgraph.vendor': 'Microsoft Graph' });
      expect(call.attributes['patchgraph.vendor.request_id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(call.attributes['url.full']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[^?]*$/);
    }
    expect(graph.filter((s) => String(s.attributes['url.full']).endsWith('/managedDevices'))).not.toHaveLength(0);
    // The token the first call needed, from Entra ID, with Entra's request id.
    const token = http.filter((s) => s.attributes['patchgraph.vendor'] === 'Microsoft Entra ID');
    expect(token).toHaveLength(1);
    expect(token[0].attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200 });
    expect(token[0].attributes['url.full']).toMatch(/\/oauth2\/v2\.0\/token$/);
    expect(token[0].attributes['patchgraph.vendor.request_id']).toEqual(expect.any(String));
    expect(http).toHaveLength(graph.length + 1);

    // The apply's stages, and the statements each made, as their descendants.
    const applied = descendants(spans, apply);
    const plan = one(applied, 'sync.plan');
    const write = one(applied, 'sync.write');
    const seal = one(applied, 'sync.seal');
    expect(descendants(spans, plan).filter(isSql).map((s) => s.name)).toContain('SELECT');
    const writes = descendants(spans, write).filter(isSql);
    expect(writes.map((s) => s.name)).toContain('INSERT');
    expect(writes.some((s) => /^\s*INSERT INTO [`"]?source_device/i.test(String(s.attributes['db.query.text'])))).toBe(true);
    expect(descendants(spans, seal).filter(isSql).length).toBeGreaterThan(0);

    // Statement text only: never a value bound to it (device names, the run's id) and never a secret.
    const sqlText = spans.filter(isSql).map((s) => String(s.attributes['db.query.text'])).join('\n');
    expect(sqlText).not.toContain(String(root.attributes['patchgraph.sync_run.id']));
    expect(sqlText).not.toContain(SIMULATOR_CLIENT_SECRET);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(SIMULATOR_CLIENT_SECRET);
  });

  it('gives a GraphQL operation a span named after it, with its loader batches and statements beneath', async () => {
    exporter.reset();
    const res = await server.gql('query Fleet { tenants { nodes { name sites { name } assetCount } } }');
    expect(res.body.errors).toBeUndefined();
    const spans = exporter.getFinishedSpans();
    const op = one(spans, 'query Fleet');
    expect(op.kind).toBe(SpanKind.SERVER);
    expect(op.attributes).toMatchObject({ 'graphql.operation.name': 'Fleet', 'graphql.operation.type': 'query', 'http.response.status_code': 200 });
    const under = descendants(spans, op);
    expect(under.map((s) => s.name)).toEqual(expect.arrayContaining(['dataloader sitesByTenant', 'dataloader assetCountByTenant']));
    const batch = one(under, 'dataloader sitesByTenant');
    expect(batch.attributes['patchgraph.dataloader.batch_size']).toBe(1);
    expect(descendants(spans, batch).filter(isSql).map((s) => s.name)).toEqual(['SELECT']);
  });

  it('names an unnamed operation "anonymous" and marks a refused one failed with its code', async () => {
    exporter.reset();
    await server.gql('{ viewer { name } }');
    await server.gql('query Broken { tenants { nope } }');
    const spans = exporter.getFinishedSpans();
    expect(one(spans, 'query anonymous').attributes['graphql.operation.name']).toBe('anonymous');
    const refused = spans.filter((s) => s.name === 'graphql.operation');
    expect(refused).toHaveLength(1);
    expect(refused[0].status).toMatchObject({ code: 2, message: 'GRAPHQL_VALIDATION_FAILED' });
  });
});

describe(`tracing off on ${ENGINE}`, () => {
  it('makes no spans, even with a tracer provider registered by someone else, unless the OTEL variables turned it on', async () => {
    // A provider that would record anything patchgraph started: patchgraph itself never called startTracing.
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    const db = await openTestDatabase();
    const server = await startTestServer(db);
    const sim = await startIntuneSimulator({ pageSize: 10, devices: 3, seed: 5, now: NOW });
    try {
      const tenantId = (await server.gql('mutation { createTenant(input: { name: "Contoso" }) { id } }')).body.data.createTenant.id;
      const id = (await server.gql(CREATE, { input: { tenantId, kind: 'intune', name: 'Contoso Intune', settings: sim.validConfig() } })).body.data.createConnectorInstance.id;
      expect((await server.gql(TRIGGER, { id })).body.data.triggerSync.status).toBe('SUCCEEDED');
      await server.gql('query Fleet { tenants { nodes { sites { name } } } }');
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([]);
    } finally {
      await sim.close();
      await server.stop();
      await db.drop();
      await provider.shutdown();
      trace.disable();
    }
  });
});

describe('tracing settings (the standard OTEL_* variables)', () => {
  it('is off unless an exporter or an OTLP endpoint is named', () => {
    expect(tracingVars({})).toBeNull();
    expect(tracingVars({ OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
    expect(tracingVars({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(tracingVars({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({ exporters: ['otlp'], serviceName: 'patchgraph' });
    expect(tracingVars({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SERVICE_NAME: 'patchgraph-eu' })).toEqual({ exporters: ['otlp'], serviceName: 'patchgraph-eu' });
    expect(tracingVars({ OTEL_TRACES_EXPORTER: 'console,otlp' })).toEqual({ exporters: ['console', 'otlp'], serviceName: 'patchgraph' });
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER'],
    [{ OTEL_SDK_DISABLED: 'perhaps' }, 'OTEL_SDK_DISABLED'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://collector/v1/traces' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
  ])('refuses %j, naming the variable', (env, variable) => {
    expect(() => tracingVars(env)).toThrow(expect.objectContaining({ name: 'ConfigError', variable }));
  });
});
