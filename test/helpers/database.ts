import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import { DatabaseConfig, parseDatabaseUrl } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';
import { runMigrations } from '../../src/db/migrate';
import { createMigratedDatabase } from './mariadb-template';

export type Engine = 'sqlite' | 'mariadb';

export const ENGINE: Engine = (process.env.TEST_ENGINE as Engine) ?? 'sqlite';
const MYSQL_URL = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/';

/** Counts SQL statements, so tests can show that a query's statement count does not grow with its page size. */
export class StatementCounter implements TypeOrmLogger {
  count = 0;
  statements: string[] = [];
  parameters: unknown[][] = [];
  logQuery(query: string, parameters?: unknown[]): void {
    this.count += 1;
    this.statements.push(query);
    this.parameters.push(parameters ?? []);
  }
  reset(): void {
    this.count = 0;
    this.statements = [];
    this.parameters = [];
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export interface TestDatabase {
  engine: Engine;
  config: DatabaseConfig;
  dataSource: DataSource;
  counter: StatementCounter;
  /** Closes the connection and removes the database. */
  drop(): Promise<void>;
}

let seq = 0;

/**
 * A fresh database for one test file on the engine of the current jest project, built by the real migrations
 * (never `synchronize`): on SQLite run in it, on MariaDB copied from a template they built (mariadb-template.ts).
 * MariaDB gets its own logical database, so files run in parallel.
 */
export async function openTestDatabase(): Promise<TestDatabase> {
  const counter = new StatementCounter();
  let config: DatabaseConfig;
  let cleanup: () => Promise<void>;
  if (ENGINE === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'patchgraph-test-'));
    config = parseDatabaseUrl(`sqlite:${join(dir, 'test.db')}`);
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const name = `pgtest_${process.pid}_${++seq}_${Date.now().toString(36)}`;
    // The migrated schema copied from a template the real migrations built (runMigrations below then finds nothing
    // pending): running them took 3.5-4 s a database.
    await createMigratedDatabase(MYSQL_URL, name);
    config = parseDatabaseUrl(MYSQL_URL.replace(/\/[^/]*$/, `/${name}`));
    cleanup = async () => {
      const c = await createConnection(MYSQL_URL);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    };
  }
  const dataSource = await createDataSource(config, { logger: counter });
  await dataSource.initialize();
  await runMigrations(dataSource);
  counter.reset();
  return {
    engine: ENGINE,
    config,
    dataSource,
    counter,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await cleanup();
    },
  };
}
