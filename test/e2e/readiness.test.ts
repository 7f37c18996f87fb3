/**
 * /readyz on SQLite notices a database file deleted or replaced under the running server. The open handle keeps
 * the unlinked file alive, so `SELECT 1` (all readiness checked before) still answers while every write lands in a
 * file nobody will open again; readiness now compares the path's device and inode with those seen at start.
 */
import { copyFileSync, existsSync, renameSync, unlinkSync } from 'node:fs';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const describeOnSqlite = ENGINE === 'sqlite' ? describe : describe.skip;

describeOnSqlite('/readyz and the SQLite file', () => {
  let db: TestDatabase;
  let server: TestServer;
  let path: string;
  beforeEach(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
    path = (db.config as { path: string }).path;
  });
  afterEach(async () => {
    await server.stop();
    await db.drop();
  });

  const readyz = async () => {
    const res = await fetch(`${server.app.url}/readyz`);
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as { status: string; reason?: string } };
  };

  it('answers 503 with a JSON reason once the file is deleted, though the database still answers SELECT 1', async () => {
    expect((await readyz()).status).toBe(200);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) unlinkSync(file);
    expect(await db.dataSource.query('SELECT 1 AS one')).toEqual([{ one: 1 }]); // what fooled the old check
    const answer = await readyz();
    expect(answer.status).toBe(503);
    expect(answer.type).toMatch(/^application\/json/);
    expect(answer.body).toEqual({ status: 'unavailable', reason: 'the SQLite database file was deleted since the server opened it; writes would be lost: restore the file and restart the server' });
    expect(JSON.stringify(answer.body)).not.toContain(path); // readiness answers anyone; the path is in the log only
    expect(server.logs.some((l) => l.file === path && /deleted/.test(l.msg))).toBe(true);
  });

  it('answers 503 when another file has taken the path (restored from a backup under the running server)', async () => {
    copyFileSync(path, `${path}.copy`);
    renameSync(`${path}.copy`, path);
    const answer = await readyz();
    expect(answer.status).toBe(503);
    expect(answer.body.reason).toMatch(/^the SQLite database file was replaced by another file since the server opened it/);
  });
});
