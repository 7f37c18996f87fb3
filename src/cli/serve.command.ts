import { ensureAdminKey } from '../auth/api-keys';
import { Config } from '../config/config';
import { isEmpty, seedDemo } from '../demo/seed-demo';
import { startApp } from '../server/app';
import { createLogger } from '../server/logger';
import { systemClock } from '../util/clock';
import { openDatabase } from './open-database';

export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config);
  const clock = systemClock;
  const dataSource = await openDatabase(config, logger);

  const newKey = await ensureAdminKey(dataSource, clock, config.bootstrapAdminKey);
  if (newKey) {
    // Printed once, to the terminal and not to the log stream: only its hash is stored.
    process.stderr.write(
      `\n  First start: created an admin API key. It is shown only this once; keep it safe.\n\n` +
        `    export PATCHGRAPH_KEY=${newKey}\n\n`,
    );
  }
  if (config.demo && (await isEmpty(dataSource))) {
    const loaded = await seedDemo(dataSource, clock);
    logger.info(loaded, 'loaded the demo data set into the empty database (PATCHGRAPH_DEMO=false to skip)');
  }

  const app = await startApp({ config, dataSource, clock, logger });
  process.stderr.write(`\n  patchgraph is serving GraphQL at ${app.url}/graphql\n\n`);

  let signals = 0;
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1); // a second Ctrl-C means "now"
    logger.info({ signal }, 'received signal');
    app.stop().then(
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
