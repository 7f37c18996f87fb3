/**
 * `patchgraph sync [--connector ID] [--full]`: runs syncs now, in this process, and reports each as it goes. On a
 * terminal one line per instance is redrawn with live record counts; otherwise (CI, cron, a pipe) plain lines.
 * Exits non-zero when any run failed, so a scheduler around it notices. Push-only instances (WSUS fed by its
 * collector) are skipped with a line saying so: there is nothing to pull, and a run would only fail.
 */
import { Writable } from 'node:stream';
import { Config } from '../config/config';
import { ConnectorInstance, SyncRun } from '../entities';
import { SyncRunStatus, SyncTrigger } from '../entities/enums';
import { keyOf } from '../graphql/types/global-id';
import { openSecretBox } from '../secrets/secret-box';
import { createLogger } from '../server/logger';
import { isPushOnly } from '../sync/scheduler';
import { parseCounts } from '../sync/run-counts';
import { SyncEngine, SyncProgress } from '../sync/sync-engine';
import { SyncInProgressError, syncLeaseMsFromEnv } from '../sync/sync-lock';
import { systemClock } from '../util/clock';
import { openDatabase } from './open-database';

export interface SyncCommandOptions {
  connector?: string;
  full?: boolean;
}

export function summarise(run: SyncRun): string {
  if (run.status !== SyncRunStatus.SUCCEEDED) return `FAILED (${run.errorKind}): ${run.errorMessage}`;
  const c = parseCounts(run);
  return (
    `${run.mode.toLowerCase()} sync ok: devices ${c.devices.seen} seen, ${c.devices.created} new, ${c.devices.changed} changed, ${c.devices.stale} stale, ${c.devices.deleted} deleted, ${c.devices.unmapped} unmapped, ${c.devices.ignored} ignored; ` +
    `patch states ${c.patchStates.seen} seen, ${c.patchStates.created} new, ${c.patchStates.changed} changed; ${c.events} events`
  );
}

export async function syncCommand(config: Config, options: SyncCommandOptions, out: NodeJS.WriteStream | Writable = process.stdout): Promise<number> {
  const logger = createLogger({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const dataSource = await openDatabase(config, logger);
  const tty = 'isTTY' in out && out.isTTY === true;
  const write = (s: string) => void out.write(s);
  try {
    const { box: secrets } = openSecretBox(config);
    const engine = new SyncEngine({ dataSource, secrets, clock: systemClock, logger, leaseMs: syncLeaseMsFromEnv() });
    const repo = dataSource.getRepository(ConnectorInstance);
    let instances: ConnectorInstance[];
    if (options.connector !== undefined) {
      const given = options.connector.trim();
      // `--connector "$(npx patchgraph instances … -q)"` gives nothing, or several lines, when the filter was off: say
      // so, rather than syncing everything or looking up a string that cannot be an id.
      if (!given) throw new Error('--connector: no id given (`npx patchgraph instances` lists them)');
      if (/\s/.test(given)) throw new Error(`--connector: takes one id, got ${given.split(/\s+/).length} (narrow \`npx patchgraph instances\` with --kind or --tenant)`);
      // Accept the API's global id as well as the database key, since the API is where operators find it.
      const id = /^[0-9a-f-]{36}$/i.test(given) ? given : keyOf('ConnectorInstance', given, '--connector');
      const one = await repo.findOneBy({ id });
      if (!one) throw new Error(`--connector: no connector instance with id "${given}" (\`npx patchgraph instances\` lists them)`);
      if (isPushOnly(one)) {
        // Running it would only record a FAILED run: there is no upload to read.
        throw new Error(`--connector: ${one.name} [${one.kind}] ${one.id} is push-only: it syncs when its collector uploads to its ingest URL, not from here`);
      }
      instances = [one];
    } else {
      instances = await repo.find({ where: { enabled: true }, order: { name: 'ASC' } });
      if (instances.length === 0) write('no enabled connector instances to sync\n');
    }
    let failures = 0;
    for (const instance of instances) {
      const label = `${instance.name} [${instance.kind}] ${instance.id}`;
      if (isPushOnly(instance)) {
        write(`${label}: skipped: push-only, its collector uploads\n`);
        continue;
      }
      const progress = (p: SyncProgress) => {
        if (tty) write(`\r\x1b[2K${label}: ${p.stream === 'writing' ? `writing ${p.records} records` : `reading ${p.stream}: ${p.records}`}`);
      };
      if (!tty) write(`${label}: started\n`);
      try {
        const run = await engine.run(instance.id, { trigger: SyncTrigger.CLI, triggeredBy: 'cli', full: options.full, onProgress: progress });
        if (run.status !== SyncRunStatus.SUCCEEDED) failures += 1;
        write(`${tty ? '\r\x1b[2K' : ''}${label}: ${summarise(run)}\n`);
      } catch (err) {
        if (!(err instanceof SyncInProgressError)) throw err;
        failures += 1;
        write(`${tty ? '\r\x1b[2K' : ''}${label}: skipped, ${err.message}\n`);
      }
    }
    return failures === 0 ? 0 : 1;
  } finally {
    await dataSource.destroy();
  }
}
