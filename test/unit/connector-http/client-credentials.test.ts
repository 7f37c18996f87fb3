/**
 * The SDK's generic OAuth2 client-credentials grant, as an integrator uses it (imported from the SDK's index),
 * against a real token endpoint and API on 127.0.0.1.
 */
import { ServerResponse } from 'node:http';
import { fixedClock } from '../../../src/util/clock';
import { AuthError, clientCredentialsGrant, ConfigError, HttpClient, HttpLogEvent, OAuth2TokenProvider } from '../../../connectors/sdk';
import { json, Received, startLocalServer } from './local-server';

const CLIENT_ID = 'ninja-client-42';
const CLIENT_SECRET = 'Nj1~cc.Secret_w8Q+z/';

let server: Awaited<ReturnType<typeof startLocalServer>>;
/** How the API answers a request carrying `token`; by default every token is accepted. */
let api: (token: string, res: ServerResponse) => void;
/** How the token endpoint answers; by default a new token per request, valid an hour. */
let tokenEndpoint: (req: Received, res: ServerResponse, n: number) => void;
let tokenCount = 0;
const tokenRequests = () => server.requests.filter((r) => r.path === '/ws/oauth/token');
const apiRequests = () => server.requests.filter((r) => r.path.startsWith('/v2/'));

beforeAll(async () => {
  server = await startLocalServer((req, res) => {
    if (req.path === '/ws/oauth/token') return tokenEndpoint(req, res, ++tokenCount);
    api(String(req.headers.authorization ?? '').replace(/^Bearer /, ''), res);
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  tokenCount = 0;
  tokenEndpoint = (_req, res, n) => json(res, 200, { access_token: `tok-${n}`, token_type: 'bearer', expires_in: 3600 });
  api = (_token, res) => json(res, 200, [{ id: 1 }]);
});

function setup(options: { clock?: ReturnType<typeof fixedClock> } = {}) {
  const events: HttpLogEvent[] = [];
  const log = (event: HttpLogEvent) => events.push(event);
  const tokens = new OAuth2TokenProvider({
    grant: clientCredentialsGrant({ tokenUrl: `${server.url}/ws/oauth/token`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: 'monitoring' }),
    vendor: 'NinjaOne',
    log,
    clock: options.clock,
  });
  const client = new HttpClient({ baseUrl: `${server.url}/v2`, vendor: 'NinjaOne', tokenProvider: tokens, log, clock: options.clock, sleep: async () => {} });
  return { tokens, client, events };
}

describe('clientCredentialsGrant against a real token endpoint', () => {
  it('posts grant_type, client id, secret and scope as a form, and keeps the secret among the provider\'s secrets', async () => {
    const { tokens } = setup();
    expect(await tokens.getToken()).toBe('tok-1');
    const [req] = tokenRequests();
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, scope: 'monitoring' });
    expect(tokens.secrets).toEqual([CLIENT_SECRET]);
  });

  it('caches the token until shortly before it expires, then fetches a new one', async () => {
    const clock = fixedClock('2026-12-05T10:00:00.000Z');
    const { client } = setup({ clock });
    await client.get('/devices');
    await client.get('/devices');
    clock.advance(3_539_000); // 1 s before the refresh point (60 s before expiry)
    await client.get('/devices');
    expect(tokenRequests()).toHaveLength(1);
    clock.advance(1_000);
    await client.get('/devices');
    expect(tokenRequests()).toHaveLength(2);
    expect(apiRequests().map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('on a 401 fetches a new token once and retries with it', async () => {
    api = (token, res) => (token === 'tok-1' ? json(res, 401, { error: 'invalid_token' }) : json(res, 200, [{ id: 7 }]));
    const { client } = setup();
    expect(await client.get('/devices')).toEqual([{ id: 7 }]);
    expect(tokenRequests()).toHaveLength(2);
    expect(apiRequests().map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  it('a 401 that persists with the new token is an AuthError after exactly one re-fetch', async () => {
    api = (_token, res) => json(res, 401, { error: 'invalid_token' });
    const { client } = setup();
    await expect(client.get('/devices')).rejects.toBeInstanceOf(AuthError);
    expect(tokenRequests()).toHaveLength(2);
    expect(apiRequests()).toHaveLength(2);
  });

  it('keeps the client secret out of error messages and logs, even when the vendor echoes it', async () => {
    tokenEndpoint = (req, res) => {
      const form = new URLSearchParams(req.body);
      json(res, 401, { error: 'invalid_client', error_description: `client ${form.get('client_id')} sent secret ${form.get('client_secret')}, which is wrong` });
    };
    const { client, events } = setup();
    const error = await client.get('/devices').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    const message = (error as AuthError).message;
    expect(message).toContain('invalid_client');
    expect(message).toContain('[redacted]');
    expect(message).not.toContain(CLIENT_SECRET);
    expect((error as AuthError).stack).not.toContain(CLIENT_SECRET);
    expect(events.some((e) => e.event === 'token.error')).toBe(true);
    expect(JSON.stringify(events)).not.toContain(CLIENT_SECRET);
  });

  it('keeps the secret and the tokens out of the logs of a successful run', async () => {
    const { client, events } = setup();
    await client.get('/devices');
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['token.request', 'token.acquired', 'http.request', 'http.response']));
    const logged = JSON.stringify(events);
    expect(logged).not.toContain(CLIENT_SECRET);
    expect(logged).not.toContain('tok-1');
  });

  it('refuses missing credentials with a ConfigError naming the field', () => {
    expect(() => clientCredentialsGrant({ tokenUrl: `${server.url}/t`, clientId: CLIENT_ID, clientSecret: ' ' })).toThrow(new ConfigError('clientSecret', 'is required'));
    expect(() => clientCredentialsGrant({ tokenUrl: '', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })).toThrow(ConfigError);
  });
});
