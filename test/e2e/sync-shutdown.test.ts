/**
 * A real `patchgraph serve` child process (bin/patchgraph.js, compiled when a source changed) on the test's
 * database. At start it marks a run a killed process left RUNNING as FAILED (abandoned). Sent SIGTERM while a sync
 * it started through the API is stuck reading a slow feed, it cancels the sync, records the run FAILED (cancelled),
 * writes none of what it had read, releases the lease and exits 0, well within its shutdown timeout; the next sync
 * of the instance can start at once.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SourceDevice, SyncLock, SyncRun } from '../../src/entities';
import { SyncMode, SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { keyOf } from '../../src/graphql/types/global-id';
import { acquireSyncLock } from '../../src/sync/sync-lock';
import { systemClock } from '../../src/util/clock';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startSlowFeed, SlowFeed } from '../helpers/slow-feed';
import { syncHarness } from '../helpers/sync';

const ROOT = join(__dirname, '..', '..');
const ADMIN_KEY = 'pgk_sync-shutdown-test-admin-key-0123456789';
const SHUTDOWN_TIMEOUT_MS = 8000;

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe(`SIGTERM during a sync of a real server on ${ENGINE}`, () => {
  let db: TestDatabase;
  let dir: string;
  let feed: SlowFeed;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-sync-shutdown-'));
    feed = await startSlowFeed(() => ({ devices: ['half-read-1', 'half-read-2'], thenHang: true }));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await feed.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cancels the sync, rolls back, releases the lease and exits 0; a run a killed process left is marked abandoned at start', async () => {
    // What a process killed by SIGKILL mid-sync leaves: its run RUNNING, its lease row, now expired.
    const h = syncHarness(db.dataSource);
    const tenant = await new Factory(db.dataSource).tenant();
    const killed = await h.admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'killed', settings: { url: 'http://127.0.0.1:9/' }, enabled: false });
    const deadRunId = newId();
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await db.dataSource.createQueryBuilder().insert().into(SyncRun).values({
      id: deadRunId, connectorInstanceId: killed.id, tenantId: tenant.id, status: SyncRunStatus.RUNNING, mode: SyncMode.FULL, trigger: SyncTrigger.API,
      triggeredBy: 'admin', startedAt: longAgo, finishedAt: null, counts: '{}', errorKind: null, errorMessage: null,
    }).execute();
    await db.dataSource.createQueryBuilder().insert().into(SyncLock).values({ connectorInstanceId: killed.id, token: newId(), holder: 'gone-host:31337', acquiredAt: longAgo, expiresAt: new Date(Date.now() - 9 * 60_000) }).execute();

    const output = join(dir, 'server.log');
    const fd = openSync(output, 'a');
    const env: NodeJS.ProcessEnv = {
      ...process.env, DATABASE_URL: db.config.url, PORT: '0', PATCHGRAPH_DEMO: 'false', PATCHGRAPH_SCHEDULER: 'false', PATCHGRAPH_ADMIN_KEY: ADMIN_KEY,
      PATCHGRAPH_DATA_DIR: dir, LOG_FORMAT: 'json', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), PATCHGRAPH_SYNC_LEASE_SECONDS: '30',
      // The slow feed is on 127.0.0.1, which a server refuses to reach unless allowed.
      PATCHGRAPH_ALLOW_PRIVATE_URLS: 'true',
    };
    for (const name of ['PATCHGRAPH_SECRET_KEY', 'PATCHGRAPH_SECRET_KEY_FILE', 'NODE_ENV']) delete env[name];
    child = spawn(process.execPath, [join(ROOT, 'bin', 'patchgraph.js'), 'serve'], { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    try {
      const url = await waitFor('the serving line', () => /patchgraph is serving GraphQL at (\S+)\n/.exec(readFileSync(output, 'utf8'))?.[1], 200_000);
      // On start: the killed process's run is FAILED (abandoned) and its lease no longer blocks.
      expect(await db.dataSource.getRepository(SyncRun).findOneByOrFail({ id: deadRunId })).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: 'abandoned' });
      expect((await db.dataSource.getRepository(SyncRun).findOneByOrFail({ id: deadRunId })).errorMessage).toContain('(gone-host:31337) died or lost the database');

      const gql = async (query: string, variables: Record<string, unknown>) => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` }, body: JSON.stringify({ query, variables }) });
        const body = (await res.json()) as { data?: any; errors?: unknown[] };
        if (body.errors) throw new Error(JSON.stringify(body.errors));
        return body.data;
      };
      const created = await gql('mutation($i: CreateTenantInput!) { createTenant(input: $i) { id } }', { i: { name: 'Slow Feed Ltd' } });
      const instance = await gql('mutation($i: CreateConnectorInstanceInput!) { createConnectorInstance(input: $i) { id } }', {
        i: { tenantId: created.createTenant.id, kind: 'file-import', name: 'slow feed', settings: { url: feed.url }, enabled: false },
      });
      const instanceId = keyOf('ConnectorInstance', instance.createConnectorInstance.id, 'id');
      const started = await gql('mutation($i: TriggerSyncInput!) { triggerSync(input: $i) { id status } }', { i: { connectorInstanceId: instance.createConnectorInstance.id } });
      expect(started.triggerSync.status).toBe('RUNNING');
      const runId = keyOf('SyncRun', started.triggerSync.id, 'id');
      await feed.received(2); // the first page (two devices) is read; the second never comes
      const lease = await db.dataSource.getRepository(SyncLock).findOneByOrFail({ connectorInstanceId: instanceId });
      expect(lease.holder).toMatch(new RegExp(`:${child.pid}$`));

      const t0 = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const shutdownMs = Date.now() - t0;
      expect(shutdownMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);

      const run = await db.dataSource.getRepository(SyncRun).findOneByOrFail({ id: runId });
      expect(run).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: 'transient', errorMessage: 'cancelled: the server is shutting down' });
      expect(run.finishedAt).not.toBeNull();
      expect(await db.dataSource.getRepository(SyncLock).countBy({ connectorInstanceId: instanceId })).toBe(0);
      expect(await db.dataSource.getRepository(SourceDevice).countBy({ connectorInstanceId: instanceId })).toBe(0);
      // The lease is free: the next sync could start at once.
      const next = await acquireSyncLock(db.dataSource, instanceId, systemClock, 60_000);
      await next.release();
      const logs = readFileSync(output, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['received signal', 'sync failed', 'shut down']));
      process.stdout.write(`SIGTERM to exit during a stuck sync: ${shutdownMs} ms\n`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      closeSync(fd);
    }
  }, 260_000);
});
