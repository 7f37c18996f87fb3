/**
 * Every record a run reads is accounted for: records the source lists as deleted, devices of unmapped or ignored
 * vendor sites, and their patch states are counted, kept visible with a reason, and never imported. Driven through
 * the engine's apply functions with hand-built reads, and through the finder that serves unattachedSourceDevices.
 */
import type { Connector, DeviceRecord, PatchStateRecord } from '../../connectors/sdk/contract';
import { recordProblems } from '../../connectors/sdk/testkit/checks';
import { SourceDeviceFinder } from '../../src/access/source-device.finder';
import { TenantScope } from '../../src/access/tenant-scope';
import { Asset, ConnectorInstance, SourceDevice, UnattachedRecord, VendorSite } from '../../src/entities';
import { UnattachedReason } from '../../src/entities/enums';
import { loadBundledCatalog } from '../../src/catalog/bundled-catalog';
import { applyRun } from '../../src/sync/apply/apply-run';
import { readSource, SyncDataError } from '../../src/sync/read-source';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { KB1 } from '../helpers/inventory';
import { ReadParts, sourceRead, SYNC_T0, syncHarness } from '../helpers/sync';

describe(`unattached records on ${ENGINE}`, () => {
  let db: TestDatabase;
  let h: ReturnType<typeof syncHarness>;
  let factory: Factory;
  beforeAll(async () => {
    db = await openTestDatabase();
    h = syncHarness(db.dataSource);
    factory = new Factory(db.dataSource);
    await db.dataSource.transaction((m) => loadBundledCatalog(m, SYNC_T0));
  });
  afterAll(() => db.drop());

  const repo = <T extends object>(e: new () => T) => db.dataSource.getRepository(e);
  let clock = SYNC_T0.getTime();
  async function apply(instance: ConnectorInstance, parts: ReadParts) {
    const fresh = await repo(ConnectorInstance).findOneByOrFail({ id: instance.id });
    const read = sourceRead({ fullDeviceRead: true, ...parts });
    clock += 3_600_000;
    const ctx = { instance: fresh, read, now: new Date(clock), syncRunId: newId() };
    return db.dataSource.transaction((m) => applyRun(m, ctx));
  }
  const device = (id: string, site: string, fields: Partial<DeviceRecord> = {}): DeviceRecord => ({
    externalId: id, hostname: id.toUpperCase(), serialNumber: `SN-${id}`, vendorSiteId: `uid-${site}`, vendorSite: site, ...fields,
  });
  const gone = (id: string): DeviceRecord => device(id, 'Deleted Devices', { deleted: true });
  const state = (id: string): PatchStateRecord => ({ deviceExternalId: id, updateKey: KB1.key, state: 'MISSING', evidence: 'REPORTED' });
  const mspAccount = () => h.admin.create({ tenantId: null, kind: 'file-import', name: `MSP account ${newId().slice(0, 6)}`, settings: { path: '/dev/null' }, enabled: false });
  const site = (instance: ConnectorInstance, name: string) => repo(VendorSite).findOneByOrFail({ connectorInstanceId: instance.id, externalId: `uid-${name}` });
  const ledger = async (instance: ConnectorInstance) =>
    (await repo(UnattachedRecord).find({ where: { connectorInstanceId: instance.id }, order: { externalId: 'ASC' } })).map((r) => [r.externalId, r.reason, r.tenantId]);
  const sourceOf = (instance: ConnectorInstance, externalId: string) => repo(SourceDevice).findOneBy({ connectorInstanceId: instance.id, externalId });

  it('checks DeviceRecord.deleted like the other flags: the engine refuses, and the contract kit reports, one that is not a boolean', async () => {
    const connector: Connector = {
      testConnection: async () => ({ message: '' }),
      devices: async function* () { yield { externalId: 'x1', deleted: 'yes' as never }; },
      updates: async function* () {},
      patchStates: async function* () {},
    };
    await expect(readSource(connector, {})).rejects.toThrow(/device x1: deleted is not true or false/);
    expect(recordProblems({ devices: [{ externalId: 'x1', deleted: 'yes' as never }, { externalId: 'x2', deleted: true }], updates: [], patchStates: [] }))
      .toEqual(['device #0 (x1).deleted is not true or false (yes)']);
  });

  describe('an MSP-wide account', () => {
    it('counts every record; states of devices it does not import are dropped and counted, not lost silently', async () => {
      const a = await mspAccount();
      const t = await factory.tenant('Mapped client');
      const devices = [device('n1', 'Client'), device('u1', 'Nobody mapped'), device('i1', 'Lab'), gone('x1')];
      await apply(a, { devices });
      await repo(VendorSite).update({ id: (await site(a, 'Client')).id }, { tenantId: t.id });
      await repo(VendorSite).update({ id: (await site(a, 'Lab')).id }, { ignored: true });

      const counts = await apply(a, { devices, patchStates: devices.map((d) => state(d.externalId)) });
      expect(counts.devices).toMatchObject({ seen: 4, created: 1, deleted: 1, unmapped: 1, ignored: 1 });
      expect(counts.patchStates).toMatchObject({ seen: 4, created: 1, dropped: 3 });
      expect(await ledger(a)).toEqual([['i1', 'IGNORED_SITE', null], ['u1', 'UNMAPPED_SITE', null], ['x1', 'DELETED_IN_SOURCE', null]]);
      expect((await repo(SourceDevice).findBy({ connectorInstanceId: a.id })).map((d) => d.externalId)).toEqual(['n1']);
      // Datto's bin is listed with its one deleted device and flagged; it imports nothing even if someone maps it.
      expect(await site(a, 'Deleted Devices')).toMatchObject({ deviceCount: 1, deletedDevicesSite: true, tenantId: null });
      await repo(VendorSite).update({ id: (await site(a, 'Deleted Devices')).id }, { tenantId: t.id });
      expect((await apply(a, { devices })).devices).toMatchObject({ created: 0, deleted: 1 });
      expect(await sourceOf(a, 'x1')).toBeNull();
    });

    it('fails the run on a state of a device it neither listed nor holds, as the connector guide says', async () => {
      const a = await mspAccount();
      await expect(apply(a, { devices: [device('n1', 'Client')], patchStates: [state('ghost')] })).rejects.toThrow(SyncDataError);
      await expect(apply(a, { devices: [device('n1', 'Client')], patchStates: [state('ghost')], fullDeviceRead: false })).rejects.toThrow(/ghost/);
    });

    it('drops a record from the ledger once it is imported, and one the source no longer lists only after a full read', async () => {
      const a = await mspAccount();
      const t = await factory.tenant('Late mapping');
      await apply(a, { devices: [device('w1', 'Waiting'), device('w2', 'Waiting'), gone('x1')] });
      expect(await ledger(a)).toEqual([['w1', 'UNMAPPED_SITE', null], ['w2', 'UNMAPPED_SITE', null], ['x1', 'DELETED_IN_SOURCE', null]]);
      const written = await repo(UnattachedRecord).findOneByOrFail({ connectorInstanceId: a.id, externalId: 'w1' });

      // Unchanged: nothing rewritten.
      await apply(a, { devices: [device('w1', 'Waiting'), device('w2', 'Waiting'), gone('x1')] });
      expect((await repo(UnattachedRecord).findOneByOrFail({ id: written.id })).lastSeenAt).toEqual(written.lastSeenAt);

      await repo(VendorSite).update({ id: (await site(a, 'Waiting')).id }, { tenantId: t.id });
      // An incremental read that leaves x1 out proves nothing about it.
      await apply(a, { devices: [device('w1', 'Waiting'), device('w2', 'Waiting')], fullDeviceRead: false });
      expect(await ledger(a)).toEqual([['x1', 'DELETED_IN_SOURCE', null]]);
      await apply(a, { devices: [device('w1', 'Waiting'), device('w2', 'Waiting')] });
      expect(await ledger(a)).toEqual([]);
    });

    it('marks an imported device deleted in its tenant, whatever site the vendor files it under now', async () => {
      const a = await mspAccount();
      const t = await factory.tenant('Deleting client');
      await apply(a, { devices: [device('d1', 'Client')] });
      await repo(VendorSite).update({ id: (await site(a, 'Client')).id }, { tenantId: t.id });
      await apply(a, { devices: [device('d1', 'Client'), device('d2', 'Client')] });

      const counts = await apply(a, { devices: [device('d2', 'Client'), gone('d1')], patchStates: [state('d1')] });
      expect(counts.devices).toMatchObject({ seen: 2, deleted: 1, stale: 1, changed: 1 });
      expect(counts.patchStates).toMatchObject({ seen: 1, dropped: 1 });
      expect(await sourceOf(a, 'd1')).toMatchObject({ tenantId: t.id, stale: true, deletedInSource: true, vendorSite: 'Client' });
      expect(await ledger(a)).toEqual([]);
    });
  });

  describe('an instance bound to one tenant', () => {
    it('never imports a record listed as deleted; marks one it imported before, and restores it when the source lists it again', async () => {
      const t = await factory.tenant('Own tool');
      const a = await h.admin.create({ tenantId: t.id, kind: 'file-import', name: 'Own tool', settings: { path: '/dev/null' }, enabled: false });
      const live = (id: string) => ({ externalId: id, hostname: id.toUpperCase(), serialNumber: `SN-${id}` });

      const first = await apply(a, { devices: [live('a1'), live('a2'), { ...live('x1'), deleted: true }], patchStates: [state('a1'), state('x1')] });
      expect(first.devices).toMatchObject({ seen: 3, created: 2, deleted: 1, stale: 0 });
      expect(first.patchStates).toMatchObject({ seen: 2, created: 1, dropped: 1 });
      expect(await sourceOf(a, 'x1')).toBeNull();
      expect(await ledger(a)).toEqual([['x1', 'DELETED_IN_SOURCE', t.id]]);

      const a2 = (await sourceOf(a, 'a2'))!;
      const deleted = await apply(a, { devices: [live('a1'), { ...live('a2'), deleted: true }, { ...live('x1'), deleted: true }] });
      expect(deleted.devices).toMatchObject({ seen: 3, deleted: 2, stale: 1, created: 0 });
      expect(await sourceOf(a, 'a2')).toMatchObject({ stale: true, deletedInSource: true, assetId: a2.assetId });
      expect((await repo(Asset).findOneByOrFail({ id: a2.assetId! })).status).toBe('STALE');
      // Still deleted: nothing changes.
      expect((await apply(a, { devices: [live('a1'), { ...live('a2'), deleted: true }, { ...live('x1'), deleted: true }] })).devices).toMatchObject({ changed: 0, stale: 0 });

      await apply(a, { devices: [live('a1'), live('a2')] });
      expect(await sourceOf(a, 'a2')).toMatchObject({ stale: false, deletedInSource: false, assetId: a2.assetId });
      expect(await ledger(a)).toEqual([]);
    });

    it('marks a device missing from a full read stale without calling it deleted', async () => {
      const t = await factory.tenant('Missing');
      const a = await h.admin.create({ tenantId: t.id, kind: 'file-import', name: 'Missing', settings: { path: '/dev/null' }, enabled: false });
      await apply(a, { devices: [{ externalId: 'm1' }, { externalId: 'm2' }] });
      expect((await apply(a, { devices: [{ externalId: 'm1' }] })).devices).toMatchObject({ stale: 1, deleted: 0 });
      expect(await sourceOf(a, 'm2')).toMatchObject({ stale: true, deletedInSource: false });
    });
  });

  describe('the finder behind unattachedSourceDevices', () => {
    let mine: string;
    let other: string;
    let msp: ConnectorInstance;
    const finder = (scope: TenantScope) => new SourceDeviceFinder({ dataSource: db.dataSource, scope, limits: { defaultPageSize: 50, maxPageSize: 100 } });
    const all = async (scope: TenantScope, filter = {}) => (await finder(scope).unattached(filter, { first: 100 })).rows.map((r) => `${r.reason}:${r.externalId}`).sort();

    beforeAll(async () => {
      const [t1, t2] = [await factory.tenant('Scope one'), await factory.tenant('Scope two')];
      [mine, other] = [t1.id, t2.id];
      for (const [t, prefix] of [[t1, 'one'], [t2, 'two']] as const) {
        const own = await h.admin.create({ tenantId: t.id, kind: 'file-import', name: `own ${prefix}`, settings: { path: '/dev/null' }, enabled: false });
        await apply(own, { devices: [{ externalId: `${prefix}-live` }, { externalId: `${prefix}-old` }, { externalId: `${prefix}-bin`, deleted: true }] });
        await apply(own, { devices: [{ externalId: `${prefix}-live` }, { externalId: `${prefix}-bin`, deleted: true }] });
      }
      msp = await mspAccount();
      await apply(msp, { devices: [device('msp-wait', 'Nobody mapped'), gone('msp-bin')] });
    });

    it("shows a tenant-limited scope its tenants' records only, and never an MSP-wide account's", async () => {
      expect(await all(TenantScope.only([mine]))).toEqual(['DELETED_IN_SOURCE:one-bin', 'STALE:one-old']);
      expect(await all(TenantScope.only([]))).toEqual([]);
      const everything = await all(TenantScope.allTenants(), { connectorInstanceIds: [msp.id] });
      expect(everything).toEqual(['DELETED_IN_SOURCE:msp-bin', 'UNMAPPED_SITE:msp-wait']);
      expect(await all(TenantScope.allTenants(), { tenantIds: [mine, other] })).toEqual(['DELETED_IN_SOURCE:one-bin', 'DELETED_IN_SOURCE:two-bin', 'STALE:one-old', 'STALE:two-old']);
      expect(await all(TenantScope.allTenants(), { tenantIds: [mine], reasons: [UnattachedReason.STALE] })).toEqual(['STALE:one-old']);
      expect(await finder(TenantScope.only([mine])).countUnattached({})).toBe(2);
    });

    it('pages forwards and backwards through both tables in one order, skipping and repeating nothing', async () => {
      const scope = TenantScope.allTenants();
      const f = finder(scope);
      const whole = (await f.unattached({}, { first: 100 })).rows.map((r) => r.id);
      expect(whole.length).toBe(await f.countUnattached({}));
      expect(whole.length).toBeGreaterThanOrEqual(6);

      const forward: string[] = [];
      let page = await f.unattached({}, { first: 2 });
      for (;;) {
        forward.push(...page.rows.map((r) => r.id));
        if (!page.hasNextPage) break;
        page = await f.unattached({}, { first: 2, after: page.cursorOf(page.rows[page.rows.length - 1]) });
      }
      expect(forward).toEqual(whole);

      const backward: string[] = [];
      page = await f.unattached({}, { last: 3 });
      for (;;) {
        backward.unshift(...page.rows.map((r) => r.id));
        if (!page.hasPreviousPage) break;
        page = await f.unattached({}, { last: 3, before: page.cursorOf(page.rows[0]) });
      }
      expect(backward).toEqual(whole);
    });
  });
});
