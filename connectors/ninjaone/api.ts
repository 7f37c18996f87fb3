/**
 * NinjaOne Public API v2 through the SDK's HttpClient: the client-credentials token, `after` paging of the
 * directory and device lists, and the cursor paging of the /v2/queries reports.
 */
import {
  clientCredentialsGrant,
  cursorPaging,
  FatalError,
  HttpClient,
  MalformedResponseError,
  OAuth2TokenProvider,
  type ConnectorContext,
} from '../sdk';
import { instanceUrl, type NinjaOneConfig } from './config';
import type { NinjaQueryPage } from './payloads';

export const VENDOR = 'NinjaOne';

/** NinjaOne's largest page; the server may answer with fewer, so only an empty page ends a list. */
export const PAGE_SIZE = 1000;

/** Statuses NinjaOne answers for a query cursor it no longer holds (expired, or the report was rebuilt). */
const GONE_CURSOR_STATUSES = new Set([400, 404, 410]);

export function ninjaOneClient(config: NinjaOneConfig, context: ConnectorContext): HttpClient {
  const base = instanceUrl(config);
  const tokenProvider = new OAuth2TokenProvider({
    grant: clientCredentialsGrant({ tokenUrl: `${base}/ws/oauth/token`, clientId: config.clientId, clientSecret: config.clientSecret, scope: 'monitoring' }),
    vendor: VENDOR,
    log: context.log,
    observer: context.observer,
    clock: context.clock,
    cache: context.tokens,
  });
  return new HttpClient({
    baseUrl: `${base}/v2`,
    vendor: VENDOR,
    tokenProvider,
    log: context.log,
    observer: context.observer,
    clock: context.clock,
    sleep: context.sleep,
  });
}

/**
 * A list paged by `after` (the last id of the page before): /v2/organizations, /v2/locations, /v2/devices-detailed.
 * The body is a bare JSON array.
 */
export async function* listAfter<T extends { id: number }>(client: HttpClient, path: string, signal?: AbortSignal): AsyncGenerator<T> {
  const pages = cursorPaging<T, number>(
    async (after) => {
      const body = await client.get<unknown>(path, { query: { pageSize: PAGE_SIZE, after }, signal });
      if (!Array.isArray(body)) throw new MalformedResponseError(`${VENDOR} ${path}: expected a JSON array of records, got ${describe(body)}`);
      const last = body[body.length - 1] as T | undefined;
      if (last !== undefined && !Number.isInteger(last?.id)) {
        throw new MalformedResponseError(`${VENDOR} ${path}: a record without a numeric id ends the page, so the next page cannot be asked for`);
      }
      return { items: body as T[], next: last ? last.id : null, body };
    },
    { what: `${VENDOR} ${path}`, signal },
  );
  for await (const page of pages) yield* page.items;
}

/**
 * A whole /v2/queries report, read into memory. Each page names the cursor of the next one; an empty page ends the
 * report. A cursor lives for a limited time (`expires`): if NinjaOne no longer knows it, the report is read again
 * from its first page, once, since a half-read report would silently miss patches.
 */
export async function readReport<T>(
  client: HttpClient,
  path: string,
  query: Record<string, string | number | undefined>,
  signal?: AbortSignal,
): Promise<T[]> {
  try {
    return await readReportOnce<T>(client, path, query, signal);
  } catch (error) {
    if (!(error instanceof CursorGone)) throw error;
    return readReportOnce<T>(client, path, query, signal).catch((again) => {
      if (again instanceof CursorGone) {
        throw new FatalError(`${VENDOR} ${path}: the report's cursor expired twice while it was read; the report is larger than its cursor lives`, {
          status: again.status,
        });
      }
      throw again;
    });
  }
}

class CursorGone extends Error {
  constructor(readonly status: number | undefined) {
    super('query cursor no longer known');
  }
}

/**
 * NinjaOne keeps one cursor name for the whole report and advances its offset, so the page key is name and offset
 * together: the SDK's paging refuses a key that comes back, which then means a server that stopped advancing.
 */
function pageKey(cursor: NinjaQueryPage<unknown>['cursor']): string | null {
  if (!cursor || typeof cursor.name !== 'string') return null;
  return `${cursor.offset ?? ''}\u0000${cursor.name}`;
}

function cursorName(key: string): string {
  return key.slice(key.indexOf('\u0000') + 1);
}

async function readReportOnce<T>(client: HttpClient, path: string, query: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<T[]> {
  const rows: T[] = [];
  const pages = cursorPaging<T, string>(
    async (key) => {
      // The cursor carries the report's filters; the next page names only the cursor.
      const pageQuery = key === undefined ? { ...query, pageSize: PAGE_SIZE } : { cursor: cursorName(key), pageSize: PAGE_SIZE };
      let body: NinjaQueryPage<T>;
      try {
        body = await client.get<NinjaQueryPage<T>>(path, { query: pageQuery, signal });
      } catch (error) {
        if (key !== undefined && error instanceof FatalError && GONE_CURSOR_STATUSES.has(error.status ?? 0)) throw new CursorGone(error.status);
        throw error;
      }
      if (!body || typeof body !== 'object' || !Array.isArray(body.results)) {
        throw new MalformedResponseError(`${VENDOR} ${path}: expected { cursor, results: [] }, got ${describe(body)}`);
      }
      if (body.results.length === 0) return { items: [], next: null, body };
      const next = pageKey(body.cursor);
      if (next === null) throw new MalformedResponseError(`${VENDOR} ${path}: a page of results without the cursor of the next page`);
      return { items: body.results, next, body };
    },
    { what: `${VENDOR} ${path}`, signal },
  );
  for await (const page of pages) rows.push(...page.items);
  return rows;
}

function describe(body: unknown): string {
  if (body === null || body === undefined) return 'nothing';
  if (Array.isArray(body)) return 'an array';
  return typeof body === 'object' ? `an object with ${Object.keys(body).slice(0, 5).join(', ') || 'no keys'}` : typeof body;
}
