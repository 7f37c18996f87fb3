import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { openSqliteFile, SqliteFile } from './sqlite-file';

export interface SqliteFileSummary {
  file: string;
  bytes: number;
  sha256: string;
  /** Rows per table, by table name. */
  tables: Record<string, number>;
  /** The head of every audit chain: what `audit verify` must reach on a copy of this file. */
  chainHeads: Array<{ chainKey: string; seq: number; hash: string }>;
  /** The newest migration applied: the schema version the file is at. */
  lastMigration: string | null;
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function hasTable(db: SqliteFile, name: string): boolean {
  return Boolean(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name));
}

/** What a backup or a restore reports about the file: enough to compare one with the other by eye or by script. */
export async function summarizeSqliteFile(file: string): Promise<SqliteFileSummary> {
  const db = openSqliteFile(file, { readonly: true });
  try {
    const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    const tables: Record<string, number> = {};
    for (const name of names) tables[name] = (db.prepare(`SELECT COUNT(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n;
    const chainHeads = hasTable(db, 'audit_chain_head')
      ? (db.prepare('SELECT chainKey, seq, hash FROM audit_chain_head ORDER BY chainKey').all() as SqliteFileSummary['chainHeads'])
      : [];
    const last = hasTable(db, 'migrations') ? (db.prepare('SELECT name FROM migrations ORDER BY id DESC LIMIT 1').get() as { name: string } | undefined) : undefined;
    return { file, bytes: statSync(file).size, sha256: await sha256Of(file), tables, chainHeads, lastMigration: last?.name ?? null };
  } finally {
    db.close();
  }
}
