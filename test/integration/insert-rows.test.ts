import { SourceDevice } from '../../src/entities';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';

/** Regression: TypeORM's own multi-row insert could merge read-back values into the wrong object on SQLite. */
describe(`multi-row inserts on ${ENGINE}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(() => db.drop());

  it('store every row as given and leave the objects as they were', async () => {
    const f = new Factory(db.dataSource);
    const tenants = [await f.tenant('A'), await f.tenant('B')];
    const connectors = [await f.connector(tenants[0]), await f.connector(tenants[1])];
    const assets = await f.insertAssets(Array.from({ length: 60 }, (_, i) => f.asset(tenants[i % 2])));
    const sources = assets.map((a, i) => f.source(a, connectors[i % 2], { stale: i % 3 === 0 }));
    const before = sources.map((s) => ({ id: s.id, tenantId: s.tenantId, assetId: s.assetId, stale: s.stale }));

    await f.insert(SourceDevice, sources);

    expect(sources.map((s) => ({ id: s.id, tenantId: s.tenantId, assetId: s.assetId, stale: s.stale }))).toEqual(before);
    const stored = await db.dataSource.getRepository(SourceDevice).find();
    const byId = new Map(stored.map((s) => [s.id, s]));
    for (const b of before) expect(byId.get(b.id)).toMatchObject({ tenantId: b.tenantId, assetId: b.assetId, stale: b.stale });
  });
});
