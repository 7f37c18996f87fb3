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
      down: sql.downQueries.reverse().map((x) => q(x.query)),
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
