import { createServer, IncomingHttpHeaders, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { fixedClock } from '../../../src/util/clock';
import { AuthError, ConfigError, MalformedResponseError, RateLimitedError, TransientError } from '../../../connectors/sdk/errors';
import { HttpLogEvent } from '../../../connectors/sdk/http/http-client';
import { dattoPasswordGrant, graphClientCredentials, OAuth2TokenProvider, TokenCache } from '../../../connectors/sdk/http/oauth2';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real token endpoint on 127.0.0.1; `reply` answers each request. */
async function startTokenServer(reply: (req: Received, res: ServerResponse, n: number) => void) {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = { method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() };
      requests.push(received);
      reply(received, res, requests.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url, requests, close };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const CLIENT_SECRET = 'Qx8~client.secret_Zz9';
const API_KEY = 'DATTO-KEY-8F3A1C';
const API_SECRET = 'datto/secret+7Hq=';

describe('OAuth2 token provider against a real token endpoint', () => {
  let server: Awaited<ReturnType<typeof startTokenServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('Graph: posts the client-credentials form to /{tenant}/oauth2/v2.0/token and returns the token', async () => {
    server = await startTokenServer((_req, res, n) => json(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: `graph-token-${n}` }));
    const provider = new OAuth2TokenProvider({
      grant: graphClientCredentials({ tenantId: 'contoso-tenant', clientId: 'app-id', clientSecret: CLIENT_SECRET, authorityUrl: server.url }),
    });
    expect(await provider.getToken()).toBe('graph-token-1');
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/contoso-tenant/oauth2/v2.0/token');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'app-id',
      client_secret: CLIENT_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    });
    expect(req.headers.authorization).toBeUndefined();
  });

  it('Datto: posts the password grant with Basic public-client:public to /auth/oauth/token', async () => {
    server = await startTokenServer((_req, res) => json(res, 200, { access_token: 'datto-token', token_type: 'bearer', expires_in: 359999, scope: 'default', jti: 'j' }));
    const provider = new OAuth2TokenProvider({ grant: dattoPasswordGrant({ apiUrl: `${server.url}/`, apiKey: API_KEY, apiSecret: API_SECRET }) });
    expect(await provider.getToken()).toBe('datto-token');
    const [req] = server.requests;
    expect(req.path).toBe('/auth/oauth/token');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('public-client:public').toString('base64')}`);
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ grant_type: 'password', username: API_KEY, password: API_SECRET });
    expect(provider.secrets).toEqual([API_KEY, API_SECRET]);
  });

  it('caches the token until shortly before expires_in ends, by the clock', async () => {
    server = await startTokenServer((_req, res, n) => json(res, 200, { access_token: `t${n}`, expires_in: '3600' })); // a string, as some Microsoft endpoints send
    const clock = fixedClock('2025-06-02T10:00:00.000Z');
    const provider = new OAuth2TokenProvider({ grant: graphClientCredentials({ tenantId: 't', clientId: 'c', clientSecret: CLIENT_SECRET, authorityUrl: server.url }), clock });
    expect(await provider.getToken()).toBe('t1');
    clock.advance(3_539_000); // 1 s before the refresh point, which is 60 s before expiry
    expect(await provider.getToken()).toBe('t1');
    clock.advance(1_000); // 60 s before expiry: refresh
    expect(await provider.getToken()).toBe('t2');
    expect(server.requests).toHaveLength(2);
  });

  it('with a shared cache, a later provider (the next sync run) reuses a long-lived token; a changed secret does not', async () => {
    server = await startTokenServer((_req, res, n) => json(res, 200, { access_token: `datto-${n}`, token_type: 'bearer', expires_in: 359999 }));
    const clock = fixedClock('2026-11-02T10:00:00.000Z');
    const cache = new TokenCache();
    const provider = (secret: string) => new OAuth2TokenProvider({ grant: dattoPasswordGrant({ apiUrl: server!.url, apiKey: API_KEY, apiSecret: secret }), clock, cache });
    expect(await provider(API_SECRET).getToken()).toBe('datto-1');
    clock.advance(99 * 3_600_000); // an hourly sync, 99 hours later: still the same token
    expect(await provider(API_SECRET).getToken()).toBe('datto-1');
    expect(await provider('a-rotated-secret').getToken()).toBe('datto-2');
    // A refused token is dropped from the cache for everyone: the next run fetches a new one.
    const current = provider(API_SECRET);
    current.invalidate('datto-1');
    expect(await provider(API_SECRET).getToken()).toBe('datto-3');
    expect(server.requests).toHaveLength(3);
  });

  it('shares one token request between concurrent callers', async () => {
    server = await startTokenServer((_req, res, n) => json(res, 200, { access_token: `t${n}`, expires_in: 3600 }));
    const provider = new OAuth2TokenProvider({ grant: graphClientCredentials({ tenantId: 't', clientId: 'c', clientSecret: CLIENT_SECRET, authorityUrl: server.url }) });
    const tokens = await Promise.all(Array.from({ length: 5 }, () => provider.getToken()));
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    expect(server.requests).toHaveLength(1);
  });

  it('invalidate() forces a refresh; invalidating an old token keeps the newer one', async () => {
    server = await startTokenServer((_req, res, n) => json(res, 200, { access_token: `t${n}`, expires_in: 3600 }));
    const provider = new OAuth2TokenProvider({ grant: graphClientCredentials({ tenantId: 't', clientId: 'c', clientSecret: CLIENT_SECRET, authorityUrl: server.url }) });
    expect(await provider.getToken()).toBe('t1');
    provider.invalidate();
    expect(await provider.getToken()).toBe('t2');
    provider.invalidate('t1'); // a slow request reporting the old token must not throw away the new one
    expect(await provider.getToken()).toBe('t2');
    provider.invalidate('t2');
    expect(await provider.getToken()).toBe('t3');
  });

  it('a refused token request (400) is an AuthError with the vendor description, never the secret', async () => {
    server = await startTokenServer((_req, res) =>
      json(res, 400, {
        error: 'invalid_client',
        error_description: `AADSTS7000215: Invalid client secret provided. Received '${CLIENT_SECRET}'.`,
        error_codes: [7000215],
      }),
    );
    const logs: HttpLogEvent[] = [];
    const provider = new OAuth2TokenProvider({
      grant: graphClientCredentials({ tenantId: 't', clientId: 'c', clientSecret: CLIENT_SECRET, authorityUrl: server.url }),
      log: (e) => logs.push(e),
    });
    const error = await provider.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 400, vendorCode: 'invalid_client' });
    expect((error as Error).message).toContain('AADSTS7000215: Invalid client secret provided');
    expect((error as Error).message).not.toContain(CLIENT_SECRET);
    expect((error as Error).stack).not.toContain(CLIENT_SECRET);
    expect(logs.map((e) => e.event)).toEqual(['token.request', 'token.error']);
    expect(JSON.stringify(logs)).not.toContain(CLIENT_SECRET);
  });

  it('Datto bad credentials (401) are an AuthError without the API key or secret', async () => {
    server = await startTokenServer((_req, res) => json(res, 401, { error: 'unauthorized', error_description: `Bad credentials for ${API_KEY}` }));
    const logs: HttpLogEvent[] = [];
    const provider = new OAuth2TokenProvider({ grant: dattoPasswordGrant({ apiUrl: server.url, apiKey: API_KEY, apiSecret: API_SECRET }), log: (e) => logs.push(e) });
    const error = (await provider.getToken().catch((e: unknown) => e)) as AuthError;
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toContain('Bad credentials');
    for (const text of [error.message, JSON.stringify(logs)]) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(API_SECRET);
    }
  });

  it('classifies other failures: 429 with Retry-After, 503, a body without access_token', async () => {
    const replies = [
      (res: ServerResponse) => json(res, 429, { error: 'throttled' }, { 'retry-after': '30' }),
      (res: ServerResponse) => json(res, 503, {}),
      (res: ServerResponse) => json(res, 200, { token_type: 'Bearer' }),
      (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>sign in</html>'),
    ];
    server = await startTokenServer((_req, res, n) => replies[n - 1](res));
    const provider = new OAuth2TokenProvider({ grant: graphClientCredentials({ tenantId: 't', clientId: 'c', clientSecret: CLIENT_SECRET, authorityUrl: server.url }) });
    const limited = await provider.getToken().catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBe(30_000);
    await expect(provider.getToken()).rejects.toBeInstanceOf(TransientError);
    await expect(provider.getToken()).rejects.toBeInstanceOf(MalformedResponseError);
    await expect(provider.getToken()).rejects.toBeInstanceOf(MalformedResponseError);
  });

  it('an unreachable token endpoint is a TransientError', async () => {
    server = await startTokenServer(() => undefined);
    const deadUrl = server.url;
    await server.close();
    server = undefined;
    const provider = new OAuth2TokenProvider({ grant: graphClientCredentials({ tenantId: 't', clientId: 'c', clientSecret: CLIENT_SECRET, authorityUrl: deadUrl }) });
    await expect(provider.getToken()).rejects.toBeInstanceOf(TransientError);
  });

  it('missing credentials are configuration errors naming the field', () => {
    expect(() => graphClientCredentials({ tenantId: 't', clientId: 'c', clientSecret: '' })).toThrow(ConfigError);
    expect(() => graphClientCredentials({ tenantId: 't', clientId: 'c', clientSecret: ' ' })).toThrow('clientSecret: is required');
    expect(() => dattoPasswordGrant({ apiUrl: 'https://merlot-api.centrastage.net', apiKey: '', apiSecret: 's' })).toThrow('apiKey: is required');
  });
});
