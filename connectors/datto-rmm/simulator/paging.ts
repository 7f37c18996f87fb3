/**
 * Datto's page-number paging: `page` counts from 0, `max` is capped at the account's maximum, and each page links
 * to its neighbours by absolute URLs that carry `max` and `page` only. The filters of the request are not in them,
 * so a client that follows `nextPageUrl` verbatim reads the unfiltered list from page 2 on.
 */

/** A request Spring could not bind (a page or max that is not a number, or out of range). */
export class BadRequest extends Error {}

/** What `/v2/system/pagination` reports, and the most a page holds whatever `max` asks. */
export const MAX_PAGE_SIZE = 250;

export interface Paging {
  page: number;
  max: number;
}

export interface PageDetails {
  count: number;
  totalCount: number;
  prevPageUrl: string | null;
  nextPageUrl: string | null;
}

export function parsePaging(query: URLSearchParams, defaultMax: number): Paging {
  const page = integer(query, 'page') ?? 0;
  const max = Math.min(integer(query, 'max') ?? defaultMax, MAX_PAGE_SIZE);
  if (page < 0) throw new BadRequest(`page must not be negative: ${page}`);
  if (max < 1) throw new BadRequest(`max must be positive: ${max}`);
  return { page, max };
}

function integer(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value.trim() === '') return undefined;
  if (!/^\s*-?\d{1,9}\s*$/.test(value)) throw new BadRequest(`Failed to convert value of type 'java.lang.String' to required type 'java.lang.Integer'; For input string: "${value}"`);
  return Number(value);
}

/** The page `paging` names of `items`; `base` is the absolute URL of the collection, without a query. */
export function pageOf<T>(items: readonly T[], paging: Paging, base: string): { pageDetails: PageDetails; items: T[] } {
  const { page, max } = paging;
  const slice = items.slice(page * max, page * max + max);
  const link = (p: number) => `${base}?max=${max}&page=${p}`;
  return {
    pageDetails: {
      count: slice.length,
      totalCount: items.length,
      prevPageUrl: page > 0 ? link(page - 1) : null,
      nextPageUrl: (page + 1) * max < items.length ? link(page + 1) : null,
    },
    items: slice,
  };
}

/**
 * SQL LIKE as Datto applies its filters: a case-insensitive "contains", with % and _ as wildcards in the pattern.
 * No pattern (the parameter absent) matches everything; a null value matches only no pattern.
 */
export function like(value: string | null | undefined, pattern: string | null): boolean {
  if (pattern === null) return true;
  if (value === null || value === undefined) return false;
  const source = [...pattern].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(source, 'is').test(value);
}
