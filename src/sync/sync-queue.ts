/**
 * Syncs as BullMQ jobs, when REDIS_URL is set: API servers and their schedulers add jobs here, and `patchgraph
 * worker` processes (sync-worker.ts), on any number of machines, run them. The queue decides which worker runs a
 * job; the instance's sync lease (sync-lock.ts) still decides whether it may run now, so two jobs of one instance
 * never run at once whichever workers hold them.
 *
 * WSUS uploads are not queued: the collector waits for its snapshot's outcome, so the API server that received it
 * applies it (ingest-route.ts).
 */
import { Job, JobsOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { SyncQueueConfig } from '../config/config';
import { ConnectorInstance, SyncRun } from '../entities';
import { SyncRunStatus, SyncTrigger } from '../entities/enums';
import { PatchgraphError } from '../errors';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import { leasesOf, SyncInProgressError } from './sync-lock';

export const SYNC_QUEUE = 'sync';

export interface SyncJobData {
  connectorInstanceId: string;
  trigger: SyncTrigger;
  triggeredBy: string | null;
  /** Read everything. Unset on a scheduled job: its worker decides when it starts (fullSyncDue). */
  full?: boolean;
}

/** Set once the worker holds the lease and has recorded the RUNNING run. */
export interface SyncJobProgress {
  syncRunId: string;
}

export interface SyncJobResult {
  syncRunId: string;
  status: SyncRunStatus;
}

export type SyncJob = Job<SyncJobData, SyncJobResult>;

/**
 * A sync that fails records a FAILED run and completes its job: the run says why, and the next turn tries again.
 * Attempts are for the job itself failing (database or Redis unreachable, a worker cancelling its run to shut down).
 * Finished jobs are kept a day: a scheduled job's id names its slot, and a kept job is what stops another server's
 * scheduler from adding the same slot again.
 */
const JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 86_400, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
};

const POLL_MS = 200;

/** The run a job's worker started (its latest attempt's), if any. */
export function startedRunId(job: SyncJob): string | undefined {
  const progress = job.progress as Partial<SyncJobProgress> | number | string | boolean | undefined;
  return typeof progress === 'object' && progress !== null ? progress.syncRunId : undefined;
}

/** BullMQ opens its own connections from this; workers need commands that wait for Redis instead of failing. */
export function queueConnection(config: SyncQueueConfig) {
  return { url: config.redisUrl, maxRetriesPerRequest: null };
}

/** triggerSync queued the sync, but no worker started it in time: it still runs when one is free. */
export class SyncNotStartedError extends PatchgraphError {
  readonly code = 'CONFLICT';
  constructor(readonly jobId: string, timeoutMs: number) {
    super(`the sync is queued but no worker started it within ${timeoutMs / 1000} s (all busy, or none running); it runs when a worker is free: watch syncRuns`);
  }
  extensions() {
    return { code: 'SYNC_QUEUED', jobId: this.jobId };
  }
}

export interface SyncQueueDeps {
  dataSource: DataSource;
  clock: Clock;
  logger?: Logger;
}

/** The producer side: what API servers and their schedulers use. */
export class SyncQueue {
  readonly queue: Queue<SyncJobData, SyncJobResult>;

  constructor(readonly config: SyncQueueConfig, private readonly deps: SyncQueueDeps) {
    this.queue = new Queue<SyncJobData, SyncJobResult>(SYNC_QUEUE, { connection: queueConnection(config), prefix: config.prefix, defaultJobOptions: JOB_OPTIONS });
    // Repeats while Redis is down; the client reconnects by itself, and a sync queued meanwhile fails its request.
    this.queue.on('error', (err) => deps.logger?.error({ err }, 'sync queue: Redis error'));
  }

  /**
   * Queues the instance's scheduled sync for the interval slot `now` falls in. The slot is the job id, so servers
   * whose schedulers find the instance due at the same time add one job between them.
   */
  async enqueueScheduled(instance: ConnectorInstance, now: Date): Promise<string> {
    const slot = Math.floor(now.getTime() / (instance.syncIntervalSeconds! * 1000));
    const job = await this.queue.add('sync', { connectorInstanceId: instance.id, trigger: SyncTrigger.SCHEDULE, triggeredBy: null }, { jobId: `sync:${instance.id}:${slot}` });
    return job.id!;
  }

  /** Queues a sync; jobs added this way are never merged with another. Returns the job id. */
  async enqueue(data: SyncJobData): Promise<string> {
    const job = await this.queue.add('sync', data, { jobId: `sync:${data.connectorInstanceId}:${newId()}` });
    return job.id!;
  }

  /**
   * triggerSync's queued form, keeping its contract: CONFLICT (SyncInProgressError) when the instance is syncing
   * now, else the RUNNING run a worker started, or with `wait` the finished run. When no worker has started the run
   * within the trigger timeout, SyncNotStartedError; the job stays queued.
   */
  async trigger(data: SyncJobData, wait: boolean): Promise<SyncRun> {
    const runId = await this.startedOrFinished(data, wait);
    return this.deps.dataSource.getRepository(SyncRun).findOneByOrFail({ id: runId });
  }

  private async startedOrFinished(data: SyncJobData, wait: boolean): Promise<string> {
    const id = data.connectorInstanceId;
    const lease = (await leasesOf(this.deps.dataSource, [id])).get(id);
    if (lease && lease.expiresAt.getTime() >= this.deps.clock.now().getTime()) throw new SyncInProgressError(id, lease.holder);
    const jobId = await this.enqueue(data);
    const deadline = Date.now() + this.config.triggerTimeoutMs;
    for (;;) {
      const job = await this.queue.getJob(jobId);
      if (!job) throw new Error(`sync job ${jobId} disappeared from the queue`);
      if (job.returnvalue?.syncRunId) return job.returnvalue.syncRunId;
      if (job.finishedOn && job.failedReason) throw new Error(`sync job ${jobId} failed: ${job.failedReason}`);
      const started = startedRunId(job);
      if (!wait && started) return started;
      // Once started, a run keeps its lease renewed and its job ends with it (or is handed to another worker).
      if (!started && Date.now() > deadline) throw new SyncNotStartedError(jobId, this.config.triggerTimeoutMs);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** How many worker processes are connected to the queue now. */
  async workerCount(): Promise<number> {
    return (await this.queue.getWorkers()).length;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
