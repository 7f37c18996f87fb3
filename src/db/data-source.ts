import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { reusePromiseWrappers } from './mysql-promise-wrappers';
import { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import { DatabaseConfig } from '../config/config';
import { ENTITIES } from '../entities';
import { MYSQL_MIGRATIONS } from '../../migrations/mysql';
import { SQLITE_MIGRATIONS } from '../../migrations/sqlite';
import { MysqlBaseOptions, ReplicatedDataSource } from './replicated-data-source';
import { gateSqliteTransactions } from './sqlite-transaction-gate';
import { startWalCheckpointer, WalCheckpointer } from './wal-checkpointer';

export interface DataSourceOptions {
  /** Receives every SQL statement; used for statement counting and debug logging. */
  logger?: TypeOrmLogger;
}

/**
 * MariaDB and MySQL report column metadata differently (MariaDB quotes NULL defaults), and TypeORM only
 * reads MariaDB's dialect correctly when told it is MariaDB; the server says which it is.
 */
async function mysqlFlavor(db: Extract<DatabaseConfig, { engine: 'mysql' }>): Promise<'mysql' | 'mariadb'> {
  if (db.url.startsWith('mariadb:')) return 'mariadb';
  const conn = await createConnection({ host: db.host, port: db.port, user: db.username, password: db.password, connectTimeout: 10_000 });
  try {
    const [rows] = await conn.query('SELECT VERSION() AS v');
    return /mariadb/i.test(String((rows as Array<{ v: string }>)[0]?.v)) ? 'mariadb' : 'mysql';
  } finally {
    await conn.end();
  }
}

/** A file database gets its WAL checkpoints from a thread of its own (wal-checkpointer.ts) while it is open. */
function checkpointOffThread(dataSource: DataSource): DataSource {
  const file = String(dataSource.options.database ?? '');
  if (file === '' || file === ':memory:') return dataSource;
  let checkpointer: WalCheckpointer | null = null;
  const initialize = dataSource.initialize.bind(dataSource);
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.initialize = async () => {
    await initialize();
    const main = (dataSource.driver as unknown as { databaseConnection: { pragma(sql: string): unknown } }).databaseConnection;
    checkpointer = await startWalCheckpointer(file, main);
    return dataSource;
  };
  dataSource.destroy = async () => {
    await checkpointer?.stop();
    checkpointer = null;
    await destroy();
  };
  return dataSource;
}

/** One code path, two engines: the embedded SQLite default, or MySQL/MariaDB when DATABASE_URL says so. */
export async function createDataSource(db: DatabaseConfig, options: DataSourceOptions = {}): Promise<DataSource> {
  const common = {
    entities: ENTITIES,
    synchronize: false,
    migrationsRun: false,
    logger: options.logger,
    logging: options.logger ? (['query', 'error'] as const) : false,
  };
  if (db.engine === 'sqlite') {
    if (db.path !== ':memory:') mkdirSync(dirname(db.path), { recursive: true });
    // Gated: one connection serves the whole process, and a sync's long transaction yields to the event loop.
    return checkpointOffThread(gateSqliteTransactions(new DataSource({
      ...common,
      logging: options.logger ? ['query', 'error'] : false,
      type: 'better-sqlite3',
      database: db.path,
      migrations: SQLITE_MIGRATIONS,
      // WAL lets readers (GraphQL) proceed while a sync writes; busy_timeout waits out a competing writer.
      prepareDatabase: (conn: { pragma(sql: string): unknown }) => {
        conn.pragma('journal_mode = WAL');
        conn.pragma('busy_timeout = 5000');
        conn.pragma('foreign_keys = ON');
        // 64 MiB of page cache instead of 2: a large run's index pages stay in memory between its statements.
        conn.pragma('cache_size = -65536');
      },
    })));
  }
  const mysql: MysqlBaseOptions = {
    ...common,
    logging: options.logger ? ['query', 'error'] : false,
    type: await mysqlFlavor(db),
    migrations: MYSQL_MIGRATIONS,
    charset: 'utf8mb4_unicode_ci',
    // Store and read DATETIME(3) as UTC whatever the server's time zone is.
    timezone: 'Z',
    // trace: mysql2 captures a stack trace at every query, for its errors' stacks (4 % of a nested portal page's
    // CPU). Our errors are reported by code and statement, never by mysql2's stack.
    extra: { connectionLimit: 10, trace: false },
  };
  reusePromiseWrappers();
  // With PATCHGRAPH_DATABASE_READ_URLS, portal queries may read from a replica; everything else stays on the primary.
  if (db.readReplicas?.length) return new ReplicatedDataSource(mysql, db, db.readReplicas);
  return new DataSource({ ...mysql, host: db.host, port: db.port, username: db.username, password: db.password, database: db.database });
}
