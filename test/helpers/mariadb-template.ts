import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection, createConnection, RowDataPacket } from 'mysql2/promise';
import { MYSQL_MIGRATIONS } from '../../migrations/mysql';
import { parseDatabaseUrl } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';
import { runMigrations } from '../../src/db/migrate';

/**
 * The migrated schema on MariaDB, built once by the real migrations and copied into each test's database.
 *
 * Running the 24 migrations (about 300 statements of DDL) took 3.5-4 s per test database on the CI machine, for about
 * 120 databases a run; copying the finished schema takes a fraction of it. The copy is the template's own
 * definitions as MariaDB prints them (SHOW CREATE TABLE, SHOW CREATE TRIGGER) and its rows (the migrations table), so
 * a test sees exactly what the migrations made. The template is named by a hash of the migration files: a changed
 * migration builds a new one. test/migrations runs the migrations themselves on an empty database.
 */
const MIGRATIONS_DIR = join(__dirname, '..', '..', 'migrations', 'mysql');

let hashed: string | undefined;

/** Read once per worker: the migration files do not change while the suite runs. */
function migrationsHash(): string {
  if (hashed) return hashed;
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_DIR).sort()) hash.update(file).update(readFileSync(join(MIGRATIONS_DIR, file)));
  return (hashed = hash.digest('hex').slice(0, 16));
}

const quote = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/** The template database for the current migrations, built by the first test that needs it (one builder at a time). */
async function template(serverUrl: string, admin: Connection): Promise<string> {
  const name = `pgtemplate_${migrationsHash()}`;
  const [[locked]] = await admin.query<RowDataPacket[]>('SELECT GET_LOCK(?, 600) AS got', [name]);
  if (Number(locked.got) !== 1) throw new Error(`could not take the lock to build the MariaDB test template ${name}`);
  try {
    // Complete when every migration is recorded: a builder that died part-way leaves fewer, and it is built again.
    const [applied] = await admin.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = 'migrations'`, [name]);
    const complete = Number(applied[0].n) === 1 && Number((await admin.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${quote(name)}.migrations`))[0][0].n) === MYSQL_MIGRATIONS.length;
    if (!complete) {
      await admin.query(`DROP DATABASE IF EXISTS ${quote(name)}`);
      await admin.query(`CREATE DATABASE ${quote(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      const dataSource = await createDataSource(parseDatabaseUrl(serverUrl.replace(/\/[^/]*$/, `/${name}`)), {});
      await dataSource.initialize();
      try {
        await runMigrations(dataSource);
      } finally {
        await dataSource.destroy();
      }
    }
  } finally {
    await admin.query('SELECT RELEASE_LOCK(?)', [name]);
  }
  return name;
}

/** Creates `target` holding the migrated schema: the template's tables, rows and triggers. */
export async function createMigratedDatabase(serverUrl: string, target: string): Promise<void> {
  const admin = await createConnection(serverUrl);
  try {
    const source = await template(serverUrl, admin);
    await admin.query(`CREATE DATABASE ${quote(target)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.query(`USE ${quote(target)}`);
    // Tables refer to each other; their keys are checked from the first row a test writes.
    await admin.query('SET FOREIGN_KEY_CHECKS = 0');
    const [tables] = await admin.query<RowDataPacket[]>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name`, [source]);
    for (const { name } of tables) {
      const [[created]] = await admin.query<RowDataPacket[]>(`SHOW CREATE TABLE ${quote(source)}.${quote(name)}`);
      await admin.query(created['Create Table']);
      await admin.query(`INSERT INTO ${quote(name)} SELECT * FROM ${quote(source)}.${quote(name)}`);
    }
    const [triggers] = await admin.query<RowDataPacket[]>(`SELECT trigger_name AS name FROM information_schema.triggers WHERE trigger_schema = ? ORDER BY action_order`, [source]);
    for (const { name } of triggers) {
      const [[trigger]] = await admin.query<RowDataPacket[]>(`SHOW CREATE TRIGGER ${quote(source)}.${quote(name)}`);
      await admin.query(trigger['SQL Original Statement']);
    }
    await admin.query('SET FOREIGN_KEY_CHECKS = 1');
  } finally {
    await admin.end();
  }
}
