/**
 * Writes a migration for each engine from the difference between the entities and the schema that the
 * existing migrations build, the way `typeorm migration:generate` does, but for both engines at once.
 * Usage: npm run migration:generate -- <PascalCaseName>
 * Needs MariaDB at TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/) for the mysql half.
 */
import 'reflect-metadata';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { parseDatabaseUrl } from '../src/config/config';
import { createDataSource } from '../src/db/data-source';

/**
 * TypeORM reverts a SQLite table change by renaming the table to temporary_x first. It reverts with foreign keys
 * on, so that rename rewrites other tables' references to temporary_x, which is then dropped. Rebuilding the way
 * up() does (new temporary_x, copy, drop x, rename back) leaves every reference pointing at x.
 */
export function rebuildLikeUp(queries: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < queries.length; i++) {
    const rename = /^ALTER TABLE "(\w+)" RENAME TO "temporary_\1"$/.exec(queries[i]);
    if (!rename) {
      out.push(queries[i]);
      continue;
    }
    const t = rename[1];
    const [create, insert, drop] = queries.slice(i + 1, i + 4);
    if (!create?.startsWith(`CREATE TABLE "${t}"`) || !insert?.startsWith(`INSERT INTO "${t}"`) || drop !== `DROP TABLE "temporary_${t}"`) {
      throw new Error(`unexpected SQLite rebuild of ${t}; check the generated down() by hand`);
    }
    out.push(
      create.replace(`CREATE TABLE "${t}"`, `CREATE TABLE "temporary_${t}"`),
      insert.replace(`INSERT INTO "${t}"`, `INSERT INTO "temporary_${t}"`).replace(`FROM "temporary_${t}"`, `FROM "${t}"`),
      `DROP TABLE "${t}"`,
      `ALTER TABLE "temporary_${t}" RENAME TO "${t}"`,
    );
    i += 3;
  }
  return out;
}

async function diff(engine: 'sqlite' | 'mysql'): Promise<{ up: string[]; down: string[] }> {
  let url: string;
  let drop = async () => {};
  if (engine === 'sqlite') {
    url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'pg-gen-')), 'gen.db')}`;
  } else {
    const base = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/';
    const admin = await createConnection(base);
    const name = `pg_migration_gen_${process.pid}`;
    await admin.query(`CREATE DATABASE \`${name}\``);
    url = base.replace(/\/[^/]*$/, `/${name}`);
    drop = async () => {
      await admin.query(`DROP DATABASE \`${name}\``);
      await admin.end();
    };
  }
  const ds = await createDataSource(parseDatabaseUrl(url));
  await ds.initialize();
  try {
    await ds.runMigrations();
    const sql = await ds.driver.createSchemaBuilder().log();
    const q = (s: string) => '`' + s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${') + '`';
    // Tables are utf8mb4 whatever the database's default character set is, so host names and titles in any
    // script survive; SQLite is UTF-8 already.
    const withCharset = (text: string) =>
      engine === 'mysql' ? text.replace(/\) ENGINE=InnoDB$/, ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci') : text;
    return {
      up: sql.upQueries.map((x) => q(withCharset(x.query))),
      down: (engine === 'sqlite' ? rebuildLikeUp : (x: string[]) => x)(sql.downQueries.reverse().map((x) => x.query)).map(q),
    };
  } finally {
    await ds.destroy();
    await drop();
  }
}

async function main() {
  const name = process.argv[2];
  if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error('usage: generate-migration <PascalCaseName>');
  const stamp = Date.now();
  for (const engine of ['sqlite', 'mysql'] as const) {
    const { up, down } = await diff(engine);
    if (up.length === 0) {
      console.log(`${engine}: entities match the migrations; nothing to generate`);
      continue;
    }
    const cls = `${name}${stamp}`;
    const file = `migrations/${engine}/${stamp}-${name}.ts`;
    const body = (qs: string[]) => qs.map((x) => `    await queryRunner.query(${x});`).join('\n');
    writeFileSync(
      file,
      `import { MigrationInterface, QueryRunner } from 'typeorm';\n\n` +
        `export class ${cls} implements MigrationInterface {\n  name = '${cls}';\n\n` +
        `  async up(queryRunner: QueryRunner): Promise<void> {\n${body(up)}\n  }\n\n` +
        `  async down(queryRunner: QueryRunner): Promise<void> {\n${body(down)}\n  }\n}\n`,
    );
    const index = `migrations/${engine}/index.ts`;
    const text = readFileSync(index, 'utf8');
    const constName = `${engine.toUpperCase()}_MIGRATIONS`;
    // New imports go after the header comment and the imports already there.
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('export const'));
    lines.splice(at, 0, `import { ${cls} } from './${stamp}-${name}';`);
    const withImport = lines.join('\n');
    writeFileSync(
      index,
      withImport.replace(new RegExp(`(export const ${constName}: Function\\[\\] = \\[)([^\\]]*)\\]`), (_m, head, items) => {
        const list = items.trim() ? `${items.trim().replace(/,$/, '')}, ${cls}` : cls;
        return `${head}${list}]`;
      }),
    );
    console.log(`${engine}: wrote ${file} (${up.length} statements)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
