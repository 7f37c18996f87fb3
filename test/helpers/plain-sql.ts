/**
 * A plain SQL session beside the application's connection, as a DBA or a script would open one: its own
 * better-sqlite3 handle on the database file, or its own MariaDB connection. Statements may use "double quotes"
 * for names on both engines.
 */
import { createConnection } from 'mysql2/promise';
import { TestDatabase } from './database';

interface SqliteHandle {
  pragma(sql: string): unknown;
  prepare(sql: string): { run(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] };
  close(): void;
}
const SqliteDatabase: new (path: string) => SqliteHandle = require('better-sqlite3');

export interface PlainSession {
  run(sql: string, params?: unknown[]): Promise<unknown>;
  all(sql: string, params?: unknown[]): Promise<Array<Record<string, any>>>;
  close(): Promise<void>;
}

export async function plainSession(db: TestDatabase): Promise<PlainSession> {
  if (db.config.engine === 'sqlite') {
    const conn = new SqliteDatabase(db.config.path);
    conn.pragma('busy_timeout = 5000');
    // better-sqlite3's SqliteError is not always an Error of the test's realm (jest workers), so jest's toThrow would
    // not see it: it is rethrown as one, with its message and code.
    const native = <T>(work: () => T): Promise<T> => {
      try {
        return Promise.resolve(work());
      } catch (err) {
        const e = err as { message?: string; code?: string };
        return Promise.reject(Object.assign(new Error(String(e.message)), { code: e.code }));
      }
    };
    return {
      run: (sql, params = []) => native(() => conn.prepare(sql).run(...params)),
      all: (sql, params = []) => native(() => conn.prepare(sql).all(...params) as Array<Record<string, any>>),
      close: async () => conn.close(),
    };
  }
  const c = db.config;
  const conn = await createConnection({ host: c.host, port: c.port, user: c.username, password: c.password, database: c.database });
  const mysql = (sql: string) => sql.replace(/"/g, '`');
  return {
    run: async (sql, params = []) => (await conn.query(mysql(sql), params))[0],
    all: async (sql, params = []) => (await conn.query(mysql(sql), params))[0] as Array<Record<string, any>>,
    close: () => conn.end(),
  };
}
