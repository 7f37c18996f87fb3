/**
 * Datto's page-number paging: `page` counts from 0, `max` is capped at the account's maximum, and each page links
 * to its neighbours by absolute URLs that carry `max` and `page` only. The filters of the request are not in them,
 * so a client that follows `nextPageUrl` verbatim reads the unfiltered list from page 2 on. A page or max Spring
 * could not bind throws the toolkit's PagingError, which the server answers 400.
 */
import { numberedPage, pageSize, wholeNumber } from '../../sdk/testkit/simulator';

/** What `/v2/system/pagination` reports, and the most a page holds whatever `max` asks. */
export const MAX_PAGE_SIZE = 250;

export interface PageDetails {
  count: number;
  totalCount: number;
  prevPageUrl: string | null;
  nextPageUrl: string | null;
}

/** The page `query` asks for of `items`; `base` is the absolute URL of the collection, without a query. */
export function pageOf<T>(items: readonly T[], query: URLSearchParams, defaultMax: number, base: string): { pageDetails: PageDetails; items: T[] } {
  const page = wholeNumber(query.get('page'), 'page') ?? 0;
  const max = pageSize(query.get('max'), { name: 'max', fallback: defaultMax, max: MAX_PAGE_SIZE, overMax: 'clamp' });
  const slice = numberedPage(items, { page, size: max });
  const link = (p: number) => `${base}?max=${max}&page=${p}`;
  return {
    pageDetails: {
      count: slice.items.length,
      totalCount: slice.total,
      prevPageUrl: slice.hasPrevious ? link(page - 1) : null,
      nextPageUrl: slice.hasNext ? link(page + 1) : null,
    },
    items: slice.items,
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
