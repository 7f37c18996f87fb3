/**
 * A catalog entry's release date (issue 18, friction 5): a source may give none, and the entry is then dated by when
 * a sync first saw it, marked FIRST_SEEN; a source's own date replaces that, Microsoft's data replaces both, and
 * nothing replaces a date of the same kind (a later run's guess never moves a due date).
 * Driven through readSource (the engine's checks) and applyRun, with the catalog data written as a CVRF import does.
 */
import type { UpdateRecord } from '../../connectors/sdk/contract';
import { MICROSOFT_CATALOG } from '../../connectors/shared/microsoft/microsoft-catalog';
import { writeSharedCatalog } from '../../src/catalog/shared-catalog';
import { clockStartsAtFirstSeen } from '../../src/compliance/rule-terms';
import { ConnectorInstance, Update } from '../../src/entities';
import { ReleaseDateSource } from '../../src/entities/enums';
import { SHARED_OWNER } from '../../src/entities/update.entity';
import { readSource } from '../../src/sync/read-source';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { applyRead, SYNC_T0, syncHarness } from '../helpers/sync';

const DAY = 86_400_000;

describe(`update release dates on ${ENGINE}`, () => {
  let db: TestDatabase;
  let h: ReturnType<typeof syncHarness>;
  let factory: Factory;
  beforeAll(async () => {
    db = await openTestDatabase();
    h = syncHarness(db.dataSource);
    factory = new Factory(db.dataSource);
  });
  afterAll(() => db.drop());

  const connectorOf = (updates: UpdateRecord[]) => ({
    testConnection: async () => ({ message: '' }),
    devices: async function* () {},
    updates: async function* () { yield* updates; },
    patchStates: async function* () {},
  });
  async function sync(instance: ConnectorInstance, updates: UpdateRecord[], now: Date) {
    await applyRead(db.dataSource, instance, await readSource(connectorOf(updates), {}), { now });
  }
  async function instances(): Promise<[ConnectorInstance, ConnectorInstance]> {
    const tenant = await factory.tenant();
    const create = (name: string) => h.admin.create({ tenantId: tenant.id, kind: 'file-import', name, settings: { path: '/dev/null' }, enabled: false });
    return [await create('rmm'), await create('inventory')];
  }
  const update = (key: string, releasedAt?: Date): UpdateRecord => ({ key, title: `${key} driver`, vendor: 'Contoso', ...(releasedAt ? { releasedAt } : {}) });
  const entry = (instance: ConnectorInstance, key: string) => db.dataSource.getRepository(Update).findOneByOrFail({ catalogKey: key, owner: instance.tenantId! });
  const dated = (u: Update) => ({ releasedAt: u.releasedAt.toISOString(), releasedAtSource: u.releasedAtSource });

  it('syncs an update without a release date and dates it by first sight, which a later run does not move', async () => {
    const [rmm] = await instances();
    await sync(rmm, [update('contoso:drv-1')], SYNC_T0);
    expect(dated(await entry(rmm, 'contoso:drv-1'))).toEqual({ releasedAt: SYNC_T0.toISOString(), releasedAtSource: ReleaseDateSource.FIRST_SEEN });
    await sync(rmm, [update('contoso:drv-1')], new Date(SYNC_T0.getTime() + 3 * DAY));
    expect(dated(await entry(rmm, 'contoso:drv-1'))).toEqual({ releasedAt: SYNC_T0.toISOString(), releasedAtSource: ReleaseDateSource.FIRST_SEEN });
  });

  it("takes the first date a source gives, then never another source's", async () => {
    const [rmm, inventory] = await instances();
    const vendorDate = new Date('2026-10-14T17:00:00Z');
    await sync(rmm, [update('contoso:drv-2')], SYNC_T0);
    await sync(inventory, [update('contoso:drv-2', vendorDate)], new Date(SYNC_T0.getTime() + DAY));
    expect(dated(await entry(rmm, 'contoso:drv-2'))).toEqual({ releasedAt: vendorDate.toISOString(), releasedAtSource: ReleaseDateSource.SOURCE });
    await sync(rmm, [update('contoso:drv-2', new Date('2026-11-01T00:00:00Z'))], new Date(SYNC_T0.getTime() + 2 * DAY));
    await sync(rmm, [update('contoso:drv-2')], new Date(SYNC_T0.getTime() + 3 * DAY));
    expect(dated(await entry(rmm, 'contoso:drv-2'))).toEqual({ releasedAt: vendorDate.toISOString(), releasedAtSource: ReleaseDateSource.SOURCE });
  });

  it("gives a tenant's entry Microsoft's date when MSRC data names its KB, over a source's date or first sight", async () => {
    const [rmm] = await instances();
    const ms = MICROSOFT_CATALOG.updates[0];
    const key = `microsoft:${ms.kb}`;
    // A KB the shared catalog does not hold yet: a tenant's entry for it, dated by first sight, then MSRC data naming it.
    await db.dataSource.getRepository(Update).delete({ catalogKey: key, owner: SHARED_OWNER });
    // Written as the tenant's own entry (as before the bundled catalog knew the KB), then dated by MSRC data.
    await db.dataSource.getRepository(Update).insert(Object.assign(new Update(), {
      id: newId(), catalogKey: key, owner: rmm.tenantId!, kb: ms.kb, title: 'Cumulative update', vendor: 'Microsoft', products: [], classification: 'SECURITY',
      severity: 'UNSPECIFIED', maxCvssBaseScore: null, releasedAt: SYNC_T0, releasedAtSource: ReleaseDateSource.FIRST_SEEN, supersedes: [], fixedBuilds: null, createdAt: SYNC_T0, updatedAt: SYNC_T0,
    }));
    await db.dataSource.transaction((m) => writeSharedCatalog(m, { updates: [ms], vulnerabilities: MICROSOFT_CATALOG.vulnerabilities.filter((v) => ms.cves.includes(v.cveId)) }, SYNC_T0, { refresh: true, vendorSourceId: null }));
    expect(dated(await entry(rmm, key))).toEqual({ releasedAt: new Date(ms.releasedAt).toISOString(), releasedAtSource: ReleaseDateSource.MICROSOFT });
    expect(dated(await db.dataSource.getRepository(Update).findOneByOrFail({ catalogKey: key, owner: SHARED_OWNER }))).toEqual({
      releasedAt: new Date(ms.releasedAt).toISOString(), releasedAtSource: ReleaseDateSource.MICROSOFT,
    });
  });

  it("dates an update Microsoft's data knows by that data, whatever the source says", async () => {
    const [rmm] = await instances();
    const ms = MICROSOFT_CATALOG.updates[1];
    const key = `microsoft:${ms.kb}`;
    await db.dataSource.getRepository(Update).delete({ catalogKey: key, owner: SHARED_OWNER });
    await sync(rmm, [{ key, kb: ms.kb, title: 'Cumulative update', vendor: 'Microsoft', releasedAt: new Date('2030-01-01T00:00:00Z') }], SYNC_T0);
    expect(dated(await db.dataSource.getRepository(Update).findOneByOrFail({ catalogKey: key, owner: SHARED_OWNER }))).toEqual({
      releasedAt: new Date(ms.releasedAt).toISOString(), releasedAtSource: ReleaseDateSource.MICROSOFT,
    });
  });

  it('still refuses a release date that is not a date', async () => {
    await expect(readSource(connectorOf([update('contoso:drv-3', new Date('not a date'))]), {})).rejects.toThrow(/update contoso:drv-3: releasedAt is not a valid date/);
  });

  it('says when a release clock starts only at first sight', () => {
    const rule = (clockStart: string) => ({ id: 'r', clockStart, allowance: { days: 14 } }) as never;
    expect(clockStartsAtFirstSeen(rule('RELEASE'), { releasedAtSource: 'FIRST_SEEN' })).toBe(true);
    expect(clockStartsAtFirstSeen(rule('RELEASE'), { releasedAtSource: 'SOURCE' })).toBe(false);
    expect(clockStartsAtFirstSeen(rule('FIRST_DETECTED'), { releasedAtSource: 'FIRST_SEEN' })).toBe(false);
  });
});
