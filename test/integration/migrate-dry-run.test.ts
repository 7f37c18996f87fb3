/**
 * `patchgraph migrate --dry-run` (and `--check`, for deployment scripts) says which migrations an upgrade would
 * apply, in order, and applies none: the migrations table (or, for SQLite, the file) is left exactly as it was.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { migrate, PENDING_EXIT_CODE } from '../../src/cli/migrate.command';
import { Config, loadConfig } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';
import { runMigrations } from '../../src/db/migrate';
import { MYSQL_MIGRATIONS } from '../../migrations/mysql';
import { SQLITE_MIGRATIONS } from '../../migrations/sqlite';
import { ENGINE } from '../helpers/database';

const MYSQL_URL = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/';
const SHIPPED = (ENGINE === 'sqlite' ? SQLITE_MIGRATIONS : MYSQL_MIGRATIONS).map((C) => (new (C as new () => { name: string })()).name);

async function run(config: Config, options: { dryRun?: boolean; check?: boolean }) {
  let text = '';
  const out = new Writable({ write: (chunk, _e, done) => ((text += String(chunk)), done()) });
  const code = await migrate(config, options, out);
  // The names listed, in the order printed: each listed line is "  <ISO timestamp>  <name>".
  const listed = [...text.matchAll(/^ {2}(\d{4}-\d\d-\d\dT[\d:.]+Z) {2}(\S+)$/gm)].map((m) => ({ at: m[1], name: m[2] }));
  return { code, text, listed };
}

describe(`migrate --dry-run on ${ENGINE}`, () => {
  let dir: string;
  let config: Config;
  let dropDatabase: () => Promise<void>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-migrate-dry-run-'));
    if (ENGINE === 'sqlite') {
      config = loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'pg.db')}`, LOG_LEVEL: 'silent' });
      dropDatabase = async () => undefined;
    } else {
      const name = `pgtest_dryrun_${process.pid}_${Date.now().toString(36)}`;
      const admin = await createConnection(MYSQL_URL);
      await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      await admin.end();
      config = loadConfig({ DATABASE_URL: MYSQL_URL.replace(/\/[^/]*$/, `/${name}`), LOG_LEVEL: 'silent' });
      dropDatabase = async () => {
        const c = await createConnection(MYSQL_URL);
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await c.end();
      };
    }
  });
  afterEach(async () => {
    await dropDatabase();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<DataSource> {
    const ds = await createDataSource(config.database);
    await ds.initialize();
    return ds;
  }

  async function tables(): Promise<string[]> {
    const ds = await open();
    try {
      const sql = ENGINE === 'sqlite' ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'" : 'SHOW TABLES';
      return (await ds.query(sql)).map((r: Record<string, string>) => Object.values(r)[0]).sort();
    } finally {
      await ds.destroy();
    }
  }

  async function migrationRows(): Promise<unknown[]> {
    const ds = await open();
    try {
      return await ds.query('SELECT * FROM migrations ORDER BY id');
    } finally {
      await ds.destroy();
    }
  }

  it('on a new database lists every migration, oldest first, with its timestamp, and creates nothing', async () => {
    if (ENGINE === 'sqlite') {
      const first = await run(config, { dryRun: true });
      expect(first.code).toBe(0);
      expect(first.listed.map((m) => m.name)).toEqual(SHIPPED);
      // Written nowhere: not even the file.
      expect(existsSync((config.database as { path: string }).path)).toBe(false);
    } else {
      const first = await run(config, { dryRun: true });
      expect(first.code).toBe(0);
      expect(first.listed.map((m) => m.name)).toEqual(SHIPPED);
      expect(await tables()).toEqual([]);
    }
    const timestamps = (await run(config, { dryRun: true })).listed.map((m) => Date.parse(m.at));
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    expect(timestamps.map((t, i) => `${t}`.slice(-13) === SHIPPED[i].slice(-13))).toEqual(SHIPPED.map(() => true));
    expect((await run(config, { check: true })).code).toBe(PENDING_EXIT_CODE);
  });

  it('on a migrated database lists none (exit 0 with --check); after the last is reverted, lists exactly it and writes nothing', async () => {
    const ds = await open();
    await runMigrations(ds);
    await ds.destroy();
    const upToDate = await run(config, { check: true });
    expect(upToDate).toMatchObject({ code: 0, listed: [] });
    expect(upToDate.text).toContain('no pending migrations');

    const reverting = await open();
    await reverting.undoLastMigration({ transaction: 'each' });
    await reverting.destroy();
    const before = await migrationRows();
    const schemaBefore = await tables();
    expect(before).toHaveLength(SHIPPED.length - 1);

    const dry = await run(config, { dryRun: true });
    expect(dry.code).toBe(0);
    expect(dry.listed.map((m) => m.name)).toEqual([SHIPPED[SHIPPED.length - 1]]);
    expect(dry.text).toContain('nothing was applied');
    expect((await run(config, { check: true })).code).toBe(PENDING_EXIT_CODE);
    expect(await migrationRows()).toEqual(before);
    expect(await tables()).toEqual(schemaBefore);

    // And the real thing applies exactly what the dry run listed.
    expect((await run(config, {})).code).toBe(0);
    expect((await migrationRows()).length).toBe(SHIPPED.length);
    expect((await run(config, { check: true })).code).toBe(0);
  });
});
