/**
 * The Datto RMM API v2 on 127.0.0.1, one origin serving as the platform URL: the OAuth password grant, the account,
 * site, device and audit reads, the system endpoints, and the faults, rate limiting and quirks a connector has to
 * survive (filters dropped from page links, dates in two forms, an IP block for a client that ignores 429s).
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Clock, systemClock } from '../../sdk/clock';
import { FaultSchedule } from '../../sdk/testkit/fault-schedule';
import type { Fault, SimulatorControl, SimulatorOptions, SimulatorStats } from '../../sdk/testkit/harness';
import type { DattoDeviceAudit } from './audit';
import type { DattoDevice } from './device';
import { IP_BLOCKED, oauthError, RATE_LIMITED, springError } from './errors';
import { SimulatedDattoFleet } from './fleet';
import { BadRequest, like, MAX_PAGE_SIZE, pageOf, parsePaging } from './paging';
import { DATTO_RATE_LIMIT, RateLimitOptions, ReadLimit } from './rate-limit';
import type { DattoSite } from './site';
import { answerTokenRequest, TokenStore } from './tokens';

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
const TOKEN_PATH = '/auth/oauth/token';

interface Answer {
  status: number;
  body: unknown;
  /** The property holding a paged answer's list, which one kind of malformed page leaves out. */
  list?: 'devices' | 'sites';
}

const SITE_DEVICES = /^\/api\/v2\/site\/([^/]+)\/devices$/;
const DEVICE = /^\/api\/v2\/device\/([^/]+)$/;
const DEVICE_AUDIT = /^\/api\/v2\/audit\/device\/([^/]+)$/;

export async function startDattoSimulator(options: DattoSimulatorOptions): Promise<DattoSimulator> {
  const clock = options.clock ?? systemClock;
  const nowMs = () => clock.now().getTime();
  const fleet = new SimulatedDattoFleet({
    devices: options.devices ?? DEFAULT_DEVICES,
    seed: options.seed ?? 1,
    now: options.now ?? new Date(),
    siteNames: options.siteNames ?? DEFAULT_SITE_NAMES,
    fleet: options.fleet,
  });
  const tokens = new TokenStore(nowMs);
  const faults = new FaultSchedule();
  const limit = new ReadLimit(options.rateLimit || DATTO_RATE_LIMIT, options.rateLimit !== false, nowMs);
  const lifetimeS = options.tokenLifetimeS ?? 360_000;
  let stats: SimulatorStats = { dataRequests: 0, tokenRequests: 0, unauthorized: 0 };
  let throttled = { tooMany: 0, blocked: 0 };
  let requestLog: string[] = [];
  let malformedServed = 0;
  let origin = '';

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': JSON_TYPE, ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  function token(req: IncomingMessage, url: URL, body: string, res: ServerResponse): void {
    stats.tokenRequests++;
    if (limit.isBlocked(address(req))) return send(res, 403, IP_BLOCKED);
    if (req.method !== 'POST') return send(res, 405, oauthError('method_not_allowed', `Request method '${req.method}' not supported`));
    const params = new URLSearchParams(url.search);
    for (const [name, value] of new URLSearchParams(body)) params.append(name, value);
    const answer = answerTokenRequest(req.headers.authorization, params, { apiKey: SIMULATOR_API_KEY, apiSecret: SIMULATOR_API_SECRET, lifetimeS, tokens });
    send(res, answer.status, answer.body, answer.headers);
  }

  function data(req: IncomingMessage, url: URL, res: ServerResponse): void {
    stats.dataRequests++;
    requestLog.push(req.url ?? '');
    const effect = faults.next();
    if (effect.expireTokens) tokens.expireAll();
    if (effect.status) {
      const { status, retryAfterSeconds } = effect.status;
      const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
      return send(res, status, status === 429 ? RATE_LIMITED : springError(status, url.pathname, clock.now()), headers);
    }

    const from = address(req);
    if (limit.isBlocked(from)) {
      throttled.blocked++;
      return send(res, 403, IP_BLOCKED);
    }
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const check = tokens.check(bearer);
    if (check !== 'valid') {
      stats.unauthorized++;
      // Spring's resource server quotes the token; only its start here, so a log of the answer holds no whole token.
      const quoted = `${(bearer ?? '').slice(0, 12)}…`;
      const body = check === 'missing' ? oauthError('unauthorized', 'Full authentication is required to access this resource')
        : check === 'expired' ? oauthError('invalid_token', `Access token expired: ${quoted}`)
        : oauthError('invalid_token', `Invalid access token: ${quoted}`);
      const challenge = check === 'missing' ? 'Bearer realm="oauth2-resource"' : `Bearer realm="oauth2-resource", error="${body.error}"`;
      return send(res, 401, body, { 'www-authenticate': challenge });
    }
    if (!limit.admit(from)) {
      throttled.tooMany++;
      return send(res, 429, RATE_LIMITED);
    }

    let answer: Answer;
    try {
      answer = req.method === 'GET' ? route(url) : { status: 405, body: springError(405, url.pathname, clock.now()) };
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      answer = { status: 400, body: springError(400, url.pathname, clock.now()) };
    }
    if (answer.status === 200 && effect.malformed) {
      // Both ways a page can be broken, in turn: JSON cut off mid-way, and well-formed JSON without its list.
      const text = JSON.stringify(answer.body);
      const listless = answer.list ? { pageDetails: (answer.body as { pageDetails: unknown }).pageDetails } : {};
      return send(res, 200, malformedServed++ % 2 === 0 ? text.slice(0, Math.floor(text.length / 2)) : JSON.stringify(listless));
    }
    send(res, answer.status, answer.body);
  }

  function route(url: URL): Answer {
    const path = url.pathname;
    const query = url.searchParams;
    const notFound = (): Answer => ({ status: 404, body: springError(404, path, clock.now()) });
    if (path === '/api/v2/account') return { status: 200, body: fleet.account };
    if (path === '/api/v2/account/sites') {
      const sites = fleet.sites.filter((s) => like(s.name, query.get('siteName'))).sort((a, b) => a.id - b.id);
      const page = pageOf(sites, parsePaging(query, options.pageSize), origin + path);
      return { status: 200, body: { pageDetails: page.pageDetails, sites: page.items }, list: 'sites' };
    }
    if (path === '/api/v2/account/devices') {
      // Datto's device filters are saved searches this simulator does not model; every filterId is unknown.
      if (query.get('filterId') !== null) return notFound();
      const devices = fleet.devices.filter(
        (d) =>
          like(d.hostname, query.get('hostname')) &&
          like(d.siteName, query.get('siteName')) &&
          like(d.operatingSystem, query.get('operatingSystem')) &&
          like(d.deviceType?.category, query.get('deviceType')),
      );
      return devicePage(devices, url);
    }
    const siteDevices = SITE_DEVICES.exec(path);
    if (siteDevices) {
      const site = fleet.sites.find((s) => s.uid.toLowerCase() === decode(siteDevices[1]).toLowerCase());
      if (!site || query.get('filterId') !== null) return notFound();
      return devicePage(fleet.devices.filter((d) => d.siteUid === site.uid), url);
    }
    const device = DEVICE.exec(path);
    if (device) {
      const found = fleet.device(decode(device[1]));
      return found ? { status: 200, body: found } : notFound();
    }
    const audit = DEVICE_AUDIT.exec(path);
    if (audit) {
      const found = fleet.device(decode(audit[1]));
      if (!found) return notFound();
      // Printers, ESXi hosts and network devices have their audits elsewhere; this path refuses them.
      if (found.deviceClass !== 'device') return { status: 400, body: springError(400, path, clock.now()) };
      const body = fleet.audit(found.uid);
      return body ? { status: 200, body } : notFound();
    }
    if (path === '/api/v2/system/request_rate') return { status: 200, body: requestRate() };
    if (path === '/api/v2/system/pagination') return { status: 200, body: { max: MAX_PAGE_SIZE } };
    return notFound();
  }

  function devicePage(devices: DattoDevice[], url: URL): Answer {
    const ordered = [...devices].sort((a, b) => a.id - b.id);
    const page = pageOf(ordered, parsePaging(url.searchParams, options.pageSize), origin + url.pathname);
    return { status: 200, body: { pageDetails: page.pageDetails, devices: page.items }, list: 'devices' };
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

  function dispatch(req: IncomingMessage, body: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === TOKEN_PATH) return token(req, url, body, res);
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return data(req, url, res);
    send(res, 404, springError(404, url.pathname, clock.now()));
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        dispatch(req, Buffer.concat(chunks).toString(), res);
      } catch {
        if (!res.headersSent) send(res, 500, springError(500, (req.url ?? '/').split('?')[0], clock.now()));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

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
    requests: () => [...requestLog],
    throttled: () => ({ ...throttled }),
    addSite: (name: string, devices: number) => fleet.addSite(name, devices),
    validConfig: () => config(SIMULATOR_API_SECRET),
    badCredentialsConfig: () => config('sim~Datto.Wr0ng_5eCr3t~Qz9'),
    inject: (fault: Fault) => faults.inject(fault),
    mutate: async () => ({ changedDeviceIds: fleet.mutate() }),
    removeDevice: async () => fleet.removeDevice(),
    deleteDevice: (uid: string) => void fleet.removeDevice(uid),
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats = { dataRequests: 0, tokenRequests: 0, unauthorized: 0 };
      throttled = { tooMany: 0, blocked: 0 };
      requestLog = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const address = (req: IncomingMessage): string => req.socket.remoteAddress ?? 'unknown';

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
