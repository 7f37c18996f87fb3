/**
 * A connection to the SQLite file on a worker thread of its own, which runs the statements of the transactions given
 * to it (sqlite-transaction-gate.ts routes them) while the server's thread goes on answering.
 *
 * better-sqlite3 is synchronous: on the main connection every statement of a sync's apply, and above all its COMMIT
 * (0.4-1 s for a 2,000 x 300 WSUS ingest, when SQLite writes the transaction's last dirty pages and rewrites the
 * checksums of the frames it spilled), was time in which `/healthz` and the portal got no answer. Here the main
 * thread only sends a statement and awaits its rows; the work, and the commit, happen on the other thread.
 */
import { startReadyWorker } from './ready-worker';
import { MAX_CACHED_LONG_STATEMENTS, MAX_CACHED_SQL_CHARS } from './sqlite-statement-cache';

const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');
// 16 MiB of page cache, not the main connection's 64: at 20,000 x 150 the two caches together took the server's peak
// past 512 MB (523 against 462 MB), and the ingest measured the same with either (13.3-16.1 s at 2,000 x 300).
db.pragma('cache_size = -16384');
db.pragma('wal_autocheckpoint = ' + workerData.autoCheckpoint);
// Short statements (the API's and the sync's small ones) are kept prepared. Of a batch's long text, only the last few
// are: a full batch repeats the same INSERT of 500 rows for every 500 rows of a table, and preparing it again cost
// about a sixteenth of this thread's time in a full 2,000 x 300 ingest. Few, since each holds native memory
// (sqlite-statement-cache.ts) until it is dropped here and collected.
const statements = new Map();
const longStatements = new Map();
let prepares = 0;
const remember = (cache, sql, statement, size) => {
  cache.set(sql, statement);
  if (cache.size > size) cache.delete(cache.keys().next().value);
};
const prepare = (sql) => {
  const short = sql.length <= workerData.maxCachedChars;
  const cache = short ? statements : longStatements;
  let statement = cache.get(sql);
  if (statement) {
    // Most recently used last, so the oldest is the one dropped.
    cache.delete(sql);
    cache.set(sql, statement);
    return statement;
  }
  statement = db.prepare(sql);
  prepares++;
  remember(cache, sql, statement, short ? 100 : workerData.maxLongStatements);
  return statement;
};
// Structured cloning turns a Buffer into a plain Uint8Array, which better-sqlite3 does not bind.
const asBuffer = (v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
const hasBytes = (rows) => {
  for (const row of rows) for (const key in row) if (row[key] instanceof Uint8Array) return true;
  return false;
};
parentPort.on('message', (message) => {
  if (message === 'close') {
    // A transaction still open is rolled back by the close, as by a crash.
    db.close();
    parentPort.postMessage('closed');
    parentPort.close();
    return;
  }
  if (message.stats) {
    parentPort.postMessage({ id: message.id, stats: { prepares, cachedLong: longStatements.size } });
    return;
  }
  const { id, sql, parameters } = message;
  try {
    const statement = prepare(sql);
    const bound = parameters.map(asBuffer);
    if (statement.reader) {
      const rows = statement.all(...bound);
      parentPort.postMessage({ id, rows, bytes: hasBytes(rows) });
    } else {
      const result = statement.run(...bound);
      parentPort.postMessage({ id, changes: result.changes, lastInsertRowid: result.lastInsertRowid });
    }
  } catch (err) {
    parentPort.postMessage({ id, error: { message: String(err && err.message), code: err && err.code } });
  }
});
parentPort.postMessage('ready');
`;

/** What a statement gave: a read's rows, or a write's changes and last row id. */
export type WriterAnswer = { rows: Record<string, unknown>[] } | { changes: number; lastInsertRowid: number | bigint };

/** How the thread has prepared its statements so far: every preparation, and the long statements it keeps. */
export interface WriterStats {
  prepares: number;
  cachedLong: number;
}

type Reply = {
  id: number; rows?: Record<string, unknown>[]; bytes?: boolean; changes?: number; lastInsertRowid?: number | bigint; error?: { message: string; code?: string };
  stats?: WriterStats;
};

export interface WriterThread {
  /** Runs one statement on the thread's connection; rejects with better-sqlite3's SqliteError as the main one would. */
  run(sql: string, parameters: unknown[]): Promise<WriterAnswer>;
  /** How its statements were prepared (tests and diagnostics). */
  stats(): Promise<WriterStats>;
  /** False once the thread has died: its open transaction is gone with it, and nothing was committed by it. */
  readonly alive: boolean;
  /** Closes the connection (rolling back what is open) and ends the thread. */
  close(): Promise<void>;
}

/** The thread died under a statement: its transaction is gone (SQLite keeps nothing uncommitted). */
export class WriterThreadLostError extends Error {
  constructor(reason: string) {
    super(`the SQLite writer thread stopped (${reason}); its open transaction was not committed`);
    this.name = 'WriterThreadLostError';
  }
}

/**
 * Starts the thread on a database file (which must exist: the main connection made it). Resolves null when no
 * thread could be started, for the caller to keep its statements on the main connection.
 */
export async function startWriterThread(file: string, options: { autoCheckpoint: number }): Promise<WriterThread | null> {
  const sqlite = require('better-sqlite3') as { SqliteError: new (message: string, code: string) => Error };
  const worker = await startReadyWorker(WRITER, { file, module: require.resolve('better-sqlite3'), autoCheckpoint: options.autoCheckpoint, maxCachedChars: MAX_CACHED_SQL_CHARS, maxLongStatements: MAX_CACHED_LONG_STATEMENTS });
  if (!worker) return null;
  // Idle, the thread must not keep the process alive; a statement in flight holds it (ref) until answered.
  worker.unref();
  const pending = new Map<number, { resolve: (answer: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  let lost: string | null = null;
  let closing: Promise<void> | null = null;
  const fail = (reason: string) => {
    lost ??= reason;
    for (const waiting of pending.values()) waiting.reject(new WriterThreadLostError(reason));
    pending.clear();
  };
  worker.on('error', (err) => fail(err.message));
  worker.on('exit', (code) => fail(`exit code ${code}`));
  worker.on('message', (reply: Reply | 'closed') => {
    if (reply === 'closed') return;
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if (reply.stats) waiting.resolve(reply.stats);
    else if (reply.error) waiting.reject(new sqlite.SqliteError(reply.error.message, reply.error.code ?? 'SQLITE_ERROR'));
    else if (reply.rows) waiting.resolve({ rows: reply.bytes ? reply.rows.map(withBuffers) : reply.rows });
    else waiting.resolve({ changes: reply.changes!, lastInsertRowid: reply.lastInsertRowid! });
  });
  const ask = <T>(message: object): Promise<T> => {
    if (lost !== null) return Promise.reject(new WriterThreadLostError(lost));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (answer: unknown) => void, reject });
      if (pending.size === 1) worker.ref();
      worker.postMessage({ id, ...message });
    });
  };
  return {
    get alive() {
      return lost === null;
    },
    run(sql, parameters) {
      return ask<WriterAnswer>({ sql, parameters });
    },
    stats() {
      return ask<WriterStats>({ stats: true });
    },
    close() {
      closing ??= (async () => {
        // Held until it has closed: a process that is shutting down would otherwise exit before the answer comes.
        worker.ref();
        if (lost === null) {
          const closed = new Promise<void>((resolve) => {
            worker.on('message', (message) => message === 'closed' && resolve());
            worker.once('exit', () => resolve());
          });
          worker.postMessage('close');
          await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
        }
        lost ??= 'closed';
        await worker.terminate().catch(() => undefined);
      })();
      return closing;
    },
  };
}

/** A row whose blobs came through structured cloning as Uint8Array: Buffers again, as the main connection gives them. */
function withBuffers(row: Record<string, unknown>): Record<string, unknown> {
  for (const key in row) {
    const value = row[key];
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) row[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return row;
}
