/**
 * Runs one connector instance into the database. A run: take the instance's lease (one sync per instance across
 * every process), record a RUNNING SyncRun, read the whole source, then write everything — data, cursors and the
 * run's outcome — in one transaction. Any failure before the commit leaves the data exactly as it was and records
 * a FAILED run saying why.
 *
 * A process that dies mid-run (killed, crashed, or cut off from the database) cannot record its failure. Its run
 * stays RUNNING and its lease stays until it expires; whoever next holds the lease knows the run is dead (only a
 * lease holder runs a sync) and marks it FAILED with errorKind `abandoned`, as does `reapAbandonedRuns` at start.
 */
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { ConnectionCheck, Connector, ConnectorContext } from '../../connectors/sdk/contract';
import { ConnectorError } from '../../connectors/sdk/errors';
import { realSleep } from '../../connectors/sdk/http/backoff';
import { sharedRateLimiters } from '../../connectors/sdk/http/rate-limiter';
import { sharedTokenCache } from '../../connectors/sdk/http/oauth2';
import { auditCompletedRun, auditFailedRun } from '../audit/sync-run-audit';
import { inTransaction } from '../db/transaction';
import { ConnectorInstance, SyncRun } from '../entities';
import { SyncMode, SyncRunStatus, SyncTrigger } from '../entities/enums';
import { NotFoundError } from '../errors';
import { SecretBox, SecretKeyError } from '../secrets/secret-box';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import { applyRun } from './apply/apply-run';
import { parseCounts } from './run-counts';
import { emptyCounts } from './apply/run-context';
import { importedSites, knownDevices } from './known-devices';
import { connectorDefinition } from '../../connectors/registry';
import type { RunMode } from '../../connectors/sdk/contract';
import { loadInstanceConfig } from './instance-config';
import { Cursors, ReadProgress, readSource } from './read-source';
import { chooseRunMode } from './run-mode';
import { Metrics } from '../observability/metrics';
import { inSpan } from '../observability/tracing';
import { vendorHttpObserver } from '../observability/vendor-http';
import { acquireSyncLock, DEFAULT_SYNC_LEASE_MS, HeldLock, LEASE_HOLDER, leasesOf, SyncInProgressError, SyncLeaseLostError } from './sync-lock';

export type SyncProgress = ReadProgress | { stream: 'writing'; records: number };

export interface RunOptions {
  trigger: SyncTrigger;
  /** Who asked for the run (API key name, "cli"); null for the scheduler. */
  triggeredBy?: string | null;
  /** Ignore stored cursors and read everything. */
  full?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: SyncProgress) => void;
  /** What a push source uploaded for this run (a WSUS snapshot); such a run is a full read. */
  payload?: unknown;
}

export interface SyncEngineDeps {
  dataSource: DataSource;
  secrets: SecretBox;
  clock: Clock;
  logger?: Logger;
  /** Overrides for what connectors receive; tests pass a sleep that does not wait. */
  connectorContext?: Partial<ConnectorContext>;
  /**
   * How long a lease lasts without renewal (default 60 s): a killed process blocks its instances at most this long.
   * A running sync renews it every third of this.
   */
  leaseMs?: number;
  /** Where runs, rows, lease waits and vendor throttling are counted (the server's /metrics); nowhere without. */
  metrics?: Metrics;
}

export interface StartedRun {
  run: SyncRun;
  /** Settles with the finished run (SUCCEEDED or FAILED); never rejects. */
  done: Promise<SyncRun>;
}

const MAX_ERROR_LENGTH = 2000;

/** errorKind of a run whose process stopped (killed, crashed, lost the database) before it could record an outcome. */
export const ABANDONED_ERROR_KIND = 'abandoned';

function abandonedMessage(holder: string | null): string {
  return `abandoned: the process running this sync (${holder ?? 'unknown'}) died or lost the database before it finished; nothing it read was applied`;
}

export class SyncEngine {
  private readonly leaseMs: number;
  /** Runs in progress in this process, so a shutdown can cancel them and wait for their outcome. */
  private readonly active = new Map<string, { abort: AbortController; done: Promise<SyncRun> }>();
  private stopping: Error | null = null;

  constructor(private readonly deps: SyncEngineDeps) {
    this.leaseMs = deps.leaseMs ?? DEFAULT_SYNC_LEASE_MS;
  }

  /**
   * Marks FAILED (`abandoned`) every RUNNING run whose instance has no live lease: its process is gone, since a
   * running sync keeps its lease renewed. Run at start, and by the scheduler each tick, so a run cut off from the
   * database does not stay RUNNING. Returns the ids it marked.
   *
   * `latestOnly` looks at each instance's latest run only, one look-up each on ix_sync_run_connector_started, for
   * the scheduler's frequent ticks: status has no index, and sync_run grows by every run. An abandoned run is its
   * instance's latest until the next run, which marks it before starting.
   */
  async reapAbandonedRuns(options: { latestOnly?: boolean } = {}): Promise<string[]> {
    const { dataSource, clock } = this.deps;
    const runs = dataSource.getRepository(SyncRun);
    let running: Array<Pick<SyncRun, 'id' | 'connectorInstanceId'>>;
    if (options.latestOnly) {
      running = [];
      for (const { id } of await dataSource.getRepository(ConnectorInstance).find({ select: { id: true } })) {
        const latest = await runs.findOne({ where: { connectorInstanceId: id }, order: { startedAt: 'DESC', id: 'DESC' }, select: { id: true, connectorInstanceId: true, status: true } });
        if (latest?.status === SyncRunStatus.RUNNING) running.push(latest);
      }
    } else {
      running = await runs.find({ where: { status: SyncRunStatus.RUNNING }, select: { id: true, connectorInstanceId: true } });
    }
    if (running.length === 0) return [];
    const leases = await leasesOf(dataSource, [...new Set(running.map((r) => r.connectorInstanceId))]);
    const now = clock.now().getTime();
    const leaseLive = (instanceId: string) => (leases.get(instanceId)?.expiresAt.getTime() ?? -Infinity) >= now;
    const dead = running.filter((r) => !leaseLive(r.connectorInstanceId));
    // By id and still RUNNING: a run that just finished, or a new run under a new lease, is never touched.
    for (const r of dead) await this.markAbandoned({ id: r.id }, leases.get(r.connectorInstanceId)?.holder ?? null);
    const ids = dead.map((r) => r.id);
    if (ids.length) this.deps.logger?.warn({ syncRunIds: ids }, 'marked sync runs whose process died or lost the database as FAILED (abandoned)');
    return ids;
  }

  /**
   * Cancels every run in progress in this process (each fails as cancelled, writes nothing and releases its lease)
   * and waits up to `timeoutMs` for them to record that. Runs started afterwards are cancelled at once. Resolves
   * true when every run finished in time.
   */
  async shutdown(timeoutMs: number, reason = new Error('the server is shutting down')): Promise<boolean> {
    this.stopping = reason;
    const runs = [...this.active.values()];
    for (const r of runs) r.abort.abort(reason);
    if (runs.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const finished = await Promise.race([Promise.allSettled(runs.map((r) => r.done)).then(() => true as const), timedOut]);
    clearTimeout(timer);
    if (!finished) this.deps.logger?.warn({ timeoutMs }, 'syncs did not stop within the shutdown timeout; their runs are marked abandoned once their leases expire');
    return finished;
  }

  /** Runs a sync to the end. Throws SyncInProgressError when the instance is already syncing. */
  /**
   * Checks that an instance reaches its source with its credentials, without syncing: the connector is built as a
   * sync builds it (the same context: clock, shared rate limiters and token cache, vendor-call metrics), so a test
   * counts against the vendor's quota where a sync would. Throws the connector's typed error when it does not.
   */
  async testConnection(instance: ConnectorInstance, signal: AbortSignal): Promise<ConnectionCheck> {
    const { definition, config } = loadInstanceConfig(instance, this.deps.secrets);
    const connector = definition.create(config, this.connectorContext(undefined, instance.kind));
    try {
      return await connector.testConnection({ signal });
    } finally {
      await connector.close?.().catch(() => undefined);
    }
  }

  async run(instanceId: string, options: RunOptions): Promise<SyncRun> {
    return (await this.start(instanceId, options)).done;
  }

  /**
   * Takes the lease and records the RUNNING run, then returns while the run goes on. Throws NotFoundError for an
   * unknown instance and SyncInProgressError when another sync holds the lease.
   */
  async start(instanceId: string, options: RunOptions): Promise<StartedRun> {
    const { dataSource, clock } = this.deps;
    const instance = await dataSource.getRepository(ConnectorInstance).findOneBy({ id: instanceId });
    if (!instance) throw new NotFoundError('ConnectorInstance', instanceId);
    const lock = await this.acquireLease(instanceId);
    let run: SyncRun;
    try {
      // Holding the lease, any run of this instance still RUNNING belongs to a holder that is gone.
      const abandoned = await this.markAbandoned({ connectorInstanceId: instanceId }, lock.takenOverFrom);
      if (abandoned) this.deps.logger?.warn({ connectorInstanceId: instanceId, previousHolder: lock.takenOverFrom, holder: LEASE_HOLDER }, 'took over an expired sync lease; marked its run FAILED (abandoned)');
      const previous = options.full ? {} : parseCursors(instance.cursors);
      const mode = chooseRunMode({ definition: connectorDefinition(instance.kind), previous, forcedFull: options.full === true, pushed: options.payload !== undefined });
      run = Object.assign(new SyncRun(), {
        id: newId(), connectorInstanceId: instance.id, tenantId: instance.tenantId, status: SyncRunStatus.RUNNING,
        mode: mode === 'full' ? SyncMode.FULL : SyncMode.INCREMENTAL, trigger: options.trigger,
        // Clipped to the column: it may carry text a source supplied (a WSUS server's name).
        triggeredBy: options.triggeredBy?.slice(0, 200) ?? null, startedAt: clock.now(), finishedAt: null, counts: JSON.stringify(emptyCounts()),
        errorKind: null, errorMessage: null,
      });
      await dataSource.createQueryBuilder().insert().into(SyncRun).values(run).updateEntity(false).execute();
      const abort = new AbortController();
      if (this.stopping) abort.abort(this.stopping);
      const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
      const done = this.execute(instance, run, { previous, mode }, lock, { ...options, signal }, abort);
      this.active.set(run.id, { abort, done });
      void done.finally(() => this.active.delete(run.id));
      return { run: { ...run } as SyncRun, done };
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** Takes the lease, timing it: a slow take is a database under pressure, a busy one a sync still running. */
  private async acquireLease(instanceId: string): Promise<HeldLock> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const lock = await acquireSyncLock(this.deps.dataSource, instanceId, this.deps.clock, this.leaseMs);
      this.deps.metrics?.leaseWait.observe({ result: lock.takenOverFrom ? 'taken_over' : 'acquired' }, seconds());
      return lock;
    } catch (err) {
      if (err instanceof SyncInProgressError) this.deps.metrics?.leaseWait.observe({ result: 'busy' }, seconds());
      throw err;
    }
  }

  private execute(instance: ConnectorInstance, run: SyncRun, plan: { previous: Cursors; mode: RunMode }, lock: HeldLock, options: RunOptions & { signal: AbortSignal }, abort: AbortController): Promise<SyncRun> {
    const started = performance.now();
    const pushed = options.payload !== undefined;
    const attributes = { 'patchgraph.connector.kind': instance.kind, 'patchgraph.connector_instance.id': instance.id, 'patchgraph.sync_run.id': run.id, 'patchgraph.sync.mode': run.mode, 'patchgraph.sync.trigger': run.trigger };
    return inSpan('sync.run', attributes, async (span) => {
      const finished = await this.executeRun(instance, run, plan, lock, options, abort);
      const outcome = finished.status === SyncRunStatus.SUCCEEDED ? 'succeeded' : 'failed';
      span?.setAttribute('patchgraph.sync.outcome', outcome);
      if (finished.errorKind) span?.setAttribute('error.type', finished.errorKind);
      const counts = outcome === 'succeeded' ? parseCounts(finished) : null;
      this.deps.metrics?.syncFinished(instance.kind, outcome, finished.errorKind, (performance.now() - started) / 1000, counts);
      if (counts && pushed) this.deps.metrics?.ingestStates.observe(counts.patchStates.seen);
      return finished;
    });
  }

  private async executeRun(instance: ConnectorInstance, run: SyncRun, { previous, mode }: { previous: Cursors; mode: RunMode }, lock: HeldLock, options: RunOptions & { signal: AbortSignal }, abort: AbortController): Promise<SyncRun> {
    const { dataSource, clock, logger } = this.deps;
    const log = logger?.child({ connectorInstanceId: instance.id, kind: instance.kind, syncRunId: run.id });
    // A renewal that fails on a database error is retried next beat (the lease outlives two missed beats); one that
    // finds the lease taken over stops the run, since its commit would be refused anyway.
    const heartbeat = setInterval(() => {
      lock.renew().then(
        (held) => {
          if (!held) abort.abort(new SyncLeaseLostError(instance.id));
        },
        (err) => log?.warn({ err }, 'could not renew the sync lease; retrying'),
      );
    }, Math.max(100, this.leaseMs / 3));
    heartbeat.unref();
    let connector: Connector | undefined;
    try {
      log?.info({ mode: run.mode, trigger: run.trigger }, 'sync started');
      const { definition, config } = loadInstanceConfig(instance, this.deps.secrets);
      const context: ConnectorContext = { ...this.connectorContext(log, instance.kind), payload: options.payload };
      // Handed over: from here the connector's context is the run's only hold on an upload (tens of megabytes for a
      // 2,000 x 300 WSUS snapshot), and the apply, the longest part of a large run, goes on without it.
      delete options.payload;
      const created = definition.create(config, context);
      connector = created;
      const read = await inSpan('sync.read', {}, async (span) => {
        const known = await knownDevices(dataSource, instance.id);
        const imported = await importedSites(dataSource, instance);
        const read = await readSource(created, previous, {
          mode, signal: options.signal, onProgress: options.onProgress, known: (id) => known.get(id), siteImported: imported ? (site) => imported.has(site) : undefined,
        });
        span?.setAttributes({ 'patchgraph.sync.devices_read': read.devices.length, 'patchgraph.sync.updates_read': read.updates.length, 'patchgraph.sync.states_read': read.patchStates.length });
        return read;
      });
      // What was read is all the apply needs; the connector stays open until the commit, but not its upload.
      context.payload = undefined;
      options.onProgress?.({ stream: 'writing', records: read.devices.length + read.updates.length + read.patchStates.length });
      const finished = await inSpan('sync.apply', {}, () => inTransaction(dataSource, async (m) => {
        const now = clock.now();
        const counts = await applyRun(m, { instance, read, now, syncRunId: run.id });
        if (counts.devices.unmapped) log?.warn({ unmapped: counts.devices.unmapped }, 'devices in vendor sites not mapped to a tenant were not imported; map the sites (ConnectorInstance.vendorSites)');
        // Cancelled while writing: throwing here rolls the whole run back.
        options.signal.throwIfAborted();
        const done = { status: SyncRunStatus.SUCCEEDED, finishedAt: clock.now(), counts: JSON.stringify(counts) };
        // Only while RUNNING: a run another process marked abandoned keeps that verdict, and this one writes nothing.
        const marked = await m.getRepository(SyncRun).update({ id: run.id, status: SyncRunStatus.RUNNING }, done);
        if (!marked.affected) throw new SyncLeaseLostError(instance.id);
        const succeeded = Object.assign(run, done);
        // Sealed in the same transaction: the audit trail and the data it covers commit together or not at all.
        await inSpan('sync.seal', {}, () => auditCompletedRun(m, succeeded, instance));
        // Last, just before the commit. Renewed first, the lease row stayed locked through the whole apply, and on
        // MariaDB every heartbeat waited behind it and failed: the stored lease ran out a minute in, for any other
        // process to reap as abandoned. Here the lock is held only for the commit, and a takeover still cannot
        // slip in: one that came first leaves this update nothing to renew, and one that comes after finds it live.
        await lock.confirm(m);
        return succeeded;
      }));
      log?.info({ counts: JSON.parse(finished.counts) }, 'sync succeeded');
      return finished;
    } catch (err) {
      return this.fail(run, instance, failureOf(err, options.signal), log);
    } finally {
      clearInterval(heartbeat);
      await connector?.close?.().catch(() => undefined);
      await lock.release().catch(() => undefined);
    }
  }

  private async fail(run: SyncRun, instance: ConnectorInstance, err: unknown, log: Logger | undefined): Promise<SyncRun> {
    const { kind, message } = describeFailure(err);
    if (kind === 'internal') log?.error({ err }, 'sync failed with an internal error');
    else log?.warn({ errorKind: kind, error: message }, 'sync failed');
    const failed = { status: SyncRunStatus.FAILED, finishedAt: this.deps.clock.now(), errorKind: kind, errorMessage: message.slice(0, MAX_ERROR_LENGTH) };
    try {
      await inTransaction(this.deps.dataSource, async (m) => {
        // Only while RUNNING: a run another process already marked abandoned (it took our expired lease) keeps that.
        const result = await m.getRepository(SyncRun).update({ id: run.id, status: SyncRunStatus.RUNNING }, failed);
        if (result.affected) await auditFailedRun(m, { ...run, ...failed } as SyncRun, instance);
      });
    } catch (writeErr) {
      log?.error({ err: writeErr }, 'could not record the failed sync run; it is marked abandoned once its lease expires');
    }
    return Object.assign(run, failed);
  }

  /** Marks the matching RUNNING runs FAILED (abandoned), each with its audit event; returns how many it marked. */
  private async markAbandoned(which: { id: string } | { connectorInstanceId: string }, holder: string | null): Promise<number> {
    const { dataSource, clock } = this.deps;
    const running = await dataSource.getRepository(SyncRun).findBy({ ...which, status: SyncRunStatus.RUNNING });
    let marked = 0;
    for (const run of running) {
      const failed = { status: SyncRunStatus.FAILED, finishedAt: clock.now(), errorKind: ABANDONED_ERROR_KIND, errorMessage: abandonedMessage(holder) };
      const done = await inTransaction(dataSource, async (m) => {
        // By id and still RUNNING: a run that finished meanwhile keeps its outcome.
        const result = await m.getRepository(SyncRun).update({ id: run.id, status: SyncRunStatus.RUNNING }, failed);
        if (!result.affected) return false;
        const instance = await m.getRepository(ConnectorInstance).findOneBy({ id: run.connectorInstanceId });
        await auditFailedRun(m, { ...run, ...failed }, instance ?? { id: run.connectorInstanceId, kind: 'unknown', tenantId: run.tenantId });
        return true;
      });
      if (done) marked += 1;
    }
    return marked;
  }

  private connectorContext(log: Logger | undefined, kind: string): ConnectorContext {
    return {
      observer: vendorHttpObserver(kind, this.deps.metrics),
      clock: this.deps.clock,
      rateLimiters: sharedRateLimiters,
      tokens: sharedTokenCache,
      sleep: realSleep,
      log: log ? (event) => log[event.level === 'debug' ? 'debug' : event.level]({ http: event }, event.event) : undefined,
      ...this.deps.connectorContext,
    };
  }
}

/** The run was cancelled (the server is shutting down); nothing was written and the next run starts afresh. */
class SyncCancelledError extends ConnectorError {
  readonly kind = 'transient' as const;
  constructor(reason: unknown) {
    super(`cancelled: ${reason instanceof Error ? reason.message : 'the run was stopped'}`);
  }
}

/** Why a run stopped: its cancellation or lost lease, not whatever the interrupted read or write threw because of it. */
function failureOf(err: unknown, signal: AbortSignal): unknown {
  if (err instanceof SyncLeaseLostError) return err;
  if (!signal.aborted) return err;
  return signal.reason instanceof SyncLeaseLostError ? signal.reason : new SyncCancelledError(signal.reason);
}

function describeFailure(err: unknown): { kind: string; message: string } {
  if (err instanceof SyncLeaseLostError) return { kind: 'transient', message: err.message };
  if (err instanceof ConnectorError) return { kind: err.kind, message: err.message };
  if (err instanceof SecretKeyError) return { kind: 'config', message: err.message };
  // Database and programming errors may carry SQL or internals; the run says where to look instead.
  return { kind: 'internal', message: 'internal error while syncing; the server log has the details' };
}

function parseCursors(stored: string | null): Cursors {
  if (!stored) return {};
  try {
    return JSON.parse(stored) as Cursors;
  } catch {
    return {};
  }
}
