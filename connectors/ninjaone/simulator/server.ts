/**
 * The simulated NinjaOne, on the SDK's simulator toolkit: the client-credentials token endpoint at /ws/oauth/token
 * (scope "monitoring"), the bearer check, the harness's faults and the counters; NinjaApi holds NinjaOne's routes.
 */
import { systemClock, type Clock } from '../../sdk/clock';
import {
  bearerAuth,
  compose,
  FaultInjector,
  refusePagingErrors,
  SimulatorTraffic,
  startVendorSimulator,
  tokenEndpoint,
  TokenIssuer,
  truncatedJson,
  type Handler,
  type SimulatorControl,
  type SimulatorOptions,
} from '../../sdk/testkit/simulator';
import { NinjaFleet } from './fleet';
import { NinjaApi, ninjaError } from './ninja-api';

export const SIM_CLIENT_ID = 'ninjaone-sim-client-7f3a';
const SIM_CLIENT_SECRET = 'ninjaone-sim-secret-5d1e9b2c0a8f4e67b3';

export interface NinjaOneSimulator extends SimulatorControl {
  origin: string;
  fleet: NinjaFleet;
  /** Forgets every open report cursor, as NinjaOne does once a cursor's `expires` has passed. */
  expireCursors(): void;
  /** Cursors expire on the n-th request naming one (once, or every n requests with `repeat`). */
  expireCursorsDuringReads(afterContinuations: number, repeat?: boolean): void;
}

/** A page without its list: the devices array as an object, a report page without `results`. */
const withoutList = (body: unknown): unknown => (Array.isArray(body) ? { devices: body } : { cursor: (body as { cursor?: unknown })?.cursor });

export async function startNinjaOneSimulator(options: SimulatorOptions & { clock?: Clock }): Promise<NinjaOneSimulator> {
  const clock = options.clock ?? systemClock;
  const fleet = new NinjaFleet({ devices: options.devices, seed: options.seed, now: clock.now() });
  const api = new NinjaApi(fleet, options.pageSize, clock);

  const traffic = new SimulatorTraffic();
  const tokens = new TokenIssuer({ lifetimeS: 3600, clock });
  const faults = new FaultInjector({
    tokens,
    statusAnswer: (status) => ninjaError(status, status === 429 ? 'Rate limit exceeded' : 'Service temporarily unavailable'),
    malformed: [truncatedJson, withoutList],
  });
  const dataRoute = [
    traffic.data,
    faults.middleware,
    bearerAuth({ tokens, traffic, refuse: (why) => ninjaError(401, why === 'expired' ? 'Access token expired' : 'Invalid access token') }),
    refusePagingErrors((error) => ninjaError(400, `${error.parameter}: ${error.message}`)),
  ];
  const data = (handler: Handler): Handler => compose(dataRoute, handler);

  const server = await startVendorSimulator({
    routes: [
      {
        method: 'POST',
        path: '/ws/oauth/token',
        handle: tokenEndpoint({
          tokens,
          traffic,
          grant: 'client_credentials',
          client: { id: SIM_CLIENT_ID, secret: SIM_CLIENT_SECRET },
          scopeAllowed: (scope) => (scope ?? '').split(' ').includes('monitoring'),
        }),
      },
      { method: 'GET', path: '/v2/organizations', handle: data(api.organizations) },
      { method: 'GET', path: '/v2/locations', handle: data(api.locations) },
      { method: 'GET', path: '/v2/devices-detailed', handle: data(api.devicesDetailed) },
      { method: 'GET', path: '/v2/queries/os-patches', handle: data(api.osPatches) },
      { method: 'GET', path: '/v2/queries/os-patch-installs', handle: data(api.osPatchInstalls) },
    ],
    fallback: (req) => ninjaError(404, `No resource at ${req.path}`),
  });

  const config = (clientSecret: string) => ({ apiUrl: server.origin, clientId: SIM_CLIENT_ID, clientSecret });
  return {
    origin: server.origin,
    fleet,
    validConfig: () => config(SIM_CLIENT_SECRET),
    badCredentialsConfig: () => config('ninjaone-sim-wrong-secret-0000000000'),
    inject: faults.inject,
    mutate: async () => ({ changedDeviceIds: fleet.mutate() }),
    removeDevice: async () => fleet.removeDevice(),
    stats: () => traffic.stats(),
    resetStats: () => traffic.reset(),
    expireCursors: () => api.expireCursors(),
    expireCursorsDuringReads: (after, repeat) => api.expireCursorsDuringReads(after, repeat),
    close: () => server.close(),
  };
}
