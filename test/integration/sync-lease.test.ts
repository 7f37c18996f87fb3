/**
 * What a dead or stopping holder leaves behind. A process killed mid-sync (or cut off from the database) cannot
 * record its run's failure or release its lease; the next holder, the start-up and the scheduler mark such runs
 * FAILED (`abandoned`) and the next sync goes ahead at once. A live run keeps its short lease by its heartbeat; one
 * that lost its lease cannot commit; a shutdown cancels runs in progress, writes nothing and releases the lease.
 */
import { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { ConnectorInstance, SourceDevice, SyncLock, SyncRun } from '../../src/entities';
import { SyncMode, SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { SyncScheduler } from '../../src/sync/scheduler';
import { ABANDONED_ERROR_KIND, SyncEngine } from '../../src/sync/sync-engine';
import { acquireSyncLock, DEFAULT_SYNC_LEASE_MS, SyncInProgressError, syncLeaseMsFromEnv } from '../../src/sync/sync-lock';
import { systemClock } from '../../src/util/clock';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { InventoryFile } from '../helpers/inventory';
import { startSlowFeed, SlowFeed } from '../helpers/slow-feed';
import { recordingSleep, syncHarness } from '../helpers/sync';

describe(`sync leases, abandoned runs and cancellation on ${ENGINE}`, () => {
  let db: TestDatabase;
  let h: ReturnType<typeof syncHarness>;
  let factory: Factory;
  let feeds: SlowFeed[] = [];
  beforeAll(async () => {
    db = await openTestDatabase();
    h = syncHarness(db.dataSource);
    factory = new Factory(db.dataSource);
  });
  afterEach(async () => {
    await Promise.all(feeds.map((f) => f.close()));
    feeds = [];
  });
  afterAll(() => db.drop());

  const runs = () => db.dataSource.getRepository(SyncRun);
  const locks = () => db.dataSource.getRepository(SyncLock);
  const devicesOf = async (instanceId: string) => (await db.dataSource.getRepository(SourceDevice).findBy({ connectorInstanceId: instanceId })).map((d) => d.externalId).sort();

  async function fileInstance(): Promise<ConnectorInstance> {
    const tenant = await factory.tenant();
    return h.admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'export', settings: { path: new InventoryFile().write([{ externalId: 'pc-1', hostname: 'PC-1' }]).path }, enabled: false });
  }
  async function feedInstance(feed: SlowFeed): Promise<ConnectorInstance> {
    feeds.push(feed);
    const tenant = await factory.tenant();
    return h.admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'feed', settings: { url: feed.url }, enabled: false });
  }
  /** What a process killed mid-sync leaves: its RUNNING run, and its lease row until it expires. */
  async function deadHolder(instanceId: string, leaseExpiresAt: Date | null): Promise<string> {
    const id = newId();
    const startedAt = new Date(h.clock.now().getTime() - 5 * 60_000);
    await db.dataSource.createQueryBuilder().insert().into(SyncRun).values({
      id, connectorInstanceId: instanceId, tenantId: null, status: SyncRunStatus.RUNNING, mode: SyncMode.FULL, trigger: SyncTrigger.SCHEDULE,
      triggeredBy: null, startedAt, finishedAt: null, counts: '{}', errorKind: null, errorMessage: null,
    }).execute();
    if (leaseExpiresAt) {
      await db.dataSource.createQueryBuilder().insert().into(SyncLock).values({ connectorInstanceId: instanceId, token: newId(), holder: 'dead-host:4242', acquiredAt: startedAt, expiresAt: leaseExpiresAt }).execute();
    }
    return id;
  }
  /** An engine on the real clock, as the server runs it, over its own connection pool ("another process"). */
  async function realTimeEngine(leaseMs: number, dataSource: DataSource = db.dataSource) {
    return new SyncEngine({ dataSource, secrets: h.secrets, clock: systemClock, leaseMs, connectorContext: { sleep: recordingSleep().sleep } });
  }
  async function secondProcess(): Promise<DataSource> {
    const other = await createDataSource(db.config);
    await other.initialize();
    return other;
  }

  it('leases last 60 seconds by default, not 10 minutes; PATCHGRAPH_SYNC_LEASE_SECONDS sets 5 to 3600 and refuses anything else', () => {
    expect(DEFAULT_SYNC_LEASE_MS).toBe(60_000);
    expect(syncLeaseMsFromEnv({})).toBe(60_000);
    expect(syncLeaseMsFromEnv({ PATCHGRAPH_SYNC_LEASE_SECONDS: '30' })).toBe(30_000);
    for (const bad of ['4', '3601', '1.5', 'sixty', '-60']) {
      expect(() => syncLeaseMsFromEnv({ PATCHGRAPH_SYNC_LEASE_SECONDS: bad })).toThrow(`PATCHGRAPH_SYNC_LEASE_SECONDS: must be an integer between 5 and 3600, got "${bad}"`);
    }
  });

  it('the next attempt takes over a dead holder\'s expired lease, marks its run FAILED (abandoned) and syncs at once', async () => {
    const instance = await fileInstance();
    const dead = await deadHolder(instance.id, new Date(h.clock.now().getTime() - 1000));
    const next = await h.engine.run(instance.id, { trigger: SyncTrigger.CLI });
    expect(next.status).toBe(SyncRunStatus.SUCCEEDED);
    const abandoned = await runs().findOneByOrFail({ id: dead });
    expect(abandoned).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: ABANDONED_ERROR_KIND });
    expect(abandoned.errorMessage).toMatch(/^abandoned: the process running this sync \(dead-host:4242\) died or lost the database/);
    expect(abandoned.finishedAt).not.toBeNull();
    expect(await locks().countBy({ connectorInstanceId: instance.id })).toBe(0);
  });

  it('a dead holder whose lease has not expired blocks only until it does', async () => {
    const instance = await fileInstance();
    const dead = await deadHolder(instance.id, new Date(h.clock.now().getTime() + 60_000));
    await expect(h.engine.run(instance.id, { trigger: SyncTrigger.CLI })).rejects.toBeInstanceOf(SyncInProgressError);
    expect((await runs().findOneByOrFail({ id: dead })).status).toBe(SyncRunStatus.RUNNING);
    h.clock.advance(60_001);
    expect((await h.engine.run(instance.id, { trigger: SyncTrigger.CLI })).status).toBe(SyncRunStatus.SUCCEEDED);
    expect((await runs().findOneByOrFail({ id: dead })).errorKind).toBe(ABANDONED_ERROR_KIND);
  });

  it('at start (and each scheduler tick) marks runs without a live lease abandoned, and leaves a live holder\'s run alone', async () => {
    const [expired, missing, live] = [await fileInstance(), await fileInstance(), await fileInstance()];
    const expiredRun = await deadHolder(expired.id, new Date(h.clock.now().getTime() - 1));
    const missingRun = await deadHolder(missing.id, null); // its final write and its release were both lost
    const liveRun = await deadHolder(live.id, new Date(h.clock.now().getTime() + 30_000));
    const reaped = await h.engine.reapAbandonedRuns();
    expect(reaped.sort()).toEqual([expiredRun, missingRun].sort());
    for (const id of [expiredRun, missingRun]) expect(await runs().findOneByOrFail({ id })).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: ABANDONED_ERROR_KIND });
    expect((await runs().findOneByOrFail({ id: liveRun })).status).toBe(SyncRunStatus.RUNNING);

    h.clock.advance(30_001); // the live one's holder never renews: it was a dead process after all
    const scheduler = new SyncScheduler({ dataSource: db.dataSource, engine: h.engine, clock: h.clock, tickMs: 60_000 });
    await scheduler.tick();
    expect(await runs().findOneByOrFail({ id: liveRun })).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: ABANDONED_ERROR_KIND });
  });

  it('the heartbeat keeps a long run\'s lease alive well past its TTL; another process cannot take it', async () => {
    const leaseMs = 1200;
    const feed = await startSlowFeed(() => ({ devices: ['slow-1'], delayMs: 4000 }));
    const instance = await feedInstance(feed);
    const engine = await realTimeEngine(leaseMs);
    const other = await secondProcess();
    try {
      const started = await engine.start(instance.id, { trigger: SyncTrigger.API });
      await feed.received(1);
      await new Promise((resolve) => setTimeout(resolve, 3 * leaseMs)); // three TTLs into a four-second read
      await expect(acquireSyncLock(other, instance.id, systemClock, leaseMs)).rejects.toBeInstanceOf(SyncInProgressError);
      const lease = await locks().findOneByOrFail({ connectorInstanceId: instance.id });
      expect(lease.expiresAt.getTime()).toBeGreaterThan(Date.now());
      expect((await started.done).status).toBe(SyncRunStatus.SUCCEEDED);
      expect(await devicesOf(instance.id)).toEqual(['slow-1']);
    } finally {
      await other.destroy();
    }
  });

  /**
   * Records the statements of every transaction the data source runs, and holds up the first data write inside one
   * for `stallMs` (a long apply, as a 20,000-computer run's is); `stalled` resolves when the hold begins.
   */
  function watchTransactions(dataSource: DataSource, stallMs: number) {
    const statements: string[] = [];
    let stalling = false;
    let began!: () => void;
    const stalled = new Promise<void>((resolve) => (began = resolve));
    const create = dataSource.createQueryRunner.bind(dataSource);
    const watching = new WeakSet<object>(); // SQLite hands out one runner for every caller
    dataSource.createQueryRunner = (mode) => {
      const runner = create(mode);
      if (watching.has(runner)) return runner;
      watching.add(runner);
      const query = runner.query.bind(runner);
      runner.query = (async (sql: string, parameters?: unknown[], structured?: boolean) => {
        if (runner.isTransactionActive) {
          statements.push(sql);
          if (!stalling && /^\s*INSERT/i.test(sql)) {
            stalling = true;
            began();
            await new Promise((resolve) => setTimeout(resolve, stallMs));
          }
        }
        return query(sql, parameters, structured as any);
      }) as typeof runner.query;
      return runner;
    };
    return { statements, stalled };
  }

  it('a long apply keeps its lease renewed for other processes to see: the lease is confirmed last, not held locked through the apply', async () => {
    // Confirmed first, the lease row stayed locked by the apply's transaction until its commit: on MariaDB every
    // heartbeat queued behind that lock, the stored lease ran out, and any process's reaper took the live run for dead.
    const leaseMs = 1500;
    const feed = await startSlowFeed(() => ({ devices: ['long-apply'] }));
    const instance = await feedInstance(feed);
    const mine = await secondProcess();
    const other = await secondProcess();
    try {
      const watched = watchTransactions(mine, 4 * leaseMs);
      const started = await (await realTimeEngine(leaseMs, mine)).start(instance.id, { trigger: SyncTrigger.API });
      await watched.stalled;
      if (ENGINE === 'mariadb') {
        // SQLite has one writer: renewals made meanwhile commit with the apply, and a takeover or a reaper waits for
        // the write lock, then finds the run finished. On MariaDB other processes read the lease while the apply runs.
        await new Promise((resolve) => setTimeout(resolve, 3 * leaseMs));
        const lease = await other.getRepository(SyncLock).findOneByOrFail({ connectorInstanceId: instance.id });
        expect(lease.expiresAt.getTime()).toBeGreaterThan(Date.now());
        expect(await (await realTimeEngine(leaseMs, other)).reapAbandonedRuns()).toEqual([]);
      }
      expect((await started.done).status).toBe(SyncRunStatus.SUCCEEDED);
      expect(await runs().findOneByOrFail({ id: started.run.id })).toMatchObject({ status: SyncRunStatus.SUCCEEDED });
      expect(await devicesOf(instance.id)).toEqual(['long-apply']);
      // The run's transaction confirms the lease as its last statement before the commit. (On SQLite the heartbeat's
      // renewals wait at the one connection's gate for the commit, and are recorded here while they wait.)
      const written = watched.statements.filter((sql) => !/^\s*(COMMIT|START TRANSACTION|BEGIN|SET TRANSACTION)/i.test(sql));
      expect(written[written.length - 1]).toMatch(/^\s*UPDATE\W+sync_lock/i);
      if (ENGINE === 'mariadb') expect(written.filter((sql) => /sync_lock/.test(sql))).toHaveLength(1);
    } finally {
      await mine.destroy();
      await other.destroy();
    }
  });

  it('a run another process marked abandoned before it committed keeps that verdict, and writes nothing', async () => {
    // As a reaper does when it finds the lease expired (a stall longer than the TTL, or a clock running ahead).
    const feed = await startSlowFeed(() => ({ devices: ['written-too-late'], delayMs: 1500 }));
    const instance = await feedInstance(feed);
    const started = await (await realTimeEngine(60_000)).start(instance.id, { trigger: SyncTrigger.API });
    await feed.received(1);
    const verdict = { status: SyncRunStatus.FAILED, errorKind: ABANDONED_ERROR_KIND, errorMessage: 'abandoned: marked by another process' };
    await runs().update({ id: started.run.id, status: SyncRunStatus.RUNNING }, { ...verdict, finishedAt: new Date() });
    expect((await started.done).status).toBe(SyncRunStatus.FAILED);
    expect(await runs().findOneByOrFail({ id: started.run.id })).toMatchObject(verdict);
    expect(await devicesOf(instance.id)).toEqual([]);
  });

  it('a holder that lost its lease (renewals missed, taken over) cannot commit what it read', async () => {
    // The first read is slow and its lease (60 s, renewed every 20 s) is expired by hand, as a database stall
    // longer than the TTL would; a second process then takes the instance over and syncs it.
    const feed = await startSlowFeed((n) => (n === 1 ? { devices: ['read-by-the-loser'], delayMs: 2500 } : { devices: ['read-by-the-winner'] }));
    const instance = await feedInstance(feed);
    const loser = await realTimeEngine(60_000);
    const other = await secondProcess();
    try {
      const started = await loser.start(instance.id, { trigger: SyncTrigger.API });
      await feed.received(1);
      await locks().update({ connectorInstanceId: instance.id }, { expiresAt: new Date(Date.now() - 1000) });
      const winner = await (await realTimeEngine(60_000, other)).run(instance.id, { trigger: SyncTrigger.API });
      expect(winner.status).toBe(SyncRunStatus.SUCCEEDED);
      const lost = await started.done;
      expect(lost.status).toBe(SyncRunStatus.FAILED);
      expect(await devicesOf(instance.id)).toEqual(['read-by-the-winner']);
      // The winner's verdict on the loser's run stands; the loser does not overwrite it.
      expect(await runs().findOneByOrFail({ id: started.run.id })).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: ABANDONED_ERROR_KIND });
    } finally {
      await other.destroy();
    }
  });

  it('shutdown cancels a run stuck reading (one the API started, with no signal of its own): FAILED, nothing written, lease released', async () => {
    const feed = await startSlowFeed(() => ({ devices: ['half-read'], thenHang: true }));
    const instance = await feedInstance(feed);
    const engine = await realTimeEngine(60_000);
    const started = await engine.start(instance.id, { trigger: SyncTrigger.API });
    await feed.received(2); // the first page is read; the second never comes
    const t0 = Date.now();
    expect(await engine.shutdown(5000)).toBe(true);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(2000);
    expect(await started.done).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: 'transient', errorMessage: 'cancelled: the server is shutting down' });
    expect(await runs().findOneByOrFail({ id: started.run.id })).toMatchObject({ status: SyncRunStatus.FAILED, errorMessage: 'cancelled: the server is shutting down' });
    expect(await locks().countBy({ connectorInstanceId: instance.id })).toBe(0);
    expect(await devicesOf(instance.id)).toEqual([]);
    // A run asked for while shutting down is cancelled at once rather than started.
    const late = await engine.run(instance.id, { trigger: SyncTrigger.API });
    expect(late).toMatchObject({ status: SyncRunStatus.FAILED, errorMessage: 'cancelled: the server is shutting down' });
    expect(feed.requests.filter((r) => r.startsWith('/devices'))).toHaveLength(1);
  });
});
