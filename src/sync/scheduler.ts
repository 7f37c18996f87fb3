/**
 * Runs each enabled instance every `syncIntervalSeconds`, in this process. Several processes may run schedulers
 * against one database: the sync lease makes sure only one of them syncs a given instance at a time, and the
 * others skip it until its next turn. Given a sync queue (REDIS_URL), it runs nothing itself: it queues each due
 * instance's sync for the workers, once per interval slot however many servers schedule.
 *
 * Scheduled runs read incrementally, except that an instance gets a full run once its last successful full run is
 * older than `fullSyncEveryMs`: only a full read can prove a device gone from its source (and mark it stale), and
 * it catches changes a vendor's incremental filter cannot see (an Intune device renamed by an admin keeps its
 * lastSyncDateTime).
 */
import type { Logger } from 'pino';
import { DataSource, IsNull, Not } from 'typeorm';
import { connectorDefinition } from '../../connectors/registry';
import { ConnectorInstance, SyncRun } from '../entities';
import { SyncMode, SyncRunStatus, SyncTrigger } from '../entities/enums';
import { Clock } from '../util/clock';
import { SyncEngine } from './sync-engine';
import { SyncInProgressError } from './sync-lock';
import type { SyncQueue } from './sync-queue';
import type { Metrics } from '../observability/metrics';

export interface SchedulerDeps {
  dataSource: DataSource;
  engine: SyncEngine;
  clock: Clock;
  logger?: Logger;
  tickMs: number;
  /** Default 24 hours. */
  fullSyncEveryMs?: number;
  /** Queue due syncs for workers instead of running them here. */
  queue?: SyncQueue;
  /** Counts how late each due sync starts (patchgraph_scheduler_lag_seconds). */
  metrics?: Metrics;
}

const DAY_MS = 86_400_000;

/** True for an instance that only syncs when its source pushes (ConnectorDefinition.pushOnly): nothing to pull. */
export function isPushOnly(instance: ConnectorInstance): boolean {
  const definition = connectorDefinition(instance.kind);
  if (!definition?.pushOnly) return false;
  try {
    // Settings only: whether an instance pushes never depends on its secrets.
    return definition.pushOnly(JSON.parse(instance.settingsJson) as never);
  } catch {
    return false;
  }
}

/** Whether a scheduled run of the instance should read everything: its last successful full run is `everyMs` old. */
export async function fullSyncDue(dataSource: DataSource, clock: Clock, instanceId: string, everyMs = DAY_MS): Promise<boolean> {
  const last = await dataSource.getRepository(SyncRun).findOne({
    where: { connectorInstanceId: instanceId, mode: SyncMode.FULL, status: SyncRunStatus.SUCCEEDED },
    order: { startedAt: 'DESC' },
  });
  return !last || last.startedAt.getTime() + everyMs <= clock.now().getTime();
}

export class SyncScheduler {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<unknown> = Promise.resolve();
  private readonly abort = new AbortController();

  constructor(private readonly deps: SchedulerDeps) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // One tick at a time: a long sync delays the next tick instead of overlapping it.
      this.current = this.current.then(() => this.tick()).catch((err) => this.deps.logger?.error({ err }, 'scheduler tick failed'));
    }, this.deps.tickMs);
    this.timer.unref();
  }

  /** Instances due now: enabled, with an interval, and not started within their interval. */
  async due(): Promise<ConnectorInstance[]> {
    return (await this.dueSince()).map((d) => d.instance);
  }

  /** The due instances, each with when it became due (null: never synced, so due since it was scheduled at all). */
  private async dueSince(): Promise<Array<{ instance: ConnectorInstance; dueAt: number | null }>> {
    const { dataSource, clock } = this.deps;
    const instances = await dataSource.getRepository(ConnectorInstance).find({ where: { enabled: true, syncIntervalSeconds: Not(IsNull()) }, order: { id: 'ASC' } });
    if (instances.length === 0) return [];
    // One indexed look-up per instance (ix_sync_run_connector_started): instances are few, ticks are rare.
    const lastStart = new Map<string, number>();
    for (const i of instances) {
      const last = await dataSource.getRepository(SyncRun).findOne({ where: { connectorInstanceId: i.id }, order: { startedAt: 'DESC' } });
      if (last) lastStart.set(i.id, last.startedAt.getTime());
    }
    const now = clock.now().getTime();
    return instances
      .filter((i) => {
        if (isPushOnly(i)) return false; // scheduled before push-only instances were refused one; it has nothing to pull
        const last = lastStart.get(i.id);
        return last === undefined || last + i.syncIntervalSeconds! * 1000 <= now;
      })
      .map((instance) => {
        const last = lastStart.get(instance.id);
        return { instance, dueAt: last === undefined ? null : last + instance.syncIntervalSeconds! * 1000 };
      });
  }

  /** How late this instance's sync starts: measured from when it came due, by the scheduler's clock, as it starts. */
  private observeLag(instance: ConnectorInstance, dueAt: number | null): void {
    if (dueAt === null || !this.deps.metrics) return;
    this.deps.metrics.schedulerLag.observe({ kind: instance.kind }, Math.max(0, this.deps.clock.now().getTime() - dueAt) / 1000);
  }

  /** Runs (or queues) every due instance, one after another; returns the ids it ran or queued. */
  async tick(): Promise<string[]> {
    const ran: string[] = [];
    // A run whose process died, or whose final write was lost with the database, would otherwise stay RUNNING until
    // someone next syncs its instance; a push-only instance may wait days for its next upload.
    await this.deps.engine.reapAbandonedRuns({ latestOnly: true });
    for (const { instance, dueAt } of await this.dueSince()) {
      if (this.abort.signal.aborted) break;
      this.observeLag(instance, dueAt);
      if (this.deps.queue) {
        const jobId = await this.deps.queue.enqueueScheduled(instance, this.deps.clock.now());
        ran.push(instance.id);
        this.deps.logger?.debug({ connectorInstanceId: instance.id, jobId }, 'scheduled sync queued');
        continue;
      }
      try {
        const full = await fullSyncDue(this.deps.dataSource, this.deps.clock, instance.id, this.deps.fullSyncEveryMs ?? DAY_MS);
        const run = await this.deps.engine.run(instance.id, { trigger: SyncTrigger.SCHEDULE, full, signal: this.abort.signal });
        ran.push(instance.id);
        this.deps.logger?.info({ connectorInstanceId: instance.id, status: run.status }, 'scheduled sync finished');
      } catch (err) {
        if (err instanceof SyncInProgressError) continue; // another process has it; its run counts as this turn
        throw err;
      }
    }
    return ran;
  }

  /** Stops scheduling and cancels a sync in progress (it fails and writes nothing). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.abort.abort(new Error('the server is shutting down'));
    await this.current.catch(() => undefined);
  }
}
