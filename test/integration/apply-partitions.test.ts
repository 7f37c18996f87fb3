/**
 * A run is applied as partitions, one per tenant (src/sync/apply/apply-run.ts): the catalog stage runs once for
 * the whole run, each tenant gets its own plan and write, and the cursors are stored once. Seen through the spans
 * an operator's tracing backend receives, with the statements beneath them; and an identical rerun writes nothing.
 */
import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { DeviceRecord } from '../../connectors/sdk/contract';
import { ConnectorInstance, VendorSite } from '../../src/entities';
import { inSpan } from '../../src/observability/tracing';
import { RunningTracing, startTracing } from '../../src/observability/tracing-bootstrap';
import { loadBundledCatalog } from '../../src/catalog/bundled-catalog';
import { applyRun } from '../../src/sync/apply/apply-run';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { KB1 } from '../helpers/inventory';
import { ReadParts, sourceRead, SYNC_T0, syncHarness } from '../helpers/sync';

const isSql = (s: ReadableSpan) => typeof s.attributes['db.query.text'] === 'string';
const isWrite = (s: ReadableSpan) => isSql(s) && /^(INSERT|UPDATE|DELETE|REPLACE)$/.test(s.name);
const tenantsOf = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name).map((s) => s.attributes['patchgraph.tenant.id']);

describe(`a run's partitions on ${ENGINE}`, () => {
  const exporter = new InMemorySpanExporter();
  let tracing: RunningTracing;
  let db: TestDatabase;
  let h: ReturnType<typeof syncHarness>;
  let factory: Factory;
  beforeAll(async () => {
    tracing = startTracing({ exporters: ['console'], serviceName: 'patchgraph-test' }, { exporter });
    db = await openTestDatabase();
    h = syncHarness(db.dataSource);
    factory = new Factory(db.dataSource);
    await db.dataSource.transaction((m) => loadBundledCatalog(m, SYNC_T0));
  });
  afterAll(async () => {
    await db.drop();
    await tracing.shutdown();
  });

  let clock = SYNC_T0.getTime();
  /** Applies a read as the engine does (one transaction under sync.apply); returns the spans it left. */
  async function apply(instance: ConnectorInstance, parts: ReadParts, at = clock += 3_600_000): Promise<ReadableSpan[]> {
    const fresh = await db.dataSource.getRepository(ConnectorInstance).findOneByOrFail({ id: instance.id });
    const read = sourceRead({ fullDeviceRead: true, ...parts });
    exporter.reset();
    await inSpan('sync.apply', {}, () => db.dataSource.transaction((m) => applyRun(m, { instance: fresh, read, now: new Date(at), syncRunId: newId() })));
    return exporter.getFinishedSpans();
  }
  const device = (id: string, key: string): DeviceRecord => ({ externalId: id, hostname: id.toUpperCase(), serialNumber: `SN-${id}`, tenantKey: key, tenantName: key });
  const missing = (id: string) => ({ deviceExternalId: id, updateKey: KB1.key, state: 'MISSING' as const, evidence: 'REPORTED' as const });

  it('applies an account-wide run tenant by tenant, with one catalog stage and the cursors stored once; the same read again writes nothing', async () => {
    const account = await h.admin.create({ tenantId: null, kind: 'file-import', name: 'Datto account (partitions)', settings: { path: '/dev/null' }, enabled: false });
    const [one, two] = [await factory.tenant('Partition one'), await factory.tenant('Partition two')];
    const read: ReadParts = {
      devices: [device('p1', 'org-one'), device('p2', 'org-two')], patchStates: [missing('p1'), missing('p2')], cursors: { devices: 'after-p2' },
    };
    await apply(account, read);
    for (const [key, tenant] of [['org-one', one], ['org-two', two]] as const) {
      await db.dataSource.getRepository(VendorSite).update({ connectorInstanceId: account.id, externalId: key }, { tenantId: tenant.id });
    }

    const spans = await apply(account, read);
    expect(spans.filter((s) => s.name === 'sync.write_catalog').map((s) => s.name)).toEqual(['sync.write_catalog']);
    const byTenant = [one.id, two.id].sort();
    expect(tenantsOf(spans, 'sync.plan')).toEqual(byTenant);
    expect(tenantsOf(spans, 'sync.write')).toEqual(byTenant);
    // Both tenants' devices and states were written (the first run stored the cursors already: they did not move).
    expect(spans.filter(isWrite).some((s) => /INSERT INTO [`"]?source_device/i.test(String(s.attributes['db.query.text'])))).toBe(true);
    expect(spans.filter(isWrite).some((s) => /INSERT INTO [`"]?patch_state\b/i.test(String(s.attributes['db.query.text'])))).toBe(true);
    expect(spans.filter(isWrite).filter((s) => /UPDATE [`"]?connector_instance/i.test(String(s.attributes['db.query.text'])))).toHaveLength(0);

    const moved = await apply(account, { ...read, cursors: { devices: 'after-p3' } });
    expect(moved.filter(isWrite).map((s) => String(s.attributes['db.query.text'])).filter((q) => /connector_instance/i.test(q))).toHaveLength(1);
    expect((await db.dataSource.getRepository(ConnectorInstance).findOneByOrFail({ id: account.id })).cursors).toBe(JSON.stringify({ devices: 'after-p3' }));

    const again = await apply(account, { ...read, cursors: { devices: 'after-p3' } });
    expect(again.filter(isWrite).map((s) => String(s.attributes['db.query.text']))).toEqual([]);
  });

  it("applies a tenant's own instance as the one-partition case", async () => {
    const tenant = await factory.tenant('Partition of its own');
    const instance = await h.admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'Own tool (partitions)', settings: { path: '/dev/null' }, enabled: false });
    const read: ReadParts = { devices: [{ externalId: 'o1', hostname: 'O1', serialNumber: 'SN-o1' }], patchStates: [missing('o1')] };
    const spans = await apply(instance, read);
    expect(spans.filter((s) => s.name === 'sync.write_catalog').map((s) => s.name)).toEqual(['sync.write_catalog']);
    expect(tenantsOf(spans, 'sync.plan')).toEqual([tenant.id]);
    expect(tenantsOf(spans, 'sync.write')).toEqual([tenant.id]);
    expect((await apply(instance, read)).filter(isWrite).map((s) => String(s.attributes['db.query.text']))).toEqual([]);
  });
});
