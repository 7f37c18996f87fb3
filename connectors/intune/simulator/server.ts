/**
 * Microsoft Graph (Intune) and the Entra token endpoint on 127.0.0.1, on one origin that serves as both authority
 * host and Graph base URL: managedDevices (v1.0), the Windows update catalog (beta), OAuth client credentials, and
 * the faults, throttling and quirks a connector has to survive. Built on the SDK's simulator toolkit; what is here is
 * Graph's own: its paths, OData, its error bodies and the headers it puts on every answer.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { SimulatorControl, SimulatorOptions } from '../../sdk/testkit/harness';
import {
  bearerAuth, BearerRefusal, compose, FaultInjector, keysetPage, Middleware, OpaqueCursors, rateLimit, readTokenRequest, RollingWindow, safeDecode,
  SimRequest, SimResponse, SimulatorTraffic, startVendorSimulator, TokenIssuer, truncatedJson,
} from '../../sdk/testkit/simulator';
import { bundledCatalogItems, fixedRevisions, GraphQualityUpdateCatalogItem } from './catalog';
import { graphDate } from './dates';
import { answerTokenRequest } from './entra';
import { SimulatedIntuneFleet } from './fleet';
import { graphError, RequestIds, STATUS_ERRORS } from './graph-errors';
import { listView, MANAGED_DEVICE_PROPERTIES, ManagedDevice } from './managed-device';
import {
  checkAllowed, checkCatalogFilter, matchesFilter, ODataError, parseDeviceFilter, parseQuery, parseSelect, parseTop, project, readSkipToken,
} from './odata';

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
  const traffic = new SimulatorTraffic();
  const tokens = new TokenIssuer({ lifetimeS: options.tokenLifetimeS ?? 3599, mint: () => randomBytes(48).toString('base64url') });
  const skipTokens = new OpaqueCursors({ parameter: '$skiptoken' });
  let catalogAccess: CatalogAccess = options.catalogAccess ?? 'granted';
  let scopeLog: Array<string | null> = [];
  let origin = '';

  // Graph's request ids go in the headers and again in an error's innerError, so every layer of a data request needs them.
  const idsOf = new WeakMap<SimRequest, RequestIds>();
  const ids = (req: SimRequest): RequestIds => idsOf.get(req) ?? requestIds(req);

  function requestIds(req: SimRequest): RequestIds {
    const requestId = randomUUID();
    const sent = req.headers['client-request-id'];
    // Graph echoes the client's id, and uses its own request id as the client's when none was sent.
    const clientRequestId = typeof sent === 'string' && sent ? sent : requestId;
    const made = { requestId, clientRequestId, date: graphDate(Date.now()).replace(/Z$/, '') };
    idsOf.set(req, made);
    return made;
  }

  /** The headers Graph puts on every answer, success or error. */
  const graphHeaders: Middleware = (req, next) => {
    const own = requestIds(req);
    const answer = next();
    return {
      ...answer,
      headers: {
        'content-type': answer.status < 400 ? JSON_TYPE : 'application/json',
        'request-id': own.requestId,
        'client-request-id': own.clientRequestId,
        'x-ms-ags-diagnostic': DIAGNOSTIC,
        ...(answer.status < 400 ? { 'odata-version': '4.0' } : {}),
        ...answer.headers,
      },
    };
  };

  const graphErrorAnswer = (req: SimRequest, status: number, code: string, message: string): SimResponse => ({ status, body: graphError(code, message, ids(req)) });

  const faults = new FaultInjector({
    tokens,
    statusAnswer: (status, req) => {
      const e = STATUS_ERRORS[status] ?? STATUS_ERRORS[500];
      return graphErrorAnswer(req, status, e.code, e.message);
    },
    // Both ways a page can be broken, in turn: JSON cut off mid-way, and well-formed JSON without its payload.
    malformed: [truncatedJson, (body) => ({ '@odata.context': (body as Record<string, unknown>)['@odata.context'] })],
  });

  const authenticated = bearerAuth({
    tokens,
    traffic,
    audience: options.requiredScope,
    refuse: (why: BearerRefusal, token, req) => {
      // A valid token for another resource: Graph's answer to a token whose audience is not its own.
      if (why === 'wrong-audience') return graphErrorAnswer(req, 401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
      const message = token === undefined ? 'Access token is empty.' : 'Access token has expired or is not yet valid.';
      return {
        ...graphErrorAnswer(req, 401, 'InvalidAuthenticationToken', message),
        headers: { 'www-authenticate': `Bearer realm="", authorization_uri="${origin}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"` },
      };
    },
  });

  const throttled: Middleware[] = options.throttle
    ? [
        rateLimit({
          window: new RollingWindow(options.throttle.requests, options.throttle.windowS * 1000),
          retryAfter: options.throttle.retryAfter,
          refuse: (req) => graphErrorAnswer(req, 429, STATUS_ERRORS[429].code, STATUS_ERRORS[429].message),
        }),
      ]
    : [];

  const odataRefusals: Middleware = (req, next) => {
    try {
      return next();
    } catch (err) {
      if (!(err instanceof ODataError)) throw err;
      return graphErrorAnswer(req, 400, 'BadRequest', err.message);
    }
  };

  const dataRoute = [traffic.data, graphHeaders, faults.middleware, authenticated, ...throttled, odataRefusals];
  const answer = (handle: (req: SimRequest) => Answer) => compose(dataRoute, handle);

  function token(req: SimRequest): SimResponse {
    traffic.countTokenRequest();
    scopeLog.push(req.form().get('scope'));
    return answerTokenRequest(req.params.tenant, readTokenRequest(req), {
      tenantId: SIMULATOR_TENANT_ID,
      clientId: SIMULATOR_CLIENT_ID,
      clientSecret: SIMULATOR_CLIENT_SECRET,
      tenantName: namePrefix.charAt(0).toUpperCase() + namePrefix.slice(1).toLowerCase(),
      origin,
      lifetimeS: options.tokenLifetimeS ?? 3599,
      tokens,
      extraScope: options.requiredScope,
    });
  }

  function listDevices(search: string): Answer {
    const query = parseQuery(search);
    checkAllowed(query, ['$select', '$top', '$filter', '$skiptoken']);
    const top = parseTop(query.get('$top'), options.pageSize);
    const select = parseSelect(query.get('$select'), MANAGED_DEVICE_PROPERTIES, 'microsoft.graph.managedDevice');
    const filter = parseDeviceFilter(query.get('$filter'), MANAGED_DEVICE_PROPERTIES);
    const skipToken = query.get('$skiptoken');
    const after = skipToken === undefined ? null : readSkipToken(skipTokens, 'managedDevices', skipToken);

    const matching = fleet.devices.filter((d) => matchesFilter(d.lastSyncDateTime, filter));
    const page = keysetPage(matching, { keyOf: (d) => d.id, after, size: top });
    const body: Record<string, unknown> = { '@odata.context': `${origin}/v1.0/$metadata#deviceManagement/managedDevices${selectSuffix(select)}` };
    if (page.lastKey !== null) body['@odata.nextLink'] = nextLink('/v1.0/deviceManagement/managedDevices', query, skipTokens.issue(['managedDevices', page.lastKey]));
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
    const after = skipToken === undefined ? null : readSkipToken(skipTokens, 'windowsUpdateCatalogItems', skipToken);

    // The catalog never changes while the simulator runs, so its position is a stable key.
    const ordered = catalogItems.map((item, i) => ({ key: String(i).padStart(6, '0'), item }));
    const page = keysetPage(ordered, { keyOf: (e) => e.key, after, size: top });
    const body: Record<string, unknown> = { '@odata.context': `${origin}/beta/$metadata#deviceManagement/windowsUpdateCatalogItems${selectSuffix(select)}` };
    if (page.lastKey !== null) {
      body['@odata.nextLink'] = nextLink('/beta/deviceManagement/windowsUpdateCatalogItems', query, skipTokens.issue(['windowsUpdateCatalogItems', page.lastKey]));
    }
    body.value = page.items.map((e) => project(e.item, select));
    return { status: 200, body };
  }

  /** The request's own options (in its order, "+" and "$" as Graph writes them) with a new $skiptoken last. */
  function nextLink(path: string, query: Map<string, string>, skipToken: string): string {
    const parts = [...query].filter(([name]) => name !== '$skiptoken').map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
    parts.push(`$skiptoken=${encodeURIComponent(skipToken)}`);
    return `${origin}${path}?${parts.join('&')}`;
  }

  const server = await startVendorSimulator({
    // Paths are matched decoded, so managedDevices(%27id%27) and managedDevices('id') are the same resource.
    decodePath: true,
    routes: [
      { method: 'POST', path: /^\/(?<tenant>[^/?]+)\/oauth2\/v2\.0\/token$/i, handle: token },
      { method: 'GET', path: /^\/v1\.0\/deviceManagement\/managedDevices$/i, handle: answer((req) => listDevices(req.search)) },
      {
        method: 'GET',
        path: /^\/v1\.0\/deviceManagement\/managedDevices(?:\/(?<id>[^/()]+)|\('(?<quoted>[^'/]+)'\))$/i,
        handle: answer((req) => oneDevice(req.params.id ?? req.params.quoted, req.search, ids(req))),
      },
      { method: 'GET', path: /^\/beta\/deviceManagement\/windowsUpdateCatalogItems$/i, handle: answer((req) => catalog(req.search, ids(req))) },
    ],
    fallback: compose([graphHeaders], (req) =>
      graphErrorAnswer(req, 404, 'ResourceNotFound', `The simulator has no resource for ${req.method} ${safeDecode(req.path)}.`),
    ),
    onError: (req, err) => compose([graphHeaders], () => graphErrorAnswer(req, 500, 'InternalServerError', (err as Error).message))(req),
  });
  origin = server.origin;

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
    requests: () => traffic.requests(),
    tokenScopes: () => [...scopeLog],
    setCatalogAccess: (access: CatalogAccess) => {
      catalogAccess = access;
    },
    validConfig: () => config(SIMULATOR_CLIENT_SECRET),
    badCredentialsConfig: () => config('sim~Wrong.3xT_9qLm~Zp4'),
    inject: faults.inject,
    mutate: async () => ({ changedDeviceIds: fleet.mutate(fixedRevisions(catalogItems)) }),
    removeDevice: async () => fleet.removeDevice(),
    stats: () => traffic.stats(),
    resetStats: () => {
      traffic.reset();
      scopeLog = [];
    },
    close: () => server.close(),
  };
}

/** Properties $select may name on the catalog: those of windowsQualityUpdateCatalogItem, the only type served. */
const CATALOG_PROPERTIES: ReadonlySet<string> = new Set([
  'id', 'displayName', 'releaseDateTime', 'endOfSupportDate', 'kbArticleId', 'classification', 'qualityUpdateCadence', 'isExpeditable',
  'productRevisions', 'cveSeverityInformation',
]);

const selectSuffix = (select: string[] | null): string => (select ? `(${select.join(',')})` : '');
