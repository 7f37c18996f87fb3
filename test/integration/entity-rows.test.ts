import { entityRows } from '../../src/db/entity-rows';
import { Asset, PatchState, SourceDevice, Update } from '../../src/entities';
import { PatchPostureStatus, PatchStateValue } from '../../src/entities/enums';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory, T0 } from '../helpers/factories';

/** entityRows must be indistinguishable from getMany: same values, same types, same prototype, same keys. */
describe(`entityRows on ${ENGINE}`, () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const { updates } = await f.catalog();
    const tenant = await f.tenant();
    const site = await f.site(tenant);
    const connector = await f.connector(tenant, 'datto-rmm');
    const assets = await f.insertAssets([
      f.asset(tenant, { siteId: site.id, fqdn: 'a.example.com', esuUntil: '2027-10-13' }),
      f.asset(tenant),
    ]);
    const sources = [
      f.source(assets[0], connector, {
        macAddresses: ['00155D012345', '00155D012346'], attributes: { udf1: 'x', n: 1, ok: false }, inactive: true, stale: true,
        postureStatus: PatchPostureStatus.APPROVED_PENDING, postureApprovedPending: 3, postureNotApproved: 0, postureInstalled: 41,
        enrolledAt: new Date('2025-01-02T03:04:05.678Z'), forbiddenAssetIds: [assets[1].id],
      } as Partial<SourceDevice>),
      f.source(assets[1], connector),
    ];
    await f.insert(SourceDevice, sources);
    await f.insert(PatchState, [f.patchState(sources[0], updates.get('KB5041585')!.id, PatchStateValue.MISSING), f.patchState(sources[1], updates.get('KB5041585')!.id, PatchStateValue.INSTALLED)]);
  });
  afterAll(() => db.drop());

  const compare = async <T extends object>(entity: new () => T, alias: string) => {
    const qb = () => db.dataSource.createQueryBuilder(entity, alias).orderBy(`${alias}.id`);
    const [expected, actual] = [await qb().getMany(), await entityRows(qb())];
    expect(actual.length).toBeGreaterThan(0);
    expect(actual).toEqual(expected);
    actual.forEach((row, i) => {
      expect(Object.getPrototypeOf(row)).toBe(entity.prototype);
      expect(Object.keys(row).sort()).toEqual(Object.keys(expected[i]).sort());
      for (const key of Object.keys(row)) expect(typeof (row as Record<string, unknown>)[key]).toBe(typeof (expected[i] as Record<string, unknown>)[key]);
    });
    return actual;
  };

  it('reads assets, source devices (JSON, booleans, nulls, dates), patch states and updates as getMany does', async () => {
    await compare(Asset, 'asset');
    const devices = await compare(SourceDevice, 'sd');
    const device = devices.find((d) => d.inactive)!;
    expect(device.macAddresses).toEqual(['00155D012345', '00155D012346']);
    expect(device.attributes).toEqual({ udf1: 'x', n: 1, ok: false });
    expect(device.lastCheckInAt).toBeInstanceOf(Date);
    expect(device.firstSeenAt.getTime()).toBe(T0.getTime());
    const states = await compare(PatchState, 'ps');
    expect(states.map((s) => s.effective)).toEqual([true, true]);
    await compare(Update, 'upd');
  });

  it('leaves a query with joins to getMany: joined entities, and one row per entity however many rows a join repeats it in', async () => {
    const joined = () => db.dataSource.createQueryBuilder(PatchState, 'ps').leftJoinAndSelect('ps.updateRef', 'u').orderBy('ps.id');
    const rows = await entityRows(joined());
    expect(rows).toEqual(await joined().getMany());
    expect(rows[0].updateRef!.kb).toBe('KB5041585');
    // Both states are of one update: joined from the update, it appears once.
    const repeated = () => db.dataSource.createQueryBuilder(Update, 'upd').innerJoin(PatchState, 'ps', 'ps.updateId = upd.id');
    expect(await entityRows(repeated())).toEqual(await repeated().getMany());
    expect(await entityRows(repeated())).toHaveLength(1);
  });

  it('reads only the given properties', async () => {
    const [row] = await entityRows(db.dataSource.createQueryBuilder(SourceDevice, 'sd').where('sd.inactive = :t', { t: true }), new Set(['id', 'macAddresses', 'lastCheckInAt']));
    expect(Object.keys(row).sort()).toEqual(['id', 'lastCheckInAt', 'macAddresses']);
    expect(row).toBeInstanceOf(SourceDevice);
    expect(row.macAddresses).toEqual(['00155D012345', '00155D012346']);
    expect(row.lastCheckInAt).toBeInstanceOf(Date);
  });
});
