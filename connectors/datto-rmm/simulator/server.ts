/**
 * The Datto RMM API v2 on 127.0.0.1, one origin serving as the platform URL: the OAuth password grant, the account,
 * site, device and audit reads, the system endpoints, and the faults, rate limiting and quirks a connector has to
 * survive (filters dropped from page links, dates in two forms, an IP block for a client that ignores 429s). Built
 * on the SDK's simulator toolkit; what is here is Datto's own: its paths, bodies, Spring's errors and the IP block.
 */
import { Clock, systemClock } from '../../sdk/clock';
import type { SimulatorControl, SimulatorOptions } from '../../sdk/testkit/harness';
import {
  bearerAuth, compose, FaultInjector, Middleware, refusePagingErrors, Route, router, SimRequest, SimResponse, SimulatorTraffic, startVendorSimulator,
  tokenEndpoint, TokenIssuer, truncatedJson,
} from '../../sdk/testkit/simulator';
import type { DattoDeviceAudit } from './audit';
import type { DattoDevice } from './device';
import { IP_BLOCKED, oauthError, RATE_LIMITED, springError } from './errors';
import { SimulatedDattoFleet } from './fleet';
import { like, MAX_PAGE_SIZE, pageOf } from './paging';
import { DATTO_RATE_LIMIT, RateLimitOptions, ReadLimit } from './rate-limit';
import type { DattoSite } from './site';
import { dattoGrant, mintDattoToken, PUBLIC_CLIENT, springTokenRefusal } from './tokens';

/** Not a real key; long and odd enough that a test can search logs and errors for it. */
export const SIMULATOR_API_KEY = 'SIMKEY7Q2M4XJ9WD3RT8';
/** Not a real secret; long and odd enough that a test can search logs and errors for it. */
export const SIMULATOR_API_SECRET = 'sim~Datto.x8Lq_2vKp7~Zr4';

export const DEFAULT_SITE_NAMES: readonly string[] = ['Northwind Dental', 'Fabrikam Logistics', 'Contoso Academy Trust', 'Tailspin Toys'];

export interface DattoSimulatorOptions extends SimulatorOptions {
  /** The fleet's "now"; lastSeen, lastAuditDate etc. are relative to it. Default: the time the simulator starts. */
  now?: Date;
  /**
   * Time source of the rate-limit window and token expiry; tests pass the connector's fixed clock so a long sync
   * takes no real time. Default: the system clock.
   */
  clock?: Clock;
  /** Lifetime of issued tokens; default 360000 s (100 h), as Datto issues them. */
  tokenLifetimeS?: number;
  /**
   * The account's read limit (rolling window) and the IP block for a client that keeps going; default
   * { reads: 600, windowMs: 60000, blockAfter: 10, blockMs: 300000 }, enforced unless `false`.
   */
  rateLimit?: RateLimitOptions | false;
  /** Replaces the seeded sites and devices (the demo passes exact ones); a "Deleted Devices" site is added if missing. */
  fleet?: { sites: DattoSite[]; devices: Array<{ device: DattoDevice; audit: DattoDeviceAudit | null }> };
  /** Names of the seeded client sites; default ['Northwind Dental', 'Fabrikam Logistics', 'Contoso Academy Trust', 'Tailspin Toys']. */
  siteNames?: string[];
}

export interface DattoSimulator extends SimulatorControl {
  /** http://127.0.0.1:PORT: the "platform URL" (token endpoint and API alike). */
  readonly origin: string;
  /** The sites now, "Deleted Devices" included, with their device counts. */
  readonly sites: DattoSite[];
  /** The devices now, deleted ones included. */
  readonly devices: DattoDevice[];
  auditOf(uid: string): DattoDeviceAudit | null;
  /** Path and query of each data request since resetStats, as sent. */
  requests(): string[];
  /** Rate-limit outcomes since resetStats: reads answered 429 for the limit, and reads answered 403 for the IP block. */
  throttled(): { tooMany: number; blocked: number };
  /** Adds a new client site with `devices` seeded devices (the "new site appears" case); returns it. */
  addSite(name: string, devices: number): DattoSite;
  /** Deletes this live device the way Datto does (flagged deleted, moved to "Deleted Devices"). */
  deleteDevice(uid: string): void;
}

/** Live devices seeded by default (a few deleted ones come on top). */
const DEFAULT_DEVICES = 60;
const JSON_TYPE = 'application/json;charset=UTF-8';

export async function startDattoSimulator(options: DattoSimulatorOptions): Promise<DattoSimulator> {
  const clock = options.clock ?? systemClock;
  const fleet = new SimulatedDattoFleet({
    devices: options.devices ?? DEFAULT_DEVICES,
    seed: options.seed ?? 1,
    now: options.now ?? new Date(),
    siteNames: options.siteNames ?? DEFAULT_SITE_NAMES,
    fleet: options.fleet,
  });
  const traffic = new SimulatorTraffic();
  const tokens = new TokenIssuer({ lifetimeS: options.tokenLifetimeS ?? 360_000, clock, mint: mintDattoToken });
  const limit = new ReadLimit(options.rateLimit || DATTO_RATE_LIMIT, options.rateLimit !== false, clock);
  let throttled = { tooMany: 0, blocked: 0 };

  const spring = (status: number, req: SimRequest): SimResponse => ({ status, body: springError(status, req.path, clock.now()) });

  const faults = new FaultInjector({
    tokens,
    statusAnswer: (status, req) => (status === 429 ? { status, body: RATE_LIMITED } : spring(status, req)),
    // Both ways a page can be broken, in turn: JSON cut off mid-way, and well-formed JSON without its list.
    malformed: [truncatedJson, (body) => (isPage(body) ? { pageDetails: body.pageDetails } : {})],
  });

  /** An address blocked for ignoring 429s gets 403 for everything, the token endpoint included. */
  const notBlocked = (count: boolean): Middleware => (req, next) => {
    if (!limit.isBlocked(req.remoteAddress)) return next();
    if (count) throttled.blocked++;
    return { status: 403, body: IP_BLOCKED };
  };

  const authenticated = bearerAuth({
    tokens,
    traffic,
    refuse: (why, bearer) => {
      if (why === 'missing') {
        return { status: 401, body: oauthError('unauthorized', 'Full authentication is required to access this resource'), headers: { 'www-authenticate': 'Bearer realm="oauth2-resource"' } };
      }
      // Spring's resource server quotes the token; only its start here, so a log of the answer holds no whole token.
      const quoted = `${(bearer ?? '').slice(0, 12)}…`;
      const body = oauthError('invalid_token', why === 'expired' ? `Access token expired: ${quoted}` : `Invalid access token: ${quoted}`);
      return { status: 401, body, headers: { 'www-authenticate': 'Bearer realm="oauth2-resource", error="invalid_token"' } };
    },
  });

  const readLimit: Middleware = (req, next) => {
    if (limit.admit(req.remoteAddress)) return next();
    throttled.tooMany++;
    return { status: 429, body: RATE_LIMITED };
  };

  const grant = tokenEndpoint({
    tokens,
    grant: 'password',
    clientAuth: 'basic',
    client: PUBLIC_CLIENT,
    user: { username: SIMULATOR_API_KEY, password: SIMULATOR_API_SECRET },
    // Spring reads the grant's parameters from the form body and the query string alike.
    fromQuery: true,
    grantBody: dattoGrant,
    refuse: springTokenRefusal,
  });
  const token = (req: SimRequest): SimResponse =>
    req.method === 'POST' ? grant(req) : { status: 405, body: oauthError('method_not_allowed', `Request method '${req.method}' not supported`) };

  const ok = (body: unknown): SimResponse => ({ status: 200, body });
  const notFound = (req: SimRequest) => spring(404, req);

  const apiRoutes: Route[] = [
    { method: 'GET', path: '/api/v2/account', handle: () => ok(fleet.account) },
    {
      method: 'GET',
      path: '/api/v2/account/sites',
      handle: (req) => {
        const sites = fleet.sites.filter((s) => like(s.name, req.query.get('siteName'))).sort((a, b) => a.id - b.id);
        const page = pageOf(sites, req.query, options.pageSize, req.origin + req.path);
        return ok({ pageDetails: page.pageDetails, sites: page.items });
      },
    },
    {
      method: 'GET',
      path: '/api/v2/account/devices',
      handle: (req) => {
        const query = req.query;
        // Datto's device filters are saved searches this simulator does not model; every filterId is unknown.
        if (query.get('filterId') !== null) return notFound(req);
        const devices = fleet.devices.filter(
          (d) =>
            like(d.hostname, query.get('hostname')) &&
            like(d.siteName, query.get('siteName')) &&
            like(d.operatingSystem, query.get('operatingSystem')) &&
            like(d.deviceType?.category, query.get('deviceType')),
        );
        return devicePage(devices, req);
      },
    },
    {
      method: 'GET',
      path: '/api/v2/site/:uid/devices',
      handle: (req) => {
        const site = fleet.sites.find((s) => s.uid.toLowerCase() === req.params.uid.toLowerCase());
        if (!site || req.query.get('filterId') !== null) return notFound(req);
        return devicePage(fleet.devices.filter((d) => d.siteUid === site.uid), req);
      },
    },
    {
      method: 'GET',
      path: '/api/v2/device/:uid',
      handle: (req) => {
        const found = fleet.device(req.params.uid);
        return found ? ok(found) : notFound(req);
      },
    },
    {
      method: 'GET',
      path: '/api/v2/audit/device/:uid',
      handle: (req) => {
        const found = fleet.device(req.params.uid);
        if (!found) return notFound(req);
        // Printers, ESXi hosts and network devices have their audits elsewhere; this path refuses them.
        if (found.deviceClass !== 'device') return spring(400, req);
        const body = fleet.audit(found.uid);
        return body ? ok(body) : notFound(req);
      },
    },
    { method: 'GET', path: '/api/v2/system/request_rate', handle: () => ok(requestRate()) },
    { method: 'GET', path: '/api/v2/system/pagination', handle: () => ok({ max: MAX_PAGE_SIZE }) },
  ];

  function devicePage(devices: DattoDevice[], req: SimRequest): SimResponse {
    const ordered = [...devices].sort((a, b) => a.id - b.id);
    const page = pageOf(ordered, req.query, options.pageSize, req.origin + req.path);
    return ok({ pageDetails: page.pageDetails, devices: page.items });
  }

  function requestRate(): Record<string, unknown> {
    return {
      slidingTimeWindowSizeSeconds: Math.round(limit.limits.windowMs / 1000),
      accountUid: fleet.accountUid,
      accountCount: limit.count(),
      accountRateLimit: limit.limits.reads,
      accountCutOffRatio: 0.9,
      accountWriteRateLimit: 600,
      accountWriteCount: 0,
      // The simulator serves no writes, so every write bucket stays empty.
      operationWriteStatus: Object.fromEntries(
        ['device-udf-set', 'device-move', 'device-job-create', 'alert-resolve', 'site-create'].map((op) => [op, { limit: op === 'device-udf-set' ? 600 : 100, count: 0 }]),
      ),
    };
  }

  // Every /api request is a read: counted, faulted, checked for a block, a token and the limit before it is routed,
  // so an unknown path or method is answered 404 or 405 only to a client that got that far.
  const api = compose(
    [traffic.data, faults.middleware, notBlocked(true), authenticated, readLimit, refusePagingErrors((_error, req) => spring(400, req))],
    router(apiRoutes, (req) => spring(req.method === 'GET' ? 404 : 405, req)),
  );

  const server = await startVendorSimulator({
    contentType: JSON_TYPE,
    routes: [
      { method: '*', path: '/auth/oauth/token', handle: compose([traffic.token, notBlocked(false)], token) },
      { method: '*', path: /^\/api(\/.*)?$/, handle: api },
    ],
    fallback: notFound,
    onError: (req) => spring(500, req),
  });
  const { origin } = server;

  const config = (apiSecret: string) => ({ apiUrl: origin, apiKey: SIMULATOR_API_KEY, apiSecret, pageSize: options.pageSize });

  return {
    origin,
    get sites() {
      return fleet.sites;
    },
    get devices() {
      return fleet.devices;
    },
    auditOf: (uid: string) => fleet.audit(uid),
    requests: () => traffic.requests(),
    throttled: () => ({ ...throttled }),
    addSite: (name: string, devices: number) => fleet.addSite(name, devices),
    validConfig: () => config(SIMULATOR_API_SECRET),
    badCredentialsConfig: () => config('sim~Datto.Wr0ng_5eCr3t~Qz9'),
    inject: faults.inject,
    mutate: async () => ({ changedDeviceIds: fleet.mutate() }),
    removeDevice: async () => fleet.removeDevice(),
    deleteDevice: (uid: string) => void fleet.removeDevice(uid),
    stats: () => traffic.stats(),
    resetStats: () => {
      traffic.reset();
      throttled = { tooMany: 0, blocked: 0 };
    },
    close: () => server.close(),
  };
}

const isPage = (body: unknown): body is { pageDetails: unknown } =>
  typeof body === 'object' && body !== null && 'pageDetails' in body && ('devices' in body || 'sites' in body);
