/**
 * A real inventory feed on 127.0.0.1: the protocol of feed-source.ts (pages of { items, next, cursor }, keyset
 * `next` links, `since` filtering) behind an OAuth2 client-credentials token endpoint whose tokens expire.
 */
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Fault, SimulatorControl, SimulatorOptions, SimulatorStats } from '../../sdk/testkit/harness';
import { FaultSchedule } from '../../sdk/testkit/fault-schedule';
import { SimulatedFleet } from './fleet';

export const SIMULATOR_CLIENT_ID = 'patchgraph-sim';
/** Not a real secret; long and odd enough that a test can search logs and errors for it. */
export const SIMULATOR_CLIENT_SECRET = 'sim~Secret.4f9Qz_K2vX8pL1';

const MAX_LIMIT = 5000;
const DEFAULT_LIMIT = 100;

export interface FileImportSimulatorOptions extends SimulatorOptions {
  /** Lifetime of issued tokens; default 3600 s. */
  tokenLifetimeS?: number;
  /** The fleet's "now" (see FleetOptions). */
  now?: Date;
}

export interface FileImportSimulator extends SimulatorControl {
  /** e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  /** The fleet being served; tests read it to know what a full sync must return. */
  readonly fleet: SimulatedFleet;
  /** Path and query of every data request, in order (since the last resetStats). */
  requests(): string[];
}

type Stream = 'devices' | 'updates' | 'patch-states';
const STREAM_PATH = /^\/v1\/(devices|updates|patch-states)$/;

/** A record with its place in the feed's order. */
interface Keyed {
  modifiedAt: string;
  key: string;
  row?: object;
}

export async function startFileImportSimulator(options: FileImportSimulatorOptions): Promise<FileImportSimulator> {
  const fleet = new SimulatedFleet({ devices: options.devices, seed: options.seed, now: options.now });
  const lifetimeS = options.tokenLifetimeS ?? 3600;
  const tokens = new Map<string, number>();
  const faults = new FaultSchedule();
  let stats: SimulatorStats = { dataRequests: 0, tokenRequests: 0, unauthorized: 0 };
  let requestLog: string[] = [];
  let origin = '';

  const rowsOf = (stream: Stream): Keyed[] => {
    if (stream === 'devices') return fleet.devices.map((d) => ({ modifiedAt: d.modifiedAt, key: d.externalId, row: { ...d } }));
    if (stream === 'updates') return fleet.updates.map((u) => ({ modifiedAt: u.modifiedAt, key: u.key, row: { ...u } }));
    return fleet.patchStates.map((s) => ({ modifiedAt: s.modifiedAt, key: `${s.deviceExternalId}\u0000${s.updateKey}`, row: { ...s } }));
  };

  function token(body: string, req: IncomingMessage, res: ServerResponse): void {
    stats.tokenRequests++;
    const form = new URLSearchParams(body);
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    // RFC 6749 §2.3.1 lets the client send its credentials as HTTP Basic instead of in the form.
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) [clientId, clientSecret] = Buffer.from(basic[1], 'base64').toString().split(':');
    if (form.get('grant_type') !== 'client_credentials') {
      return json(res, 400, { error: 'unsupported_grant_type', error_description: 'Only grant_type=client_credentials is supported.' });
    }
    if (clientId !== SIMULATOR_CLIENT_ID || clientSecret !== SIMULATOR_CLIENT_SECRET) {
      return json(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed: unknown client or wrong secret.' });
    }
    const value = randomBytes(24).toString('base64url');
    tokens.set(value, Date.now() + lifetimeS * 1000);
    json(res, 200, { access_token: value, token_type: 'Bearer', expires_in: lifetimeS });
  }

  function data(stream: Stream, url: URL, req: IncomingMessage, res: ServerResponse): void {
    stats.dataRequests++;
    requestLog.push(`${url.pathname}${url.search}`);
    const effect = faults.next();
    if (effect.expireTokens) tokens.clear();
    if (effect.status) {
      const headers: Record<string, string> = effect.status.retryAfterSeconds === undefined ? {} : { 'retry-after': String(effect.status.retryAfterSeconds) };
      return json(res, effect.status.status, { error: 'unavailable', message: `Simulated failure (HTTP ${effect.status.status}).` }, headers);
    }
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const expires = bearer === undefined ? undefined : tokens.get(bearer);
    if (expires === undefined || expires <= Date.now()) {
      stats.unauthorized++;
      return json(res, 401, { error: 'invalid_token', error_description: 'The access token is missing, unknown or expired.' }, {
        'www-authenticate': 'Bearer error="invalid_token", error_description="The access token expired"',
      });
    }
    const page = pageOf(rowsOf(stream), url);
    if ('error' in page) return json(res, 400, { error: 'invalid_request', message: page.error });
    const body = JSON.stringify(page);
    if (effect.malformed) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body.slice(0, Math.floor(body.length / 2)));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  }

  function pageOf(all: Keyed[], url: URL): { items: unknown[]; next: string | null; cursor: string | null } | { error: string } {
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return { error: `limit must be a whole number from 1 to ${MAX_LIMIT}` };
    const sinceText = url.searchParams.get('since');
    const since = sinceText === null ? -Infinity : Date.parse(sinceText);
    if (Number.isNaN(since)) return { error: 'since must be an ISO 8601 timestamp' };
    const after = decodeAfter(url.searchParams.get('after'));
    if (after === 'invalid') return { error: 'after is not a page token this feed issued' };

    // Keyset order (modifiedAt, key): a record changed while a client pages moves to the end instead of being skipped.
    const sorted = [...all].sort((a, b) => compare(a, b));
    const cursor = sorted.length === 0 ? null : sorted[sorted.length - 1].modifiedAt;
    const remaining = sorted.filter((r) => Date.parse(r.modifiedAt) > since && (after === null || compare(r, after) > 0));
    const items = remaining.slice(0, limit).map((r) => r.row);
    let next: string | null = null;
    if (remaining.length > limit) {
      const last = remaining[limit - 1];
      const query = new URLSearchParams({ limit: String(limit), ...(sinceText === null ? {} : { since: sinceText }), after: encodeAfter(last) });
      next = `${origin}${url.pathname}?${query}`;
    }
    return { items, next, cursor };
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const url = new URL(req.url ?? '/', origin);
        const match = STREAM_PATH.exec(url.pathname);
        if (req.method === 'POST' && url.pathname === '/oauth2/token') return token(Buffer.concat(chunks).toString(), req, res);
        if (req.method === 'GET' && match) return data(match[1] as Stream, url, req, res);
        json(res, 404, { error: 'not_found', message: `No route for ${req.method} ${url.pathname}` });
      } catch (err) {
        json(res, 500, { error: 'internal', message: (err as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const config = (clientSecret: string) => ({
    url: `${origin}/v1`,
    tokenUrl: `${origin}/oauth2/token`,
    clientId: SIMULATOR_CLIENT_ID,
    clientSecret,
    pageSize: options.pageSize,
  });

  return {
    origin,
    fleet,
    requests: () => [...requestLog],
    validConfig: () => config(SIMULATOR_CLIENT_SECRET),
    badCredentialsConfig: () => config('not-the-secret'),
    inject: (fault: Fault) => faults.inject(fault),
    mutate: async () => ({ changedDeviceIds: fleet.mutate() }),
    removeDevice: async () => fleet.removeDevice(),
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats = { dataRequests: 0, tokenRequests: 0, unauthorized: 0 };
      requestLog = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function compare(a: Keyed, b: Keyed): number {
  if (a.modifiedAt !== b.modifiedAt) return a.modifiedAt < b.modifiedAt ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Page tokens are opaque to clients: base64url of the last item's sort key. */
function encodeAfter(row: Keyed): string {
  return Buffer.from(JSON.stringify([row.modifiedAt, row.key])).toString('base64url');
}

function decodeAfter(text: string | null): Keyed | null | 'invalid' {
  if (text === null) return null;
  try {
    const [modifiedAt, key] = JSON.parse(Buffer.from(text, 'base64url').toString()) as unknown[];
    return typeof modifiedAt === 'string' && typeof key === 'string' ? { modifiedAt, key } : 'invalid';
  } catch {
    return 'invalid';
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
