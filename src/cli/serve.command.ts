import { ensureAdminKey } from '../auth/api-keys';
import { Config } from '../config/config';
import { DemoSimulators, resumeDemoSimulators } from '../demo/demo-simulations';
import { loadDemo, needsDemo } from '../demo/load-demo';
import { importBaseline } from '../intel/baseline';
import { secretKeyProblem } from '../secrets/key-check';
import { openSecretBox } from '../secrets/secret-box';
import { RunningApp, startApp } from '../server/app';
import { createLogger } from '../server/logger';
import { SyncScheduler } from '../sync/scheduler';
import { WebhookDispatcher } from '../change/webhook-dispatcher';
import { SyncEngine } from '../sync/sync-engine';
import { syncLeaseMsFromEnv } from '../sync/sync-lock';
import type { SyncQueue } from '../sync/sync-queue';
import { vendorRateLimiters } from '../sync/vendor-rate-limits';
import { systemClock } from '../util/clock';
import { openDatabase } from './open-database';
import { Metrics } from '../observability/metrics';
import { startTracingIfConfigured } from './tracing-start';

/** The job queue's modules, loaded only with REDIS_URL set: BullMQ and ioredis are 1.4 MB a server without Redis never runs. */
const bullmq = {
  queue: () => require('../sync/sync-queue') as typeof import('../sync/sync-queue'),
  worker: () => require('../sync/sync-worker') as typeof import('../sync/sync-worker'),
};

/** Queued syncs wait for a worker: say so at start when none is connected, since nothing else would. */
async function warnWithoutWorkers(queue: SyncQueue, logger: ReturnType<typeof createLogger>, inline: boolean): Promise<void> {
  if (inline) {
    logger.info({ queuePrefix: queue.config.prefix }, 'syncs are queued in Redis; this server also runs them (PATCHGRAPH_WORKER=inline)');
    return;
  }
  const workers = await queue.workerCount().catch(() => null);
  const log = workers ? logger.info.bind(logger) : logger.warn.bind(logger);
  log({ queuePrefix: queue.config.prefix, workers }, workers ? 'syncs are queued in Redis for `patchgraph worker` processes' : 'syncs are queued in Redis, and no `patchgraph worker` is connected yet: start one (or set PATCHGRAPH_WORKER=inline) or no sync runs');
}

export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config);
  // Before the database opens, so its first statements are traced too.
  const tracing = startTracingIfConfigured(logger);
  const clock = systemClock;
  const leaseMs = syncLeaseMsFromEnv();
  const dataSource = await openDatabase(config, logger);
  const { box: secrets, createdFile } = openSecretBox(config);
  if (createdFile) logger.warn({ file: createdFile }, 'created a new key for connector secrets; back it up (or set PATCHGRAPH_SECRET_KEY)');
  // Said before anything else, since every sync of the instances named would fail; the server still starts, so the
  // API and the other instances keep working while an operator fixes the key.
  const keyProblem = await secretKeyProblem(dataSource, secrets, config);
  if (keyProblem) logger.error(keyProblem);

  const newKey = await ensureAdminKey(dataSource, clock, config.bootstrapAdminKey);
  // Printed once, to the terminal and not to the log stream: only its hash is stored. Printed last, just above the
  // "serving" line, so that the start-up's log lines cannot scroll it out of sight; and printed on the way out if
  // the start fails after creating it, because no later start would show it again.
  const showNewKey = () => {
    if (newKey) {
      process.stderr.write(`\n  First start: created an admin API key. It is shown only this once; keep it safe.\n\n    export PATCHGRAPH_KEY=${newKey}\n`);
    }
  };
  const vendorLimits = vendorRateLimiters(config);
  // One set of series for this process: the engine, the scheduler and the HTTP server all count into it.
  const metrics = new Metrics();
  const sync = new SyncEngine({ dataSource, secrets, clock, logger, leaseMs, metrics, connectorContext: vendorLimits && { rateLimiters: vendorLimits } });
  // Runs left RUNNING by a process that was killed or lost the database; those whose lease has not yet expired are
  // marked by whoever next takes it, or by the scheduler once it has.
  await sync.reapAbandonedRuns();
  let demoSimulators: DemoSimulators | null = null;
  let app: RunningApp;
  let scheduler: SyncScheduler;
  // With REDIS_URL, scheduled and triggered syncs are jobs for `patchgraph worker` (and for this process only with
  // PATCHGRAPH_WORKER=inline); WSUS uploads still run here, since their collector waits for the outcome.
  const syncQueue = config.syncQueue ? new (bullmq.queue().SyncQueue)(config.syncQueue, { dataSource, clock, logger }) : undefined;
  const inlineWorker =
    config.syncQueue?.serverWorker === 'inline'
      ? new (bullmq.worker().SyncWorker)({ config: config.syncQueue, engine: sync, dataSource, clock, logger, leaseMs, fullSyncEveryMs: config.fullSyncHours * 3_600_000 })
      : undefined;
  const webhooks = new WebhookDispatcher({ dataSource, secrets, clock, logger });
  try {
    // Before the demo, so the catalog it loads picks up the KEV, EPSS and CVE-record facts with their versions.
    // A damaged baseline file is logged and skipped: the server serves without that intel rather than not at all.
    const baseline = await importBaseline(dataSource, clock.now()).catch((err: Error) => {
      logger.error({ reason: err.message }, 'could not import the intel baseline (intel/baseline)');
      return [];
    });
    const imported = baseline.filter((o) => o.status === 'imported');
    if (imported.length) logger.info({ files: imported.length, feeds: [...new Set(imported.map((o) => o.kind))] }, 'imported the intel baseline (intel/baseline)');
    if (config.demo && (await needsDemo(dataSource))) {
      const demo = await loadDemo({ dataSource, secrets, clock, engine: sync, dataDir: config.dataDir });
      demoSimulators = demo.simulators;
      logger.info(
        { tenants: demo.tenants, connectorInstances: demo.connectorInstances, syncRuns: demo.syncRuns.length },
        'loaded the demo through the Intune, Datto RMM and WSUS connectors (PATCHGRAPH_DEMO=false to skip)',
      );
    } else if (config.demo) {
      // The demo's Graph simulators ran in the previous process; bring them back so its Intune instances still sync.
      demoSimulators = await resumeDemoSimulators({ dataSource, secrets, clock });
    }

    app = await startApp({ config, dataSource, clock, logger, secrets, sync, syncQueue, metrics });
    scheduler = new SyncScheduler({ dataSource, engine: sync, clock, logger, tickMs: config.schedulerTickSeconds * 1000, fullSyncEveryMs: config.fullSyncHours * 3_600_000, queue: syncQueue, metrics });
    if (config.scheduler) scheduler.start();
    inlineWorker?.start();
    if (syncQueue) await warnWithoutWorkers(syncQueue, logger, !!inlineWorker);
    // Change webhooks: queued with each change, sent (and retried with backoff) from here.
    webhooks.start(5_000);
  } catch (err) {
    showNewKey();
    throw err;
  }
  showNewKey();
  process.stderr.write(`\n  patchgraph is serving GraphQL at ${app.url}/graphql\n\n`);

  let signals = 0;
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1); // a second Ctrl-C means "now"
    logger.info({ signal }, 'received signal');
    // Bounded: cancelling syncs and draining requests each get the shutdown timeout, then the process goes anyway.
    // A run still unfinished then stays RUNNING with its lease, and is marked abandoned once the lease expires.
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, 2 * config.shutdownTimeoutMs + 1000);
    deadline.unref();
    // Syncs first, while the database is still open: each cancelled run records its failure, rolls back whatever it
    // was writing and releases its lease. Uploads waiting on a run then get their answer before the HTTP drain.
    const schedulerStopped = Promise.race([scheduler.stop(), new Promise((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref())]);
    // The inline worker first hands back the jobs it cannot finish in time; then the engine cancels what is left (uploads).
    const queueStopped = (inlineWorker?.stop(config.shutdownTimeoutMs) ?? Promise.resolve()).then(() => syncQueue?.close());
    Promise.all([queueStopped.then(() => sync.shutdown(config.shutdownTimeoutMs)), schedulerStopped, webhooks.stop()])
      .then(() => app.stop())
      .then(() => demoSimulators?.close())
      .then(() => vendorLimits?.close())
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, 'error during shutdown');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
