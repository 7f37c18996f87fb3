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
}

const sqlite: SqlDialect = {
  ts: (placeholder) => placeholder,
  addSeconds: (expr, seconds) => `strftime('%Y-%m-%d %H:%M:%f', ${expr}, '+' || ${seconds} || ' seconds')`,
  // julianday is a double in days; rounding to the millisecond removes its binary fraction error.
  millisBetween: (start, end) => `CAST(ROUND((julianday(${end}) - julianday(${start})) * 86400000) AS INTEGER)`,
  dateText: (expr) => expr,
};

const mariadb: SqlDialect = {
  ts: (placeholder) => `CAST(${placeholder} AS DATETIME(3))`,
  addSeconds: (expr, seconds) => `DATE_ADD(${expr}, INTERVAL ${seconds} SECOND)`,
  millisBetween: (start, end) => `(TIMESTAMPDIFF(MICROSECOND, ${start}, ${end}) DIV 1000)`,
  dateText: (expr) => `CAST(${expr} AS CHAR)`,
};

export function sqlDialect(dataSource: DataSource): SqlDialect {
  return dataSource.options.type === 'better-sqlite3' ? sqlite : mariadb;
}
