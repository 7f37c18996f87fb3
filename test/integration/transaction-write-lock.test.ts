/**
 * A transaction that reads before it writes commits even when another process writes in between. On SQLite a
 * transaction that took its read snapshot first cannot upgrade it once another connection has written, and fails at
 * once (SQLITE_BUSY_SNAPSHOT): a sync's apply did, beside a second worker process on the same file. inTransaction takes
 * SQLite's write lock first, so the other writer waits for it instead.
 */
import { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { insertRows } from '../../src/db/insert-rows';
import { inTransaction } from '../../src/db/transaction';
import { Tenant } from '../../src/entities';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the driver ships no types
const SqliteDatabase: new (path: string, options: { timeout: number }) => { prepare(sql: string): { run(...values: unknown[]): unknown }; close(): void } = require('better-sqlite3');

const T0 = new Date('2026-12-01T00:00:00Z');
const tenant = (name: string) => Object.assign(new Tenant(), { id: newId(), name, createdAt: T0, updatedAt: T0 });

describe(`transactions beside another writing process on ${ENGINE}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(() => db.drop());

  /** Another process's write, made once; on SQLite without waiting, so a held write lock shows as a refusal. */
  async function otherProcessWrites(name: string): Promise<'written' | 'waits for the lock'> {
    if (db.config.engine === 'sqlite') {
      const other = new SqliteDatabase(db.config.path, { timeout: 0 });
      try {
        other.prepare('INSERT INTO tenant (id, name, createdAt, updatedAt) VALUES (?, ?, ?, ?)').run(newId(), name, T0.toISOString(), T0.toISOString());
        return 'written';
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_BUSY') return 'waits for the lock';
        throw err;
      } finally {
        other.close();
      }
    }
    const other: DataSource = await createDataSource(db.config);
    await other.initialize();
    try {
      await insertRows(other.manager, Tenant, [tenant(name)]);
      return 'written';
    } finally {
      await other.destroy();
    }
  }

  it('reads, lets another process write, then writes: the transaction commits and the other write is not lost', async () => {
    let other: string | undefined;
    await inTransaction(db.dataSource, async (m) => {
      await m.getRepository(Tenant).count(); // the read snapshot is taken here
      other = await otherProcessWrites('written beside');
      await insertRows(m, Tenant, [tenant('written inside')]);
    });
    // SQLite: the transaction held the write lock from its start; MariaDB writes other rows side by side.
    expect(other).toBe(ENGINE === 'sqlite' ? 'waits for the lock' : 'written');
    if (other !== 'written') expect(await otherProcessWrites('written beside')).toBe('written');
    const names = (await db.dataSource.getRepository(Tenant).find()).map((t) => t.name).sort();
    expect(names).toEqual(['written beside', 'written inside']);
  });
});
