/**
 * The consumer side of the sync queue (sync-queue.ts), run by `patchgraph worker` and, with PATCHGRAPH_WORKER=inline,
 * by `serve`. Two mechanisms cover a worker that dies mid-job, and they agree:
 * - BullMQ's job lock: the dead worker stops renewing it, and another worker's stalled-job check puts the job back
 *   in the queue after PATCHGRAPH_WORKER_STALL_SECONDS.
 * - The instance's sync lease: the job's next worker cannot start until the dead holder's lease expires, so it waits
 *   (the job is delayed, not failed); taking the expired lease over marks the dead run FAILED (abandoned).
 */
import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { SyncQueueConfig } from '../config/config';
import { SyncRun } from '../entities';
import { SyncRunStatus } from '../entities/enums';
import { NotFoundError } from '../errors';
import { Clock } from '../util/clock';
import { fullSyncDue } from './scheduler';
import { ABANDONED_ERROR_KIND, StartedRun, SyncEngine } from './sync-engine';
import { LEASE_HOLDER, SyncInProgressError } from './sync-lock';
import { queueConnection, startedRunId, SYNC_QUEUE, SyncJob, SyncJobData, SyncJobProgress, SyncJobResult } from './sync-queue';

export interface SyncWorkerDeps {
  config: SyncQueueConfig;
  engine: SyncEngine;
  dataSource: DataSource;
  clock: Clock;
  logger?: Logger;
  leaseMs: number;
  fullSyncEveryMs: number;
}

/** How many times a job is put back after its worker went silent before it fails for good. */
const MAX_STALLS = 5;

export class SyncWorker {
  private worker: Worker<SyncJobData, SyncJobResult> | null = null;
  private stopping = false;

  constructor(private readonly deps: SyncWorkerDeps) {}

  /** Starts taking jobs. */
  start(): void {
    if (this.worker) return;
    const { config, logger } = this.deps;
    this.worker = new Worker<SyncJobData, SyncJobResult>(SYNC_QUEUE, (job, token) => this.process(job, token), {
      connection: queueConnection(config), prefix: config.prefix, concurrency: config.concurrency, name: LEASE_HOLDER,
      lockDuration: config.stallMs, stalledInterval: config.stallMs, maxStalledCount: MAX_STALLS,
    });
    this.worker.on('stalled', (jobId) => logger?.warn({ jobId }, 'a sync job\'s worker went silent; the job is back in the queue'));
    this.worker.on('failed', (job, err) => logger?.error({ jobId: job?.id, err }, 'sync job failed'));
    // Connection errors repeat while Redis is down; BullMQ reconnects by itself.
    this.worker.on('error', (err) => logger?.error({ err }, 'sync worker error'));
  }

  /**
   * Stops taking jobs, lets the ones running finish for up to `timeoutMs`, then cancels them: a cancelled run is
   * recorded FAILED (cancelled), releases its lease, and its job goes back in the queue for another worker.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.worker) return;
    this.stopping = true;
    const closing = this.worker.close();
    if (!(await settlesWithin(closing, timeoutMs))) {
      this.deps.logger?.warn({ timeoutMs }, 'sync jobs still running at shutdown; cancelling them and handing their jobs back to the queue');
      await this.deps.engine.shutdown(timeoutMs, new Error('the worker is shutting down'));
      await settlesWithin(closing, timeoutMs);
    }
    this.worker = null;
  }

  private async process(job: SyncJob, token: string | undefined): Promise<SyncJobResult> {
    const { engine, dataSource, clock, logger, fullSyncEveryMs } = this.deps;
    const { connectorInstanceId, trigger, triggeredBy } = job.data;
    const log = logger?.child({ jobId: job.id, connectorInstanceId });
    const done = await this.finishedEarlier(job);
    if (done) return done;
    const full = job.data.full ?? (await fullSyncDue(dataSource, clock, connectorInstanceId, fullSyncEveryMs));
    let started: StartedRun;
    try {
      started = await engine.start(connectorInstanceId, { trigger, triggeredBy, full });
    } catch (err) {
      if (err instanceof SyncInProgressError) {
        // Delayed, not failed: waiting for a lease spends no attempt, however long the other sync takes.
        log?.info({ holder: err.holder }, 'instance is syncing elsewhere; the job waits for its lease');
        await job.moveToDelayed(Date.now() + this.leaseRetryMs(), token);
        throw new DelayedError();
      }
      if (err instanceof NotFoundError) throw new UnrecoverableError(err.message);
      throw err;
    }
    await job.updateProgress({ syncRunId: started.run.id } satisfies SyncJobProgress);
    const run = await started.done;
    if (this.stopping && run.status === SyncRunStatus.FAILED && run.errorMessage?.startsWith('cancelled:')) {
      throw new Error(`handed back to the queue: ${run.errorMessage}`);
    }
    return { syncRunId: run.id, status: run.status };
  }

  /**
   * A job handed to this worker after its previous one went silent may have finished there after all (the silence
   * was a stalled event loop, not a death): its recorded outcome stands, and the sync is not run a second time.
   */
  private async finishedEarlier(job: SyncJob): Promise<SyncJobResult | null> {
    const previous = startedRunId(job);
    if (!previous) return null;
    const run = await this.deps.dataSource.getRepository(SyncRun).findOneBy({ id: previous });
    if (!run || run.status === SyncRunStatus.RUNNING || run.errorKind === ABANDONED_ERROR_KIND) return null;
    if (run.status === SyncRunStatus.FAILED && run.errorMessage?.startsWith('cancelled:')) return null;
    return { syncRunId: run.id, status: run.status };
  }

  /** Often enough to start soon after the holder finishes, rarely enough not to poll the database hard. */
  private leaseRetryMs(): number {
    return Math.min(10_000, Math.max(500, Math.round(this.deps.leaseMs / 5)));
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const, () => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
