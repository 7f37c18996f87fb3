/**
 * better-sqlite3 opened directly, for the commands that work on a database file as a file (backup, restore):
 * TypeORM's driver hides the handle, and the package ships no types, so the few calls used are typed here.
 */
export interface SqliteStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): unknown;
}

export interface SqliteFile {
  prepare(sql: string): SqliteStatement;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  backup(destination: string, options?: { progress?: (info: { totalPages: number; remainingPages: number }) => number | undefined }): Promise<unknown>;
  close(): void;
}

type SqliteConstructor = new (file: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => SqliteFile;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as SqliteConstructor;

export function openSqliteFile(file: string, options: { readonly?: boolean } = {}): SqliteFile {
  return new Database(file, { readonly: options.readonly ?? false, fileMustExist: true });
}
