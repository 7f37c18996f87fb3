import { EntityManager } from 'typeorm';
import { insertRows, MAX_ROWS_PER_INSERT, MAX_STATEMENT_BYTES } from '../../src/db/insert-rows';
import { RunEventLeaves, SourceDevice, Tenant } from '../../src/entities';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory, T0 } from '../helpers/factories';

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

  it('splits rows of long text into statements the server accepts (MariaDB drops the connection past max_allowed_packet)', async () => {
    const syncRunId = newId();
    const tenantId = newId();
    const entries = (i: number) => JSON.stringify(Array.from({ length: 256 }, (_, j) => ['patch_event', `${i}-${j}`.padEnd(36, '0'), 'f'.repeat(64)]));
    const rows = Array.from({ length: 800 }, (_, chunk) => Object.assign(new RunEventLeaves(), { id: newId(), syncRunId, tenantId, chunk, entries: entries(chunk) }));
    // Together far past MariaDB's default 16 MiB packet, and past this module's own budget many times over.
    expect(rows.reduce((n, r) => n + r.entries.length, 0)).toBeGreaterThan(4 * MAX_STATEMENT_BYTES);

    await insertRows(db.dataSource.manager, RunEventLeaves, rows);

    const [{ n, bytes }] = await db.dataSource.query('SELECT COUNT(*) AS n, SUM(LENGTH(entries)) AS bytes FROM run_event_leaves WHERE ' + db.dataSource.driver.escape('syncRunId') + ' = ?', [syncRunId]);
    expect({ n: Number(n), bytes: Number(bytes) }).toEqual({ n: 800, bytes: rows.reduce((n, r) => n + r.entries.length, 0) });
  });

  it('builds the next statement while the database runs the last one, and sends the next only once it is done', async () => {
    const rows = Array.from({ length: 3 * MAX_ROWS_PER_INSERT }, (_, i) => Object.assign(new Tenant(), { id: newId(), name: `Overlap ${i}`, createdAt: T0, updatedAt: T0 }));
    const log: string[] = [];
    let converted = 0;
    const driver = db.dataSource.driver;
    const convert = driver.preparePersistentValue.bind(driver);
    driver.preparePersistentValue = (value, column) => {
      converted++;
      return convert(value, column);
    };
    // The real manager, watched: when each statement is sent and lands, and how many values were converted meanwhile.
    const manager = Object.create(db.dataSource.manager) as EntityManager;
    let inFlight = 0;
    manager.query = async (sql: string, parameters?: unknown[]) => {
      log.push(`sent with ${inFlight} in flight`);
      inFlight++;
      const before = converted;
      try {
        return await db.dataSource.manager.query(sql, parameters);
      } finally {
        inFlight--;
        log.push(`landed, ${converted - before > 0 ? 'rows built meanwhile' : 'nothing built meanwhile'}`);
      }
    };
    try {
      await insertRows(manager, Tenant, rows);
    } finally {
      driver.preparePersistentValue = convert;
    }
    expect(log).toEqual([
      'sent with 0 in flight', 'landed, rows built meanwhile',
      'sent with 0 in flight', 'landed, rows built meanwhile',
      'sent with 0 in flight', 'landed, nothing built meanwhile',
    ]);
    const [{ n }] = await db.dataSource.query(`SELECT COUNT(*) AS n FROM tenant WHERE name LIKE 'Overlap %'`);
    expect(Number(n)).toBe(rows.length);
  });
});
