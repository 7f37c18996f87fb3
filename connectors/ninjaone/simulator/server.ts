/**
 * The simulated NinjaOne as a real HTTP server on 127.0.0.1: the token endpoint, the /v2 API of NinjaApi, and the
 * contract kit's faults and counters.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultSchedule } from '../../sdk/testkit/fault-schedule';
import type { Fault, SimulatorControl, SimulatorOptions, SimulatorStats } from '../../sdk/testkit/harness';
import { NinjaFleet } from './fleet';
import { NinjaApi, ninjaError, type ApiAnswer } from './ninja-api';

export const SIM_CLIENT_ID = 'ninjaone-sim-client-7f3a';
const SIM_CLIENT_SECRET = 'ninjaone-sim-secret-5d1e9b2c0a8f4e67b3';

export interface NinjaOneSimulator extends SimulatorControl {
  url: string;
  fleet: NinjaFleet;
  /** Forgets every open report cursor, as NinjaOne does once a cursor's `expires` has passed. */
  expireCursors(): void;
  /** Cursors expire on the n-th request naming one (once, or every n requests with `repeat`). */
  expireCursorsDuringReads(afterContinuations: number, repeat?: boolean): void;
}

export async function startNinjaOneSimulator(options: SimulatorOptions): Promise<NinjaOneSimulator> {
  const fleet = new NinjaFleet({ devices: options.devices, seed: options.seed, now: new Date() });
  const api = new NinjaApi(fleet, options.pageSize, () => new Date());
  const faults = new FaultSchedule();
  const tokens = new Set<string>();
  let issued = 0;
  let stats: SimulatorStats = { dataRequests: 0, tokenRequests: 0, unauthorized: 0 };

  const token = async (req: IncomingMessage): Promise<ApiAnswer> => {
    stats.tokenRequests += 1;
    const form = new URLSearchParams(await bodyOf(req));
    if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    if (form.get('client_id') !== SIM_CLIENT_ID || form.get('client_secret') !== SIM_CLIENT_SECRET) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } };
    }
    if (!(form.get('scope') ?? '').split(' ').includes('monitoring')) return { status: 400, body: { error: 'invalid_scope' } };
    const value = `sim-access-${++issued}-${Math.random().toString(36).slice(2)}`;
    tokens.add(value);
    return { status: 200, body: { access_token: value, token_type: 'bearer', expires_in: 3600, scope: 'monitoring' } };
  };

  const data = (req: IncomingMessage, url: URL, res: ServerResponse): ApiAnswer | 'sent' => {
    stats.dataRequests += 1;
    const effect = faults.next();
    if (effect.expireTokens) tokens.clear();
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer)) {
      stats.unauthorized += 1;
      return ninjaError(401, 'Invalid or expired access token');
    }
    if (effect.status) {
      if (effect.status.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(effect.status.retryAfterSeconds));
      return ninjaError(effect.status.status, effect.status.status === 429 ? 'Too many requests' : 'Service unavailable');
    }
    if (effect.malformed) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('[{"id": 1, "organizationId"');
      return 'sent';
    }
    return api.get(url.pathname.slice('/v2'.length), url.searchParams);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const answer = (async (): Promise<ApiAnswer | 'sent'> => {
      if (req.method === 'POST' && url.pathname === '/ws/oauth/token') return token(req);
      if (req.method === 'GET' && url.pathname.startsWith('/v2/')) return data(req, url, res);
      return ninjaError(404, `No route ${req.method} ${url.pathname}`);
    })();
    answer.then(
      (result) => {
        if (result !== 'sent') res.writeHead(result.status, { 'content-type': 'application/json' }).end(JSON.stringify(result.body));
      },
      (error: unknown) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(ninjaError(500, String(error)).body)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    fleet,
    validConfig: () => ({ apiUrl: url, clientId: SIM_CLIENT_ID, clientSecret: SIM_CLIENT_SECRET }),
    badCredentialsConfig: () => ({ apiUrl: url, clientId: SIM_CLIENT_ID, clientSecret: 'ninjaone-sim-wrong-secret-0000000000' }),
    inject: (fault: Fault) => faults.inject(fault),
    mutate: async () => ({ changedDeviceIds: fleet.mutate() }),
    removeDevice: async () => fleet.removeDevice(),
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats = { dataRequests: 0, tokenRequests: 0, unauthorized: 0 };
    },
    expireCursors: () => api.expireCursors(),
    expireCursorsDuringReads: (after, repeat) => api.expireCursorsDuringReads(after, repeat),
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
