/**
 * Microsoft Graph (Intune) and the Entra token endpoint on 127.0.0.1, on one origin that serves as both authority
 * host and Graph base URL: managedDevices (v1.0), the Windows update catalog (beta), OAuth client credentials, and
 * the faults, throttling and quirks a connector has to survive.
 */
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultSchedule } from '../../sdk/testkit/fault-schedule';
import type { Fault, SimulatorControl, SimulatorOptions, SimulatorStats } from '../../sdk/testkit/harness';
import { bundledCatalogItems, fixedRevisions, GraphQualityUpdateCatalogItem } from './catalog';
import { graphDate } from './dates';
import { answerTokenRequest, TokenStore } from './entra';
import { SimulatedIntuneFleet } from './fleet';
import { graphError, RequestIds, STATUS_ERRORS } from './graph-errors';
import { listView, MANAGED_DEVICE_PROPERTIES, ManagedDevice } from './managed-device';
import {
  checkAllowed, checkCatalogFilter, matchesFilter, ODataError, pageAfter, parseDeviceFilter, parseQuery, parseSelect, parseTop, project, SkipTokens,
} from './odata';
import { RollingWindow } from './throttle';

/** The simulated client tenant's directory id. */
export const SIMULATOR_TENANT_ID = '3f6c2b1e-8d4a-4c7e-9b2f-5a1d0e7c4b93';
/** The application (client) id of the simulated app registration. */
export const SIMULATOR_CLIENT_ID = 'a7d3e9f1-2c5b-4e8a-b6d0-91c4f2e8a35d';
/** Not a real secret; long and odd enough that a test can search logs and errors for it. */
export const SIMULATOR_CLIENT_SECRET = 'sim~Intune.8vQ_3kPz~Lw2';

export type CatalogAccess = 'granted' | 'forbidden' | 'absent';

export interface IntuneSimulatorOptions extends SimulatorOptions {
  /** The fleet's "now"; lastSyncDateTime etc. are relative to it. Default: the time the simulator starts. */
  now?: Date;
  /** Lifetime of issued tokens; default 3599 s, as Entra issues them. */
  tokenLifetimeS?: number;
  /**
   * Serve only tokens issued for this scope, e.g. "api://graph-gateway.contoso.example/.default": Graph behind a
   * gateway registered as its own resource, which answers any other token's audience with 401. The token endpoint
   * knows that resource, and validConfig() sets tokenScope to it. Default: any Graph scope.
   */
  requiredScope?: string;
  /**
   * How the beta Windows update catalog answers: 'granted' (default), 'forbidden' (403, permission not granted),
   * 'absent' (400 segment not found, as in a cloud without it).
   */
  catalogAccess?: CatalogAccess;
  /** Replaces the seeded fleet (tests and the demo pass exact devices). */
  fleet?: ManagedDevice[];
  /** Host-name prefix of seeded devices, e.g. "CONTOSO"; default "CONTOSO". */
  namePrefix?: string;
  /** Extra catalog items served after the real ones (tests use this for a month the bundled data lacks). */
  extraCatalogItems?: GraphQualityUpdateCatalogItem[];
  /**
   * Enforced throttle like Intune's (e.g. {requests: 2000, windowS: 20}); over it → 429, with Retry-After only when
   * `retryAfter` (Intune often leaves it out). Default: off.
   */
  throttle?: { requests: number; windowS: number; retryAfter: boolean };
}

export interface IntuneSimulator extends SimulatorControl {
  /** http://127.0.0.1:PORT: both authority host and Graph base URL. */
  readonly origin: string;
  /** The current fleet, full objects (ethernetMacAddress included). */
  readonly devices: ManagedDevice[];
  /** Path and query of each data request since resetStats, as sent. */
  requests(): string[];
  /** The scope of each token request since resetStats, as sent (null when it had none). */
  tokenScopes(): Array<string | null>;
  setCatalogAccess(access: CatalogAccess): void;
}

const DEFAULT_DEVICES = 60;
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const DIAGNOSTIC = '{"ServerInfo":{"DataCenter":"Simulated","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"SIM-127-0-0-1"}}';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

type DataRoute = { kind: 'devices' } | { kind: 'device'; id: string } | { kind: 'catalog' };

const TOKEN_PATH = /^\/([^/?]+)\/oauth2\/v2\.0\/token$/i;
const DEVICES_PATH = /^\/v1\.0\/deviceManagement\/managedDevices$/i;
const DEVICE_PATH = /^\/v1\.0\/deviceManagement\/managedDevices(?:\/([^/()]+)|\('([^'/]+)'\))$/i;
const CATALOG_PATH = /^\/beta\/deviceManagement\/windowsUpdateCatalogItems$/i;

export async function startIntuneSimulator(options: IntuneSimulatorOptions): Promise<IntuneSimulator> {
  if (options.requiredScope !== undefined && !/^\S+\/\.default$/.test(options.requiredScope)) {
    throw new Error(`requiredScope must be a resource followed by /.default, not ${JSON.stringify(options.requiredScope)}`);
  }
  const namePrefix = options.namePrefix ?? 'CONTOSO';
  const bundled = bundledCatalogItems();
  const catalogItems = [...bundled, ...(options.extraCatalogItems ?? [])];
  const fleet = new SimulatedIntuneFleet(
    { devices: options.devices ?? DEFAULT_DEVICES, seed: options.seed ?? 1, now: options.now ?? new Date(), namePrefix, fleet: options.fleet },
    // Seeded from the bundled catalog alone, so extra items never change which fleet a seed names.
    fixedRevisions(bundled),
  );
  const tokens = new TokenStore();
  const skipTokens = new SkipTokens();
  const faults = new FaultSchedule();
  const throttle = options.throttle ? new RollingWindow(options.throttle.requests, options.throttle.windowS * 1000) : null;
  let catalogAccess: CatalogAccess = options.catalogAccess ?? 'granted';
  let stats: SimulatorStats = { dataRequests: 0, tokenRequests: 0, unauthorized: 0 };
  let requestLog: string[] = [];
  let scopeLog: Array<string | null> = [];
  let malformedServed = 0;
  let origin = '';

  function requestIds(req: IncomingMessage): RequestIds {
    const requestId = randomUUID();
    const sent = req.headers['client-request-id'];
    // Graph echoes the client's id, and uses its own request id as the client's when none was sent.
    const clientRequestId = typeof sent === 'string' && sent ? sent : requestId;
    return { requestId, clientRequestId, date: graphDate(Date.now()).replace(/Z$/, '') };
  }

  function sendGraph(res: ServerResponse, ids: RequestIds, status: number, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, {
      'content-type': status < 400 ? JSON_TYPE : 'application/json',
      'request-id': ids.requestId,
      'client-request-id': ids.clientRequestId,
      'x-ms-ags-diagnostic': DIAGNOSTIC,
      ...(status < 400 ? { 'odata-version': '4.0' } : {}),
      ...headers,
    });
    res.end(body);
  }

  function token(tenant: string, body: string, req: IncomingMessage, res: ServerResponse): void {
    stats.tokenRequests++;
    scopeLog.push(new URLSearchParams(body).get('scope'));
    const answer = answerTokenRequest(tenant, body, req.headers.authorization, {
      tenantId: SIMULATOR_TENANT_ID,
      clientId: SIMULATOR_CLIENT_ID,
      clientSecret: SIMULATOR_CLIENT_SECRET,
      tenantName: namePrefix.charAt(0).toUpperCase() + namePrefix.slice(1).toLowerCase(),
      origin,
      lifetimeS: options.tokenLifetimeS ?? 3599,
      tokens,
      extraScope: options.requiredScope,
    });
    res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body));
  }

  function data(route: DataRoute, search: string, req: IncomingMessage, res: ServerResponse): void {
    stats.dataRequests++;
    requestLog.push(req.url ?? '');
    const ids = requestIds(req);
    const effect = faults.next();
    if (effect.expireTokens) tokens.expireAll();
    if (effect.status) {
      const { status, retryAfterSeconds } = effect.status;
      const e = STATUS_ERRORS[status] ?? STATUS_ERRORS[500];
      const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
      return sendGraph(res, ids, status, JSON.stringify(graphError(e.code, e.message, ids)), headers);
    }

    const authorization = req.headers.authorization;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!tokens.isValid(bearer)) {
      stats.unauthorized++;
      const message = bearer === undefined ? 'Access token is empty.' : 'Access token has expired or is not yet valid.';
      return sendGraph(res, ids, 401, JSON.stringify(graphError('InvalidAuthenticationToken', message, ids)), {
        'www-authenticate': `Bearer realm="", authorization_uri="${origin}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
      });
    }
    if (options.requiredScope !== undefined && tokens.scopeOf(bearer) !== options.requiredScope) {
      // A valid token for another resource: Graph's answer to a token whose audience is not its own.
      stats.unauthorized++;
      return sendGraph(res, ids, 401, JSON.stringify(graphError('InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.', ids)));
    }

    const admission = throttle?.admit();
    if (admission && !admission.admitted) {
      const e = STATUS_ERRORS[429];
      const headers: Record<string, string> = options.throttle?.retryAfter ? { 'retry-after': String(Math.max(1, Math.ceil(admission.retryAfterMs / 1000))) } : {};
      return sendGraph(res, ids, 429, JSON.stringify(graphError(e.code, e.message, ids)), headers);
    }

    let answer: Answer;
    try {
      answer = route.kind === 'devices' ? listDevices(search) : route.kind === 'device' ? oneDevice(route.id, search, ids) : catalog(search, ids);
    } catch (err) {
      if (!(err instanceof ODataError)) throw err;
      answer = { status: 400, body: { ...graphError('BadRequest', err.message, ids) } };
    }
    if (answer.status === 200 && effect.malformed) {
      // Both ways a page can be broken, in turn: JSON cut off mid-way, and well-formed JSON without its payload.
      const text = JSON.stringify(answer.body);
      const broken = malformedServed++ % 2 === 0 ? text.slice(0, Math.floor(text.length / 2)) : JSON.stringify({ '@odata.context': answer.body['@odata.context'] });
      return sendGraph(res, ids, 200, broken);
    }
    sendGraph(res, ids, answer.status, JSON.stringify(answer.body));
  }

  function listDevices(search: string): Answer {
    const query = parseQuery(search);
    checkAllowed(query, ['$select', '$top', '$filter', '$skiptoken']);
    const top = parseTop(query.get('$top'), options.pageSize);
    const select = parseSelect(query.get('$select'), MANAGED_DEVICE_PROPERTIES, 'microsoft.graph.managedDevice');
    const filter = parseDeviceFilter(query.get('$filter'), MANAGED_DEVICE_PROPERTIES);
    const skipToken = query.get('$skiptoken');
    const after = skipToken === undefined ? null : skipTokens.read('managedDevices', skipToken);

    const ordered = fleet.devices
      .filter((d) => matchesFilter(d.lastSyncDateTime, filter))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((d) => ({ key: d.id, item: d }));
    const page = pageAfter(ordered, after, top);
    const body: Record<string, unknown> = { '@odata.context': `${origin}/v1.0/$metadata#deviceManagement/managedDevices${selectSuffix(select)}` };
    if (page.lastKey !== null) body['@odata.nextLink'] = nextLink('/v1.0/deviceManagement/managedDevices', query, skipTokens.issue('managedDevices', page.lastKey));
    body.value = page.items.map((d) => project(listView(d), select));
    return { status: 200, body };
  }

  function oneDevice(id: string, search: string, ids: RequestIds): Answer {
    const query = parseQuery(search);
    checkAllowed(query, ['$select']);
    const select = parseSelect(query.get('$select'), MANAGED_DEVICE_PROPERTIES, 'microsoft.graph.managedDevice');
    const device = fleet.devices.find((d) => d.id.toLowerCase() === id.toLowerCase());
    if (!device) return { status: 404, body: { ...graphError('ResourceNotFound', `Resource not found: managedDevice '${id}' does not exist.`, ids) } };
    return {
      status: 200,
      body: { '@odata.context': `${origin}/v1.0/$metadata#deviceManagement/managedDevices${selectSuffix(select)}/$entity`, ...project(device, select) },
    };
  }

  function catalog(search: string, ids: RequestIds): Answer {
    if (catalogAccess === 'forbidden') {
      const message =
        'Application is not authorized to perform this operation. Application must have one of the following scopes: ' +
        `DeviceManagementConfiguration.Read.All, DeviceManagementConfiguration.ReadWrite.All - Operation ID (for customer support): ${randomUUID()} - ` +
        `Activity ID: ${ids.requestId} - Url: https://fef.msua06.manage.microsoft.com/DeviceConfiguration/StatelessDeviceConfigurationFEService/deviceManagement/windowsUpdateCatalogItems?api-version=5024-05-20`;
      return { status: 403, body: { ...graphError('Forbidden', message, ids) } };
    }
    if (catalogAccess === 'absent') {
      return { status: 400, body: { ...graphError('BadRequest', "Resource not found for the segment 'windowsUpdateCatalogItems'.", ids) } };
    }
    const query = parseQuery(search);
    checkAllowed(query, ['$select', '$top', '$filter', '$skiptoken']);
    const top = parseTop(query.get('$top'), options.pageSize);
    checkCatalogFilter(query.get('$filter'));
    const select = parseSelect(query.get('$select'), CATALOG_PROPERTIES, 'microsoft.graph.windowsUpdateCatalogItem');
    const skipToken = query.get('$skiptoken');
    const after = skipToken === undefined ? null : skipTokens.read('windowsUpdateCatalogItems', skipToken);

    // The catalog never changes while the simulator runs, so its position is a stable key.
    const ordered = catalogItems.map((item, i) => ({ key: String(i).padStart(6, '0'), item }));
    const page = pageAfter(ordered, after, top);
    const body: Record<string, unknown> = { '@odata.context': `${origin}/beta/$metadata#deviceManagement/windowsUpdateCatalogItems${selectSuffix(select)}` };
    if (page.lastKey !== null) {
      body['@odata.nextLink'] = nextLink('/beta/deviceManagement/windowsUpdateCatalogItems', query, skipTokens.issue('windowsUpdateCatalogItems', page.lastKey));
    }
    body.value = page.items.map((item) => project(item, select));
    return { status: 200, body };
  }

  /** The request's own options (in its order, "+" and "$" as Graph writes them) with a new $skiptoken last. */
  function nextLink(path: string, query: Map<string, string>, skipToken: string): string {
    const parts = [...query].filter(([name]) => name !== '$skiptoken').map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
    parts.push(`$skiptoken=${encodeURIComponent(skipToken)}`);
    return `${origin}${path}?${parts.join('&')}`;
  }

  function dispatch(req: IncomingMessage, body: string, res: ServerResponse): void {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = safeDecode(q < 0 ? raw : raw.slice(0, q));
    const search = q < 0 ? '' : raw.slice(q);
    const tokenMatch = TOKEN_PATH.exec(path);
    if (req.method === 'POST' && tokenMatch) return token(tokenMatch[1], body, req, res);
    if (req.method === 'GET') {
      if (DEVICES_PATH.test(path)) return data({ kind: 'devices' }, search, req, res);
      const device = DEVICE_PATH.exec(path);
      if (device) return data({ kind: 'device', id: device[1] ?? device[2] }, search, req, res);
      if (CATALOG_PATH.test(path)) return data({ kind: 'catalog' }, search, req, res);
    }
    const ids = requestIds(req);
    sendGraph(res, ids, 404, JSON.stringify(graphError('ResourceNotFound', `The simulator has no resource for ${req.method} ${path}.`, ids)));
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        dispatch(req, Buffer.concat(chunks).toString(), res);
      } catch (err) {
        const ids = requestIds(req);
        if (!res.headersSent) sendGraph(res, ids, 500, JSON.stringify(graphError('InternalServerError', (err as Error).message, ids)));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const config = (clientSecret: string) => ({
    tenantId: SIMULATOR_TENANT_ID,
    clientId: SIMULATOR_CLIENT_ID,
    clientSecret,
    authorityHost: origin,
    graphBaseUrl: origin,
    pageSize: options.pageSize,
    ...(options.requiredScope === undefined ? {} : { tokenScope: options.requiredScope }),
  });

  return {
    origin,
    get devices() {
      return fleet.devices;
    },
    requests: () => [...requestLog],
    tokenScopes: () => [...scopeLog],
    setCatalogAccess: (access: CatalogAccess) => {
      catalogAccess = access;
    },
    validConfig: () => config(SIMULATOR_CLIENT_SECRET),
    badCredentialsConfig: () => config('sim~Wrong.3xT_9qLm~Zp4'),
    inject: (fault: Fault) => faults.inject(fault),
    mutate: async () => ({ changedDeviceIds: fleet.mutate(fixedRevisions(catalogItems)) }),
    removeDevice: async () => fleet.removeDevice(),
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats = { dataRequests: 0, tokenRequests: 0, unauthorized: 0 };
      requestLog = [];
      scopeLog = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Properties $select may name on the catalog: those of windowsQualityUpdateCatalogItem, the only type served. */
const CATALOG_PROPERTIES: ReadonlySet<string> = new Set([
  'id', 'displayName', 'releaseDateTime', 'endOfSupportDate', 'kbArticleId', 'classification', 'qualityUpdateCadence', 'isExpeditable',
  'productRevisions', 'cveSeverityInformation',
]);

const selectSuffix = (select: string[] | null): string => (select ? `(${select.join(',')})` : '');

/** Paths are matched decoded, so managedDevices(%27id%27) and managedDevices('id') are the same resource. */
function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
