import { Worker } from 'node:worker_threads';
import { SLICE_BUILDER } from './slice-builder';

/**
 * An SQLite event stream's statements, stepped on a worker thread with a read-only connection of its own, so that
 * reading the rows and writing them out use both cores. Stepping the export's statement and making its values (nine
 * JS strings a row) was about 2 µs of CPU a row on the server's thread, more than formatting the CSV
 * (docs/benchmarks.md, CSV export). WAL lets the thread's connection read beside the server's writer.
 *
 * The thread runs the SQL it is given with the parameters it is given, nothing else: the tenant's scope is in that
 * SQL and those parameters (PatchHistorySource.streamedSlices), exactly as it was on the server's thread.
 *
 * A slice crosses as its distinct values and an Int32Array of indexes into them (transferred, not copied;
 * slice-builder.ts): a run's events share their time, sync run, states and evidence, and a slice's few devices and
 * updates, so the server's thread makes one string per distinct value instead of nine per row (0.7 -> 0.2 µs a row
 * for a 1,024-row slice).
 */
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
${SLICE_BUILDER}
let db = null;
let rows = null;
let width = 0;
let current = -1;
const endStatement = () => {
  try { rows && rows.return && rows.return(); } catch (err) { /* already done */ }
  rows = null;
};
const open = (message) => {
  endStatement();
  current = message.id;
  if (db === null) {
    db = new Database(workerData.file, { readonly: true, fileMustExist: true });
    // A checkpoint by the writer can briefly lock the WAL index; the read waits it out rather than failing.
    db.pragma('busy_timeout = 5000');
  }
  const statement = db.prepare(message.sql);
  if (!statement.readonly) throw new Error('an event stream only reads');
  width = statement.columns().length;
  rows = statement.raw(true).iterate(...message.params);
};
const slice = (size) => {
  const builder = new SliceBuilder(width, size);
  while (!builder.full) {
    const next = rows.next();
    if (next.done) {
      rows = null;
      return builder.seal(current, true);
    }
    builder.add(next.value);
  }
  return builder.seal(current, false);
};
parentPort.on('message', (message) => {
  if (message.end !== undefined) {
    if (message.end === current) endStatement();
    return;
  }
  try {
    if (message.sql !== undefined) open(message);
    else if (message.id !== current || rows === null) return;
    const answer = slice(message.rows);
    parentPort.postMessage(answer, [answer.codes.buffer]);
  } catch (err) {
    endStatement();
    parentPort.postMessage({ id: message.id, error: { message: String(err && err.message), code: err && err.code } });
  }
});
`;

/** A slice as the thread posts it (SliceBuilder's seal). */
export interface SliceMessage {
  id: number;
  count: number;
  width: number;
  values: unknown[];
  codes: Int32Array;
  done: boolean;
}
interface ErrorMessage {
  id: number;
  error: { message: string; code?: string };
}
type Message = SliceMessage | ErrorMessage | { exited: Error };

/** One thread for one stream (a download): its tenants' statements run on it one after the other. */
export class SqliteReaderThread {
  private worker: Worker | null = null;
  private statements = 0;
  private readonly inbox: Message[] = [];
  private wake: (() => void) | null = null;

  constructor(private readonly file: string) {}

  /** The rows of `sql`, `sliceRows` at a time; the next slice is read on the thread while this one is taken. */
  async *slices(sql: string, params: unknown[], sliceRows: number): AsyncGenerator<unknown[][], void, undefined> {
    const worker = this.start();
    const id = ++this.statements;
    worker.postMessage({ id, sql, params, rows: sliceRows });
    let done = false;
    try {
      for (;;) {
        const message = await this.next(id);
        if ('exited' in message) throw message.exited;
        if ('error' in message) throw Object.assign(new Error(message.error.message), message.error.code ? { code: message.error.code } : {});
        done = message.done;
        // One slice ahead at most: a slow client holds this one and the next, never more.
        if (!done) worker.postMessage({ id, rows: sliceRows });
        if (message.count > 0) yield rowsOf(message);
        if (done) return;
      }
    } finally {
      // Stopped mid-statement (the client went away): the thread lets go of the statement and its snapshot.
      if (!done && this.worker) this.worker.postMessage({ end: id });
    }
  }

  /** Ends the thread, and with it the connection; the stream's owner calls it once done, at the end or not. */
  close(): void {
    const worker = this.worker;
    this.worker = null;
    if (worker) void worker.terminate().catch(() => undefined);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(READER, { eval: true, workerData: { file: this.file, module: require.resolve('better-sqlite3') } });
    const deliver = (message: Message) => {
      this.inbox.push(message);
      const wake = this.wake;
      this.wake = null;
      wake?.();
    };
    worker.on('message', deliver);
    worker.on('error', (err) => deliver({ exited: err }));
    worker.on('exit', (code) => {
      if (this.worker === worker) {
        this.worker = null;
        deliver({ exited: new Error(`the event stream's reader thread stopped (${code})`) });
      }
    });
    this.worker = worker;
    return worker;
  }

  /** The next message for statement `id`; a slice read ahead for a statement already stopped is dropped. */
  private async next(id: number): Promise<Message> {
    for (;;) {
      while (this.inbox.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
      const message = this.inbox.shift()!;
      if ('exited' in message || message.id === id) return message;
    }
  }
}

/** The slice's rows as value arrays, each value one of the slice's distinct values (SliceMessage). */
function rowsOf({ count, width, values, codes }: SliceMessage): unknown[][] {
  const rows: unknown[][] = new Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const row: unknown[] = new Array(width);
    for (let c = 0; c < width; c++) row[c] = values[codes[at++]];
    rows[i] = row;
  }
  return rows;
}
