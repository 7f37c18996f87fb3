import { Asset, ConnectorInstance, PatchEvent, PatchState, SourceDevice, SyncRun } from '../../src/entities';
import { AssetStatus, PatchStateValue, SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { createDataSource } from '../../src/db/data-source';
import { IdentityAdmin } from '../../src/access/identity-admin';
import { TenantScope } from '../../src/access/tenant-scope';
import { acquireSyncLock, SyncInProgressError } from '../../src/sync/sync-lock';
import { parseCounts } from '../../src/sync/run-counts';
import { PatchHistorySource } from '../../src/reports/patch-history-source';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { InventoryFile, KB1 } from '../helpers/inventory';
import { SYNC_T0, syncHarness } from '../helpers/sync';

describe(`sync engine on ${ENGINE}`, () => {
  let db: TestDatabase;
  let h: ReturnType<typeof syncHarness>;
  let factory: Factory;
  beforeAll(async () => {
    db = await openTestDatabase();
    h = syncHarness(db.dataSource);
    factory = new Factory(db.dataSource);
  });
  afterAll(() => db.drop());

  const repo = <T extends object>(e: new () => T) => db.dataSource.getRepository(e);
  async function instanceFor(tenantId: string, file: InventoryFile, name = 'export'): Promise<ConnectorInstance> {
    return h.admin.create({ tenantId, kind: 'file-import', name, settings: { path: file.path }, enabled: false });
  }
  const run = async (id: string, full = false) => h.engine.run(id, { trigger: SyncTrigger.CLI, full });
  const sourceOf = (instanceId: string, externalId: string) => repo(SourceDevice).findOneByOrFail({ connectorInstanceId: instanceId, externalId });
  const rule = (s: SourceDevice) => JSON.parse(s.matchedBy!).rule;

  it('records a PatchEvent only for real transitions, with the vendor-reported and the observed time', async () => {
    const tenant = await factory.tenant();
    const file = new InventoryFile().write(
      [{ externalId: 'd1', hostname: 'PC-1', serialNumber: 'SER-0001' }],
      [{ deviceExternalId: 'd1', updateKey: KB1.key, state: 'MISSING', reportedAt: '2026-10-30T08:00:00Z' }],
    );
    const instance = await instanceFor(tenant.id, file);
    const first = await run(instance.id);
    expect(first.status).toBe(SyncRunStatus.SUCCEEDED);
    expect(parseCounts(first)).toMatchObject({ devices: { seen: 1, created: 1 }, patchStates: { seen: 1, created: 1 }, events: 1, assets: { created: 1 } });

    h.clock.advance(3_600_000);
    const again = await run(instance.id);
    expect(parseCounts(again)).toMatchObject({ devices: { created: 0, changed: 0 }, patchStates: { created: 0, changed: 0 }, events: 0 });

    file.write(
      [{ externalId: 'd1', hostname: 'PC-1', serialNumber: 'SER-0001' }],
      [{ deviceExternalId: 'd1', updateKey: KB1.key, state: 'INSTALLED', reportedAt: '2026-11-02T09:15:00Z', installedAt: '2026-11-02T09:10:00Z' }],
    );
    h.clock.advance(3_600_000);
    const third = await run(instance.id);
    expect(parseCounts(third)).toMatchObject({ patchStates: { changed: 1 }, events: 1 });
    const events = await repo(PatchEvent).find({ where: { tenantId: tenant.id }, order: { observedAt: 'ASC' } });
    expect(events.map((e) => [e.fromState, e.toState])).toEqual([[null, 'MISSING'], ['MISSING', 'INSTALLED']]);
    expect(events[1].reportedAt!.toISOString()).toBe('2026-11-02T09:15:00.000Z');
    expect(events[1].observedAt.toISOString()).toBe(new Date(SYNC_T0.getTime() + 2 * 3_600_000).toISOString());
    expect(events[1].syncRunId).toBe(third.id);
    const state = await repo(PatchState).findOneByOrFail({ tenantId: tenant.id });
    expect(state).toMatchObject({ state: PatchStateValue.INSTALLED, firstSeenMissingAt: null });
    expect(state.installedAt!.toISOString()).toBe('2026-11-02T09:10:00.000Z');
  });

  it('records on each PatchEvent the evidence its state was known by then, which the patch history report reads', async () => {
    const tenant = await factory.tenant();
    const device = [{ externalId: 'd1', hostname: 'PC-EVIDENCE', serialNumber: 'SER-0101' }];
    const file = new InventoryFile().write(device, [{ deviceExternalId: 'd1', updateKey: KB1.key, state: 'MISSING', evidence: 'REPORTED' }]);
    const instance = await instanceFor(tenant.id, file);
    await run(instance.id);
    // The source stops reporting per update: the state's evidence changes, its state does not, so no event is written.
    file.write(device, [{ deviceExternalId: 'd1', updateKey: KB1.key, state: 'MISSING', evidence: 'DERIVED' }]);
    h.clock.advance(3_600_000);
    expect(parseCounts(await run(instance.id))).toMatchObject({ patchStates: { changed: 1 }, events: 0 });
    file.write(device, [{ deviceExternalId: 'd1', updateKey: KB1.key, state: 'INSTALLED', evidence: 'DERIVED' }]);
    h.clock.advance(3_600_000);
    expect(parseCounts(await run(instance.id))).toMatchObject({ events: 1 });

    const events = await repo(PatchEvent).find({ where: { tenantId: tenant.id }, order: { observedAt: 'ASC' } });
    expect(events.map((e) => [e.toState, e.evidence])).toEqual([['MISSING', 'REPORTED'], ['INSTALLED', 'DERIVED']]);
    expect(await repo(PatchState).findOneByOrFail({ tenantId: tenant.id })).toMatchObject({ state: 'INSTALLED', evidence: 'DERIVED' });
    const report = await PatchHistorySource.open(db.dataSource, TenantScope.only([tenant.id]), {
      tenantIds: [tenant.id], from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-03T00:00:00Z'), knownAt: h.clock.now(),
      siteIds: null, assetIds: null, kbs: null, cveIds: null, severities: null, transitions: null, policy: null,
    }, null);
    const rows = [];
    for await (const { row } of report.rows()) rows.push([row.transition, row.evidence]);
    expect(rows).toEqual([['FIRST_SEEN_MISSING', 'REPORTED'], ['INSTALLED', 'DERIVED']]);
  });

  it('marks a device stale only after a complete full sync, never deletes it, and revives it when it returns', async () => {
    const tenant = await factory.tenant();
    const both = [{ externalId: 'a', hostname: 'A-PC' }, { externalId: 'b', hostname: 'B-PC' }];
    const file = new InventoryFile().write(both);
    const instance = await instanceFor(tenant.id, file);
    await run(instance.id);
    file.write([both[0]]);
    const full = await run(instance.id, true);
    expect(parseCounts(full).devices.stale).toBe(1);
    const b = await sourceOf(instance.id, 'b');
    expect(b.stale).toBe(true);
    expect((await repo(Asset).findOneByOrFail({ id: b.assetId! })).status).toBe(AssetStatus.STALE);

    file.write(both);
    const back = await run(instance.id);
    expect(parseCounts(back).devices).toMatchObject({ changed: 1, stale: 0 });
    expect((await sourceOf(instance.id, 'b')).stale).toBe(false);
    expect((await repo(Asset).findOneByOrFail({ id: b.assetId! })).status).toBe(AssetStatus.ACTIVE);
  });

  it('a failed run (a patch state naming an unknown device) writes nothing and says why', async () => {
    const tenant = await factory.tenant();
    const file = new InventoryFile().write([{ externalId: 'ok', hostname: 'OK-PC' }]);
    const instance = await instanceFor(tenant.id, file);
    await run(instance.id);
    const devicesBefore = await repo(SourceDevice).findBy({ tenantId: tenant.id });
    file.write([{ externalId: 'ok', hostname: 'RENAMED' }, { externalId: 'new', hostname: 'NEW-PC' }], [{ deviceExternalId: 'ghost', updateKey: KB1.key, state: 'MISSING' }]);
    const failed = await run(instance.id);
    expect(failed).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: 'malformed_response' });
    expect(failed.errorMessage).toContain('ghost');
    expect(await repo(SourceDevice).findBy({ tenantId: tenant.id })).toEqual(devicesBefore);
    expect(parseCounts(await repo(SyncRun).findOneByOrFail({ id: failed.id })).devices.created).toBe(0);
  });

  it('resolves one machine reported by two tools to one asset and explains the match; same host name in another tenant stays apart', async () => {
    const tenant = await factory.tenant();
    const other = await factory.tenant();
    const intune = new InventoryFile().write([
      { externalId: 'i-1', hostname: 'LT-042', serialNumber: '5CD1234XYZ', azureAdDeviceId: '6f1c9a52-0b7e-4c1e-9f0a-2d3b4c5d6e7f', macAddresses: ['A4:BB:6D:01:02:03'], lastCheckInAt: '2026-11-02T08:00:00Z' },
    ]);
    const rmm = new InventoryFile('rmm.json').write([{ externalId: 'r-1', hostname: 'lt-042', fqdn: 'lt-042.corp.example', serialNumber: '5cd1234xyz', lastCheckInAt: '2026-11-01T08:00:00Z' }]);
    const wsus = new InventoryFile('wsus.json').write([{ externalId: 'w-1', fqdn: 'LT-042.corp.example' }]);
    const elsewhere = new InventoryFile('elsewhere.json').write([{ externalId: 'x-1', hostname: 'LT-042' }]);
    const [ci, cr, cw, cx] = [await instanceFor(tenant.id, intune, 'intune'), await instanceFor(tenant.id, rmm, 'rmm'), await instanceFor(tenant.id, wsus, 'wsus'), await instanceFor(other.id, elsewhere, 'other tenant')];
    for (const c of [ci, cr, cw, cx]) expect((await run(c.id)).status).toBe(SyncRunStatus.SUCCEEDED);
    const [si, sr, sw, sx] = [await sourceOf(ci.id, 'i-1'), await sourceOf(cr.id, 'r-1'), await sourceOf(cw.id, 'w-1'), await sourceOf(cx.id, 'x-1')];
    expect(new Set([si.assetId, sr.assetId, sw.assetId]).size).toBe(1);
    expect(sx.assetId).not.toBe(si.assetId);
    expect([rule(si), rule(sr), rule(sw), rule(sx)]).toEqual(['NEW', 'SERIAL_NUMBER', 'HOSTNAME', 'NEW']);
    expect(JSON.parse(sr.matchedBy!).values).toEqual({ serialNumber: '5CD1234XYZ' });
    const asset = await repo(Asset).findOneByOrFail({ id: si.assetId! });
    expect(asset).toMatchObject({ hostname: 'LT-042', serialNumber: '5CD1234XYZ', fqdn: 'lt-042.corp.example' });
  });

  it('keeps manual merges and splits on later syncs, even when identifiers change', async () => {
    const tenant = await factory.tenant();
    const a = new InventoryFile().write([{ externalId: 'a-1', hostname: 'KIOSK-01', serialNumber: 'To Be Filled By O.E.M.' }]);
    const b = new InventoryFile('b.json').write([{ externalId: 'b-1', hostname: 'RECEPTION', serialNumber: 'Default string' }]);
    const [ca, cb] = [await instanceFor(tenant.id, a, 'a'), await instanceFor(tenant.id, b, 'b')];
    await run(ca.id);
    await run(cb.id);
    const [sa, sb] = [await sourceOf(ca.id, 'a-1'), await sourceOf(cb.id, 'b-1')];
    expect(sa.assetId).not.toBe(sb.assetId); // junk serials never match, names differ

    const identity = new IdentityAdmin(db.dataSource, TenantScope.allTenants(), h.clock, { label: 'operator' });
    const merged = await identity.mergeAssets(sa.assetId!, [sb.assetId!]);
    expect(await repo(Asset).findOneBy({ id: sb.assetId! })).toBeNull();
    b.write([{ externalId: 'b-1', hostname: 'RECEPTION-2', serialNumber: 'Default string' }]);
    await run(cb.id);
    const afterMerge = await sourceOf(cb.id, 'b-1');
    expect(afterMerge.assetId).toBe(merged.id);
    expect(rule(afterMerge)).toBe('MANUAL');

    const split = await identity.splitAsset(merged.id, [afterMerge.id]);
    a.write([{ externalId: 'a-1', hostname: 'RECEPTION-2', serialNumber: 'To Be Filled By O.E.M.' }]); // now shares the host name
    await run(ca.id);
    await run(cb.id, true);
    expect((await sourceOf(ca.id, 'a-1')).assetId).toBe(merged.id);
    expect((await sourceOf(cb.id, 'b-1')).assetId).toBe(split.id);
  });

  it('a cancelled run (server shutting down) fails as cancelled and writes nothing', async () => {
    const tenant = await factory.tenant();
    const instance = await instanceFor(tenant.id, new InventoryFile().write([{ externalId: 'c', hostname: 'C' }]));
    const stop = new AbortController();
    stop.abort(new Error('the server is shutting down'));
    const cancelled = await h.engine.run(instance.id, { trigger: SyncTrigger.SCHEDULE, signal: stop.signal });
    expect(cancelled).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: 'transient', errorMessage: 'cancelled: the server is shutting down' });
    expect(await repo(SourceDevice).countBy({ tenantId: tenant.id })).toBe(0);
    expect((await run(instance.id)).status).toBe(SyncRunStatus.SUCCEEDED); // the lease was released
  });

  it('never runs two syncs of one instance at once, across connections; an expired lease is taken over', async () => {
    const tenant = await factory.tenant();
    const instance = await instanceFor(tenant.id, new InventoryFile().write([{ externalId: 'z', hostname: 'Z' }]));
    // A second connection pool stands in for a second process: the lease lives in the database, not in memory.
    const otherProcess = await createDataSource(db.config);
    await otherProcess.initialize();
    try {
      const held = await acquireSyncLock(otherProcess, instance.id, h.clock, 60_000);
      await expect(run(instance.id)).rejects.toBeInstanceOf(SyncInProgressError);
      await expect(acquireSyncLock(db.dataSource, instance.id, h.clock, 60_000)).rejects.toThrow(/already running/);
      h.clock.advance(61_000); // the holder died without releasing
      expect((await run(instance.id)).status).toBe(SyncRunStatus.SUCCEEDED);
      expect(await held.renew()).toBe(false); // the old holder learns it lost the lease
    } finally {
      await otherProcess.destroy();
    }
  });
});
