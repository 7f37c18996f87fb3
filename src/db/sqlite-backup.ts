/**
 * A consistent copy of a live SQLite database through SQLite's online backup API. The copy is taken in one step,
 * inside one read transaction: in WAL mode that sees exactly the last committed state (a sync run's apply is one
 * transaction, so never part of it) and does not hold up the server's writers. Step by step, a write by another
 * process between steps would restart the copy, and a busy server could keep restarting it.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { openSqliteFile } from './sqlite-file';
import { UserInputError } from '../errors';
import { SqliteFileSummary, summarizeSqliteFile } from './sqlite-file-summary';

/** The most pages one backup step may copy (better-sqlite3's limit): in practice "all of them". */
const ALL_PAGES = 0x7fffffff;

export interface BackupResult extends SqliteFileSummary {
  durationMs: number;
}

/** A temporary name beside the target, so that the final rename stays on one file system and is atomic. */
export function tempBeside(file: string): string {
  return join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Makes a rename or link durable: the directory entry is on disk, not only the file's data. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncFile(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function backupSqlite(source: string, outPath: string, options: { force?: boolean } = {}): Promise<BackupResult> {
  const started = Date.now();
  const out = resolve(outPath);
  if (!existsSync(source)) throw new UserInputError('DATABASE_URL', `there is no SQLite database at ${source}`);
  if (out === resolve(source)) throw new UserInputError('--out', 'is the database itself; name another file');
  if (!existsSync(dirname(out))) throw new UserInputError('--out', `the directory ${dirname(out)} does not exist`);
  if (existsSync(out) && statSync(out).isDirectory()) throw new UserInputError('--out', `${out} is a directory; name a file in it`);
  if (existsSync(out) && !options.force) throw new UserInputError('--out', `${out} exists; pass --force to replace it`);

  const tmp = tempBeside(out);
  try {
    const db = openSqliteFile(source);
    try {
      db.pragma('busy_timeout = 5000');
      await db.backup(tmp, { progress: () => ALL_PAGES });
    } finally {
      db.close();
    }
    // A rollback-journal file is one self-contained file, readable without -wal/-shm beside it (and from a
    // read-only medium); the server turns WAL back on when it opens the restored database.
    const copy = openSqliteFile(tmp);
    try {
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy failed SQLite's quick_check (${String(check)}); nothing was written to ${out}`);
    } finally {
      copy.close();
    }
    syncFile(tmp);
    if (options.force) {
      renameSync(tmp, out);
    } else {
      // link, unlike rename, refuses to replace a file that appeared at --out while the copy was made.
      try {
        linkSync(tmp, out);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UserInputError('--out', `${out} exists; pass --force to replace it`);
        throw err;
      }
      rmSync(tmp, { force: true });
    }
    syncDirectory(dirname(out));
  } finally {
    for (const leftover of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`]) rmSync(leftover, { force: true });
  }
  return { ...(await summarizeSqliteFile(out)), durationMs: Date.now() - started };
}
