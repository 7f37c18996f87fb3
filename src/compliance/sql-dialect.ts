import { DataSource } from 'typeorm';

/**
 * The few SQL expressions that differ between SQLite and MariaDB in compliance answers, in one place. Both engines
 * store times as UTC text or DATETIME(3) with milliseconds, and compare them alike; arithmetic on them differs.
 */
export interface SqlDialect {
  /** A bound timestamp parameter, typed so the engine computes with it as a time, never as text. */
  ts(placeholder: string): string;
  /** `expr` plus a number of seconds (an expression). */
  addSeconds(expr: string, seconds: string): string;
  /** Whole milliseconds from `start` to `end` (negative when `end` is earlier), as an integer. */
  millisBetween(start: string, end: string): string;
  /** A DATE column as YYYY-MM-DD text, to compare with a bound string. */
  dateText(expr: string): string;
  /**
   * The rows of a JSON array of objects bound as one parameter, as a derived table: one bound value however many
   * rows (SQLite refuses a statement with more than 32,766 parameters). A key left out of an object is NULL.
   */
  jsonRows(placeholder: string, columns: readonly JsonColumn[]): string;
  /**
   * What goes between `name AS` and a CTE's body to have it computed once: SQLite re-reads json_each (parsing the
   * whole bound document) at every probe of a CTE over it, unless told to materialize it, which also lets it index
   * the rows for a join. MariaDB knows no such word and reads JSON_TABLE once.
   */
  materialized: string;
  /**
   * Whether a statement reading a CTE in several places computes it once: SQLite does for a MATERIALIZED one;
   * MariaDB computes it again for each reference (a UNION ALL of three groupings over one evaluation measured slower
   * than the three statements).
   */
  computesCteOnce: boolean;
}

/** A column of jsonRows: its name, key in each object, and SQL type (MariaDB's JSON_TABLE needs one). */
export interface JsonColumn {
  name: string;
  key: string;
  type: 'id' | 'text' | 'timestamp' | 'integer';
}

// JSON_TABLE's text columns take the database's default collation, which is the server's (often utf8mb4_general_ci)
// on a database not created with one, and comparing them with the tables' columns (utf8mb4_unicode_ci, the
// connection charset in data-source.ts) then fails with "Illegal mix of collations": named here as the tables have it.
const TEXT = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci';
const MARIADB_TYPES: Record<JsonColumn['type'], string> = { id: `VARCHAR(64) ${TEXT}`, text: `VARCHAR(191) ${TEXT}`, timestamp: 'DATETIME(3)', integer: 'BIGINT' };

const sqlite: SqlDialect = {
  ts: (placeholder) => placeholder,
  addSeconds: (expr, seconds) => `strftime('%Y-%m-%d %H:%M:%f', ${expr}, '+' || ${seconds} || ' seconds')`,
  // julianday is a double in days; rounding to the millisecond removes its binary fraction error.
  millisBetween: (start, end) => `CAST(ROUND((julianday(${end}) - julianday(${start})) * 86400000) AS INTEGER)`,
  dateText: (expr) => expr,
  jsonRows: (placeholder, columns) =>
    `SELECT ${columns.map((c) => `json_extract(j.value, '$.${c.key}') AS ${c.name}`).join(', ')} FROM json_each(${placeholder}) j`,
  materialized: 'MATERIALIZED',
  computesCteOnce: true,
};

const mariadb: SqlDialect = {
  ts: (placeholder) => `CAST(${placeholder} AS DATETIME(3))`,
  addSeconds: (expr, seconds) => `DATE_ADD(${expr}, INTERVAL ${seconds} SECOND)`,
  millisBetween: (start, end) => `(TIMESTAMPDIFF(MICROSECOND, ${start}, ${end}) DIV 1000)`,
  dateText: (expr) => `CAST(${expr} AS CHAR)`,
  jsonRows: (placeholder, columns) =>
    `SELECT ${columns.map((c) => `jt.${c.name}`).join(', ')} FROM JSON_TABLE(${placeholder}, '$[*]' COLUMNS (${columns
      .map((c) => `${c.name} ${MARIADB_TYPES[c.type]} PATH '$.${c.key}'`).join(', ')})) jt`,
  materialized: '',
  computesCteOnce: false,
};

export function sqlDialect(dataSource: DataSource): SqlDialect {
  return dataSource.options.type === 'better-sqlite3' ? sqlite : mariadb;
}
