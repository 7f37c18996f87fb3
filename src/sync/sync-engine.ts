/**
 * Runs one connector instance into the database. A run: take the instance's lease (one sync per instance across
 * every process), record a RUNNING SyncRun, read the whole source, then write everything — data, cursors and the
 * run's outcome — in one transaction. Any failure before the commit leaves the data exactly as it was and records
 * a FAILED run saying why.
 */
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { Connector, ConnectorContext } from '../../connectors/sdk/contract';
import { ConnectorError } from '../../connectors/sdk/errors';
import { realSleep } from '../../connectors/sdk/http/backoff';
import { sharedRateLimiters } from '../../connectors/sdk/http/rate-limiter';
import { sharedTokenCache } from '../../connectors/sdk/http/oauth2';
import type { SyncCounts } from '../../connectors/sdk/testkit/engine-probe';
import { inTransaction } from '../db/transaction';
import { ConnectorInstance, SyncRun } from '../entities';
import { SyncMode, SyncRunStatus, SyncTrigger } from '../entities/enums';
import { NotFoundError } from '../errors';
import { SecretBox, SecretKeyError } from '../secrets/secret-box';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import { applyMspRun } from './apply-msp-run';
import { emptyCounts } from './apply-run';
import { applyTenantRun } from './apply-tenant-run';
import { importedSites, knownDevices } from './known-devices';
import { loadInstanceConfig } from './instance-config';
import { Cursors, ReadProgress, readSource } from './read-source';
import { acquireSyncLock, HeldLock } from './sync-lock';

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
  /** How long a lease lasts without renewal; a crashed process blocks its instances this long. Default 10 min. */
  leaseMs?: number;
}

export interface StartedRun {
  run: SyncRun;
  /** Settles with the finished run (SUCCEEDED or FAILED); never rejects. */
  done: Promise<SyncRun>;
}

const MAX_ERROR_LENGTH = 2000;

export function parseCounts(run: SyncRun): SyncCounts {
  try {
    // Field by field: runs recorded before a count existed (devices.unmapped) still read as complete counts.
    const stored = JSON.parse(run.counts) as Partial<SyncCounts>;
    const empty = emptyCounts();
    return {
      devices: { ...empty.devices, ...stored.devices },
      updates: { ...empty.updates, ...stored.updates },
      patchStates: { ...empty.patchStates, ...stored.patchStates },
      events: stored.events ?? 0,
      assets: { ...empty.assets, ...stored.assets },
    };
  } catch {
    return emptyCounts();
  }
}

export class SyncEngine {
  private readonly leaseMs: number;

  constructor(private readonly deps: SyncEngineDeps) {
    this.leaseMs = deps.leaseMs ?? 10 * 60_000;
  }

  /** Runs a sync to the end. Throws SyncInProgressError when the instance is already syncing. */
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
    const lock = await acquireSyncLock(dataSource, instanceId, clock, this.leaseMs);
    let run: SyncRun;
    try {
      const previous = options.full ? {} : parseCursors(instance.cursors);
      run = Object.assign(new SyncRun(), {
        id: newId(), connectorInstanceId: instance.id, tenantId: instance.tenantId, status: SyncRunStatus.RUNNING,
        mode: previous.devices == null || options.payload !== undefined ? SyncMode.FULL : SyncMode.INCREMENTAL, trigger: options.trigger,
        // Clipped to the column: it may carry text a source supplied (a WSUS server's name).
        triggeredBy: options.triggeredBy?.slice(0, 200) ?? null, startedAt: clock.now(), finishedAt: null, counts: JSON.stringify(emptyCounts()),
        errorKind: null, errorMessage: null,
      });
      await dataSource.createQueryBuilder().insert().into(SyncRun).values(run).updateEntity(false).execute();
      const done = this.execute(instance, run, previous, lock, options);
      return { run: { ...run } as SyncRun, done };
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  private async execute(instance: ConnectorInstance, run: SyncRun, previous: Cursors, lock: HeldLock, options: RunOptions): Promise<SyncRun> {
    const { dataSource, clock, logger } = this.deps;
    const log = logger?.child({ connectorInstanceId: instance.id, kind: instance.kind, syncRunId: run.id });
    const heartbeat = setInterval(() => void lock.renew().catch(() => undefined), Math.max(1000, this.leaseMs / 3));
    heartbeat.unref();
    let connector: Connector | undefined;
    try {
      log?.info({ mode: run.mode, trigger: run.trigger }, 'sync started');
      const { definition, config } = loadInstanceConfig(instance, this.deps.secrets);
      connector = definition.create(config, { ...this.connectorContext(log), payload: options.payload });
      const known = await knownDevices(dataSource, instance.id);
      const imported = await importedSites(dataSource, instance);
      const read = await readSource(connector, previous, {
        signal: options.signal, onProgress: options.onProgress, known: (id) => known.get(id), siteImported: imported ? (site) => imported.has(site) : undefined,
        complete: options.payload !== undefined,
      });
      options.onProgress?.({ stream: 'writing', records: read.devices.length + read.updates.length + read.patchStates.length });
      const finished = await inTransaction(dataSource, async (m) => {
        const now = clock.now();
        const counts = instance.tenantId
          ? await applyTenantRun(m, { instance, tenantId: instance.tenantId, read, now, syncRunId: run.id })
          : await applyMspRun(m, { instance, read, now, syncRunId: run.id });
        if (counts.devices.unmapped) log?.warn({ unmapped: counts.devices.unmapped }, 'devices in vendor sites not mapped to a tenant were not imported; map the sites (ConnectorInstance.vendorSites)');
        const done = { status: SyncRunStatus.SUCCEEDED, finishedAt: clock.now(), counts: JSON.stringify(counts) };
        await m.getRepository(SyncRun).update({ id: run.id }, done);
        return Object.assign(run, done);
      });
      log?.info({ counts: JSON.parse(finished.counts) }, 'sync succeeded');
      return finished;
    } catch (err) {
      return this.fail(run, options.signal?.aborted ? new SyncCancelledError(options.signal.reason) : err, log);
    } finally {
      clearInterval(heartbeat);
      await connector?.close?.().catch(() => undefined);
      await lock.release().catch(() => undefined);
    }
  }

  private async fail(run: SyncRun, err: unknown, log: Logger | undefined): Promise<SyncRun> {
    const { kind, message } = describeFailure(err);
    if (kind === 'internal') log?.error({ err }, 'sync failed with an internal error');
    else log?.warn({ errorKind: kind, error: message }, 'sync failed');
    const failed = { status: SyncRunStatus.FAILED, finishedAt: this.deps.clock.now(), errorKind: kind, errorMessage: message.slice(0, MAX_ERROR_LENGTH) };
    try {
      await this.deps.dataSource.getRepository(SyncRun).update({ id: run.id }, failed);
    } catch (writeErr) {
      log?.error({ err: writeErr }, 'could not record the failed sync run');
    }
    return Object.assign(run, failed);
  }

  private connectorContext(log: Logger | undefined): ConnectorContext {
    return {
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

function describeFailure(err: unknown): { kind: string; message: string } {
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
