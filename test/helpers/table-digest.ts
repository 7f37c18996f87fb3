import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';

/**
 * One SHA-256 per table over every row (SELECT * ordered by the primary key), for every table TypeORM knows:
 * a test takes it before and after a run of requests to show they changed nothing, and a difference names the
 * tables that changed. Rows are hashed as the driver returns them, so compare digests from one engine only.
 * `only` limits it to some tables (those a request could write, leaving out e.g. the once-a-minute key-usage flush).
 */
export async function tableDigests(dataSource: DataSource, only?: readonly string[]): Promise<Record<string, string>> {
  const q = (name: string) => dataSource.driver.escape(name);
  const digests: Record<string, string> = {};
  const known = [...new Set(dataSource.entityMetadatas.filter((m) => m.tableType !== 'view').map((m) => m.tableName))];
  const unknown = (only ?? []).filter((t) => !known.includes(t));
  if (unknown.length) throw new Error(`tableDigests: no such table: ${unknown.join(', ')}`);
  const tables = known.filter((t) => !only || only.includes(t)).sort();
  for (const table of tables) {
    const meta = dataSource.entityMetadatas.find((m) => m.tableName === table)!;
    const order = meta.primaryColumns.map((c) => q(c.databaseName)).join(', ');
    const rows = await dataSource.query(`SELECT * FROM ${q(table)}${order ? ` ORDER BY ${order}` : ''}`);
    digests[table] = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  }
  return digests;
}
