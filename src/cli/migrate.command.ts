import { Config } from '../config/config';
import { createLogger } from '../server/logger';
import { openDatabase } from './open-database';

export async function migrate(config: Config): Promise<void> {
  const logger = createLogger(config);
  const dataSource = await openDatabase(config, logger);
  const pending = await dataSource.showMigrations();
  await dataSource.destroy();
  process.stdout.write(`database is up to date (${config.database.engine})${pending ? ', but migrations are still pending' : ''}\n`);
}
