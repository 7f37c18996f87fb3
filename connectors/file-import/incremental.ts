import type { Row } from './format';

export interface Selection<R> {
  rows: Array<Row<R>>;
  /** The cursor for the next run, or null when the stream cannot be read incrementally. */
  cursor: string | null;
}

/**
 * Incremental reading of a file: possible only when every row says when it last changed. One row without
 * modifiedAt could have changed at any time, so such a stream is always read in full and reports no cursor. A
 * cursor that is not a date (one left by a feed before the instance was pointed at a file) asks for a full read.
 */
export function selectSince<R>(rows: Array<Row<R>>, cursor: string | null): Selection<R> {
  if (rows.length === 0 || rows.some((r) => r.modifiedAt === null)) return { rows, cursor: null };
  // reduce, not Math.max(...): a spread of a large file's rows overflows the call stack.
  const max = rows.reduce((m, r) => Math.max(m, r.modifiedAt!.getTime()), -Infinity);
  const since = cursor === null ? NaN : Date.parse(cursor);
  const selected = Number.isNaN(since) ? rows : rows.filter((r) => r.modifiedAt!.getTime() > since);
  return { rows: selected, cursor: new Date(max).toISOString() };
}
