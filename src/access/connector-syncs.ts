/**
 * What an API caller may ask of the sync engine: test an instance's connection and start (or queue) its sync. Each
 * call first finds the instance through the caller's tenant scope, so an instance the caller cannot see answers
 * NOT_FOUND exactly like one that does not exist; the engine itself, its secrets and its queue stay out of reach of
 * resolvers.
 */
import type { Logger } from 'pino';
import type { ConnectionCheck } from '../../connectors/sdk/contract';
import { ConnectorError } from '../../connectors/sdk/errors';
import { ConnectorInstance, SyncRun } from '../entities';
import { SyncTrigger } from '../entities/enums';
import { ConflictError, NotFoundError } from '../errors';
import { SyncInProgressError } from '../sync/sync-lock';
import type { RunOptions, StartedRun } from '../sync/sync-engine';
import type { SyncJobData } from '../sync/sync-queue';
import type { ConnectorInstanceFinder } from './connector-instance.finder';

/** The part of the sync engine this service uses. */
export interface SyncRunner {
  testConnection(instance: ConnectorInstance, signal: AbortSignal): Promise<ConnectionCheck>;
  start(instanceId: string, options: RunOptions): Promise<StartedRun>;
}

/** The part of the worker queue this service uses (present with REDIS_URL). */
export interface SyncJobs {
  trigger(data: SyncJobData, wait: boolean): Promise<SyncRun>;
}

export interface ConnectionTest {
  ok: boolean;
  message: string;
  /** The connector error's kind when not ok: config, auth, rate_limited, transient, malformed_response, fatal, or internal. */
  errorKind: string | null;
}

export interface SyncRequest {
  /** Read everything even where the connector could read incrementally. */
  full: boolean;
  /** Answer with the finished run rather than the started one. */
  wait: boolean;
}

/** How long a connection test may take before it counts as failed. */
const CONNECTION_TEST_TIMEOUT_MS = 30_000;

export class ConnectorSyncs {
  constructor(
    private readonly instances: ConnectorInstanceFinder,
    private readonly runner: SyncRunner,
    private readonly jobs: SyncJobs | undefined,
    /** Who asks, as recorded on the run (the API key's or token's label). */
    private readonly requestedBy: string,
    private readonly logger: Logger,
  ) {}

  /** Reaches the source with the instance's credentials, without syncing. A connector's failure is an answer, not an error. */
  async testConnection(instanceId: string): Promise<ConnectionTest> {
    const instance = await this.visible(instanceId);
    try {
      const check = await this.runner.testConnection(instance, AbortSignal.timeout(CONNECTION_TEST_TIMEOUT_MS));
      return { ok: true, message: check.message, errorKind: null };
    } catch (err) {
      if (err instanceof ConnectorError) return { ok: false, message: err.message, errorKind: err.kind };
      this.logger.error({ err, connectorInstanceId: instance.id }, 'connection test failed unexpectedly');
      return { ok: false, message: 'internal error while testing; the server log has the details', errorKind: 'internal' };
    }
  }

  /** Starts a sync now, in this process or (with workers) through the queue. CONFLICT when one is already running. */
  async trigger(instanceId: string, request: SyncRequest): Promise<SyncRun> {
    const instance = await this.visible(instanceId);
    const options = { trigger: SyncTrigger.API, triggeredBy: this.requestedBy, full: request.full };
    try {
      if (this.jobs) return await this.jobs.trigger({ connectorInstanceId: instance.id, ...options }, request.wait);
      const started = await this.runner.start(instance.id, options);
      return request.wait ? await started.done : started.run;
    } catch (err) {
      if (err instanceof SyncInProgressError) {
        // The lease holder's host:pid (in err.message too) describes the MSP's servers: it goes to the log, not the client.
        this.logger.info({ connectorInstanceId: instance.id, holder: err.holder }, 'triggerSync refused: a sync is already running');
        throw new ConflictError('input.connectorInstanceId', 'a sync of this connector instance is already running; try again when it has finished');
      }
      throw err;
    }
  }

  private async visible(instanceId: string): Promise<ConnectorInstance> {
    const instance = await this.instances.byId(instanceId);
    if (!instance) throw new NotFoundError('ConnectorInstance', instanceId);
    return instance;
  }
}
