import { DataSource } from 'typeorm';
import { Config } from '../config/config';
import { createDataSource } from '../db/data-source';
import { runMigrations } from '../db/migrate';
import { Logger } from 'pino';

/** Connects and brings the schema up to date; every command that touches data starts here. */
export async function openDatabase(config: Config, logger: Logger): Promise<DataSource> {
  let dataSource: DataSource;
  try {
    dataSource = await createDataSource(config.database);
    await dataSource.initialize();
  } catch (err) {
    const where = config.database.engine === 'sqlite' ? config.database.path : `${config.database.host}:${config.database.port}/${config.database.database}`;
    throw new Error(`cannot open the ${config.database.engine} database at ${where} (DATABASE_URL): ${(err as Error).message}`);
  }
  const applied = await runMigrations(dataSource);
  if (applied.length) logger.info({ migrations: applied }, 'applied database migrations');
  return dataSource;
}
