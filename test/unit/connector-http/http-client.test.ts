import { createServer, IncomingHttpHeaders, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { fixedClock } from '../../../src/util/clock';
import { AuthError, ConnectorError, FatalError, MalformedResponseError, RateLimitedError, TransientError } from '../../../connectors/sdk/errors';
import { HttpClient, HttpClientOptions, HttpLogEvent } from '../../../connectors/sdk/http/http-client';
import { graphClientCredentials, OAuth2TokenProvider } from '../../../connectors/sdk/http/oauth2';
import { RateLimiterRegistry } from '../../../connectors/sdk/http/rate-limiter';

/**
 * One real HTTP server on 127.0.0.1 plays Microsoft Graph: the token endpoint of tenant "contoso" and the API
 * under /v1.0. Each test scripts the API's answers; unscripted requests get 200 {"ok":true}.
 */
interface Reply {
  status: number;
  body?: unknown;
  /** Sent as-is instead of JSON. */
  raw?: string;
  headers?: Record<string, string>;
  /** Never answer: the client's timeout must fire. */
  hang?: true;
  /** Called when the request has reached the server. */
  onArrive?: () => void;
}

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const TOKEN_PATH = '/contoso/oauth2/v2.0/token';
const CLIENT_SECRET = 'Graph~Client.Secret_Q7x';
const tokenValue = (n: number) => `eyJ0eXAi.at-${n}.Zq81xPq0lm3`;

let baseUrl: string;
let closeServer: () => Promise<void>;
let apiScript: Reply[] = [];
let tokenScript: Reply[] = [];
let apiRequests: Received[] = [];
let tokenRequests: Received[] = [];

function send(res: ServerResponse, reply: Reply) {
  reply.onArrive?.();
  if (reply.hang) return;
  const body = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  const type = reply.raw === undefined && reply.body !== undefined ? { 'content-type': 'application/json' } : {};
  res.writeHead(reply.status, { ...type, ...reply.headers }).end(body);
}

beforeAll(async () => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = { method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() };
      if (received.path === TOKEN_PATH) {
        tokenRequests.push(received);
        send(res, tokenScript.shift() ?? { status: 200, body: { token_type: 'Bearer', expires_in: 3599, access_token: tokenValue(tokenRequests.length) } });
      } else {
        apiRequests.push(received);
        send(res, apiScript.shift() ?? { status: 200, body: { ok: true } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeServer = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections(); // hung requests of the timeout tests included
      server.close(() => resolve());
    });
});

afterAll(() => closeServer());

beforeEach(() => {
  apiScript = [];
  tokenScript = [];
  apiRequests = [];
  tokenRequests = [];
});

/** A Graph client with a fake clock, a sleep that only records (and advances the clock) and a log that collects. */
function setup(overrides: Partial<HttpClientOptions> = {}) {
  const clock = fixedClock('2025-06-02T10:00:00.000Z');
  const sleeps: number[] = [];
  const logs: HttpLogEvent[] = [];
  const tokenProvider = new OAuth2TokenProvider({
    grant: graphClientCredentials({ tenantId: 'contoso', clientId: 'app-id', clientSecret: CLIENT_SECRET, authorityUrl: baseUrl }),
    clock,
    log: (e) => logs.push(e),
  });
  const client = new HttpClient({
    baseUrl: `${baseUrl}/v1.0`,
    vendor: 'Microsoft Graph',
    tokenProvider,
    clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
    backoff: { random: () => 0.5 }, // delays are half the ceiling: 250, 500, 1000… ms
    maxRetries: 3,
    log: (e) => logs.push(e),
    ...overrides,
  });
  return { client, clock, sleeps, logs };
}

async function caught(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConnectorError)) throw new Error(`expected a ConnectorError, got ${String(error)}`);
  return error;
}

describe('HttpClient against a real HTTP server', () => {
  it('sends the bearer token, the base path and an OData query, and parses the JSON answer', async () => {
    const { client } = setup();
    apiScript = [{ status: 200, body: { value: [{ id: 'd1' }] } }];
    const data = await client.get('/deviceManagement/managedDevices', { query: { $filter: "operatingSystem eq 'Windows'", $top: 2, $skip: undefined } });
    expect(data).toEqual({ value: [{ id: 'd1' }] });
    // %20 for spaces (OData reads "+" literally); fetch's URL parser itself turns ' into %27 in http(s) queries.
    expect(apiRequests[0].path).toBe('/v1.0/deviceManagement/managedDevices?$filter=operatingSystem%20eq%20%27Windows%27&$top=2');
    expect(apiRequests[0].headers.authorization).toBe(`Bearer ${tokenValue(1)}`);
    expect(apiRequests[0].headers.accept).toBe('application/json');
  });

  it('reuses the cached token across requests', async () => {
    const { client } = setup();
    await client.get('/a');
    await client.get('/b');
    expect(tokenRequests).toHaveLength(1);
  });

  it('returns undefined for 204 No Content', async () => {
    const { client } = setup();
    apiScript = [{ status: 204 }];
    expect(await client.post('/deviceManagement/managedDevices/d1/syncDevice', {})).toBeUndefined();
    expect(apiRequests[0]).toMatchObject({ method: 'POST', body: '{}' });
    expect(apiRequests[0].headers['content-type']).toBe('application/json');
  });

  describe('throttling', () => {
    it('429 with Retry-After seconds: waits exactly that long, then succeeds', async () => {
      const { client, sleeps } = setup();
      apiScript = [{ status: 429, headers: { 'retry-after': '7' }, body: { error: { code: 'TooManyRequests', message: 'slow down' } } }];
      expect(await client.get('/deviceManagement/managedDevices')).toEqual({ ok: true });
      expect(sleeps).toEqual([7000]);
      expect(apiRequests).toHaveLength(2);
    });

    it('429 with a Retry-After HTTP-date: waits until that time by the injected clock', async () => {
      const { client, sleeps } = setup();
      apiScript = [{ status: 429, headers: { 'retry-after': 'Mon, 02 Jun 2025 10:00:15 GMT' } }];
      await client.get('/x');
      expect(sleeps).toEqual([15_000]);
    });

    it('429 without Retry-After (Intune often omits it): backs off exponentially with the throttling backoff', async () => {
      const { client, sleeps } = setup();
      apiScript = [{ status: 429 }, { status: 429 }];
      expect(await client.get('/x')).toEqual({ ok: true });
      // Throttling backoff: 2 s base doubling, times the injected 0.5.
      expect(sleeps).toEqual([1000, 2000]);
    });

    it('clamps an excessive Retry-After to maxRetryAfterMs', async () => {
      const { client, sleeps } = setup({ maxRetryAfterMs: 30_000 });
      apiScript = [{ status: 429, headers: { 'retry-after': '86400' } }];
      await client.get('/x');
      expect(sleeps).toEqual([30_000]);
    });

    it('429 until retries run out: RateLimitedError carrying the vendor code and Retry-After', async () => {
      const { client, sleeps } = setup({ maxRetries: 2 });
      apiScript = Array.from({ length: 3 }, () => ({ status: 429, headers: { 'retry-after': '5' }, body: { error: { code: 'TooManyRequests', message: 'Too many requests' } } }));
      const error = await caught(client.get('/x'));
      expect(error).toBeInstanceOf(RateLimitedError);
      expect(error).toMatchObject({ status: 429, vendorCode: 'TooManyRequests', retryAfterMs: 5000 });
      expect(sleeps).toEqual([5000, 5000]);
      expect(apiRequests).toHaveLength(3);
    });
  });

  describe('transient failures', () => {
    it('503 is retried after a backoff, then succeeds', async () => {
      const { client, sleeps } = setup();
      apiScript = [{ status: 503, body: { error: { code: 'ServiceUnavailable', message: 'try later' } } }];
      expect(await client.get('/x')).toEqual({ ok: true });
      expect(sleeps).toEqual([250]);
      expect(apiRequests).toHaveLength(2);
    });

    it('retries exhausted: TransientError after maxRetries + 1 attempts with growing delays', async () => {
      const { client, sleeps } = setup({ maxRetries: 3 });
      apiScript = [500, 502, 503, 504].map((status) => ({ status }));
      const error = await caught(client.get('/deviceManagement/managedDevices'));
      expect(error).toBeInstanceOf(TransientError);
      expect(error.status).toBe(504);
      expect(error.message).toContain('after 4 attempt(s)');
      expect(apiRequests).toHaveLength(4);
      expect(sleeps).toEqual([250, 500, 1000]);
    });

    it('timeout: the attempt is aborted, retried, then a TransientError', async () => {
      // Long enough for the retry to reach the server before it too is aborted: on a loaded machine a loopback
      // request takes tens of milliseconds to arrive, longer with Node 22's fetch than with Node 20's.
      const { client, sleeps } = setup({ timeoutMs: 250, maxRetries: 1 });
      apiScript = [{ status: 200, hang: true }, { status: 200, hang: true }];
      const started = Date.now();
      const error = await caught(client.get('/slow'));
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).toContain('no response within 250 ms');
      expect(apiRequests).toHaveLength(2);
      expect(sleeps).toEqual([250]);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('a refused connection is retried, then a TransientError naming the socket error', async () => {
      const dead = createServer();
      await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
      const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
      await new Promise<void>((resolve) => dead.close(() => resolve()));
      const { client, sleeps } = setup({ baseUrl: deadUrl, tokenProvider: undefined, maxRetries: 2 });
      const error = await caught(client.get('/x'));
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).toContain('ECONNREFUSED');
      expect(sleeps).toHaveLength(2);
    });

    it('a POST is not resent after a 503 (it may have been carried out) unless marked idempotent', async () => {
      const { client, sleeps } = setup();
      apiScript = [{ status: 503 }];
      expect(await caught(client.post('/deviceManagement/managedDevices/d1/syncDevice', {}))).toBeInstanceOf(TransientError);
      expect(apiRequests).toHaveLength(1);
      expect(sleeps).toEqual([]);

      apiScript = [{ status: 503 }];
      await client.post('/deviceManagement/reports/getReportFilters', { name: 'FeatureUpdatePolicy' }, { idempotent: true });
      expect(apiRequests).toHaveLength(3);
    });

    it('a POST is resent after a 429: the vendor did not act on it', async () => {
      const { client } = setup();
      apiScript = [{ status: 429, headers: { 'retry-after': '1' } }];
      await client.post('/deviceManagement/managedDevices/d1/syncDevice', {});
      expect(apiRequests).toHaveLength(2);
    });
  });

  describe('authentication', () => {
    it('401: refreshes the token once and retries at once (token endpoint hit twice)', async () => {
      const { client, sleeps, logs } = setup();
      apiScript = [{ status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired.' } } }];
      expect(await client.get('/x')).toEqual({ ok: true });
      expect(tokenRequests).toHaveLength(2);
      expect(apiRequests.map((r) => r.headers.authorization)).toEqual([`Bearer ${tokenValue(1)}`, `Bearer ${tokenValue(2)}`]);
      expect(sleeps).toEqual([]);
      expect(logs.map((e) => e.event)).toContain('http.token_refresh');
    });

    it('a second 401 after the refresh: AuthError, no third token request', async () => {
      const { client } = setup();
      const unauthorized = { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } } };
      apiScript = [unauthorized, unauthorized];
      const error = await caught(client.get('/x'));
      expect(error).toBeInstanceOf(AuthError);
      expect(error).toMatchObject({ status: 401, vendorCode: 'InvalidAuthenticationToken' });
      expect(tokenRequests).toHaveLength(2);
      expect(apiRequests).toHaveLength(2);
    });

    it('403: AuthError at once, with the Graph code (a missing permission is not fixed by retrying)', async () => {
      const { client, sleeps } = setup();
      apiScript = [{ status: 403, body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } } }];
      const error = await caught(client.get('/x'));
      expect(error).toBeInstanceOf(AuthError);
      expect(error.message).toContain('Insufficient privileges');
      expect(apiRequests).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });

    it('a token endpoint that is down counts against the same retry budget', async () => {
      const { client, sleeps } = setup({ maxRetries: 1 });
      tokenScript = [{ status: 503 }];
      expect(await client.get('/x')).toEqual({ ok: true });
      expect(tokenRequests).toHaveLength(2);
      expect(sleeps).toEqual([250]);
    });
  });

  describe('answers', () => {
    it('malformed JSON on a 200 is a MalformedResponseError, not retried', async () => {
      const { client } = setup();
      apiScript = [{ status: 200, raw: '{"value": [', headers: { 'content-type': 'application/json' } }];
      const error = await caught(client.get('/x'));
      expect(error).toBeInstanceOf(MalformedResponseError);
      expect(error.message).toContain('invalid JSON');
      expect(apiRequests).toHaveLength(1);
    });

    it('a non-JSON body (an HTML page from a proxy) is a MalformedResponseError', async () => {
      const { client } = setup();
      apiScript = [{ status: 200, raw: '<html><body>Sign in to continue</body></html>', headers: { 'content-type': 'text/html; charset=utf-8' } }];
      const error = await caught(client.get('/x'));
      expect(error).toBeInstanceOf(MalformedResponseError);
      expect(error.message).toContain('text/html');
      expect(error.message).toContain('Sign in to continue');
    });

    it('surfaces the Graph error body: code, message and request id', async () => {
      const { client } = setup();
      apiScript = [
        {
          status: 400,
          body: {
            error: {
              code: 'BadRequest',
              message: "Invalid filter clause: 'osVersion' is not a filterable property.",
              innerError: { date: '2025-06-02T10:00:00', 'request-id': '0f9e8d7c-aaaa-4c3d-2e1f-0a9b8c7d6e5f', 'client-request-id': 'c1' },
            },
          },
        },
      ];
      const error = await caught(client.get('/deviceManagement/managedDevices', { query: { $filter: "osVersion eq '1'" } }));
      expect(error).toBeInstanceOf(FatalError);
      expect(error).toMatchObject({ status: 400, vendorCode: 'BadRequest', requestId: '0f9e8d7c-aaaa-4c3d-2e1f-0a9b8c7d6e5f' });
      expect(error.message).toBe(
        "Microsoft Graph GET /v1.0/deviceManagement/managedDevices failed with HTTP 400 (BadRequest): Invalid filter clause: 'osVersion' is not a filterable property.",
      );
    });

    it('404 is a FatalError at once', async () => {
      const { client } = setup();
      apiScript = [{ status: 404, body: { error: { code: 'ResourceNotFound', message: 'not found' } } }];
      expect(await caught(client.get('/deviceManagement/managedDevices/nope'))).toBeInstanceOf(FatalError);
      expect(apiRequests).toHaveLength(1);
    });
  });

  it('keeps every secret out of every log event and every error message', async () => {
    const { client, logs } = setup({ maxRetries: 1 });
    const errors: ConnectorError[] = [];
    // The vendor echoes the refused token in a 401, then the client secret and the new bearer token in a 400.
    apiScript = [
      { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: `token ${tokenValue(1)} expired` } } },
      { status: 400, body: { error: { code: 'BadRequest', message: `bad request from Bearer ${tokenValue(2)} with secret ${CLIENT_SECRET}` } } },
    ];
    errors.push(await caught(client.get('/x', { query: { client_secret: CLIENT_SECRET } })));
    // A 503 whose body quotes the token, until retries run out.
    apiScript = [1, 2].map(() => ({ status: 503, body: { error: { code: 'ServiceUnavailable', message: `busy; your access_token=${tokenValue(2)}` } } }));
    errors.push(await caught(client.get('/x')));
    // A malformed body that contains the token.
    apiScript = [{ status: 200, raw: `oops ${tokenValue(2)} ${CLIENT_SECRET}`, headers: { 'content-type': 'application/json' } }];
    errors.push(await caught(client.get('/x')));
    // A fresh client whose token request is refused by a vendor that echoes the secret.
    const second = setup();
    tokenScript = [{ status: 401, body: { error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret '${CLIENT_SECRET}'` } }];
    errors.push(await caught(second.client.get('/x')));

    expect(errors.map((e) => e.constructor.name)).toEqual(['FatalError', 'TransientError', 'MalformedResponseError', 'AuthError']);
    const everything = JSON.stringify([logs, second.logs, errors.map((e) => ({ message: e.message, stack: e.stack, json: e.toJSON() }))]);
    expect(logs.length).toBeGreaterThan(5);
    expect(everything).toContain('[redacted]');
    for (const secret of [CLIENT_SECRET, encodeURIComponent(CLIENT_SECRET), tokenValue(1), tokenValue(2)]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('logs structured events for requests, responses, retries and failures', async () => {
    const { client, logs } = setup();
    apiScript = [{ status: 503 }];
    await client.get('/x');
    const http = logs.filter((e) => e.event.startsWith('http.'));
    expect(http.map((e) => [e.event, e.attempt, e.status])).toEqual([
      ['http.request', 1, undefined],
      ['http.response', 1, 503],
      ['http.retry', 1, 503],
      ['http.request', 2, undefined],
      ['http.response', 2, 200],
    ]);
    expect(http[2]).toMatchObject({ level: 'warn', delayMs: 250, vendor: 'Microsoft Graph', method: 'GET' });
  });

  it('follows an absolute URL on its own origin, but refuses to send the token anywhere else', async () => {
    const { client } = setup();
    await client.get(`${baseUrl}/v1.0/deviceManagement/managedDevices?$skiptoken=X%27ABC%27`);
    expect(apiRequests[0].path).toBe('/v1.0/deviceManagement/managedDevices?$skiptoken=X%27ABC%27');
    const error = await caught(client.get('https://attacker.example/v1.0/steal'));
    expect(error).toBeInstanceOf(FatalError);
    expect(apiRequests).toHaveLength(1);
  });

  it('waits for the shared rate limiter: two clients of one account draw from the same window', async () => {
    const limiterSleeps: number[] = [];
    const clock = fixedClock('2025-06-02T10:00:00.000Z');
    const registry = new RateLimiterRegistry({
      clock,
      sleep: async (ms) => {
        limiterSleeps.push(ms);
        clock.advance(ms);
      },
    });
    const rateLimit = { key: 'graph:contoso:app-id', maxRequests: 2, windowMs: 20_000, registry };
    const a = setup({ rateLimit });
    const b = setup({ rateLimit });
    await a.client.get('/one');
    await b.client.get('/two');
    expect(limiterSleeps).toEqual([]);
    await a.client.get('/three');
    expect(limiterSleeps).toEqual([20_000]);
    expect(apiRequests).toHaveLength(3);
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    const { client } = setup({ timeoutMs: 5_000 });
    const controller = new AbortController();
    apiScript = [{ status: 200, hang: true, onArrive: () => controller.abort(new Error('sync cancelled')) }];
    const pending = client.get('/slow', { signal: controller.signal });
    await expect(pending).rejects.toThrow('sync cancelled');
    expect(apiRequests).toHaveLength(1);
  });
});
