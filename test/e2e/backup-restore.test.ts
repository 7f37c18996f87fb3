/**
 * The restore drill, with real processes: `patchgraph serve` on a demo SQLite database takes a large WSUS upload,
 * and `patchgraph backup` runs again and again while that run is written. Every backup must be a committed state:
 * the data as it was before the run or after it, never part of it. One taken during the run is restored with
 * `patchgraph restore` into a new path; its audit chains verify with `patchgraph audit verify --all`, and its
 * rows are the backup's. Restoring over the database the server has open is refused.
 *
 * On MariaDB the commands point to mariadb-dump and mariabackup instead; where mariadb-dump is installed, a dump
 * with the documented options restores into a new database whose audit chains verify and whose append-only
 * triggers still refuse an edit.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { DatabaseConfig, parseDatabaseUrl } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';
import { openSqliteFile } from '../../src/db/sqlite-file';
import { ENGINE, openTestDatabase } from '../helpers/database';
import { startTestServer } from '../helpers/server';
import { tableDigests } from '../helpers/table-digest';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'patchgraph.js');
const ADMIN_KEY = 'backup-drill-admin-key-0123456789abcdef';
const INGEST_KEY = 'backup-drill-ingest-key-0123456789abcdef';
const MYSQL_URL = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/';

function cliEnv(databaseUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' };
  for (const name of ['PATCHGRAPH_ADMIN_KEY', 'PATCHGRAPH_SECRET_KEY', 'PATCHGRAPH_DATA_DIR', 'LOG_FORMAT', 'DEBUG']) delete env[name];
  return env;
}

/** The real executable, as an operator runs it; resolves with its exit code and output. */
function cli(args: string[], databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: cliEnv(databaseUrl) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // The executable's own lines when it compiles first (another change to the tree) are not the command's output.
    const own = (text: string) => text.split('\n').filter((l) => !l.startsWith('patchgraph: compil')).join('\n');
    child.on('exit', (code) => resolve({ code, stdout, stderr: own(stderr) }));
  });
}

/** Per table, a SHA-256 over its rows in rowid order, read from a file directly (the server's or a backup). */
function fileDigests(file: string): Record<string, string> {
  const db = openSqliteFile(file, { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    const out: Record<string, string> = {};
    for (const t of tables) out[t] = createHash('sha256').update(JSON.stringify(db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all())).digest('hex');
    return out;
  } finally {
    db.close();
  }
}

/** The WSUS instance's runs in a file, by status. */
function runsOf(file: string, instanceId: string): string[] {
  const db = openSqliteFile(file, { readonly: true });
  try {
    return (db.prepare('SELECT status FROM sync_run WHERE connectorInstanceId = ? ORDER BY startedAt').all(instanceId) as Array<{ status: string }>).map((r) => r.status);
  } finally {
    db.close();
  }
}

/** Everything but the run's own row and its lease: those are written before the run's data, in transactions of their own. */
function dataOnly(digests: Record<string, string>): Record<string, string> {
  // api_key too: the server writes the admin key's lastUsedAt once a minute after the test's GraphQL calls, whenever
  // that minute falls, so it may change between any two readings, sync or not.
  const { sync_run: _run, sync_lock: _lock, api_key: _keys, ...rest } = digests;
  return rest;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const describeOnSqlite = ENGINE === 'sqlite' ? describe : describe.skip;
const describeOnMariadb = ENGINE === 'mariadb' ? describe : describe.skip;

describeOnSqlite('restore drill: backups of a live SQLite database during a sync', () => {
  let dir: string;
  let server: ChildProcess;
  let exited: Promise<number | null>;
  let logFd: number;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-restore-drill-'));
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await exited;
    }
    if (logFd !== undefined) closeSync(logFd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('every backup is the state before or after the run; one taken during it restores, verifies and equals itself', async () => {
    const live = join(dir, 'live.db');
    const liveUrl = `sqlite:${live}`;
    // Compiles the project if a source changed, so that the backups below start as fast as an installed CLI.
    expect((await cli(['migrate', '--dry-run'], liveUrl)).code).toBe(0);

    const log = join(dir, 'serve.log');
    logFd = openSync(log, 'a');
    const env = { ...cliEnv(liveUrl), PORT: '0', PATCHGRAPH_SCHEDULER: 'false', LOG_LEVEL: 'info', PATCHGRAPH_ADMIN_KEY: ADMIN_KEY };
    server = spawn(process.execPath, [CLI, 'serve'], { cwd: ROOT, env, stdio: ['ignore', logFd, logFd] });
    exited = new Promise((resolve) => server.once('exit', (code) => resolve(code)));
    const url = await waitFor('the serving line', () => /patchgraph is serving GraphQL at (\S+)\n/.exec(readFileSync(log, 'utf8'))?.[1], 200_000);
    const gql = async (query: string, variables?: unknown) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as any;
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const tenant = (await gql('mutation { createTenant(input: { name: "Drill school" }) { id } }')).createTenant.id;
    const instance = (await gql('mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }', {
      input: { tenantId: tenant, kind: 'wsus', name: 'WSUS (drill)', settings: { ingestKey: INGEST_KEY } },
    })).createConnectorInstance.id;
    const instanceKey = Buffer.from(instance, 'base64url').toString('utf8').split(':').pop()!;
    const wsus = new WsusSimulator({ computers: 1500, updates: 300, seed: 7, now: new Date('2026-11-02T09:00:00Z') });
    const body = wsus.gzipSnapshot();

    const before = fileDigests(live);
    expect(runsOf(live, instanceKey)).toEqual([]);
    let uploading = true;
    const upload = wsus.upload(`${url.replace(/\/graphql$/, '')}/ingest/wsus/${instance}`, INGEST_KEY, body).finally(() => (uploading = false));
    const backups: Array<{ file: string; stdout: string }> = [];
    // Backups one after another until two have been taken while the run was being written (its row RUNNING), then
    // none: each is read whole below, and on a slow machine the unbounded loop took more than half the test's time.
    let duringRun = 0;
    while (uploading && duringRun < 2) {
      const file = join(dir, `during-${backups.length + 1}.db`);
      const taken = await cli(['backup', '--out', file], liveUrl);
      expect({ code: taken.code, stderr: taken.stderr }).toEqual({ code: 0, stderr: '' });
      backups.push({ file, stdout: taken.stdout });
      if (runsOf(file, instanceKey).includes('RUNNING')) duringRun += 1;
    }
    const answer = await upload;
    expect(answer.status).toBe(200);
    const after = fileDigests(live);
    expect(runsOf(live, instanceKey)).toEqual(['SUCCEEDED']);
    // The run wrote a lot: otherwise "before or after" would say little.
    expect(Object.keys(before).filter((t) => before[t] !== after[t])).toEqual(expect.arrayContaining(['patch_state', 'patch_event', 'audit_event', 'source_device']));

    const seen = backups.map(({ file, stdout }) => {
      const digests = dataOnly(fileDigests(file));
      const runs = runsOf(file, instanceKey);
      const state = JSON.stringify(digests) === JSON.stringify(dataOnly(before)) ? 'before' : JSON.stringify(digests) === JSON.stringify(dataOnly(after)) ? 'after' : 'in between';
      // What backup printed is the file on disk.
      const printed = /sha256\s+([0-9a-f]{64})/.exec(stdout)?.[1];
      return { file, state, runs, shaMatches: printed === createHash('sha256').update(readFileSync(file)).digest('hex') };
    });
    for (const s of seen) {
      expect(s.shaMatches).toBe(true);
      expect(s.state).not.toBe('in between');
      // A run's row says SUCCEEDED exactly when its data is there.
      expect(s.runs.includes('SUCCEEDED')).toBe(s.state === 'after');
    }
    // At least one backup was taken while the run was being written: its row is there, RUNNING, and its data not yet.
    const during = seen.find((s) => s.runs.includes('RUNNING'));
    expect(during).toMatchObject({ state: 'before', runs: ['RUNNING'] });

    // Restoring over the database the server has open is refused, and leaves it alone.
    const refused = await cli(['restore', '--from', during!.file], liveUrl);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^patchgraph: --force: the database looks in use: .*Stop `patchgraph serve`/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    // Left alone: every table as it was (the key-usage flush apart, see dataOnly).
    expect({ ...fileDigests(live), api_key: '' }).toEqual({ ...after, api_key: '' });

    const restored = join(dir, 'restored', 'patchgraph.db');
    execFileSync('mkdir', ['-p', join(dir, 'restored')]);
    const restoredUrl = `sqlite:${restored}`;
    const restore = await cli(['restore', '--from', during!.file], restoredUrl);
    expect({ code: restore.code, stderr: restore.stderr }).toEqual({ code: 0, stderr: '' });
    expect(restore.stdout).toMatch(/audit chains verified: \d+ \(\d+ audit events, \d+ sealed sync runs/);
    expect(existsSync(`${restored}-wal`)).toBe(false);
    expect(fileDigests(restored)).toEqual(fileDigests(during!.file));

    const verify = await cli(['audit', 'verify', '--all'], restoredUrl);
    expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: '' });
    expect(verify.stdout).not.toContain('BROKEN');
    expect(verify.stdout.split('\n').filter((l) => l.startsWith('OK ')).length).toBeGreaterThanOrEqual(4); // the demo's three tenants, the drill's, the MSP-wide chain

    // The backup taken after the run restores too, and carries the run's chain.
    const last = await cli(['backup', '--out', join(dir, 'after.db')], liveUrl);
    expect(last.code).toBe(0);
    // --force: the database restored above came from the mid-run backup, so it holds that run's sync lease, which looks
    // live until it expires (a minute after its last renewal); on a fast machine this line comes sooner.
    const again = await cli(['restore', '--force', '--from', join(dir, 'after.db')], restoredUrl);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/the database it replaced is kept as .*before-restore-/);
    expect(dataOnly(fileDigests(restored))).toEqual(dataOnly(after));
  }, 900_000);

  it('refuses bad arguments with the flag named, exit 1 and no stack trace', async () => {
    const url = `sqlite:${join(dir, 'nothing-here.db')}`;
    const noOut = await cli(['backup'], url);
    expect(noOut.code).toBe(1);
    expect(noOut.stderr).toMatch(/^patchgraph: --out: is required/);
    const noDb = await cli(['backup', '--out', join(dir, 'x.db')], url);
    expect(noDb.stderr).toMatch(/^patchgraph: DATABASE_URL: there is no SQLite database at /);
    const notSqlite = join(dir, 'not-a-backup.db');
    execFileSync('sh', ['-c', `echo hello > '${notSqlite}'`]);
    const bad = await cli(['restore', '--from', notSqlite], url);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^patchgraph: --from: .* is not a SQLite database/);
    expect(existsSync(join(dir, 'nothing-here.db'))).toBe(false);
    for (const r of [noOut, noDb, bad]) expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 300_000);
});

describeOnMariadb('backup and restore on MariaDB', () => {
  it('backup and restore name the documented tools and options, exit 1, no stack trace', async () => {
    const url = MYSQL_URL.replace(/\/[^/]*$/, '/test');
    const backup = await cli(['backup', '--out', join(tmpdir(), 'never-written.db')], url);
    expect(backup.code).toBe(1);
    expect(backup.stderr).toContain('mariadb-dump --single-transaction --routines --triggers --events --hex-blob');
    expect(backup.stderr).toContain('mariabackup --backup');
    expect(backup.stderr).not.toMatch(/\n\s+at /);
    const restore = await cli(['restore', '--from', join(tmpdir(), 'never-written.db')], url);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain('npx patchgraph audit verify --all');
  }, 300_000);

  const hasDump = spawnSync('sh', ['-c', 'command -v mariadb-dump && command -v mariadb']).status === 0;
  (hasDump ? it : it.skip)('a mariadb-dump with those options restores a database whose audit chains verify and whose triggers still guard them', async () => {
    const db = await openTestDatabase();
    const server = await startTestServer(db);
    const target = `pgtest_restored_${process.pid}_${Date.now().toString(36)}`;
    const dir = mkdtempSync(join(tmpdir(), 'patchgraph-mariadb-dump-'));
    try {
      const tenant = (await server.gql('mutation { createTenant(input: { name: "Dumped school" }) { id } }')).body.data!.createTenant.id;
      const instance = (await server.gql('mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }', {
        input: { tenantId: tenant, kind: 'wsus', name: 'WSUS', settings: { ingestKey: INGEST_KEY } },
      })).body.data!.createConnectorInstance.id;
      const wsus = new WsusSimulator({ computers: 20, updates: 30, seed: 3, now: new Date('2026-11-02T09:00:00Z') });
      expect((await wsus.upload(`${server.app.url}/ingest/wsus/${instance}`, INGEST_KEY)).status).toBe(200);
      await server.stop();

      const source = (db.config as { database: string }).database;
      const conn = new URL(MYSQL_URL);
      const auth = ['-h', conn.hostname, '-P', conn.port || '3306', '-u', decodeURIComponent(conn.username || 'root'), ...(conn.password ? [`-p${decodeURIComponent(conn.password)}`] : [])];
      const dump = join(dir, 'patchgraph.sql');
      execFileSync('sh', ['-c', `mariadb-dump "$@" --single-transaction --routines --triggers --events --hex-blob --default-character-set=utf8mb4 ${source} > '${dump}'`, 'sh', ...auth]);
      expect(readFileSync(dump, 'utf8')).toMatch(/CREATE\b.*TRIGGER `trg_audit_event_no_update`/);
      execFileSync('mariadb', [...auth, '-e', `CREATE DATABASE \`${target}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`]);
      execFileSync('sh', ['-c', `mariadb "$@" ${target} < '${dump}'`, 'sh', ...auth]);

      const restoredUrl = MYSQL_URL.replace(/\/[^/]*$/, `/${target}`);
      const verify = await cli(['audit', 'verify', '--all'], restoredUrl);
      expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: '' });
      expect(verify.stdout).toMatch(/^OK {6}Dumped school .*, 1 sync runs/m);

      const original = await openDataSourceAt(db.config);
      const restored = await openDataSourceAt(parseDatabaseUrl(restoredUrl));
      try {
        expect(await tableDigests(restored)).toEqual(await tableDigests(original));
        await expect(restored.query("UPDATE audit_event SET actor = 'someone else'")).rejects.toThrow(/append-only/);
      } finally {
        await restored.destroy();
        await original.destroy();
      }
    } finally {
      await server.stop().catch(() => undefined);
      await db.drop();
      const c = await createConnection(MYSQL_URL);
      await c.query(`DROP DATABASE IF EXISTS \`${target}\``);
      await c.end();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

async function openDataSourceAt(config: DatabaseConfig) {
  const ds = await createDataSource(config);
  await ds.initialize();
  return ds;
}
