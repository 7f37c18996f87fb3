import { DataSource } from 'typeorm';
import { SliceQueue } from './slice-queue';
import { SqliteReaderThread } from './sqlite-reader-thread';

/**
 * One SELECT's rows as plain value arrays, read in one pass and handed over in slices: for a reader that takes every
 * row of a long statement (the report's export), where paging by keyset re-plans and re-seeks a statement per batch
 * and every row as an object with named keys was most of the cost (docs/benchmarks.md, patch history CSV export).
 * Times come as the database's UTC text ('YYYY-MM-DD HH:MM:SS.mmm'), never as Date objects, on both engines.
 *
 * The reader pulls: at most one slice is read ahead of the slice handed over, so a slow client holds two slices
 * (and, on MariaDB, the socket's buffers) in memory.
 */
export type RowSlices = AsyncGenerator<unknown[][], void, undefined>;

/** How many rows one slice holds: enough that the per-slice await vanishes, few enough to stay a few hundred KB. */
export const SLICE_ROWS = 1024;

export interface EventStream {
  slices(sql: string, params: unknown[], sliceRows?: number): RowSlices;
  /** Gives the stream's place back (see takeEventStream); once is enough, more is harmless. */
  release(): void;
}

/**
 * How many streams a data source has open at once. A stream holds a connection for a whole download, however slow
 * the client (on MariaDB one of the pool's ten, for up to STALL_SECONDS, while its slices' look-ups borrow another;
 * on SQLite a read snapshot that keeps the WAL from being trimmed). Unbounded, a handful of slow downloads would take
 * the pool from the portal, the ingest and the syncs, and from their own look-ups. On SQLite each holds a reader thread.
 */
export const MAX_OPEN_STREAMS = 2;
const openStreams = new WeakMap<DataSource, number>();

/**
 * A stream for the data source, or null: while MAX_OPEN_STREAMS are open (the reader then pages by keyset, which
 * borrows a connection per batch), or where none can run beside the server's own statements: SQLite's one
 * connection cannot run another statement while a statement is open on it, so an SQLite stream reads on a thread
 * with a read-only connection of its own (SqliteReaderThread), which an in-memory database cannot have. The taker
 * must release it.
 */
export function takeEventStream(dataSource: DataSource): EventStream | null {
  const size = (rows = SLICE_ROWS) => Math.max(1, Math.trunc(rows));
  let slices: EventStream['slices'];
  let thread: SqliteReaderThread | null = null;
  if (dataSource.options.type === 'better-sqlite3') {
    const file = String(dataSource.options.database ?? '');
    if (file === '' || file === ':memory:') return null;
    const reader = new SqliteReaderThread(file);
    thread = reader;
    slices = (sql, params, rows) => reader.slices(sql, params, size(rows));
  } else if (dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb') {
    slices = (sql, params, rows) => mysqlSlices(dataSource, sql, params, size(rows));
  } else {
    return null;
  }
  const open = openStreams.get(dataSource) ?? 0;
  if (open >= MAX_OPEN_STREAMS) return null;
  openStreams.set(dataSource, open + 1);
  let released = false;
  return {
    slices,
    release: () => {
      if (released) return;
      released = true;
      thread?.close();
      openStreams.set(dataSource, (openStreams.get(dataSource) ?? 1) - 1);
    },
  };
}

interface MysqlQuery {
  on(event: 'result', listener: (row: unknown[]) => void): MysqlQuery;
  on(event: 'error', listener: (err: Error) => void): MysqlQuery;
  on(event: 'end', listener: () => void): MysqlQuery;
}
interface MysqlConnection {
  query(options: { sql: string; values: unknown[]; rowsAsArray: true; dateStrings: true }): MysqlQuery;
  pause(): void;
  resume(): void;
  destroy(): void;
}

/** How long a streamed statement waits for a reader that takes nothing (a stalled download) before it fails. */
const STALL_SECONDS = 600;

/**
 * One streamed statement on a connection of the pool: the driver parses each row as the server sends it, into a
 * SliceQueue, which reads one slice ahead of the reader and pauses the socket beyond that, so the server's sending
 * then waits on TCP's window.
 */
async function* mysqlSlices(dataSource: DataSource, sql: string, params: unknown[], sliceRows: number): RowSlices {
  const runner = dataSource.createQueryRunner('master');
  const connection = (await runner.connect()) as MysqlConnection;
  const queue = new SliceQueue(sliceRows, connection);
  // The server gives up on a client that takes no more of the result for net_write_timeout (60 s by default): a
  // download that stalls that long would be cut off. MariaDB can raise it for this statement alone.
  const statement = dataSource.options.type === 'mariadb' ? `SET STATEMENT net_write_timeout = ${STALL_SECONDS} FOR ${sql}` : sql;
  connection.query({ sql: statement, values: params, rowsAsArray: true, dateStrings: true })
    .on('result', (row) => queue.push(row))
    .on('error', (err) => queue.fail(err))
    .on('end', () => queue.end());
  try {
    yield* queue.slices();
  } finally {
    if (!queue.finished) {
      // Stopped mid-statement: the rest of the result would still have to be read off the socket before the
      // connection could serve anyone, so it is closed instead of being returned to the pool.
      connection.destroy();
    }
    await runner.release();
  }
}
