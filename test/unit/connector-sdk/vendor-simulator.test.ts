/**
 * The vendor-simulator toolkit (connectors/sdk/testkit/simulator), over real HTTP: the guide's example simulator
 * end to end, then each piece where the example does not reach (password grant, API keys, page numbers, cursors
 * tampered with, audiences, the route table's edges).
 */
import { fixedClock } from '../../../connectors/sdk/clock';
import {
  apiKeyAuth, bearerAuth, compose, FaultInjector, keysetPage, numberedPage, OpaqueCursors, pageSize, PagingError, rateLimit, RollingWindow, startVendorSimulator,
  tokenEndpoint, TokenIssuer, VendorSimulatorServer,
} from '../../../connectors/sdk/testkit/simulator';
import { AcmeSimulator, CLIENT_ID, CLIENT_SECRET, startAcmeSimulator } from './example-simulator';

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

async function tokenFrom(origin: string): Promise<string> {
  const res = await fetch(`${origin}/oauth/token`, form({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }));
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const get = (url: string, token?: string) => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('the guide\'s example simulator, built from the toolkit', () => {
  let sim: AcmeSimulator;
  const clock = fixedClock('2026-12-01T09:00:00Z');
  beforeEach(async () => {
    sim = await startAcmeSimulator({ pageSize: 10, devices: 25, clock, requestsPerMinute: 30 });
  });
  afterEach(() => sim.close());

  it('issues a client-credentials token with its lifetime and refuses bad credentials with an RFC 6749 body', async () => {
    const res = await fetch(`${sim.origin}/oauth/token`, form({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }));
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });

    const bad = await fetch(`${sim.origin}/oauth/token`, form({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: 'nope' }));
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });

    const grant = await fetch(`${sim.origin}/oauth/token`, form({ grant_type: 'password', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }));
    expect(grant.status).toBe(400);
    expect(((await grant.json()) as { error: string }).error).toBe('unsupported_grant_type');

    // client_secret_basic: the credentials as HTTP Basic, form-encoded first (RFC 6749 §2.3.1).
    const basic = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64');
    const viaBasic = await fetch(`${sim.origin}/oauth/token`, { ...form({ grant_type: 'client_credentials' }), headers: { ...form({}).headers, authorization: `Basic ${basic}` } });
    expect(viaBasic.status).toBe(200);
    expect(sim.stats().tokenRequests).toBe(4);
  });

  it('pages the whole list through opaque cursors, each device once', async () => {
    const token = await tokenFrom(sim.origin);
    const seen: string[] = [];
    let next: string | null = `${sim.origin}/v2/devices`;
    let pages = 0;
    while (next) {
      const res = await get(next, token);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { results: Array<{ id: string }>; next: string | null };
      seen.push(...page.results.map((d) => d.id));
      next = page.next;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(sim.requests()).toEqual(['/v2/devices', expect.stringMatching(/^\/v2\/devices\?pageSize=10&after=/), expect.stringMatching(/after=/)]);
    expect(sim.stats()).toEqual({ dataRequests: 3, tokenRequests: 1, unauthorized: 0 });
  });

  it('refuses a cursor it did not issue and a page size over the maximum with 400', async () => {
    const token = await tokenFrom(sim.origin);
    const forged = Buffer.from(JSON.stringify('zzz')).toString('base64url');
    const res = await get(`${sim.origin}/v2/devices?after=${forged}`, token);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_request', message: expect.stringContaining('not valid') });
    expect((await get(`${sim.origin}/v2/devices?pageSize=101`, token)).status).toBe(400);
    expect((await get(`${sim.origin}/v2/devices?pageSize=100`, token)).status).toBe(200);
  });

  it('answers 401 without a token, with an unknown one, and once the injected clock passes the lifetime', async () => {
    const token = await tokenFrom(sim.origin);
    const missing = await get(`${sim.origin}/v2/devices`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await get(`${sim.origin}/v2/devices`, 'made-up')).status).toBe(401);
    const device = ((await (await get(`${sim.origin}/v2/devices?pageSize=1`, token)).json()) as { results: Array<{ id: string }> }).results[0];
    expect(await (await get(`${sim.origin}/v2/devices/${device.id}`, token)).json()).toEqual(device);

    clock.advance(3600 * 1000);
    const expired = await get(`${sim.origin}/v2/devices`, token);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ error: 'invalid_token', error_description: 'The access token is expired.' });
    expect(sim.stats().unauthorized).toBe(3);
  });

  it('injects a status with Retry-After, a malformed page and an expiring token, counting from the injection', async () => {
    const token = await tokenFrom(sim.origin);
    await get(`${sim.origin}/v2/devices`, token); // served before the faults: not counted by them
    sim.inject({ type: 'status', status: 503, retryAfterSeconds: 7, onRequest: 1 });
    sim.inject({ type: 'malformed', onRequest: 2 });
    sim.inject({ type: 'expire-token', onRequest: 3 });

    const unavailable = await get(`${sim.origin}/v2/devices`, token);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('7');
    const malformed = await get(`${sim.origin}/v2/devices`, token);
    expect(malformed.status).toBe(200);
    await expect(malformed.clone().json()).rejects.toThrow();
    expect((await malformed.text()).startsWith('{"results":[')).toBe(true);
    expect((await get(`${sim.origin}/v2/devices`, token)).status).toBe(401);
    // A fresh token works again: the fault expired the tokens issued before it, not the endpoint.
    expect((await get(`${sim.origin}/v2/devices`, await tokenFrom(sim.origin))).status).toBe(200);
  });

  it('rate-limits data requests in a rolling window on the injected clock, with Retry-After', async () => {
    const token = await tokenFrom(sim.origin);
    for (let i = 0; i < 30; i++) expect((await get(`${sim.origin}/v2/devices?pageSize=1`, token)).status).toBe(200);
    clock.advance(20_000);
    const limited = await get(`${sim.origin}/v2/devices?pageSize=1`, token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('40');
    clock.advance(40_000);
    expect((await get(`${sim.origin}/v2/devices?pageSize=1`, token)).status).toBe(200);
  });
});

describe('toolkit pieces', () => {
  let server: VendorSimulatorServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('routes by method and path, hands handlers params, query and JSON body, and falls back to 404 and 500', async () => {
    server = await startVendorSimulator({
      routes: [
        { method: 'POST', path: '/sites/:site/notes', handle: (req) => ({ status: 201, body: { site: req.params.site, q: req.query.get('q'), got: req.json() } }) },
        { method: 'GET', path: /^\/boom$/, handle: () => { throw new Error('kaput'); } },
      ],
      contentType: 'application/json;charset=UTF-8',
    });
    const res = await fetch(`${server.origin}/sites/North%20Wind/notes?q=1`, { method: 'POST', body: JSON.stringify({ a: 1 }) });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(await res.json()).toEqual({ site: 'North Wind', q: '1', got: { a: 1 } });
    expect((await fetch(`${server.origin}/sites/x/notes`)).status).toBe(404);
    const boom = await fetch(`${server.origin}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: 'internal', message: 'kaput' });
  });

  it('runs the password grant with HTTP Basic client auth and refuses a wrong user, and checks a token\'s audience', async () => {
    const tokens = new TokenIssuer({ lifetimeS: 100 });
    server = await startVendorSimulator({
      routes: [
        {
          method: 'POST',
          path: '/auth/token',
          handle: tokenEndpoint({ tokens, grant: 'password', clientAuth: 'basic', client: { id: 'public-client', secret: 'public' }, user: { username: 'KEY', password: 'SECRET' } }),
        },
        { method: 'GET', path: '/api', handle: compose([bearerAuth({ tokens, audience: 'api://acme/.default' })], () => ({ status: 200, body: { ok: true } })) },
      ],
    });
    const basic = { authorization: `Basic ${Buffer.from('public-client:public').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
    const noClient = await fetch(`${server.origin}/auth/token`, form({ grant_type: 'password', username: 'KEY', password: 'SECRET' }));
    expect(noClient.status).toBe(401);
    const wrongUser = await fetch(`${server.origin}/auth/token`, { method: 'POST', headers: basic, body: 'grant_type=password&username=KEY&password=nope' });
    expect(wrongUser.status).toBe(400);
    expect(((await wrongUser.json()) as { error: string }).error).toBe('invalid_grant');
    const ok = await fetch(`${server.origin}/auth/token`, { method: 'POST', headers: basic, body: 'grant_type=password&username=KEY&password=SECRET&scope=api%3A%2F%2Facme%2F.default' });
    const { access_token: token } = (await ok.json()) as { access_token: string };
    expect((await get(`${server.origin}/api`, token)).status).toBe(200);

    const other = await fetch(`${server.origin}/auth/token`, { method: 'POST', headers: basic, body: 'grant_type=password&username=KEY&password=SECRET&scope=other' });
    const { access_token: otherToken } = (await other.json()) as { access_token: string };
    expect((await get(`${server.origin}/api`, otherToken)).status).toBe(401);
  });

  it('checks an API key header', async () => {
    server = await startVendorSimulator({
      routes: [{ method: 'GET', path: '/v1/things', handle: compose([apiKeyAuth({ header: 'X-API-Key', keys: ['k1'] })], () => ({ status: 200, body: [] })) }],
    });
    expect((await fetch(`${server.origin}/v1/things`, { headers: { 'x-api-key': 'k1' } })).status).toBe(200);
    const wrong = await fetch(`${server.origin}/v1/things`, { headers: { 'x-api-key': 'k2' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'unauthorized', message: 'The X-API-Key is not valid.' });
    expect((await fetch(`${server.origin}/v1/things`)).status).toBe(401);
  });

  it('lets a vendor shape fault and 429 answers; a 429 without Retry-After when the vendor sends none', async () => {
    const faults = new FaultInjector({ statusAnswer: (status) => ({ status, body: { message: `vendor says ${status}` } }), malformed: [() => ({ pageDetails: {} })] });
    const window = new RollingWindow(1, 60_000, fixedClock('2026-12-01T00:00:00Z'));
    server = await startVendorSimulator({
      routes: [{ method: 'GET', path: '/list', handle: compose([faults.middleware, rateLimit({ window, retryAfter: false, refuse: () => ({ status: 429, body: { message: 'slow down' } }) })], () => ({ status: 200, body: { devices: [1] } })) }],
    });
    faults.inject({ type: 'status', status: 502, onRequest: 1 });
    faults.inject({ type: 'malformed', onRequest: 2 });
    const bad = await fetch(`${server.origin}/list`);
    expect([bad.status, bad.headers.get('retry-after'), await bad.json()]).toEqual([502, null, { message: 'vendor says 502' }]);
    expect(await (await fetch(`${server.origin}/list`)).json()).toEqual({ pageDetails: {} });
    const limited = await fetch(`${server.origin}/list`);
    expect([limited.status, limited.headers.get('retry-after'), await limited.json()]).toEqual([429, null, { message: 'slow down' }]);
  });

  it('pages by number, and sizes fail closed: refused or cut to the maximum', () => {
    const items = Array.from({ length: 7 }, (_, i) => i);
    expect(numberedPage(items, { page: 1, size: 3 })).toEqual({ items: [3, 4, 5], total: 7, hasPrevious: true, hasNext: true });
    expect(numberedPage(items, { page: 3, size: 3, firstPage: 1 })).toEqual({ items: [6], total: 7, hasPrevious: true, hasNext: false });
    expect(pageSize('900', { name: 'max', fallback: 50, max: 250, overMax: 'clamp' })).toBe(250);
    expect(pageSize(null, { name: 'max', fallback: 50, max: 250 })).toBe(50);
    expect(() => pageSize('900', { name: 'limit', fallback: 50, max: 250 })).toThrow(PagingError);
    expect(() => pageSize('0', { name: 'limit', fallback: 50, max: 250 })).toThrow(PagingError);
    expect(() => pageSize('ten', { name: 'limit', fallback: 50, max: 250 })).toThrow(PagingError);
  });

  it('keyset pages follow numeric ids as numbers (99 before 100) and tuples element by element', () => {
    const ids = [100, 7, 99, 1000, 8];
    const first = keysetPage(ids, { keyOf: (id) => id, after: null, size: 3 });
    expect(first).toEqual({ items: [7, 8, 99], lastKey: 99 });
    expect(keysetPage(ids, { keyOf: (id) => id, after: first.lastKey, size: 3 })).toEqual({ items: [100, 1000], lastKey: null });
    const rows = [{ at: '2026-11-02', id: 10 }, { at: '2026-11-01', id: 9 }, { at: '2026-11-02', id: 9 }];
    expect(keysetPage(rows, { keyOf: (r) => [r.at, r.id], after: ['2026-11-01', 9], size: 5 }).items).toEqual([{ at: '2026-11-02', id: 9 }, { at: '2026-11-02', id: 10 }]);
  });

  it('opaque cursors: signed ones refuse an edit, unsigned ones are bare base64url JSON', () => {
    const signed = new OpaqueCursors();
    const cursor = signed.issue(['devices', 'k1']);
    expect(signed.read(cursor)).toEqual(['devices', 'k1']);
    expect(() => signed.read(`${Buffer.from(JSON.stringify(['devices', 'k9'])).toString('base64url')}.${cursor.split('.')[1]}`)).toThrow(PagingError);
    expect(() => new OpaqueCursors().read(cursor)).toThrow(PagingError); // another server's key
    const bare = new OpaqueCursors({ signed: false });
    expect(bare.issue(['a', 'b'])).toBe(Buffer.from('["a","b"]').toString('base64url'));
    expect(() => bare.read('%%%')).toThrow(PagingError);
  });
});
