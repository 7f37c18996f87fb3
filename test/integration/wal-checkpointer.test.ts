/**
 * SQLite's write-ahead log is copied back into the database file by a thread of its own (src/db/wal-checkpointer.ts),
 * not by the commit on the thread that answers requests. Only SQLite has a write-ahead log to checkpoint.
 */
import { statSync } from 'node:fs';
import { openTestDatabase, TestDatabase } from '../helpers/database';

const sqliteOnly = process.env.TEST_ENGINE === 'mariadb' ? describe.skip : describe;

sqliteOnly('WAL checkpoints off the main thread', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => db?.drop());

  const file = () => (db.config as { path: string }).path;
  const size = () => statSync(file()).size;

  it('a commit leaves the log for the checkpointer, which copies it into the file within seconds', async () => {
    expect(await db.dataSource.query('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 0 }]);
    await db.dataSource.query('CREATE TABLE scratch (x TEXT)');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the checkpointer catches up with the migrations
    const before = size();
    const row = 'x'.repeat(4_000);
    // About 3,000 pages in one transaction: three times the log size at which the commit would checkpoint itself.
    await db.dataSource.transaction(async (m) => {
      for (let i = 0; i < 3_000; i += 100) {
        await m.query(`INSERT INTO scratch (x) VALUES ${Array.from({ length: 100 }, () => '(?)').join(', ')}`, Array.from({ length: 100 }, () => row));
      }
    });
    const afterCommit = size();
    const deadline = Date.now() + 10_000;
    while (size() < before + 10_000_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect({ fileUnchangedAtCommit: afterCommit - before < 1_000_000, grewSoonAfter: size() >= before + 10_000_000 }).toEqual({ fileUnchangedAtCommit: true, grewSoonAfter: true });
    expect(await db.dataSource.query('SELECT COUNT(*) AS n FROM scratch')).toEqual([{ n: 3_000 }]);
  });
});
