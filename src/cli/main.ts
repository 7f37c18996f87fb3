import 'reflect-metadata';
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/config';
import { migrate } from './migrate.command';
import { schema } from './schema.command';
import { serve } from './serve.command';
import { syncCommand } from './sync.command';

/** Reports a failure as one line naming what to fix, not as a stack trace. */
function fail(err: unknown): never {
  const message = err instanceof ConfigError ? `configuration error: ${err.message}` : (err as Error)?.message ?? String(err);
  process.stderr.write(`patchgraph: ${message}\n`);
  if (process.env.DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}

export function main(argv: string[]): void {
  const program = new Command()
    .name('patchgraph')
    .description('GraphQL API joining Intune, Datto RMM and WSUS patch data. Configuration is read from the environment (see README).')
    .showHelpAfterError();

  program
    .command('serve')
    .description('apply migrations, create the first admin key if none exists, load the demo into an empty database, and serve GraphQL')
    .action(() => serve(loadConfig()).catch(fail));

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(() => migrate(loadConfig()).catch(fail));

  program
    .command('sync')
    .description('sync connector instances now: every enabled one, or the one given; exits 1 if any run failed')
    .option('--connector <id>', 'sync only this connector instance (its id from the connectorInstances query)')
    .option('--full', 'ignore incremental cursors and read everything (marks devices missing from the source stale)')
    .action((opts: { connector?: string; full?: boolean }) =>
      syncCommand(loadConfig(), opts).then((code) => process.exit(code), fail),
    );

  program
    .command('schema')
    .description('write schema/schema.graphql from the code')
    .action(() => {
      try {
        schema();
      } catch (err) {
        fail(err);
      }
    });

  program.parseAsync(argv).catch(fail);
}
