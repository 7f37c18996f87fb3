/**
 * `patchgraph worker`: runs the sync jobs that API servers queue in Redis (REDIS_URL), until SIGTERM or SIGINT.
 * Start any number, on any machine that reaches the database and Redis; each takes jobs as it has room
 * (PATCHGRAPH_WORKER_CONCURRENCY). On SIGTERM it takes no more jobs, lets the running ones finish for up to
 * SHUTDOWN_TIMEOUT_MS, then cancels them and hands their jobs back to the queue for another worker.
 */
import { Config, ConfigError } from '../config/config';
import { secretKeyProblem } from '../secrets/key-check';
import { openSecretBox } from '../secrets/secret-box';
import { createLogger } from '../server/logger';
import { SyncEngine } from '../sync/sync-engine';
import { syncLeaseMsFromEnv } from '../sync/sync-lock';
import { SyncWorker } from '../sync/sync-worker';
import { vendorRateLimiters } from '../sync/vendor-rate-limits';
import { systemClock } from '../util/clock';
import { openDatabase } from './open-database';
import { Metrics } from '../observability/metrics';
import { startMetricsServer } from '../observability/metrics-endpoint';
import { startTracingIfConfigured } from './tracing-start';

export async function workerCommand(config: Config): Promise<void> {
  if (!config.syncQueue) throw new ConfigError('REDIS_URL', 'patchgraph worker takes its jobs from Redis: set REDIS_URL to the one the API servers use');
  const logger = createLogger(config);
  const tracing = startTracingIfConfigured(logger);
  const clock = systemClock;
  const leaseMs = syncLeaseMsFromEnv();
  const dataSource = await openDatabase(config, logger);
  const { box: secrets } = openSecretBox(config);
  const keyProblem = await secretKeyProblem(dataSource, secrets, config);
  if (keyProblem) logger.error(keyProblem);
  const vendorLimits = vendorRateLimiters(config);
  // A worker has no API port: its series are served only on PATCHGRAPH_METRICS_PORT, when that is set.
  const metrics = config.metrics.port !== undefined ? new Metrics() : undefined;
  const metricsServer = metrics && config.metrics.port !== undefined ? await startMetricsServer(metrics, { ...config.metrics, port: config.metrics.port }, logger) : undefined;
  const engine = new SyncEngine({ dataSource, secrets, clock, logger, leaseMs, metrics, connectorContext: vendorLimits && { rateLimiters: vendorLimits } });
  // Runs whose worker died long enough ago that their lease expired; the others are marked by the lease's next holder.
  await engine.reapAbandonedRuns();
  const worker = new SyncWorker({ config: config.syncQueue, engine, dataSource, clock, logger, leaseMs, fullSyncEveryMs: config.fullSyncHours * 3_600_000 });
  worker.start();
  logger.info({ queuePrefix: config.syncQueue.prefix, concurrency: config.syncQueue.concurrency, pid: process.pid }, 'patchgraph worker is taking sync jobs');

  let signals = 0;
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1); // a second Ctrl-C means "now"
    logger.info({ signal }, 'received signal; finishing or handing back the running sync jobs');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, 2 * config.shutdownTimeoutMs + 1000);
    deadline.unref();
    worker
      .stop(config.shutdownTimeoutMs)
      .then(() => vendorLimits?.close())
      .then(() => metricsServer?.close())
      .then(() => tracing?.shutdown())
      .then(() => dataSource.destroy())
      .then(
        () => {
          logger.info('worker stopped');
          process.exit(0);
        },
        (err) => {
          logger.error({ err }, 'error during shutdown');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
