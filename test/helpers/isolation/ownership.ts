/**
 * Whose is each row: the tenant under test's (A), foreign (another client's, or an MSP-wide account's that belongs
 * to no client), or neutral (shared catalog facts and internal bookkeeping every tenant may see or nobody does).
 * Decided per table from its columns, never from a list of tables, so a table added later is classified too:
 * - a `tenantId` column (or the tenant table's own id) names the owner; null is an MSP-wide row, foreign to A;
 * - the catalog's `owner` column is "shared" or the tenant whose sources reported the entry;
 * - an API key belongs to the tenants it is limited to (all-tenant keys are neutral);
 * - a vulnerability only other tenants' own updates fix is theirs (one fixed by an update A may see, or by none, is
 *   public).
 */
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { SHARED_OWNER } from '../../../src/entities/update.entity';

export type Owner = 'a' | 'foreign' | 'neutral';

export interface OwnedRow {
  table: string;
  /** Entity class name; for Node types it is also the GraphQL type name in global ids. */
  entity: string;
  /** Primary key (joined for composite keys). */
  key: string;
  owner: Owner;
  /** The row as the driver returned it. */
  row: Record<string, unknown>;
}

const parseJson = (v: unknown): unknown => {
  if (typeof v !== 'string' || !/^\s*[[{]/.test(v)) return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

export async function classifyRows(dataSource: DataSource, tenantA: string): Promise<OwnedRow[]> {
  const q = (name: string) => dataSource.driver.escape(name);
  const metas = dataSource.entityMetadatas.filter((m) => m.tableType !== 'view');
  const rowsOf = new Map<string, Array<Record<string, unknown>>>();
  for (const m of metas) {
    const order = m.primaryColumns.map((c) => q(c.databaseName)).join(', ');
    rowsOf.set(m.tableName, await dataSource.query(`SELECT * FROM ${q(m.tableName)}${order ? ` ORDER BY ${order}` : ''}`));
  }
  // Vulnerabilities A reaches: those fixed by an update A may see.
  const visibleUpdates = new Set(
    (rowsOf.get('software_update') ?? []).filter((u) => u.owner === SHARED_OWNER || u.owner === tenantA).map((u) => String(u.id)),
  );
  const links = rowsOf.get('update_vulnerability') ?? [];
  const visibleVulns = new Set(links.filter((l) => visibleUpdates.has(String(l.updateId))).map((l) => String(l.vulnerabilityId)));
  const linkedVulns = new Set(links.map((l) => String(l.vulnerabilityId)));

  const out: OwnedRow[] = [];
  for (const m of metas) {
    const columns = new Set(m.columns.map((c) => c.databaseName));
    for (const row of rowsOf.get(m.tableName)!) {
      let owner: Owner;
      if (m.tableName === 'tenant') owner = row.id === tenantA ? 'a' : 'foreign';
      else if (columns.has('owner') && m.tableName === 'software_update') owner = row.owner === SHARED_OWNER ? 'neutral' : row.owner === tenantA ? 'a' : 'foreign';
      else if (columns.has('allTenants') && columns.has('tenantIds')) {
        const ids = parseJson(row.tenantIds);
        owner = Number(row.allTenants) ? 'neutral' : Array.isArray(ids) && ids.includes(tenantA) ? 'a' : 'foreign';
      } else if (m.tableName === 'vulnerability') owner = visibleVulns.has(String(row.id)) || !linkedVulns.has(String(row.id)) ? 'neutral' : 'foreign';
      else if (columns.has('tenantId')) owner = row.tenantId === tenantA ? 'a' : 'foreign';
      else owner = 'neutral';
      const key = m.primaryColumns.map((c) => String(row[c.databaseName])).join('|');
      out.push({ table: m.tableName, entity: m.name, key, owner, row });
    }
  }
  return out;
}

/** Every string a row holds: plain values, and the leaves and keys of JSON columns. */
export function stringsOf(value: unknown, into: string[] = []): string[] {
  const v = parseJson(value);
  if (typeof v === 'string') into.push(v);
  else if (Array.isArray(v)) v.forEach((x) => stringsOf(x, into));
  else if (v && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v)) {
    for (const [k, x] of Object.entries(v)) {
      into.push(k);
      stringsOf(x, into);
    }
  }
  return into;
}

/** Columns the server writes on its own, whenever its once-a-minute flush falls: never a request's doing. */
export const BOOKKEEPING_COLUMNS = ['lastUsedAt'];

/**
 * One SHA-256 per table over its foreign rows: a request that changed none of them leaves every digest as it was,
 * even when it was allowed to change A's own rows.
 */
export async function foreignDigests(dataSource: DataSource, tenantA: string): Promise<Record<string, string>> {
  const byTable: Record<string, string[]> = {};
  for (const r of await classifyRows(dataSource, tenantA)) {
    if (r.owner !== 'foreign') continue;
    const row = Object.fromEntries(Object.entries(r.row).filter(([column]) => !BOOKKEEPING_COLUMNS.includes(column)));
    (byTable[r.table] ??= []).push(JSON.stringify(row));
  }
  return Object.fromEntries(Object.entries(byTable).map(([t, rows]) => [t, createHash('sha256').update(rows.join('\n')).digest('hex')]));
}
