import { DataSource, EntityManager, QueryFailedError } from 'typeorm';

/** True when a write failed on a unique index, on either engine. */
export function isUniqueViolation(err: unknown, indexName?: string): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const code = driverCode(err);
  const message = String(err.message);
  const unique = code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || /UNIQUE constraint failed/.test(message);
  if (!unique || !indexName) return unique;
  return message.includes(indexName) || sqliteColumnsOf(indexName).some((cols) => message.includes(cols));
}

/** InnoDB resolves lock cycles between concurrent inserts by failing one transaction; running it again is safe. */
export function isDeadlock(err: unknown): boolean {
  return err instanceof QueryFailedError && ['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT'].includes(driverCode(err) ?? '');
}

/** The engine's error code, which TypeORM keeps on the wrapped driver error. */
function driverCode(err: QueryFailedError): string | undefined {
  const e = err as QueryFailedError & { code?: string; driverError?: { code?: string } };
  return e.driverError?.code ?? e.code;
}

// SQLite names the columns, not the index, in its message.
const SQLITE_INDEX_COLUMNS: Record<string, string> = {
  uq_audit_event_chain_seq: 'audit_event.chainKey, audit_event.seq',
  uq_tenant_name: 'tenant.name',
  uq_site_tenant_name: 'site.tenantId, site.name',
};

function sqliteColumnsOf(indexName: string): string[] {
  return SQLITE_INDEX_COLUMNS[indexName] ? [SQLITE_INDEX_COLUMNS[indexName]] : [];
}

/**
 * SQLite opens a transaction without a lock and takes its read snapshot at the first read. If another process writes
 * after that, the transaction's first write cannot upgrade its stale snapshot and fails at once (SQLITE_BUSY_SNAPSHOT,
 * which no busy timeout waits out) — as a sync's apply, which reads before it writes, did beside a second worker. A
 * write that matches nothing takes the write lock first, waiting for it like any other write.
 */
const takeSqliteWriteLock = (table: string) => `UPDATE "${table}" SET id = id WHERE 1 = 0`;

/**
 * Runs `work` in one transaction. When two writers race for the next audit sequence number (or deadlock), the
 * loser's transaction rolls back whole and runs again; nothing half-written survives either attempt.
 */
export async function inTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>, attempts = 5): Promise<T> {
  // Every database this code opens is migrated, so the migrations table is always there.
  const writeLock = dataSource.options.type === 'better-sqlite3' ? takeSqliteWriteLock(dataSource.options.migrationsTableName ?? 'migrations') : null;
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.transaction(async (manager) => {
        if (writeLock) await manager.query(writeLock);
        return work(manager);
      });
    } catch (err) {
      const retryable = isUniqueViolation(err, 'uq_audit_event_chain_seq') || isDeadlock(err);
      if (attempt >= attempts || !retryable) throw err;
    }
  }
}
