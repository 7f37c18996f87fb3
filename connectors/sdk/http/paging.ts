import { FatalError, MalformedResponseError } from '../errors';
import type { HttpClient, QueryValue } from './http-client';

/**
 * Paging as async iterators: a page is fetched only when the one before it has been consumed, so a connector holds
 * one page body at a time and can stop early (an abort, a limit) without fetching the rest. The engine writes
 * nothing until every stream has been read to its end, so a page's records are not stored as the page arrives. Use
 * `eachItem` when page boundaries do not matter.
 *
 * A page without its array is an error, never an empty page: treating it as "no more devices" would make a sync
 * believe every device after it was deleted.
 */
export interface Page<T> {
  items: T[];
  /** 0 for the first page. */
  index: number;
  /** The whole page body, for fields besides the items (e.g. Graph's @odata.deltaLink or Datto's totalCount). */
  body: unknown;
}

export interface PagingOptions {
  /** Stop with an error after this many pages rather than loop forever on a misbehaving vendor. Default 10,000. */
  maxPages?: number;
  signal?: AbortSignal;
}

export interface CursorPage<T, C> {
  items: T[];
  /** The cursor of the next page; null or undefined on the last page. */
  next?: C | null;
  body?: unknown;
}

const DEFAULT_MAX_PAGES = 10_000;

/**
 * The general loop: `fetchPage(cursor)` returns a page and the next cursor; undefined asks for the first page.
 * A cursor that comes back a second time is a vendor loop and is refused.
 */
export async function* cursorPaging<T, C>(
  fetchPage: (cursor: C | undefined, index: number) => Promise<CursorPage<T, C>>,
  options: PagingOptions & { what?: string } = {},
): AsyncGenerator<Page<T>, void, undefined> {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const what = options.what ?? 'a paged list';
  const seen = new Set<string>();
  let cursor: C | undefined;
  for (let index = 0; ; index++) {
    options.signal?.throwIfAborted();
    if (index >= maxPages) throw new FatalError(`${what} has more than ${maxPages} pages; raise maxPages if that is expected`);
    const page = await fetchPage(cursor, index);
    if (!page || !Array.isArray(page.items)) throw new MalformedResponseError(`page ${index + 1} of ${what} has no list of items`);
    yield { items: page.items, index, body: page.body ?? page };
    if (page.next === undefined || page.next === null) return;
    const key = typeof page.next === 'string' ? page.next : JSON.stringify(page.next);
    if (seen.has(key)) throw new MalformedResponseError(`${what} returned the same next-page cursor twice (page ${index + 1})`);
    seen.add(key);
    cursor = page.next;
  }
}

/**
 * Microsoft Graph: items in `value`, and an absolute `@odata.nextLink` while more pages remain. The link is
 * followed verbatim: its $skiptoken is opaque, and the query options of the first request are already in it.
 */
export function followNextLink<T>(
  client: Pick<HttpClient, 'get'>,
  path: string,
  options: PagingOptions & { query?: Record<string, QueryValue> } = {},
): AsyncGenerator<Page<T>, void, undefined> {
  const what = path.split('?')[0];
  return cursorPaging<T, string>(
    async (nextLink, index) => {
      const body = nextLink ? await client.get(nextLink, { signal: options.signal }) : await client.get(path, { query: options.query, signal: options.signal });
      const record = asRecord(body, what, index);
      if (!Array.isArray(record.value)) throw new MalformedResponseError(`page ${index + 1} of ${what} has no "value" array`);
      const next = record['@odata.nextLink'];
      if (next !== undefined && next !== null && typeof next !== 'string') {
        throw new MalformedResponseError(`page ${index + 1} of ${what} has an @odata.nextLink that is not a string`);
      }
      return { items: record.value as T[], next: next || undefined, body };
    },
    { ...options, what },
  );
}

/**
 * Datto RMM: `page`/`max` parameters, items under a per-endpoint key (`devices`, `sites`, `alerts`…), and
 * `pageDetails.nextPageUrl`, absolute, null on the last page. The next URL has been seen to drop filter parameters
 * (hostname, siteName…), which would silently widen the list, so every parameter of the first request that the
 * next URL lacks is put back. `page` is the exception: the next URL's own page number is the point.
 */
export function pageMaxPaging<T>(
  client: Pick<HttpClient, 'get'>,
  path: string,
  itemsKey: string,
  options: PagingOptions & { query?: Record<string, QueryValue> } = {},
): AsyncGenerator<Page<T>, void, undefined> {
  const what = path.split('?')[0];
  const wanted = new URLSearchParams(path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== null) wanted.set(key, String(value));
  }
  wanted.delete('page');

  return cursorPaging<T, string>(
    async (nextUrl, index) => {
      const body = nextUrl ? await client.get(nextUrl, { signal: options.signal }) : await client.get(path, { query: options.query, signal: options.signal });
      const record = asRecord(body, what, index);
      if (!Array.isArray(record[itemsKey])) throw new MalformedResponseError(`page ${index + 1} of ${what} has no "${itemsKey}" array`);
      const details = record.pageDetails;
      if (typeof details !== 'object' || details === null) throw new MalformedResponseError(`page ${index + 1} of ${what} has no pageDetails`);
      const next = (details as Record<string, unknown>).nextPageUrl;
      if (next !== undefined && next !== null && typeof next !== 'string') {
        throw new MalformedResponseError(`page ${index + 1} of ${what} has a nextPageUrl that is not a string`);
      }
      return { items: record[itemsKey] as T[], next: next ? reapplyDropped(next, wanted) : undefined, body };
    },
    { ...options, what },
  );
}

/** Adds to `url` each parameter of `wanted` that it does not carry at all; parameters it does carry are kept. */
export function reapplyDropped(url: string, wanted: URLSearchParams): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MalformedResponseError(`the next-page URL "${url.slice(0, 200)}" is not a valid URL`);
  }
  const missing = [...wanted.keys()].filter((key, i, keys) => keys.indexOf(key) === i && !parsed.searchParams.has(key));
  if (missing.length === 0) return url;
  // Appended as text so the rest of the URL stays exactly as the vendor wrote it.
  const extra = missing
    .flatMap((key) => wanted.getAll(key).map((value) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`))
    .join('&');
  const hash = parsed.hash;
  const base = hash ? url.slice(0, url.length - hash.length) : url;
  const separator = !base.includes('?') ? '?' : /[?&]$/.test(base) ? '' : '&';
  return `${base}${separator}${extra}${hash}`;
}

/** Flattens pages into items. */
export async function* eachItem<T>(pages: AsyncIterable<Page<T>>): AsyncGenerator<T, void, undefined> {
  for await (const page of pages) yield* page.items;
}

function asRecord(body: unknown, what: string, index: number): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MalformedResponseError(`page ${index + 1} of ${what} is not a JSON object`);
  }
  return body as Record<string, unknown>;
}
