import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Config } from '../config/config';
import { createDataSource } from '../db/data-source';
import { allMigrations, MigrationListing, migrationStatus } from '../db/pending-migrations';
import { createLogger } from '../server/logger';
import { PENDING_EXIT_CODE } from './exit-codes';
import { openDatabase } from './open-database';

type Out = NodeJS.WriteStream | Writable;

export interface MigrateOptions {
  /** List the pending migrations and apply nothing. */
  dryRun?: boolean;
  /** As dryRun, and exit with PENDING_EXIT_CODE when any is pending: for deployment scripts. */
  check?: boolean;
}

export { PENDING_EXIT_CODE } from './exit-codes';

function where(config: Config): string {
  const db = config.database;
  return db.engine === 'sqlite' ? `sqlite ${db.path}` : `${db.engine} ${db.host}:${db.port}/${db.database}`;
}

function row(m: MigrationListing): string {
  return `  ${new Date(m.timestamp).toISOString()}  ${m.name}\n`;
}

/** Lists what `migrate` would apply, writing nothing: not even the migrations table, nor a new SQLite file. */
async function dryRun(config: Config, options: MigrateOptions, out: Out): Promise<number> {
  const dataSource = await createDataSource(config.database);
  let pending: MigrationListing[];
  if (config.database.engine === 'sqlite' && !existsSync(config.database.path)) {
    pending = allMigrations(dataSource);
    out.write(`the database file ${config.database.path} does not exist yet; migrate (or serve) would create it\n`);
  } else {
    try {
      await dataSource.initialize();
    } catch (err) {
      throw new Error(`cannot open the database at ${where(config)} (DATABASE_URL): ${(err as Error).message}`);
    }
    try {
      const status = await migrationStatus(dataSource);
      pending = status.pending;
      if (status.unknown.length) {
        out.write(`warning: ${status.unknown.length} applied migration(s) are unknown to this version of patchgraph (a newer version applied them):\n`);
        for (const m of status.unknown) out.write(row(m));
      }
    } finally {
      await dataSource.destroy();
    }
  }
  if (!pending.length) {
    out.write(`no pending migrations: the database is up to date (${where(config)})\n`);
    return 0;
  }
  out.write(`${pending.length} pending migration(s) on ${where(config)}, in the order they would be applied:\n`);
  for (const m of pending) out.write(row(m));
  out.write('nothing was applied (dry run); `patchgraph migrate` applies them, each in its own transaction\n');
  return options.check ? PENDING_EXIT_CODE : 0;
}

export async function migrate(config: Config, options: MigrateOptions = {}, out: Out = process.stdout): Promise<number> {
  if (options.dryRun || options.check) return dryRun(config, options, out);
  const logger = createLogger(config);
  const dataSource = await openDatabase(config, logger);
  try {
    const status = await migrationStatus(dataSource);
    out.write(`database is up to date (${config.database.engine})${status.pending.length ? ', but migrations are still pending' : ''}\n`);
    return status.pending.length ? 1 : 0;
  } finally {
    await dataSource.destroy();
  }
}
