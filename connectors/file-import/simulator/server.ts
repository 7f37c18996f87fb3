/**
 * A real inventory feed on 127.0.0.1: the protocol of feed-source.ts (pages of { items, next, cursor }, keyset
 * `next` links, `since` filtering) behind an OAuth2 client-credentials token endpoint whose tokens expire. Built on
 * the SDK's simulator toolkit; what is here is the feed's own: its paths, its bodies and its page tokens.
 */
import { randomBytes } from 'node:crypto';
import type { SimulatorControl, SimulatorOptions } from '../../sdk/testkit/harness';
import {
  bearerAuth, compose, FaultInjector, keysetPage, OpaqueCursors, pageSize, PagingError, SimRequest, SimResponse, SimulatorTraffic, startVendorSimulator,
  tokenEndpoint, TokenIssuer,
} from '../../sdk/testkit/simulator';
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

/** A record with its place in the feed's order. */
interface Keyed {
  modifiedAt: string;
  key: string;
  row: object;
}

export async function startFileImportSimulator(options: FileImportSimulatorOptions): Promise<FileImportSimulator> {
  const fleet = new SimulatedFleet({ devices: options.devices, seed: options.seed, now: options.now });
  const traffic = new SimulatorTraffic();
  const tokens = new TokenIssuer({ lifetimeS: options.tokenLifetimeS ?? 3600, mint: () => randomBytes(24).toString('base64url') });
  const faults = new FaultInjector({ tokens });
  // Page tokens are opaque to clients but not signed: base64url of the last item's sort key.
  const pageTokens = new OpaqueCursors({ signed: false, parameter: 'after' });

  const rowsOf = (stream: Stream): Keyed[] => {
    if (stream === 'devices') return fleet.devices.map((d) => ({ modifiedAt: d.modifiedAt, key: d.externalId, row: { ...d } }));
    if (stream === 'updates') return fleet.updates.map((u) => ({ modifiedAt: u.modifiedAt, key: u.key, row: { ...u } }));
    return fleet.patchStates.map((s) => ({ modifiedAt: s.modifiedAt, key: `${s.deviceExternalId}\u0000${s.updateKey}`, row: { ...s } }));
  };

  const token = tokenEndpoint({
    tokens,
    traffic,
    grant: 'client_credentials',
    client: { id: SIMULATOR_CLIENT_ID, secret: SIMULATOR_CLIENT_SECRET },
    grantFirst: true,
    headers: {},
    refuse: (refusal) =>
      refusal.reason === 'bad-client'
        ? { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed: unknown client or wrong secret.' } }
        : { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Only grant_type=client_credentials is supported.' } },
  });

  const authenticated = bearerAuth({
    tokens,
    traffic,
    refuse: () => ({
      status: 401,
      body: { error: 'invalid_token', error_description: 'The access token is missing, unknown or expired.' },
      headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="The access token expired"' },
    }),
  });

  function page(req: SimRequest): SimResponse {
    const stream = req.params.stream as Stream;
    let limit: number;
    try {
      limit = pageSize(req.query.get('limit'), { name: 'limit', fallback: DEFAULT_LIMIT, max: MAX_LIMIT });
    } catch (err) {
      if (err instanceof PagingError) return invalid(err.message);
      throw err;
    }
    const sinceText = req.query.get('since');
    const since = sinceText === null ? -Infinity : Date.parse(sinceText);
    if (Number.isNaN(since)) return invalid('since must be an ISO 8601 timestamp');
    const after = readAfter(req.query.get('after'));
    if (after === 'invalid') return invalid('after is not a page token this feed issued');

    // Keyset order (modifiedAt, key): a record changed while a client pages moves to the end instead of being skipped.
    const all = rowsOf(stream);
    const cursor = all.reduce<string | null>((latest, r) => (latest === null || r.modifiedAt > latest ? r.modifiedAt : latest), null);
    const { items, lastKey } = keysetPage(
      all.filter((r) => Date.parse(r.modifiedAt) > since),
      { keyOf: (r) => [r.modifiedAt, r.key], after, size: limit },
    );
    let next: string | null = null;
    if (lastKey !== null) {
      const query = new URLSearchParams({ limit: String(limit), ...(sinceText === null ? {} : { since: sinceText }), after: pageTokens.issue(lastKey) });
      next = `${req.origin}${req.path}?${query}`;
    }
    return { status: 200, body: { items: items.map((r) => r.row), next, cursor } };
  }

  function readAfter(text: string | null): [string, string] | null | 'invalid' {
    if (text === null) return null;
    try {
      const [modifiedAt, key] = pageTokens.read(text) as unknown[];
      return typeof modifiedAt === 'string' && typeof key === 'string' ? [modifiedAt, key] : 'invalid';
    } catch {
      return 'invalid';
    }
  }

  const server = await startVendorSimulator({
    routes: [
      { method: 'POST', path: '/oauth2/token', handle: token },
      { method: 'GET', path: /^\/v1\/(?<stream>devices|updates|patch-states)$/, handle: compose([traffic.data, faults.middleware, authenticated], page) },
    ],
  });
  const { origin } = server;

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
    requests: () => traffic.requests(),
    validConfig: () => config(SIMULATOR_CLIENT_SECRET),
    badCredentialsConfig: () => config('not-the-secret'),
    inject: faults.inject,
    mutate: async () => ({ changedDeviceIds: fleet.mutate() }),
    removeDevice: async () => fleet.removeDevice(),
    stats: () => traffic.stats(),
    resetStats: () => traffic.reset(),
    close: () => server.close(),
  };
}

const invalid = (message: string): SimResponse => ({ status: 400, body: { error: 'invalid_request', message } });
