import { QueryFailedError } from 'typeorm';

const LOCK_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY', 'SQLITE_LOCKED', 'ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK']);

/**
 * True when a statement failed only because another connection held a lock (SQLite's busy timeout ran out, or
 * InnoDB gave up waiting or broke a deadlock): the same statement may succeed later.
 */
export function isLockContention(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  const code = err instanceof QueryFailedError ? e.driverError?.code ?? e.code : e?.code;
  return code !== undefined && LOCK_CODES.has(code);
}
