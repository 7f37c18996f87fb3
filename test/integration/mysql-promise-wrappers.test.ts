/**
 * On MariaDB and MySQL every statement goes through mysql2's promise wrapper of a pooled connection. Two costs of
 * mysql2's per-statement path are taken out (src/db/mysql-promise-wrappers.ts, src/db/data-source.ts): a wrapper
 * made, and its module required, at every statement, and a stack trace captured at every query.
 */
import { openTestDatabase, TestDatabase } from '../helpers/database';

const mysqlOnly = process.env.TEST_ENGINE === 'mariadb' ? describe : describe.skip;

type Pool = { getConnection(done: (err: Error | null, connection: PoolConnection) => void): void; config: { connectionConfig: { trace: boolean } } };
type PoolConnection = { promise(promiseImpl?: PromiseConstructor): { query(sql: string): Promise<unknown> }; release(): void };

mysqlOnly('mysql2 under the data source', () => {
  let db: TestDatabase;
  let pool: Pool;
  beforeAll(async () => {
    db = await openTestDatabase();
    pool = ((db.dataSource.driver as unknown) as { pool: Pool }).pool;
  });
  afterAll(() => db.drop());

  const connection = () => new Promise<PoolConnection>((resolve, reject) => pool.getConnection((err, c) => (err ? reject(err) : resolve(c))));

  it('gives a pooled connection one promise wrapper for all its statements, which still answers each', async () => {
    const c = await connection();
    try {
      const wrapper = c.promise();
      expect(c.promise()).toBe(wrapper);
      const [first] = (await wrapper.query('SELECT 1 AS n')) as [Array<{ n: number }>];
      const [second] = (await c.promise().query('SELECT 2 AS n')) as [Array<{ n: number }>];
      expect([first[0].n, second[0].n]).toEqual([1, 2]);
      // A caller that brings its own Promise gets a wrapper of its own.
      expect(c.promise(Promise)).not.toBe(wrapper);
    } finally {
      c.release();
    }
    const other = await connection();
    try {
      if (other !== c) expect(other.promise()).not.toBe(c.promise());
    } finally {
      other.release();
    }
  });

  it('captures no stack trace at each query, and still reports a failed statement by its code', async () => {
    expect(pool.config.connectionConfig.trace).toBe(false);
    await expect(db.dataSource.query('SELECT * FROM no_such_table_here')).rejects.toMatchObject({ driverError: { code: 'ER_NO_SUCH_TABLE' } });
  });
});
