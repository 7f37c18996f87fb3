import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';

/**
 * One SHA-256 per table over every row (SELECT * ordered by the primary key), for every table TypeORM knows:
 * a test takes it before and after a run of requests to show they changed nothing, and a difference names the
 * tables that changed. Rows are hashed as the driver returns them, so compare digests from one engine only.
 */
export async function tableDigests(dataSource: DataSource): Promise<Record<string, string>> {
  const q = (name: string) => dataSource.driver.escape(name);
  const digests: Record<string, string> = {};
  const tables = [...new Set(dataSource.entityMetadatas.filter((m) => m.tableType !== 'view').map((m) => m.tableName))].sort();
  for (const table of tables) {
    const meta = dataSource.entityMetadatas.find((m) => m.tableName === table)!;
    const order = meta.primaryColumns.map((c) => q(c.databaseName)).join(', ');
    const rows = await dataSource.query(`SELECT * FROM ${q(table)}${order ? ` ORDER BY ${order}` : ''}`);
    digests[table] = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  }
  return digests;
}
