/**
 * The small simulator connectors/README.md section 5 shows, built from the toolkit alone: the toolkit's tests run
 * real HTTP against it, so the guide's example is known to work.
 */
import type { Clock } from '../../../connectors/sdk/clock';
import {
  bearerAuth, compose, FaultInjector, keysetPage, OpaqueCursors, pageSize, rateLimit, refusePagingErrors, RollingWindow, SeededRandom,
  SimRequest, SimResponse, SimulatorControl, SimulatorOptions, SimulatorTraffic, startVendorSimulator, tokenEndpoint, TokenIssuer,
} from '../../../connectors/sdk/testkit/simulator';

export const CLIENT_ID = 'acme-sim';
export const CLIENT_SECRET = 'sim~Acme.9Kq_2xLp';

interface AcmeDevice {
  id: string;
  hostname: string;
}

export interface AcmeSimulator extends SimulatorControl {
  origin: string;
  requests(): string[];
}

export async function startAcmeSimulator(options: SimulatorOptions & { clock?: Clock; requestsPerMinute?: number }): Promise<AcmeSimulator> {
  const random = new SeededRandom(options.seed ?? 1);
  let devices: AcmeDevice[] = Array.from({ length: options.devices ?? 25 }, (_, i) => ({ id: random.guid(), hostname: `ACME-${String(i + 1).padStart(3, '0')}` }));

  const traffic = new SimulatorTraffic();
  const tokens = new TokenIssuer({ lifetimeS: 3600, clock: options.clock });
  const faults = new FaultInjector({ tokens });
  const cursors = new OpaqueCursors({ parameter: 'after' });
  const window = new RollingWindow(options.requestsPerMinute ?? 600, 60_000, options.clock);
  // Every data route: counted, faults, then the bearer check, then the rate limit, then bad paging answered 400.
  const dataRoute = [traffic.data, faults.middleware, bearerAuth({ tokens, traffic }), rateLimit({ window }), refusePagingErrors()];

  function listDevices(req: SimRequest): SimResponse {
    const size = pageSize(req.query.get('pageSize'), { name: 'pageSize', fallback: options.pageSize, max: 100 });
    const after = req.query.get('after');
    const page = keysetPage(devices, { keyOf: (d) => d.id, after: after === null ? null : (cursors.read(after) as string), size });
    const next = page.lastKey === null ? null : `${req.origin}/v2/devices?pageSize=${size}&after=${cursors.issue(page.lastKey)}`;
    return { status: 200, body: { results: page.items, next } };
  }

  function oneDevice(req: SimRequest): SimResponse {
    const device = devices.find((d) => d.id === req.params.id);
    return device ? { status: 200, body: device } : { status: 404, body: { error: 'not_found' } };
  }

  const server = await startVendorSimulator({
    routes: [
      { method: 'POST', path: '/oauth/token', handle: tokenEndpoint({ tokens, traffic, grant: 'client_credentials', client: { id: CLIENT_ID, secret: CLIENT_SECRET } }) },
      { method: 'GET', path: '/v2/devices', handle: compose(dataRoute, listDevices) },
      { method: 'GET', path: '/v2/devices/:id', handle: compose(dataRoute, oneDevice) },
    ],
  });

  const config = (clientSecret: string) => ({ apiUrl: server.origin, clientId: CLIENT_ID, clientSecret, pageSize: options.pageSize });
  return {
    origin: server.origin,
    validConfig: () => config(CLIENT_SECRET),
    badCredentialsConfig: () => config('wrong-secret'),
    inject: faults.inject,
    mutate: async () => {
      devices[0] = { ...devices[0], hostname: `${devices[0].hostname}-RENAMED` };
      return { changedDeviceIds: [devices[0].id] };
    },
    removeDevice: async () => {
      const [gone, ...rest] = devices;
      devices = rest;
      return gone.id;
    },
    stats: () => traffic.stats(),
    requests: () => traffic.requests(),
    resetStats: () => traffic.reset(),
    close: () => server.close(),
  };
}
