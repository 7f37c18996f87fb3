/**
 * A sync's long batch statements are not kept prepared (src/db/sqlite-statement-cache.ts): their compiled programs
 * live in native memory, about 2.7 MB for a 3,000-row INSERT, where a heap limit does not reach them, and TypeORM's
 * runner kept the last 100 (50 such statements held: 133 MB resident). SQLite only: mysql2 prepares nothing here.
 */
import { MAX_CACHED_SQL_CHARS } from '../../src/db/sqlite-statement-cache';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';

(ENGINE === 'sqlite' ? describe : describe.skip)('prepared statements kept for reuse on SQLite', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
    await db.dataSource.query('CREATE TABLE batch_probe (a, b, c, d, e, f, g, h, i, j)');
  }, 60_000);
  afterAll(async () => db?.drop());

  const cachedSql = () => [...((db.dataSource.driver as unknown as { queryRunner: { stmtCache: Map<string, unknown> } }).queryRunner.stmtCache.keys())];

  /** A multi-row INSERT of `rows` rows of 10 values, as a sync's batch writes them: its text differs with its length. */
  async function insertBatch(rows: number): Promise<void> {
    const sql = `INSERT INTO batch_probe VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
    await db.dataSource.query(sql, Array.from({ length: rows * 10 }, (_, i) => i));
    db.counter.reset(); // the test helper's logger keeps every statement and its values
  }

  it('prepares distinct 3,000-row INSERTs without keeping them', async () => {
    for (let n = 0; n < 5; n++) await insertBatch(3_000 + n);
    expect(cachedSql().filter((sql) => sql.length > MAX_CACHED_SQL_CHARS)).toEqual([]);
  });

  it('still keeps the short statements it repeats', async () => {
    const sql = 'SELECT COUNT(*) AS n FROM batch_probe WHERE a >= ?';
    await db.dataSource.query(sql, [0]);
    await db.dataSource.query(sql, [1]);
    expect(cachedSql()).toContain(sql);
  });
});
