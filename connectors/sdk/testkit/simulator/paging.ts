/**
 * The two ways vendors page a list: by page number (Datto: `page` and `max`), and by cursor, an opaque token or
 * the last key served (Graph's $skiptoken, a feed's `after`). Cursor pages are keyset pages: a record removed or
 * changed while a client pages never shifts the records after it. Page sizes fail closed: a size above the maximum
 * is refused or cut to the maximum, never served.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Middleware, SimRequest, SimResponse } from './server';

/** A paging parameter the vendor would refuse (400); `parameter` names it. */
export class PagingError extends Error {
  constructor(
    message: string,
    readonly parameter: string,
  ) {
    super(message);
  }
}

export interface PageSizeOptions {
  /** The parameter's name, for the error. */
  name: string;
  /** When the parameter is absent. */
  fallback: number;
  max: number;
  /** Over the maximum: 'refuse' (default, a PagingError) or 'clamp' to `max` (Datto). */
  overMax?: 'refuse' | 'clamp';
}

/** A page size parameter: a whole number from 1 to `max`. */
export function pageSize(value: string | null | undefined, options: PageSizeOptions): number {
  const refusal = new PagingError(`${options.name} must be a whole number from 1 to ${options.max}`, options.name);
  let size: number;
  try {
    size = wholeNumber(value, options.name) ?? options.fallback;
  } catch {
    throw refusal;
  }
  if (size > options.max && options.overMax === 'clamp') return options.max;
  if (size > options.max || size < 1) throw refusal;
  return size;
}

/** A whole-number parameter (surrounding blanks allowed), undefined when absent or blank. */
export function wholeNumber(value: string | null | undefined, name: string): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  if (!/^\s*-?\d{1,9}\s*$/.test(value)) throw new PagingError(`${name} must be a whole number, not ${JSON.stringify(value)}`, name);
  return Number(value);
}

export interface NumberedPage<T> {
  items: T[];
  total: number;
  hasPrevious: boolean;
  hasNext: boolean;
}

/** Page `page` (counted from `firstPage`, default 0) of `items`, `size` to a page. */
export function numberedPage<T>(items: readonly T[], options: { page: number; size: number; firstPage?: number }): NumberedPage<T> {
  const index = options.page - (options.firstPage ?? 0);
  if (index < 0) throw new PagingError(`page must not be below ${options.firstPage ?? 0}`, 'page');
  const start = index * options.size;
  return {
    items: items.slice(start, start + options.size),
    total: items.length,
    hasPrevious: index > 0,
    hasNext: start + options.size < items.length,
  };
}

/**
 * A sort key: a string or a number, or a tuple of them compared in order (modifiedAt, then id). Numbers compare as
 * numbers (99 before 100), strings as JavaScript's `<` does; a number sorts before a string.
 */
export type PageKeyPart = string | number;
export type PageKey = PageKeyPart | readonly PageKeyPart[];

export interface KeysetPage<T> {
  items: T[];
  /** The key of the page's last item when more follow (what the next cursor encodes); null on the last page. */
  lastKey: PageKey | null;
}

/** The `size` items whose key sorts after `after` (all from the start when null), in key order. */
export function keysetPage<T>(items: readonly T[], options: { keyOf: (item: T) => PageKey; after: PageKey | null; size: number }): KeysetPage<T> {
  const keyed = items.map((item) => ({ key: options.keyOf(item), item })).sort((a, b) => compareKeys(a.key, b.key));
  const { after } = options;
  const remaining = after === null ? keyed : keyed.filter((e) => compareKeys(e.key, after) > 0);
  const page = remaining.slice(0, options.size);
  return { items: page.map((e) => e.item), lastKey: remaining.length > options.size ? page[page.length - 1].key : null };
}

export function compareKeys(a: PageKey, b: PageKey): number {
  const x = Array.isArray(a) ? a : [a as PageKeyPart];
  const y = Array.isArray(b) ? b : [b as PageKeyPart];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const order = comparePart(x[i], y[i]);
    if (order !== 0) return order;
  }
  return x.length - y.length;
}

function comparePart(a: PageKeyPart, b: PageKeyPart): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/**
 * Opaque cursors: a value as base64url JSON, signed (default) so a made-up or edited cursor is refused instead of
 * silently starting somewhere. `signed: false` gives the bare base64url JSON some APIs use.
 */
export class OpaqueCursors {
  private readonly key = randomBytes(32);

  constructor(private readonly options: { signed?: boolean; parameter?: string } = {}) {}

  issue(value: unknown): string {
    const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
    return this.options.signed === false ? payload : `${payload}.${this.sign(payload)}`;
  }

  /** The value a cursor carries; a PagingError for a cursor this server did not issue. */
  read(cursor: string): unknown {
    const [payload, signature, ...rest] = cursor.split('.');
    const intact = this.options.signed === false ? signature === undefined : rest.length === 0 && signature === this.sign(payload ?? '');
    if (intact && payload) {
      try {
        return JSON.parse(Buffer.from(payload, 'base64url').toString()) as unknown;
      } catch {
        // falls through to the refusal: not JSON, so not ours
      }
    }
    throw new PagingError(`The cursor '${cursor}' is not valid for this request.`, this.options.parameter ?? 'cursor');
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url').slice(0, 22);
  }
}

/** Answers a PagingError thrown by the handler with 400; default body `{ error: 'invalid_request', message }`. */
export function refusePagingErrors(answer?: (error: PagingError, req: SimRequest) => SimResponse): Middleware {
  return (req, next) => {
    try {
      return next();
    } catch (error) {
      if (!(error instanceof PagingError)) throw error;
      return answer?.(error, req) ?? { status: 400, body: { error: 'invalid_request', message: error.message } };
    }
  };
}
