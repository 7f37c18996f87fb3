/**
 * One transaction at a time on an SQLite DataSource, and nobody else's statements inside it.
 *
 * TypeORM's better-sqlite3 driver has one connection and one query runner for the whole process. While a
 * transaction is open on it, any statement from anywhere runs inside that transaction: a second transaction
 * becomes a savepoint of the first (rolled back with it), and a read sees rows not yet committed. That was harmless
 * only while a transaction never gave the event loop a turn. A long sync apply must give it turns (the server
 * answers meanwhile), so the runner is gated: a transaction belongs to the async context that opened it
 * (AsyncLocalStorage), and statements or transactions from other contexts wait, without blocking the event loop,
 * until it commits or rolls back.
 *
 * Reads from elsewhere need not wait: while the gate is held, a read-only statement from outside runs on a second,
 * read-only connection to the same file, which in WAL mode reads the last committed state while the writer goes on
 * (exactly what the statement would see on the main connection, minus the wait). So the portal, API key look-ups
 * and the readiness probe answer during a sync's apply; writes from outside wait for its commit.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { QueryFailedError, QueryResult } from 'typeorm';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { sqlSpan } from '../observability/tracing';
import { cacheable, cacheOnlyShortStatements } from './sqlite-statement-cache';
import { startWriterThread, WriterAnswer, WriterThread, WriterThreadLostError } from './sqlite-writer-thread';

/**
 * Who a transaction belongs to. `writer`: for a transaction opened by transaction() on a database file, the writer
 * thread its statements run on (null when none could be started: they stay on the main connection).
 */
type Owner = { writer?: Promise<WriterThread | null> };

interface GateState {
  holder: Owner | null;
  released: Promise<void>;
  release: () => void;
}

const owners = new AsyncLocalStorage<Owner>();

/**
 * Transactions whose owner is live: transaction() calls not settled yet, and transactions the runner started and
 * has not ended (their statements find their owner in the store). While there is none, nothing needs the owners, and
 * the store is disabled: on Node 20 an enabled AsyncLocalStorage keeps promise hooks on for every promise of the
 * process (a twentieth of a portal request's time), and one transaction (a seed, a key-usage write) left them on
 * for good. run() and enterWith() enable it again for the next transaction.
 */
let liveOwners = 0;

function ownerSettled(): void {
  if (--liveOwners === 0) owners.disable();
}

function newGateState(): GateState {
  const state = { holder: null } as GateState;
  state.released = new Promise<void>((resolve) => (state.release = resolve));
  return state;
}

/** Installs the gate on an SQLite DataSource (before or after initialize); a no-op for other engines. */
export function gateSqliteTransactions(dataSource: DataSource): DataSource {
  if (dataSource.options.type !== 'better-sqlite3') return dataSource;
  const gate = newGateState();
  // The wait and the taking happen in one turn, so two waiters woken together cannot both take the gate.
  const take = async (owner: Owner): Promise<void> => {
    while (gate.holder !== null && gate.holder !== owner) await gate.released;
    gate.holder = owner;
  };
  const open = () => {
    const released = gate.release;
    gate.holder = null;
    gate.released = new Promise<void>((resolve) => (gate.release = resolve));
    released();
  };

  const reader = readConnection(dataSource);
  const writers = writerThreads(dataSource);
  writerThreadsOf.set(dataSource, writers);
  const driver = dataSource.driver as unknown as { createQueryRunner(mode?: string): QueryRunner };
  const createQueryRunner = driver.createQueryRunner.bind(driver);
  const gated = new WeakSet<QueryRunner>();
  driver.createQueryRunner = (mode?: string) => {
    const runner = createQueryRunner(mode);
    if (!gated.has(runner)) {
      gated.add(runner);
      cacheOnlyShortStatements(runner);
      gateRunner(runner);
    }
    return runner;
  };

  function gateRunner(runner: QueryRunner): void {
    const query = runner.query.bind(runner);
    const start = runner.startTransaction.bind(runner);
    const commit = runner.commitTransaction.bind(runner);
    const rollback = runner.rollbackTransaction.bind(runner);

    // Every statement of the process passes here (better-sqlite3 has no instrumentation of its own to trace it).
    runner.query = ((sql: string, parameters?: unknown[], structured?: boolean) => sqlSpan('sqlite', sql, () => gatedQuery(sql, parameters, structured))) as QueryRunner['query'];
    const gatedQuery = async (sql: string, parameters?: unknown[], structured?: boolean) => {
      const me = owners.getStore();
      if (me && gate.holder === me) return me.writer ? onWriter(me.writer, sql, parameters ?? [], structured === true) : query(sql, parameters, structured as never);
      if (gate.holder !== null) {
        const answer = reader.read(sql, parameters ?? [], structured === true);
        if (answer !== NOT_A_READ) return answer;
      }
      // A statement from outside holds the gate while it runs: a transaction opened meanwhile must not take it in.
      const statement = {};
      await take(statement);
      try {
        return await query(sql, parameters, structured as never);
      } finally {
        if (gate.holder === statement) open();
      }
    };

    /** A statement of a transaction on the writer thread, answered as TypeORM's runner answers on the main connection. */
    const onWriter = async (writer: Promise<WriterThread | null>, sql: string, parameters: unknown[], structured: boolean) => {
      const thread = await writer;
      if (!thread) return query(sql, parameters, structured as never);
      const bound = bindable(parameters);
      dataSource.logger.logQuery(sql, bound, runner);
      let answer: WriterAnswer;
      try {
        answer = await thread.run(sql, bound);
      } catch (err) {
        // A thread that died took its transaction with it: there is nothing left to roll back, and TypeORM's runner
        // must still see the rollback succeed, or it would count the next transaction as nested in this one.
        if (err instanceof WriterThreadLostError && /^\s*ROLLBACK\s*$/i.test(sql)) return undefined;
        dataSource.logger.logQueryError(err as Error, sql, bound, runner);
        throw new QueryFailedError(sql, bound, err as Error);
      }
      if ('rows' in answer) return readResult(answer.rows, structured);
      if (!structured) return answer.lastInsertRowid;
      const result = new QueryResult();
      result.affected = answer.changes;
      result.raw = answer.lastInsertRowid;
      return result;
    };

    // Whether the transaction open now counts among liveOwners (one at a time: the gate).
    let counted = false;
    runner.startTransaction = async (isolation) => {
      let me = owners.getStore();
      if (me && gate.holder === me && runner.isTransactionActive) return start(isolation);
      // Counted from before its first await until it ends, so the store stays enabled while its statements need it.
      liveOwners++;
      if (!me) {
        // Opened outside transaction() (a repository's save): the caller's own continuation must carry the
        // ownership, so it is entered here, before the first await, in the caller's execution context.
        me = {};
        owners.enterWith(me);
      }
      try {
        await take(me);
        try {
          await start(isolation);
        } catch (err) {
          if (!runner.isTransactionActive) open();
          throw err;
        }
      } catch (err) {
        ownerSettled();
        throw err;
      }
      counted = true;
    };

    const ending = (end: () => Promise<void>) => async () => {
      try {
        await end();
      } finally {
        if (!runner.isTransactionActive) {
          if (gate.holder !== null) open();
          if (counted) {
            counted = false;
            ownerSettled();
          }
        }
      }
    };
    runner.commitTransaction = ending(commit);
    runner.rollbackTransaction = ending(rollback);
  }

  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    reader.close();
    await writers.close();
    await destroy();
  };

  // transaction() callers get an owner of their own, so nothing else their context started later counts as inside.
  const manager = dataSource.manager as EntityManager;
  const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  manager.transaction = ((...args: unknown[]) => {
    const current = owners.getStore();
    // Called from inside an open transaction: it nests (a savepoint), as TypeORM does, instead of waiting for itself.
    if (current && gate.holder === current) return transaction(...args);
    liveOwners++;
    let settled: Promise<unknown>;
    try {
      settled = owners.run({ writer: writers.acquire() }, () => transaction(...args));
    } catch (err) {
      ownerSettled();
      throw err;
    }
    return settled.finally(ownerSettled);
  }) as EntityManager['transaction'];
  return dataSource;
}

/** The little of better-sqlite3 used here (TypeORM loads the same module for the main connection). */
interface SqliteStatement {
  reader: boolean;
  readonly: boolean;
  all(...parameters: unknown[]): unknown[];
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  close(): void;
}
type SqliteOpen = new (file: string, options: { readonly: boolean; fileMustExist: boolean }) => SqliteConnection;

const NOT_A_READ = Symbol('not a read');
const MAX_CACHED_STATEMENTS = 200;

/** The read-only second connection, opened on first use; an in-memory database has none (its reads wait). */
function readConnection(dataSource: DataSource) {
  const file = String(dataSource.options.database ?? '');
  let connection: SqliteConnection | null = null;
  const statements = new Map<string, SqliteStatement>();
  return {
    read(sql: string, parameters: unknown[], structured: boolean): unknown {
      // Only queries of the data: a PRAGMA would answer for the read connection's own settings.
      if (file === '' || file === ':memory:' || !dataSource.isInitialized || !/^\s*\(?\s*(select|with)\b/i.test(sql)) return NOT_A_READ;
      if (!connection) {
        const Open = require('better-sqlite3') as SqliteOpen;
        connection = new Open(file, { readonly: true, fileMustExist: true });
        // A checkpoint by the writer can briefly lock the WAL index; a read waits it out rather than failing.
        connection.pragma('busy_timeout = 5000');
      }
      let statement = statements.get(sql);
      if (!statement) {
        try {
          statement = connection.prepare(sql);
        } catch {
          return NOT_A_READ; // let the main connection report it, as it would have
        }
        if (!statement.reader || !statement.readonly) return NOT_A_READ;
        if (cacheable(sql)) {
          statements.set(sql, statement);
          if (statements.size > MAX_CACHED_STATEMENTS) statements.delete(statements.keys().next().value!);
        }
      }
      const bound = bindable(parameters);
      dataSource.logger.logQuery(sql, bound);
      let rows: unknown[];
      try {
        rows = statement.all(...bound);
      } catch (err) {
        dataSource.logger.logQueryError(String((err as Error).message), sql, bound);
        throw new QueryFailedError(sql, bound, err as Error);
      }
      return readResult(rows, structured);
    },
    close(): void {
      statements.clear();
      connection?.close();
      connection = null;
    },
  };
}

/** Parameters as TypeORM's runner binds them (and logs them): better-sqlite3 binds no booleans. */
function bindable(parameters: unknown[]): unknown[] {
  return parameters.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/** A read's rows as TypeORM's runner answers them: the rows alone, or a structured result holding them. */
function readResult(rows: unknown[], structured: boolean): unknown {
  if (!structured) return rows;
  const result = new QueryResult();
  result.raw = rows;
  result.records = rows;
  return result;
}

const writerThreadsOf = new WeakMap<DataSource, ReturnType<typeof writerThreads>>();

/** The writer thread the next transaction() on this DataSource runs on: undefined when it has none (another engine, memory). */
export function sqliteWriterThread(dataSource: DataSource): Promise<WriterThread | null> | undefined {
  return writerThreadsOf.get(dataSource)?.acquire();
}

/**
 * The writer thread of a database file (sqlite-writer-thread.ts), started at the first transaction() and again after
 * one died; an in-memory database has none, since another connection would open another database.
 */
function writerThreads(dataSource: DataSource) {
  const file = String(dataSource.options.database ?? '');
  let current: Promise<WriterThread | null> | null = null;
  let started: WriterThread | null = null;
  return {
    acquire(): Promise<WriterThread | null> | undefined {
      if (file === '' || file === ':memory:' || !dataSource.isInitialized) return undefined;
      // A thread that died is replaced for the next transaction; the one it served failed with it.
      if (started && !started.alive) {
        current = null;
        started = null;
      }
      if (current === null) {
        // The main connection's checkpointing decides the writer's: none when the checkpointer thread does it.
        const main = (dataSource.driver as unknown as { databaseConnection: SqliteConnection }).databaseConnection;
        const autoCheckpoint = Number(main.pragma('wal_autocheckpoint', { simple: true }));
        const starting = startWriterThread(file, { autoCheckpoint: Number.isInteger(autoCheckpoint) ? autoCheckpoint : 1000 });
        current = starting;
        void starting.then((thread) => {
          if (current === starting) started = thread;
        });
      }
      return current;
    },
    async close(): Promise<void> {
      const thread = await current;
      current = null;
      started = null;
      await thread?.close();
    },
  };
}

/** Lets the event loop answer others (timers, sockets) between two parts of a long piece of work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
