/**
 * A server killed with SIGKILL while it applies a WSUS snapshot pushed to POST /ingest/wsus/:id. The server is a
 * real `patchgraph serve` child process (bin/patchgraph.js) on the test's database; it is killed only once the
 * run's transaction is seen writing (SQLite: the database's write lock is held; MariaDB: the server's connection has
 * an open transaction with rows modified), so the kill lands mid-apply, not before or after it. What is checked on
 * the database itself: nothing of the killed upload was applied (the transaction rolled back, and data an earlier
 * upload applied is byte for byte as it was), its run stays RUNNING until the restarted server marks it FAILED
 * (abandoned), and the collector's retry of the same snapshot is applied exactly once, within the lease's TTL.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { globalAgent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { SyncRun } from '../../src/entities';
import { SyncRunStatus } from '../../src/entities/enums';
import { keyOf } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';

const ROOT = join(__dirname, '..', '..');
// The driver TypeORM uses for SQLite (no type declarations are installed): a probe connection of our own, which
// must not wait on a lock the way the data source's connection does.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SqliteDatabase: new (path: string, options: { timeout: number }) => { exec(sql: string): void; close(): void } = require('better-sqlite3');
const ADMIN_KEY = 'pgk_ingest-killed-test-admin-key-0123456789';
const INGEST_KEY = 'wsus-ingest-key-for-the-killed-test-0123456789';
const LEASE_SECONDS = 5;
// Large enough that applying it takes seconds on either engine, so the kill can land inside the transaction.
const COMPUTERS = 500;
const UPDATES = 300;

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

interface Server {
  child: ChildProcess;
  url: string;
  exited: Promise<NodeJS.Signals | null>;
}

describe(`a server killed with SIGKILL while applying a WSUS upload on ${ENGINE}`, () => {
  let db: TestDatabase;
  let dir: string;
  let server: Server | undefined;
  let starts = 0;
  const fds: number[] = [];
  const timings: string[] = [];

  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-ingest-killed-'));
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    for (const fd of fds) closeSync(fd);
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`ingest-killed on ${ENGINE}: ${timings.join('; ')}\n`);
  });

  async function startServer(): Promise<Server> {
    const t0 = Date.now();
    const output = join(dir, `server-${++starts}.log`);
    const fd = openSync(output, 'a');
    fds.push(fd);
    const env: NodeJS.ProcessEnv = {
      ...process.env, DATABASE_URL: db.config.url, PORT: '0', PATCHGRAPH_DEMO: 'false', PATCHGRAPH_SCHEDULER: 'false', PATCHGRAPH_ADMIN_KEY: ADMIN_KEY,
      PATCHGRAPH_DATA_DIR: dir, LOG_FORMAT: 'json', LOG_LEVEL: 'info', PATCHGRAPH_SYNC_LEASE_SECONDS: String(LEASE_SECONDS),
      // The collector's retries while the dead run's lease is live come four a second: a server back quickly would
      // refuse the seventh of the minute as RATE_LIMITED (6 by default), which is not what this drill is about.
      PATCHGRAPH_INGEST_RATE_LIMIT_PER_MINUTE: '600',
    };
    for (const name of ['PATCHGRAPH_SECRET_KEY', 'PATCHGRAPH_SECRET_KEY_FILE', 'NODE_ENV']) delete env[name];
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'patchgraph.js'), 'serve'], { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const url = await waitFor('the serving line', () => {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${readFileSync(output, 'utf8')}`);
      return /patchgraph is serving GraphQL at (\S+)\n/.exec(readFileSync(output, 'utf8'))?.[1];
    }, 200_000);
    timings.push(`start ${starts} ${Date.now() - t0} ms`);
    return { child, url, exited };
  }

  async function gql(query: string, variables: Record<string, unknown>): Promise<any> {
    const res = await fetch(server!.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  }

  /**
   * The collector's upload (the simulator's, through Node's global agent) on a new connection: a kept-alive one the
   * server has since timed out (its keep-alive is 5 s; a digest of the tables can take longer) would fail with a
   * reset before the server saw the request.
   */
  function upload(globalId: string, wsus: WsusSimulator, body: Buffer) {
    globalAgent.destroy();
    return wsus.upload(uploadUrl(globalId), INGEST_KEY, body);
  }

  /** The current server's ingest URL of an instance: each restart listens on a new port. */
  const uploadUrl = (globalId: string) => `${server!.url.replace(/\/graphql$/, '')}/ingest/wsus/${globalId}`;

  async function createWsusInstance(tenantName: string): Promise<{ id: string; globalId: string }> {
    const tenant = await gql('mutation($i: CreateTenantInput!) { createTenant(input: $i) { id } }', { i: { name: tenantName } });
    const created = await gql('mutation($i: CreateConnectorInstanceInput!) { createConnectorInstance(input: $i) { id } }', {
      i: { tenantId: tenant.createTenant.id, kind: 'wsus', name: `WSUS of ${tenantName}`, settings: { ingestKey: INGEST_KEY } },
    });
    const globalId = created.createConnectorInstance.id as string;
    return { id: keyOf('ConnectorInstance', globalId, 'id'), globalId };
  }

  const count = async (sql: string, params: unknown[] = []): Promise<number> => Number((await db.dataSource.query(sql, params))[0].n);

  /**
   * Whether the run is inside its write transaction. SQLite: the database's write lock is taken (a probe's BEGIN
   * IMMEDIATE, not waiting, is refused). MariaDB: the run's first events are written and not yet committed (a probe's
   * locking read of them, not waiting, is refused).
   */
  async function writeInProgress(runId: string): Promise<boolean> {
    if (db.config.engine === 'sqlite') {
      const probe = new SqliteDatabase(db.config.path, { timeout: 0 });
      try {
        probe.exec('BEGIN IMMEDIATE');
        probe.exec('ROLLBACK');
        return false;
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
        throw err;
      } finally {
        probe.close();
      }
    }
    // An uncommitted insert is locked by its transaction; before the first one the read finds nothing.
    try {
      await db.dataSource.query('SELECT id FROM patch_event WHERE syncRunId = ? LIMIT 1 FOR UPDATE NOWAIT', [runId]);
      return false;
    } catch (err) {
      if ([1205, 3572].includes((err as { errno?: number }).errno ?? 0)) return true;
      throw err;
    }
  }

  /** Posts the snapshot and kills the server with SIGKILL once the upload's run is writing; returns the dead run's id. */
  async function uploadAndKillMidApply(instanceId: string, globalId: string, wsus: WsusSimulator, body: Buffer): Promise<{ runId: string; killedAt: number }> {
    const before = new Set((await db.dataSource.getRepository(SyncRun).findBy({ connectorInstanceId: instanceId })).map((r) => r.id));
    const t0 = Date.now();
    // The connection dies with the server: the collector sees a network error, never an answer.
    let answer: unknown;
    const ended = (a: any) => (typeof a?.message === 'string' ? a.message : JSON.stringify(a).slice(0, 500));
    const posted = upload(globalId, wsus, body).then((r) => ({ answered: (answer = r) }), (err: Error) => ({ failed: (answer = err) }));
    const runId = await waitFor('the upload\'s RUNNING run', async () => {
      if (answer) throw new Error(`the upload ended before it could be killed: ${ended(answer)}`);
      const runs = await db.dataSource.getRepository(SyncRun).findBy({ connectorInstanceId: instanceId, status: SyncRunStatus.RUNNING });
      return runs.find((r) => !before.has(r.id))?.id;
    }, 60_000, 20).catch((err: Error) => {
      throw new Error(`${err.message}; the server's log ends:\n${readFileSync(join(dir, `server-${starts}.log`), 'utf8').slice(-4000)}`);
    });
    // Two probes in a row, so a lease renewal's brief write is not taken for the apply.
    let seen = 0;
    await waitFor('the apply transaction to be writing', async () => {
      if (answer) throw new Error(`the upload ended before it was seen writing: ${ended(answer)}`);
      return (seen = (await writeInProgress(runId)) ? seen + 1 : 0) >= 2 ? true : undefined;
    }, 60_000, 20);
    const writingAfterMs = Date.now() - t0;
    server!.child.kill('SIGKILL');
    expect(await server!.exited).toBe('SIGKILL');
    const killedAt = Date.now();
    const outcome = await posted;
    expect(outcome).not.toHaveProperty('answered');
    expect(outcome).toHaveProperty('failed');
    timings.push(`upload ${runId.slice(0, 8)} seen writing ${writingAfterMs} ms after the POST, killed`);
    return { runId, killedAt };
  }

  /** Every row of every table but the run log and the leases, which a kill and a restart rightly change. */
  async function digestOfData(): Promise<Record<string, string>> {
    const tables: string[] = db.config.engine === 'sqlite'
      ? (await db.dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)).map((r: any) => r.name)
      : (await db.dataSource.query(`SELECT TABLE_NAME AS name FROM information_schema.tables WHERE TABLE_SCHEMA = DATABASE()`)).map((r: any) => r.name);
    const digest: Record<string, string> = {};
    for (const table of tables.filter((t) => !['sync_run', 'sync_lock'].includes(t)).sort()) {
      const quoted = db.config.engine === 'sqlite' ? `"${table}"` : `\`${table}\``;
      // A key's last use is written by the server once a minute, whatever it is doing: bookkeeping, not the upload's data.
      const rows = ((await db.dataSource.query(`SELECT * FROM ${quoted}`)) as Array<Record<string, unknown>>)
        .map((r) => JSON.stringify(table === 'api_key' ? { ...r, lastUsedAt: undefined } : r))
        .sort();
      digest[table] = `${rows.length} rows, ${createHash('sha256').update(rows.join('\n')).digest('hex')}`;
    }
    return digest;
  }

  async function assertNothingOfRun(runId: string): Promise<void> {
    expect(await count('SELECT COUNT(*) AS n FROM patch_event WHERE syncRunId = ?', [runId])).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM patch_posture_event WHERE syncRunId = ?', [runId])).toBe(0);
  }

  /** The dead run is RUNNING, and stays so until a server takes its expired lease (or starts after it expired). */
  async function deadRun(runId: string): Promise<SyncRun> {
    return db.dataSource.getRepository(SyncRun).findOneByOrFail({ id: runId });
  }

  /**
   * The collector's retry: the same snapshot, posted again until it is no longer refused because the dead run's
   * lease is live. The attempt that is applied starts within the lease's TTL of the kill (or at once, when the
   * restart itself took longer than that).
   */
  async function repost(globalId: string, wsus: WsusSimulator, body: Buffer, killedAt: number): Promise<any> {
    const restartedAfterMs = Date.now() - killedAt;
    for (;;) {
      const attemptAfterMs = Date.now() - killedAt;
      const res = await upload(globalId, wsus, body);
      if (res.status === 409 && (res.body as any).error?.code === 'SYNC_IN_PROGRESS') {
        expect(Date.now() - killedAt).toBeLessThan((LEASE_SECONDS + 1) * 1000);
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      expect(res).toMatchObject({ status: 200, body: { syncRun: { status: 'SUCCEEDED' } } });
      expect(attemptAfterMs).toBeLessThan(Math.max((LEASE_SECONDS + 1) * 1000, restartedAfterMs + 1000));
      timings.push(`server back ${restartedAfterMs} ms after the kill, retry accepted from ${attemptAfterMs} ms`);
      return (res.body as any).syncRun;
    }
  }

  /** The instance's data is exactly one application of the snapshot: every device and state once, no event twice. */
  async function assertAppliedOnce(instanceId: string, expected: { states: number; events: number }, runIds: string[]): Promise<void> {
    expect(await count('SELECT COUNT(*) AS n FROM source_device WHERE connectorInstanceId = ?', [instanceId])).toBe(COMPUTERS);
    expect(await count('SELECT COUNT(DISTINCT externalId) AS n FROM source_device WHERE connectorInstanceId = ?', [instanceId])).toBe(COMPUTERS);
    const states = 'FROM patch_state s JOIN source_device d ON d.id = s.sourceDeviceId WHERE d.connectorInstanceId = ?';
    expect(await count(`SELECT COUNT(*) AS n ${states}`, [instanceId])).toBe(expected.states);
    expect(await count(`SELECT COUNT(*) AS n FROM (SELECT s.sourceDeviceId, s.updateId ${states} GROUP BY s.sourceDeviceId, s.updateId HAVING COUNT(*) > 1) dup`, [instanceId])).toBe(0);
    const events = `FROM patch_event e JOIN source_device d ON d.id = e.sourceDeviceId WHERE d.connectorInstanceId = ?`;
    const byRun = await db.dataSource.query(`SELECT e.syncRunId AS run, COUNT(*) AS n ${events} GROUP BY e.syncRunId`, [instanceId]);
    expect(byRun.map((r: any) => r.run).sort()).toEqual([...runIds].sort());
    expect(byRun.reduce((sum: number, r: any) => sum + Number(r.n), 0)).toBe(expected.events);
    expect(await count(`SELECT COUNT(*) AS n FROM (SELECT e.sourceDeviceId, e.updateId, e.toState, e.observedAt ${events} GROUP BY e.sourceDeviceId, e.updateId, e.toState, e.observedAt HAVING COUNT(*) > 1) dup`, [instanceId])).toBe(0);
  }

  it('rolls back a killed first upload; the restarted server marks its run abandoned and applies the retry once', async () => {
    server = await startServer();
    const instance = await createWsusInstance('Killed First Upload Ltd');
    const wsus = new WsusSimulator({ computers: COMPUTERS, updates: UPDATES, seed: 1, now: new Date('2026-11-02T09:00:00Z') });
    const body = wsus.gzipSnapshot();

    const { runId, killedAt } = await uploadAndKillMidApply(instance.id, instance.globalId, wsus, body);
    // Nothing of it was committed: no device, state, event or asset, and the run was never finished.
    expect(await deadRun(runId)).toMatchObject({ status: SyncRunStatus.RUNNING, finishedAt: null });
    expect(await count('SELECT COUNT(*) AS n FROM source_device WHERE connectorInstanceId = ?', [instance.id])).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM patch_state')).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM patch_event')).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM asset')).toBe(0);
    await assertNothingOfRun(runId);

    server = await startServer();
    const t0 = Date.now();
    const retried = await repost(instance.globalId, wsus, body, killedAt);
    timings.push(`retry of the first upload answered 200 ${Date.now() - killedAt} ms after the kill (apply ${Date.now() - t0} ms incl. waiting out the lease)`);
    expect(await deadRun(runId)).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: 'abandoned' });
    expect((await deadRun(runId)).errorMessage).toContain('died or lost the database');
    expect(retried.counts.devices).toMatchObject({ created: COMPUTERS });
    expect(retried.counts.patchStates.created).toBeGreaterThan(COMPUTERS * 10);
    const retryRunId = keyOf('SyncRun', retried.id, 'id');
    await assertNothingOfRun(runId);
    // Every state is new, and each new state records one event.
    await assertAppliedOnce(instance.id, { states: retried.counts.patchStates.created, events: retried.counts.patchStates.created }, [retryRunId]);
    expect(await count('SELECT COUNT(*) AS n FROM patch_state')).toBe(retried.counts.patchStates.created);
    expect(await count('SELECT COUNT(*) AS n FROM patch_event')).toBe(retried.counts.events);
  }, 300_000);

  it('leaves an earlier upload\'s data exactly as it was when a later upload is killed, and applies the retry once', async () => {
    // Alone (jest -t), or after the first test left its server killed: a server of its own.
    if (!server || server.child.exitCode !== null || server.child.signalCode !== null) server = await startServer();
    const instance = await createWsusInstance('Killed Second Upload Ltd');
    const wsus = new WsusSimulator({ computers: COMPUTERS, updates: UPDATES, seed: 2, now: new Date('2026-11-02T09:00:00Z') });
    const first = await upload(instance.globalId, wsus, wsus.gzipSnapshot());
    expect(first).toMatchObject({ status: 200, body: { syncRun: { status: 'SUCCEEDED' } } });
    const firstRunId = keyOf('SyncRun', (first.body as any).syncRun.id, 'id');

    // A day later: states moved on, so the second snapshot changes states and records events.
    wsus.advance(24 * 3600_000);
    const body = wsus.gzipSnapshot();
    const before = await digestOfData();
    const { runId, killedAt } = await uploadAndKillMidApply(instance.id, instance.globalId, wsus, body);
    expect(await deadRun(runId)).toMatchObject({ status: SyncRunStatus.RUNNING, finishedAt: null });
    await assertNothingOfRun(runId);

    server = await startServer();
    // The audit trail may already record the dead run's abandonment (once its lease has expired); nothing else moved.
    const withoutAudit = ({ audit_event: _e, audit_chain_head: _h, ...data }: Record<string, string>) => data;
    expect(withoutAudit(await digestOfData())).toEqual(withoutAudit(before));
    const retried = await repost(instance.globalId, wsus, body, killedAt);
    timings.push(`retry of the second upload answered 200 ${Date.now() - killedAt} ms after the kill`);
    expect(await deadRun(runId)).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: 'abandoned' });
    const recorded = await db.dataSource.query(`SELECT data FROM audit_event WHERE action = 'sync.run' AND ${db.config.engine === 'sqlite' ? '"targetId"' : 'targetId'} = ?`, [runId]);
    expect(recorded.map((r: { data: string }) => JSON.parse(r.data))).toEqual([expect.objectContaining({ status: 'FAILED', errorKind: 'abandoned' })]);
    expect(retried.counts.devices).toMatchObject({ seen: COMPUTERS, created: 0 });
    expect(retried.counts.patchStates.changed).toBeGreaterThan(0);
    expect(retried.counts.events).toBeGreaterThan(0);
    const retryRunId = keyOf('SyncRun', retried.id, 'id');
    await assertNothingOfRun(runId);
    // States are never deleted; the events are the first upload's and the retry's, each once.
    const firstCounts = (first.body as any).syncRun.counts;
    await assertAppliedOnce(instance.id, { states: firstCounts.patchStates.created + retried.counts.patchStates.created, events: firstCounts.events + retried.counts.events }, [firstRunId, retryRunId]);
    expect(await count('SELECT COUNT(*) AS n FROM patch_event WHERE syncRunId = ?', [retryRunId])).toBe(retried.counts.events);
  }, 300_000);
});
