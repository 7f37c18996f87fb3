/**
 * Syncs as BullMQ jobs on the real Redis, run by real `patchgraph worker` processes (bin/patchgraph.js) sharing the
 * test's database (SQLite: the same file) and reading file-import feeds (the slow feed stands in for a vendor API).
 * Two workers share a queue of syncs of several instances: each job runs exactly once and no two runs of an
 * instance overlap. A worker stopped with SIGTERM hands its job back; one killed with SIGKILL mid-job loses no job:
 * the survivor gets it after stall detection, waits for the dead worker's lease, and marks the dead run abandoned.
 * triggerSync over GraphQL queues for the workers, and vendor rate limits are shared through Redis.
 *
 * Each engine's run uses its own Redis database and a fresh key prefix, and deletes its keys afterwards. Without
 * Redis the file is skipped, loudly; on CI it fails.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisRateLimiterRegistry } from '../../connectors/sdk/http/redis-rate-limiter';
import { ConnectorAdmin } from '../../src/access/connector-admin';
import { TenantScope } from '../../src/access/tenant-scope';
import { Config, loadConfig } from '../../src/config/config';
import { ConnectorInstance, SourceDevice, SyncLock, SyncRun } from '../../src/entities';
import { SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { SecretBox } from '../../src/secrets/secret-box';
import { SyncScheduler } from '../../src/sync/scheduler';
import { SyncEngine } from '../../src/sync/sync-engine';
import { SyncJob, SyncQueue } from '../../src/sync/sync-queue';
import { systemClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';
import { SlowFeed, startSlowFeed } from '../helpers/slow-feed';

const ROOT = join(__dirname, '..', '..');
const REDIS_URL = `${(process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/${ENGINE === 'sqlite' ? 12 : 13}`;
const PREFIX = `pgtest-workers-${randomBytes(4).toString('hex')}`;
const ON_CI = process.env.CI === 'true' || process.env.CI === '1';
const LEASE_SECONDS = 5;
const STALL_SECONDS = 2;

interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  logs: Array<Record<string, any>>;
}

async function redisProblem(): Promise<string | null> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  try {
    await probe.connect();
    await probe.ping();
    return null;
  } catch (err) {
    return `Redis at ${REDIS_URL} did not answer (${(err as Error).message})`;
  } finally {
    probe.disconnect();
  }
}

/** A real `patchgraph worker`, resolved once it says it is taking jobs (the first one may compile dist/ first). */
function startWorker(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'patchgraph.js'), 'worker'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, any>> = [];
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    child.stdout!.on('data', (chunk) => {
      buffer += String(chunk);
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines.filter(Boolean)) {
        try {
          const entry = JSON.parse(line) as Record<string, any>;
          logs.push(entry);
          if (entry.msg === 'patchgraph worker is taking sync jobs') resolve({ child, pid: child.pid!, exited, logs });
        } catch {
          // not a log line
        }
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`worker exited (${code ?? signal}) before taking jobs: ${stderr}`)));
  });
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe(`sync jobs run by patchgraph worker processes through Redis on ${ENGINE}`, () => {
  let unavailable: string | null = null;
  let db: TestDatabase;
  let dir: string;
  let redis: Redis;
  let config: Config;
  let env: NodeJS.ProcessEnv;
  let queue: SyncQueue;
  let admin: ConnectorAdmin;
  let secrets: SecretBox;
  let tenantId: string;
  let server: TestServer | undefined;
  const feeds: SlowFeed[] = [];
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    unavailable = await redisProblem();
    if (unavailable) {
      if (ON_CI) throw new Error(`${unavailable}; on CI the sync worker tests are required (.ci/run starts Redis)`);
      process.stderr.write(`\n${'!'.repeat(100)}\n!! SKIPPING the sync worker tests: ${unavailable}.\n!! Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\n${'!'.repeat(100)}\n\n`);
      return;
    }
    redis = new Redis(REDIS_URL);
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-sync-workers-'));
    const key = randomBytes(32).toString('base64');
    env = {
      ...process.env, DATABASE_URL: db.config.url, PATCHGRAPH_SECRET_KEY: key, PATCHGRAPH_DATA_DIR: dir, REDIS_URL, PATCHGRAPH_QUEUE_PREFIX: PREFIX,
      PATCHGRAPH_SYNC_LEASE_SECONDS: String(LEASE_SECONDS), PATCHGRAPH_WORKER_STALL_SECONDS: String(STALL_SECONDS), SHUTDOWN_TIMEOUT_MS: '1000',
      PATCHGRAPH_ALLOW_PRIVATE_URLS: 'true', LOG_FORMAT: 'json', LOG_LEVEL: 'info',
    };
    config = loadConfig(env);
    queue = new SyncQueue(config.syncQueue!, { dataSource: db.dataSource, clock: systemClock });
    secrets = SecretBox.fromEncodedKey(key);
    admin = new ConnectorAdmin(db.dataSource, TenantScope.allTenants(), systemClock, { label: 'test' }, secrets);
    tenantId = (await new Factory(db.dataSource).tenant()).id;
    // One after the other: the first compiles dist/ if the tree changed.
    workers.push(await startWorker(env));
    workers.push(await startWorker(env));
  }, 240_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await queue?.close();
    await server?.stop();
    for (const feed of feeds) await feed.close();
    if (redis) {
      const keys = await redis.keys(`${PREFIX}*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function feedInstance(name: string, plan: Parameters<typeof startSlowFeed>[0], syncIntervalSeconds: number | null = null): Promise<{ instance: ConnectorInstance; feed: SlowFeed }> {
    const feed = await startSlowFeed(plan);
    feeds.push(feed);
    const instance = await admin.create({ tenantId, kind: 'file-import', name, settings: { url: feed.url }, enabled: true, syncIntervalSeconds });
    return { instance, feed };
  }

  async function finished(jobId: string, timeoutMs = 30_000): Promise<SyncJob> {
    return eventually(`job ${jobId} to finish`, async () => {
      const job = await queue.queue.getJob(jobId);
      return job?.finishedOn ? job : undefined;
    }, timeoutMs);
  }

  const runsOf = (instanceId: string) => db.dataSource.getRepository(SyncRun).find({ where: { connectorInstanceId: instanceId }, order: { startedAt: 'ASC' } });

  /** The worker whose process holds the instance's lease now. */
  async function holderOf(instanceId: string): Promise<WorkerProcess> {
    const lease = await db.dataSource.getRepository(SyncLock).findOneByOrFail({ connectorInstanceId: instanceId });
    const worker = workers.find((w) => lease.holder.endsWith(`:${w.pid}`));
    if (!worker) throw new Error(`the lease is held by ${lease.holder}, not a worker of this test`);
    return worker;
  }

  it('two workers share a queue of syncs of three instances: every job runs once, never two of an instance at once', async () => {
    if (unavailable) return;
    const started = Date.now();
    const instances = [];
    for (let i = 0; i < 3; i++) instances.push((await feedInstance(`feed ${i}`, () => ({ devices: [`device-${i}`], delayMs: 150 }), 3600)).instance);
    // Two API servers' schedulers find the three instances due in the same slot: they queue three jobs between them.
    const schedulers = [0, 1].map(() => new SyncScheduler({ dataSource: db.dataSource, engine: new SyncEngine({ dataSource: db.dataSource, secrets, clock: systemClock }), clock: systemClock, tickMs: 60_000, queue }));
    // The first finds all three due. A worker may start one of them before the second looks, and a started run counts
    // as that slot's turn, so the second queues all three (the same job ids, nothing new) or fewer, never another slot.
    const ids = instances.map((i) => i.id).sort();
    expect((await schedulers[0].tick()).sort()).toEqual(ids);
    expect(ids).toEqual(expect.arrayContaining(await schedulers[1].tick()));
    const scheduled = await queue.queue.getJobs(['wait', 'active', 'delayed', 'completed', 'failed', 'prioritized']);
    expect(scheduled.map((job) => job.data.trigger)).toEqual([SyncTrigger.SCHEDULE, SyncTrigger.SCHEDULE, SyncTrigger.SCHEDULE]);
    const jobIds = scheduled.map((job) => job.id!);
    for (let round = 0; round < 3; round++) {
      for (const instance of instances) jobIds.push(await queue.enqueue({ connectorInstanceId: instance.id, trigger: SyncTrigger.API, triggeredBy: 'test', full: false }));
    }

    const jobs = await Promise.all(jobIds.map((id) => finished(id, 50_000)));
    const runError = async (job: SyncJob) => {
      const run = job.returnvalue?.syncRunId ? await db.dataSource.getRepository(SyncRun).findOneBy({ id: job.returnvalue.syncRunId }) : null;
      if (!run?.errorMessage) return undefined;
      // An internal error's details are only in the worker's log: the assertion shows them.
      const logged = workers.flatMap((w) => w.logs).find((entry) => entry.syncRunId === run.id && entry.err);
      return logged ? `${run.errorMessage}: ${logged.err.message}` : run.errorMessage;
    };
    for (const job of jobs) {
      expect({ id: job.id, failedReason: job.failedReason, status: job.returnvalue?.status, error: await runError(job) })
        .toEqual({ id: job.id, failedReason: undefined, status: SyncRunStatus.SUCCEEDED, error: undefined });
    }
    const workerNames = new Set(jobs.map((job) => job.processedBy));
    expect(workerNames.size).toBe(2);

    for (const instance of instances) {
      const runs = await runsOf(instance.id);
      const expected = jobs.filter((job) => job.data.connectorInstanceId === instance.id);
      expect(runs).toHaveLength(expected.length);
      expect(runs.map((r) => r.id).sort()).toEqual(expected.map((job) => job.returnvalue.syncRunId).sort());
      expect(runs.every((r) => r.status === SyncRunStatus.SUCCEEDED)).toBe(true);
      expect(runs.filter((r) => r.trigger === SyncTrigger.SCHEDULE)).toHaveLength(1);
      for (let k = 1; k < runs.length; k++) expect(runs[k].startedAt.getTime()).toBeGreaterThanOrEqual(runs[k - 1].finishedAt!.getTime());
    }
    // The workers counted the feeds' requests in Redis (REDIS_URL selects the shared limiter): one window per feed.
    expect(await redis.keys(`${PREFIX}:vendor-rl:*`)).toHaveLength(3);
    process.stdout.write(`${jobIds.length} sync jobs of 3 instances (3 scheduled, 9 triggered) ran on 2 workers in ${Date.now() - started} ms\n`);
  }, 60_000);

  it('a worker stopped with SIGTERM cancels the run it cannot finish in time and hands its job back to the other worker', async () => {
    if (unavailable) return;
    const { instance, feed } = await feedInstance('stopped worker', (n) => (n === 1 ? { devices: ['read-by-the-stopped-worker'], thenHang: true } : { devices: ['read-after'] }));
    const jobId = await queue.enqueue({ connectorInstanceId: instance.id, trigger: SyncTrigger.API, triggeredBy: 'test', full: false });
    await feed.received(2);
    const stopped = await holderOf(instance.id);
    stopped.child.kill('SIGTERM');
    expect(await stopped.exited).toEqual({ code: 0, signal: null });

    const job = await finished(jobId);
    expect(job.returnvalue.status).toBe(SyncRunStatus.SUCCEEDED);
    expect(job.processedBy).not.toMatch(new RegExp(`:${stopped.pid}$`));
    const runs = await runsOf(instance.id);
    expect(runs.map((r) => [r.status, r.errorKind])).toEqual([[SyncRunStatus.FAILED, 'transient'], [SyncRunStatus.SUCCEEDED, null]]);
    expect(runs[0].errorMessage).toBe('cancelled: the worker is shutting down');
    expect(runs[1].id).toBe(job.returnvalue.syncRunId);
    expect((await db.dataSource.getRepository(SourceDevice).findBy({ connectorInstanceId: instance.id })).map((d) => d.externalId)).toEqual(['read-after']);
    workers.splice(workers.indexOf(stopped), 1);
    workers.push(await startWorker(env));
  }, 60_000);

  it('a worker killed with SIGKILL mid-job loses no job: the other takes it after stall detection and marks the dead run abandoned', async () => {
    if (unavailable) return;
    const { instance, feed } = await feedInstance('killed worker', (n) => (n === 1 ? { devices: ['read-by-the-killed-worker'], thenHang: true } : { devices: ['read-after'] }));
    const jobId = await queue.enqueue({ connectorInstanceId: instance.id, trigger: SyncTrigger.API, triggeredBy: 'test', full: false });
    await feed.received(2);
    const killed = await holderOf(instance.id);
    const lease = await db.dataSource.getRepository(SyncLock).findOneByOrFail({ connectorInstanceId: instance.id });
    const dead = (await runsOf(instance.id))[0];
    expect(dead.status).toBe(SyncRunStatus.RUNNING);
    killed.child.kill('SIGKILL');
    expect((await killed.exited).signal).toBe('SIGKILL');
    const killedAt = Date.now();

    const job = await finished(jobId);
    const recoveredMs = Date.now() - killedAt;
    expect(job.returnvalue.status).toBe(SyncRunStatus.SUCCEEDED);
    expect(job.stalledCounter).toBeGreaterThanOrEqual(1);
    expect(job.processedBy).not.toMatch(new RegExp(`:${killed.pid}$`));
    const runs = await runsOf(instance.id);
    expect(runs.map((r) => r.id)).toEqual([dead.id, job.returnvalue.syncRunId]);
    expect(runs[0]).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: 'abandoned' });
    expect(runs[0].errorMessage).toContain(`(${lease.holder}) died or lost the database`);
    expect(runs[1].status).toBe(SyncRunStatus.SUCCEEDED);
    // Never two at once: the survivor started only once the dead worker's lease had run out.
    expect(runs[1].startedAt.getTime()).toBeGreaterThanOrEqual(lease.expiresAt.getTime());
    expect((await db.dataSource.getRepository(SourceDevice).findBy({ connectorInstanceId: instance.id })).map((d) => d.externalId)).toEqual(['read-after']);
    expect(recoveredMs).toBeLessThan((LEASE_SECONDS + 2 * STALL_SECONDS + 5) * 1000);
    process.stdout.write(`a SIGKILLed worker's job finished on the other worker ${recoveredMs} ms later (stall ${STALL_SECONDS} s, lease ${LEASE_SECONDS} s)\n`);
  }, 60_000);

  it('triggerSync over GraphQL queues the sync for the workers: CONFLICT while it runs, the finished run with wait', async () => {
    if (unavailable) return;
    server = await startTestServer(db, { REDIS_URL, PATCHGRAPH_QUEUE_PREFIX: PREFIX }, { clock: systemClock, syncQueue: queue });
    const { instance, feed } = await feedInstance('triggered', (n) => (n === 1 ? { devices: ['first'], delayMs: 1500 } : { devices: ['second'] }));
    const trigger = `mutation($id: ID!, $wait: Boolean) { triggerSync(input: { connectorInstanceId: $id, wait: $wait }) { id status trigger } }`;
    const id = toGlobalId('ConnectorInstance', instance.id);

    const first = await server.gql(trigger, { id });
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.triggerSync).toMatchObject({ status: SyncRunStatus.RUNNING, trigger: SyncTrigger.API });
    const refused = await server.gql(trigger, { id });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    await feed.received(1);

    const waited = await server.gql(trigger, { id, wait: true }).then(async (res) => {
      // The first run may still hold the lease when the second trigger arrives; it is refused, then accepted.
      if (res.body.errors?.[0]?.extensions?.code !== 'CONFLICT') return res;
      await eventually('the first run to finish', async () => ((await runsOf(instance.id))[0].status === SyncRunStatus.RUNNING ? undefined : true), 10_000);
      return server!.gql(trigger, { id, wait: true });
    });
    expect(waited.body.errors).toBeUndefined();
    expect(waited.body.data.triggerSync).toMatchObject({ status: SyncRunStatus.SUCCEEDED, trigger: SyncTrigger.API });
    const runs = await runsOf(instance.id);
    expect(runs.map((r) => r.status)).toEqual([SyncRunStatus.SUCCEEDED, SyncRunStatus.SUCCEEDED]);
    expect(toGlobalId('SyncRun', runs[0].id)).toBe(first.body.data.triggerSync.id);
  }, 60_000);

  it('vendor rate limits are shared through Redis: two workers of one account draw from one window', async () => {
    if (unavailable) return;
    // Its own prefix: the workers' file-import syncs above counted their feeds' requests under PREFIX.
    const prefix = `${PREFIX}-limits`;
    const a = new RedisRateLimiterRegistry(REDIS_URL, prefix);
    const b = new RedisRateLimiterRegistry(REDIS_URL, prefix);
    try {
      const limit = { maxRequests: 2, windowMs: 1_500 };
      const account = 'datto-rmm:https://merlot-api.centrastage.net:secret-api-key';
      const started = Date.now();
      await a.limiterFor(account, limit).acquire();
      await b.limiterFor(account, limit).acquire();
      await b.limiterFor('datto-rmm:other-account', limit).acquire();
      expect(Date.now() - started).toBeLessThan(1_000);
      // A window per account, named by a hash: the account key holds the API key. Each expires with its window.
      const keys = await redis.keys(`${prefix}:vendor-rl:*`);
      expect(keys).toHaveLength(2);
      expect(keys.join(' ')).not.toContain('secret-api-key');
      await a.limiterFor(account, limit).acquire();
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    } finally {
      await a.close();
      await b.close();
    }
  }, 20_000);
});
