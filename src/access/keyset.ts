import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { pageRows } from '../db/entity-rows';
import { UserInputError } from '../errors';

/** Relay paging arguments as the client sent them. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface PageLimits {
  defaultPageSize: number;
  maxPageSize: number;
}

/** A sort order a connection offers: one column plus the primary key as tie-breaker. */
export interface Ordering<T> {
  /** Name embedded in cursors, so a cursor from one ordering is refused by another. */
  name: string;
  /** SQL expression of the sort column, e.g. "asset.hostname". */
  column: string;
  /** SQL expression of the primary key, e.g. "asset.id". */
  idColumn: string;
  direction: 'ASC' | 'DESC';
  /** Reads the sort value off a row. */
  value(row: T): string | number | Date;
  kind: 'string' | 'number' | 'date';
}

export interface Page<T> {
  rows: T[];
  cursorOf(row: T): string;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

interface DecodedCursor {
  value: string | number | Date;
  id: string;
}

let paramSeq = 0;

function encodeCursor<T>(ordering: Ordering<T>, row: T, id: string): string {
  const v = ordering.value(row);
  const value = v instanceof Date ? v.toISOString() : v;
  return Buffer.from(JSON.stringify([ordering.name, value, id]), 'utf8').toString('base64url');
}

function decodeCursor<T>(ordering: Ordering<T>, cursor: string, field: string): DecodedCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new UserInputError(field, 'is not a cursor this API issued');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || typeof parsed[2] !== 'string') {
    throw new UserInputError(field, 'is not a cursor this API issued');
  }
  const [name, raw, id] = parsed as [unknown, unknown, string];
  if (name !== ordering.name) {
    throw new UserInputError(field, `was issued for a different ordering; request the first page again`);
  }
  if (ordering.kind === 'date') {
    const date = typeof raw === 'string' ? new Date(raw) : new Date(NaN);
    if (Number.isNaN(date.getTime())) throw new UserInputError(field, 'is not a cursor this API issued');
    return { value: date, id };
  }
  if (ordering.kind === 'number' ? typeof raw !== 'number' : typeof raw !== 'string') {
    throw new UserInputError(field, 'is not a cursor this API issued');
  }
  return { value: raw as string | number, id };
}

function checkSize(field: string, value: number | null | undefined, limits: PageLimits): void {
  if (value === null || value === undefined) return;
  if (!Number.isInteger(value) || value < 0) throw new UserInputError(field, 'must be a non-negative integer');
  if (value > limits.maxPageSize) {
    throw new UserInputError(field, `must not exceed the maximum page size of ${limits.maxPageSize}`);
  }
}

/** Adds "strictly beyond the cursor in this direction" to the query. */
function applyCursor<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  ordering: Ordering<T>,
  cursor: DecodedCursor,
  forward: boolean,
): void {
  const ascending = (ordering.direction === 'ASC') === forward;
  const op = ascending ? '>' : '<';
  const v = `kv${++paramSeq}`;
  const i = `ki${paramSeq}`;
  qb.andWhere(
    `(${ordering.column} ${op} :${v} OR (${ordering.column} = :${v} AND ${ordering.idColumn} ${op} :${i}))`,
    { [v]: cursor.value, [i]: cursor.id },
  );
}

/** The property a cursor reads (Ordering.value), from the sort column "alias.property". */
const sortProperty = (ordering: Ordering<unknown>): string => ordering.column.slice(ordering.column.indexOf('.') + 1);
const idProperty = (ordering: Ordering<unknown>): string => ordering.idColumn.slice(ordering.idColumn.indexOf('.') + 1);

/**
 * Keyset ("seek") pagination: rows are found by comparing with the cursor's sort value and id, never by OFFSET,
 * so a page costs the same at row 10 and at row 1,000,000 and does not skip or repeat rows when data changes.
 */
export async function paginate<T extends ObjectLiteral & { id: string }>(
  qb: SelectQueryBuilder<T>,
  ordering: Ordering<T>,
  args: PageArgs,
  limits: PageLimits,
  columns?: ReadonlySet<string>,
): Promise<Page<T>> {
  checkSize('first', args.first, limits);
  checkSize('last', args.last, limits);
  if (args.first != null && args.last != null) {
    throw new UserInputError('last', 'cannot be combined with first; page forwards with first/after or backwards with last/before');
  }
  const after = args.after ? decodeCursor(ordering, args.after, 'after') : null;
  const before = args.before ? decodeCursor(ordering, args.before, 'before') : null;
  const backward = args.last != null || (args.first == null && before !== null && after === null);
  const size = (backward ? args.last : args.first) ?? limits.defaultPageSize;

  if (after) applyCursor(qb, ordering, after, true);
  if (before) applyCursor(qb, ordering, before, false);

  const dir = backward ? (ordering.direction === 'ASC' ? 'DESC' : 'ASC') : ordering.direction;
  qb.orderBy(ordering.column, dir).addOrderBy(ordering.idColumn, dir).take(undefined).limit(size + 1);
  const order = [[sortProperty(ordering), dir], [idProperty(ordering), dir]] as const;
  const fetched = size === 0 ? [] : await pageRows(qb, columns && new Set([...columns, sortProperty(ordering)]), order);
  const more = fetched.length > size;
  const rows = more ? fetched.slice(0, size) : fetched;
  if (backward) rows.reverse();

  return {
    rows,
    cursorOf: (row) => encodeCursor(ordering, row, row.id),
    hasNextPage: backward ? before !== null : more,
    hasPreviousPage: backward ? more : after !== null,
  };
}
