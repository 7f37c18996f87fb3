/**
 * Whether the database this process writes to is still the one it opened. A SQLite file deleted (or swapped for
 * another) under a running server goes on answering `SELECT 1`, because the open handle keeps the unlinked inode
 * alive; every write then lands in a file nobody will ever open again. Comparing the path's device and inode with
 * those seen at start catches that; `SELECT 1` catches a database that stopped answering.
 */
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';

export type Readiness = { ready: true } | { ready: false; reason: string };

interface FileIdentity {
  path: string;
  dev: number;
  ino: number;
}

/** Records the SQLite file's identity now; call once, right after the database is opened. */
export function databaseReadiness(dataSource: DataSource, logger: Logger): () => Promise<Readiness> {
  const file = sqliteFileIdentity(dataSource);
  return async () => {
    if (file) {
      const problem = await fileProblem(file);
      if (problem) {
        // The path goes to the log only: /readyz answers anyone who can reach the port.
        logger.error({ file: file.path }, `readiness check: ${problem}`);
        return { ready: false, reason: `${problem}; writes would be lost: restore the file and restart the server` };
      }
    }
    try {
      await dataSource.query('SELECT 1');
      return { ready: true };
    } catch (err) {
      logger.warn({ err }, 'readiness check: database did not answer');
      return { ready: false, reason: 'database did not answer' };
    }
  };
}

function sqliteFileIdentity(dataSource: DataSource): FileIdentity | null {
  const { type, database } = dataSource.options as { type: string; database?: unknown };
  if ((type !== 'better-sqlite3' && type !== 'sqlite') || typeof database !== 'string' || database === ':memory:' || database === '') return null;
  const s = statSync(database);
  return { path: database, dev: s.dev, ino: s.ino };
}

async function fileProblem(file: FileIdentity): Promise<string | null> {
  try {
    const now = await stat(file.path);
    return now.dev === file.dev && now.ino === file.ino ? null : 'the SQLite database file was replaced by another file since the server opened it';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'the SQLite database file was deleted since the server opened it';
    return `the SQLite database file cannot be checked (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

/** Ready when every check is; otherwise the first failing check's reason. */
export function allReady(...checks: Array<() => Promise<Readiness>>): () => Promise<Readiness> {
  return async () => {
    for (const check of checks) {
      const readiness = await check();
      if (!readiness.ready) return readiness;
    }
    return { ready: true };
  };
}
