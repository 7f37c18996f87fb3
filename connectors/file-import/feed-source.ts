/**
 * The HTTP source: an inventory feed. Each stream is `GET {url}/<stream>?limit=N[&since=CURSOR]`, answered with
 * pages of `{ items, next, cursor }`; `next` is followed verbatim. Retries, Retry-After, token refresh, rate limits
 * and redaction are the SDK HttpClient's; this module only knows the feed's shape.
 */
import type { ConnectorContext, StreamRequest } from '../sdk/contract';
import { clientCredentialsGrant, cursorPaging, HttpClient, MalformedResponseError, OAuth2TokenProvider } from '../sdk/http';
import { guardedFetch } from './address-guard';
import type { FileImportConfig } from './config';
import { PAGE_SIZE } from './config';
import { parseRow, StreamName, StreamRecords } from './format';
import { fileImportPolicy } from './policy';

export const FEED_PATHS: Record<StreamName, string> = { devices: '/devices', updates: '/updates', patchStates: '/patch-states' };

const VENDOR = 'Inventory feed';
/** The feed is someone's own service with no published quota: stay at a polite 10 requests a second. */
const RATE_LIMIT = { maxRequests: 600, windowMs: 60_000 };

interface FeedPage {
  items: unknown[];
  next: string | null;
  cursor: string | null;
}

export class InventoryFeed {
  private readonly client: HttpClient;
  private readonly pageSize: number;

  constructor(
    private readonly config: FileImportConfig & { url: string },
    context: ConnectorContext,
  ) {
    // Every connection, redirects included, goes only to addresses the operator's policy allows.
    const { addresses: allowance, resolve } = fileImportPolicy();
    const tokenProvider = config.tokenUrl
      ? new OAuth2TokenProvider({
          grant: clientCredentialsGrant({ tokenUrl: config.tokenUrl, clientId: config.clientId ?? '', clientSecret: config.clientSecret ?? '' }),
          vendor: VENDOR,
          fetch: guardedFetch({ allowance, resolve, field: 'tokenUrl' }),
          log: context.log,
          observer: context.observer,
          clock: context.clock,
        })
      : undefined;
    this.client = new HttpClient({
      baseUrl: config.url,
      vendor: VENDOR,
      tokenProvider,
      fetch: guardedFetch({ allowance, resolve, field: 'url' }),
      log: context.log,
      observer: context.observer,
      clock: context.clock,
      sleep: context.sleep,
      rateLimit: { key: `file-import:${new URL(config.url).origin}:${config.clientId ?? ''}`, registry: context.rateLimiters, ...RATE_LIMIT },
    });
    this.pageSize = config.pageSize ?? PAGE_SIZE.default;
  }

  /** Every item of the stream from `request.cursor` on; reports the last page's cursor once all pages are read. */
  async *records<S extends StreamName>(stream: S, request: StreamRequest): AsyncGenerator<StreamRecords[S], void, undefined> {
    const path = FEED_PATHS[stream];
    const what = `${VENDOR} ${path}`;
    // The high-water mark to report is the last page's: it covers every page before it.
    const last = { cursor: null as string | null };
    const pages = cursorPaging<unknown, string>(
      async (next, index) => {
        const body = next
          ? await this.client.get(next, { signal: request.signal })
          : await this.client.get(path, { query: { limit: this.pageSize, since: (request.mode === 'incremental' && request.cursor) || undefined }, signal: request.signal });
        const page = readPage(body, `page ${index + 1} of ${what}`);
        last.cursor = page.cursor;
        return { items: page.items, next: page.next, body };
      },
      { what, signal: request.signal },
    );
    for await (const page of pages) {
      for (let i = 0; i < page.items.length; i++) {
        yield parseRow(stream, page.items[i], { where: `${what} page ${page.index + 1} item ${i + 1}`, noun: 'field' }).record;
      }
    }
    if (last.cursor !== null) request.setCursor(last.cursor);
  }

  /** Gets a token (when the feed has sign-in) and reads one device: proves URL, credentials and format. */
  async check(signal?: AbortSignal): Promise<string> {
    const body = await this.client.get(FEED_PATHS.devices, { query: { limit: 1 }, signal });
    const page = readPage(body, `${VENDOR} ${FEED_PATHS.devices}`);
    page.items.forEach((item, i) => parseRow('devices', item, { where: `${VENDOR} ${FEED_PATHS.devices} item ${i + 1}`, noun: 'field' }));
    const auth = this.config.tokenUrl ? ` with a token from ${new URL(this.config.tokenUrl).host}` : '';
    return `Reached the inventory feed at ${this.config.url}${auth}; ${page.items.length > 0 ? 'it lists devices' : 'it lists no devices yet'}`;
  }
}

function readPage(body: unknown, what: string): FeedPage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new MalformedResponseError(`${what} is not a JSON object`);
  const page = body as Record<string, unknown>;
  // A page without its list is an error, never an empty page: the engine would take the devices as gone.
  if (!Array.isArray(page.items)) throw new MalformedResponseError(`${what} has no "items" list`);
  for (const key of ['next', 'cursor'] as const) {
    const value = page[key];
    if (value !== undefined && value !== null && typeof value !== 'string') throw new MalformedResponseError(`${what} has a "${key}" that is not a string`);
  }
  return { items: page.items, next: (page.next as string | undefined) || null, cursor: (page.cursor as string | undefined) || null };
}
