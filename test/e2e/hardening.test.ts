/**
 * Hardening of the HTTP surface, against real servers: rate limits per principal, per failing address and per WSUS
 * instance, in process and shared through a real Redis (and failing closed when it goes away); security headers;
 * introspection and the local GraphiQL page switched independently of development mode.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/config';
import { Role } from '../../src/entities/enums';
import { addressKey } from '../../src/server/rate-limit';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const INGEST_KEY = 'hardening-ingest-key-0123456789abcdefghij';
/** One Redis database per engine: the two jest projects run this file at the same time against one Redis. */
const REDIS_URL = `${(process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/${ENGINE === 'sqlite' ? 14 : 15}`;
const ON_CI = process.env.CI === 'true' || process.env.CI === '1';

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // HTML or a script: kept as text.
  }
  return { status: res.status, headers: res.headers, body };
}

function gql(server: TestServer, key: string | null, query = '{ viewer { name } }', headers: Record<string, string> = {}): Promise<Answer> {
  return request(`${server.app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify({ query }),
  });
}

function expectRateLimited(answer: Answer, code = 'RATE_LIMITED', status = 429): number {
  expect(answer.status).toBe(status);
  expect(answer.body.data).toBeUndefined();
  expect(answer.body.errors).toHaveLength(1);
  const [error] = answer.body.errors;
  expect(Object.keys(error).sort()).toEqual(['extensions', 'message']);
  expect(Object.keys(error.extensions).sort()).toEqual(['code', 'retryAfterSeconds']);
  expect(error.extensions.code).toBe(code);
  expect(Number.isInteger(error.extensions.retryAfterSeconds)).toBe(true);
  expect(answer.headers.get('retry-after')).toBe(String(error.extensions.retryAfterSeconds));
  return error.extensions.retryAfterSeconds;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function eventually<T>(what: string, attempt: () => Promise<T>, ok: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await attempt();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Whether Redis answers at REDIS_URL and redis-server can be started: CI must have both; elsewhere skip loudly. */
async function redisAvailable(): Promise<string | null> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    return `Redis at ${REDIS_URL} did not answer (${(err as Error).message})`;
  } finally {
    probe.disconnect();
  }
  if (spawnSync('redis-server', ['--version']).status !== 0) return 'redis-server is not installed';
  return null;
}

describe(`hardening on ${ENGINE}`, () => {
  let db: TestDatabase;
  const servers: TestServer[] = [];
  const start = async (env: Record<string, string>) => {
    const server = await startTestServer(db, env);
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await db.drop();
  });

  describe('rate limits in this process (no REDIS_URL)', () => {
    it('a burst from one key gets 429 with Retry-After once over PATCHGRAPH_RATE_LIMIT_PER_MINUTE; another key is unaffected', async () => {
      const server = await start({ PATCHGRAPH_RATE_LIMIT_PER_MINUTE: '5' });
      const other = await server.keyFor(Role.AUDITOR, []);
      const burst = await Promise.all(Array.from({ length: 5 }, () => gql(server, server.adminKey)));
      expect(burst.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      const limited = await gql(server, server.adminKey);
      const wait = expectRateLimited(limited);
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(60);
      expect(limited.body.errors[0].message).toMatch(/PATCHGRAPH_RATE_LIMIT_PER_MINUTE/);
      const unaffected = await gql(server, other);
      expect(unaffected.status).toBe(200);
      expect(unaffected.body.data.viewer.name).toBe('test-AUDITOR');
      expect(server.logs.some((l) => l.msg === 'patchgraph is listening' && l.rateLimitStore === 'memory')).toBe(true);
    });

    it('failed authentications are counted per address; past PATCHGRAPH_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE the address is blocked, valid keys and uploads included', async () => {
      const server = await start({ PATCHGRAPH_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '3' });
      for (const key of [null, 'pgk_wrong-guess-1', 'pgk_wrong-guess-2']) {
        const answer = await gql(server, key);
        expect(answer.status).toBe(401);
        expect(answer.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      }
      const wait = expectRateLimited(await gql(server, 'pgk_wrong-guess-3'));
      expect(wait).toBeGreaterThan(60);
      expect(wait).toBeLessThanOrEqual(300);
      // A right guess must not answer differently from a wrong one while the address is blocked.
      expectRateLimited(await gql(server, server.adminKey));
      const upload = await request(`${server.app.url}/ingest/wsus/00000000-0000-0000-0000-000000000000`, { method: 'POST', headers: { authorization: 'Bearer x' }, body: 'x' });
      expect(upload.status).toBe(429);
      expect(upload.body.error.code).toBe('RATE_LIMITED');
      expect(server.logs.some((l) => l.msg === 'too many failed authentications from one address; blocking it' && l.address === '127.0.0.1')).toBe(true);
      // Liveness and readiness are never limited.
      expect((await request(`${server.app.url}/healthz`)).status).toBe(200);
      expect((await request(`${server.app.url}/readyz`)).status).toBe(200);
    });

    it('with PATCHGRAPH_TRUST_PROXY the forwarded client address is counted, and X-Forwarded-For is ignored without it', async () => {
      const proxied = await start({ PATCHGRAPH_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '2', PATCHGRAPH_TRUST_PROXY: 'loopback' });
      const from = (ip: string) => ({ 'x-forwarded-for': ip });
      for (let i = 0; i < 2; i += 1) expect((await gql(proxied, 'pgk_bad', undefined, from('203.0.113.7'))).status).toBe(401);
      expectRateLimited(await gql(proxied, 'pgk_bad', undefined, from('203.0.113.7')));
      expect((await gql(proxied, 'pgk_bad', undefined, from('203.0.113.8'))).status).toBe(401);
      expect((await gql(proxied, proxied.adminKey, undefined, from('203.0.113.8'))).status).toBe(200);

      const direct = await start({ PATCHGRAPH_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '2' });
      expect((await gql(direct, 'pgk_bad', undefined, from('203.0.113.1'))).status).toBe(401);
      expect((await gql(direct, 'pgk_bad', undefined, from('203.0.113.2'))).status).toBe(401);
      // A client cannot escape the limit by making up a forwarded address.
      expectRateLimited(await gql(direct, 'pgk_bad', undefined, from('203.0.113.3')));
    });

    it('WSUS uploads are limited per instance (PATCHGRAPH_INGEST_RATE_LIMIT_PER_MINUTE), in the ingest endpoint\'s error shape', async () => {
      const server = await start({ PATCHGRAPH_INGEST_RATE_LIMIT_PER_MINUTE: '2' });
      const tenant = await server.gql(`mutation { createTenant(input: { name: "Hardening" }) { id } }`);
      const tenantId = tenant.body.data.createTenant.id;
      const instance = async (name: string) => {
        const res = await server.gql(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`, {
          input: { tenantId, kind: 'wsus', name, settings: { ingestKey: INGEST_KEY } },
        });
        expect(res.body.errors).toBeUndefined();
        return `${server.app.url}/ingest/wsus/${res.body.data.createConnectorInstance.id}`;
      };
      const [first, second] = [await instance('WSUS one'), await instance('WSUS two')];
      // Empty uploads: refused after the key was accepted, so they count without the cost of a sync.
      const upload = (url: string) => request(url, { method: 'POST', headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' }, body: '' });
      expect((await upload(first)).status).toBe(400);
      expect((await upload(first)).status).toBe(400);
      const limited = await upload(first);
      expect(limited.status).toBe(429);
      expect(limited.body.error).toEqual({ code: 'RATE_LIMITED', message: expect.stringMatching(/PATCHGRAPH_INGEST_RATE_LIMIT_PER_MINUTE/), retryAfterSeconds: expect.any(Number) });
      expect(limited.headers.get('retry-after')).toBe(String(limited.body.error.retryAfterSeconds));
      const other = await upload(second);
      expect(other.status).toBe(400);
      expect(other.body.error.code).toBe('MALFORMED_UPLOAD');
      // A wrong key does not spend the instance's budget.
      const stranger = await request(second, { method: 'POST', headers: { authorization: 'Bearer not-the-key' }, body: '' });
      expect(stranger.status).toBe(401);
      expect((await upload(second)).status).toBe(400);
    });

    it('an IPv6 client is counted by its /64, an IPv4-mapped address as IPv4', () => {
      expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
      expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64');
      expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
      expect(addressKey('::1')).toBe('0:0:0:0::/64');
      expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
      expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
    });
  });

  describe('rate limits through Redis (REDIS_URL)', () => {
    let unavailable: string | null = null;
    let redis: Redis;
    beforeAll(async () => {
      unavailable = await redisAvailable();
      if (unavailable) {
        if (ON_CI) throw new Error(`${unavailable}; on CI the Redis half of this test is required (.ci/run starts it)`);
        process.stderr.write(`\n${'!'.repeat(100)}\n!! SKIPPING the Redis rate-limit tests: ${unavailable}.\n!! Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\n${'!'.repeat(100)}\n\n`);
        return;
      }
      redis = new Redis(REDIS_URL);
      await redis.flushdb();
    });
    afterAll(async () => {
      if (redis) await redis.quit();
    });

    it('two servers sharing REDIS_URL share each key\'s budget; another key is unaffected', async () => {
      if (unavailable) return;
      const a = await start({ REDIS_URL, PATCHGRAPH_RATE_LIMIT_PER_MINUTE: '6' });
      const b = await start({ REDIS_URL, PATCHGRAPH_RATE_LIMIT_PER_MINUTE: '6' });
      const other = await a.keyFor(Role.AUDITOR, []);
      for (const server of [a, b, a, b, a, b]) expect((await gql(server, a.adminKey)).status).toBe(200);
      expectRateLimited(await gql(a, a.adminKey));
      expectRateLimited(await gql(b, a.adminKey));
      expect((await gql(b, other)).status).toBe(200);
      expect((await gql(a, other)).status).toBe(200);
      // The counters are in Redis under patchgraph's prefix, by the principal's kind and id (never its key).
      const keys = await redis.keys('patchgraph:rl:principal:*');
      expect(keys.length).toBe(2);
      expect(keys.every((k) => /^patchgraph:rl:principal:api-key:[0-9a-f-]{36}$/.test(k))).toBe(true);
      expect(a.logs.some((l) => l.msg === 'patchgraph is listening' && l.rateLimitStore === 'redis')).toBe(true);
    });

    it('failed authentications are shared too: an address blocked by one server is blocked on the other', async () => {
      if (unavailable) return;
      await redis.del('patchgraph:rl:auth-failures:127.0.0.1');
      const a = await start({ REDIS_URL, PATCHGRAPH_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '2' });
      const b = await start({ REDIS_URL, PATCHGRAPH_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '2' });
      expect((await gql(a, 'pgk_bad')).status).toBe(401);
      expect((await gql(b, 'pgk_bad')).status).toBe(401);
      expectRateLimited(await gql(a, 'pgk_bad'));
      expectRateLimited(await gql(b, b.adminKey));
      await redis.del('patchgraph:rl:auth-failures:127.0.0.1');
      expect((await gql(b, b.adminKey)).status).toBe(200);
    });

    describe('when Redis is down', () => {
      let child: ChildProcess | null = null;
      let port: number;
      const startRedis = async () => {
        child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
        const ping = async () => {
          const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
          probe.on('error', () => undefined);
          try {
            await probe.connect();
            return await probe.ping();
          } catch {
            return 'no answer';
          } finally {
            probe.disconnect();
          }
        };
        await eventually('redis-server to answer', ping, (v) => v === 'PONG', 10_000);
      };
      const stopRedis = async () => {
        const running = child;
        child = null;
        if (!running || running.exitCode !== null) return;
        const exited = new Promise((r) => running.once('exit', r));
        running.kill('SIGKILL');
        await exited;
      };
      afterAll(stopRedis);

      it('fails closed: 503 RATE_LIMITER_UNAVAILABLE on /graphql and uploads, /healthz up, /readyz says why; recovers when Redis is back', async () => {
        if (unavailable) return;
        port = await freePort();
        const server = await start({ REDIS_URL: `redis://127.0.0.1:${port}`, PATCHGRAPH_RATE_LIMIT_PER_MINUTE: '1000' });
        const down = async () => {
          expectRateLimited(await gql(server, server.adminKey), 'RATE_LIMITER_UNAVAILABLE', 503);
          expectRateLimited(await gql(server, null), 'RATE_LIMITER_UNAVAILABLE', 503);
          const upload = await request(`${server.app.url}/ingest/wsus/00000000-0000-0000-0000-000000000000`, { method: 'POST', headers: { authorization: 'Bearer x' }, body: 'x' });
          expect(upload.status).toBe(503);
          expect(upload.body.error.code).toBe('RATE_LIMITER_UNAVAILABLE');
          const health = await request(`${server.app.url}/healthz`);
          expect(health.status).toBe(200);
          expect(health.body).toEqual({ status: 'ok' });
          const ready = await request(`${server.app.url}/readyz`);
          expect(ready.status).toBe(503);
          expect(ready.body).toEqual({ status: 'unavailable', reason: expect.stringMatching(/rate limiter's Redis \(REDIS_URL\) does not answer/) });
        };
        const up = async () => {
          await eventually('requests to be served again', () => gql(server, server.adminKey), (a) => a.status === 200);
          expect((await request(`${server.app.url}/readyz`)).status).toBe(200);
        };

        // Unreachable from the start: nothing listens on the port yet.
        await down();
        await startRedis();
        await up();
        // Goes away while serving.
        await stopRedis();
        await eventually('the loss of Redis to be noticed', () => gql(server, server.adminKey), (a) => a.status === 503);
        await down();
        expect(server.logs.some((l) => l.level >= 50 && /Redis \(REDIS_URL\) unreachable/.test(l.msg))).toBe(true);
        await startRedis();
        await up();
        expect(server.logs.some((l) => l.msg === 'rate limiter: Redis (REDIS_URL) is back')).toBe(true);
      });
    });
  });

  describe('security headers', () => {
    it('every response carries nosniff, a restrictive CSP, a Referrer-Policy and no X-Powered-By: API, errors, health and GraphiQL', async () => {
      const server = await start({ PATCHGRAPH_GRAPHIQL: 'true' });
      const answers = [
        await gql(server, server.adminKey),
        await gql(server, null),
        await request(`${server.app.url}/healthz`),
        await request(`${server.app.url}/no-such-route`),
        await request(`${server.app.url}/graphiql`),
      ];
      expect(answers.map((a) => a.status)).toEqual([200, 401, 200, 404, 200]);
      for (const { headers } of answers) {
        expect(headers.get('x-content-type-options')).toBe('nosniff');
        expect(headers.get('x-powered-by')).toBeNull();
        expect(headers.get('referrer-policy')).toBe('no-referrer');
        expect(headers.get('x-frame-options')).toBe('DENY');
        const csp = headers.get('content-security-policy') ?? '';
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("object-src 'none'");
        expect(csp).not.toMatch(/script-src[^;]*unsafe/);
      }
      // GraphQL answers are one principal's data, answered or refused: no browser or proxy keeps them.
      expect(answers.slice(0, 2).map((a) => a.headers.get('cache-control'))).toEqual(['no-store', 'no-store']);
    });
  });

  describe('introspection and GraphiQL, independent of development mode', () => {
    const introspect = (server: TestServer) => gql(server, server.adminKey, '{ __schema { queryType { name } } }');

    it('PATCHGRAPH_INTROSPECTION turns introspection on in the safe mode and off in development mode', async () => {
      const safeOn = await start({ PATCHGRAPH_INTROSPECTION: 'true' });
      expect(safeOn.config.development).toBe(false);
      expect((await introspect(safeOn)).body.data.__schema.queryType.name).toBe('Query');
      const devOff = await start({ PATCHGRAPH_DEV: '1', PATCHGRAPH_INTROSPECTION: 'false' });
      expect(devOff.config.development).toBe(true);
      const refused = await introspect(devOff);
      expect(refused.status).toBe(400);
      expect(refused.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(refused.body.errors[0].message).toMatch(/introspection/i);
    });

    it('GraphiQL is served locally at /graphiql in development mode or with PATCHGRAPH_GRAPHIQL, with long-cached assets from node_modules', async () => {
      const safe = await start({});
      const dev = await start({ PATCHGRAPH_DEV: '1' });
      const devOff = await start({ PATCHGRAPH_DEV: '1', PATCHGRAPH_GRAPHIQL: 'false' });
      const safeOn = await start({ PATCHGRAPH_GRAPHIQL: 'true' });
      for (const off of [safe, devOff]) {
        const page = await request(`${off.app.url}/graphiql`);
        expect(page.status).toBe(404);
        expect(page.body.errors[0].extensions.code).toBe('NOT_FOUND');
      }
      for (const on of [dev, safeOn]) {
        const page = await request(`${on.app.url}/graphiql`);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toMatch(/^text\/html/);
        expect(page.headers.get('cache-control')).toBe('no-cache');
        const assets = [...String(page.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((a) => a !== 'data:,');
        expect(assets).toHaveLength(6);
        for (const asset of assets) {
          // Relative to this server: nothing is loaded from anywhere else.
          expect(asset).toMatch(/^graphiql\/assets\/[\w.-]+\.(js|css)$/);
          const res = await request(`${on.app.url}/${asset}`);
          expect(res.status).toBe(200);
          expect(res.headers.get('content-type')).toMatch(asset.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
          expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
          expect(String(res.body).length).toBeGreaterThan(100);
        }
        expect(assets.some((a) => /graphiql-3\.\d+\.\d+\.js$/.test(a))).toBe(true);
        expect((await request(`${on.app.url}/graphiql/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
      }
    });

    it('Apollo\'s CDN landing page is gone in every mode: GET /graphql without a query is a JSON BAD_REQUEST', async () => {
      const dev = await start({ PATCHGRAPH_DEV: '1' });
      const res = await request(`${dev.app.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    });

    it('the new settings are validated, each refusal naming its variable', () => {
      const base = { NODE_ENV: '' };
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ PATCHGRAPH_RATE_LIMIT_PER_MINUTE: '0' }, /^PATCHGRAPH_RATE_LIMIT_PER_MINUTE: must be an integer/],
        [{ PATCHGRAPH_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: 'lots' }, /^PATCHGRAPH_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: must be an integer/],
        [{ PATCHGRAPH_INGEST_RATE_LIMIT_PER_MINUTE: '-1' }, /^PATCHGRAPH_INGEST_RATE_LIMIT_PER_MINUTE: must be an integer/],
        [{ REDIS_URL: 'http://127.0.0.1:6379' }, /^REDIS_URL: unsupported scheme "http:"/],
        [{ REDIS_URL: '127.0.0.1:6379' }, /^REDIS_URL: /],
        [{ REDIS_URL: 'redis://127.0.0.1:6379/cache' }, /^REDIS_URL: the path, if any, is a database number/],
        [{ PATCHGRAPH_INTROSPECTION: 'maybe' }, /^PATCHGRAPH_INTROSPECTION: must be true or false/],
        [{ PATCHGRAPH_GRAPHIQL: '2' }, /^PATCHGRAPH_GRAPHIQL: must be true or false/],
        [{ PATCHGRAPH_TRUST_PROXY: 'true' }, /^PATCHGRAPH_TRUST_PROXY: name the proxies/],
        [{ PATCHGRAPH_TRUST_PROXY: '10.0.0.0/33' }, /^PATCHGRAPH_TRUST_PROXY: "10.0.0.0\/33" is not an address/],
      ];
      for (const [env, message] of cases) expect(() => loadConfig({ ...base, ...env })).toThrow(message);
      const defaults = loadConfig(base);
      expect(defaults).toMatchObject({ rateLimitPerMinute: 600, rateLimitUnauthenticatedPerMinute: 60, ingestRateLimitPerMinute: 6, introspection: false, graphiql: false, trustProxy: false });
      expect(defaults.redisUrl).toBeUndefined();
      expect(loadConfig({ PATCHGRAPH_DEV: '1' })).toMatchObject({ introspection: true, graphiql: true });
      expect(loadConfig({ ...base, PATCHGRAPH_TRUST_PROXY: '10.0.0.0/8, loopback, ::1' }).trustProxy).toBe('10.0.0.0/8, loopback, ::1');
      expect(loadConfig({ ...base, PATCHGRAPH_TRUST_PROXY: '2' }).trustProxy).toBe(2);
      expect(loadConfig({ ...base, REDIS_URL: 'redis://:pw@127.0.0.1:6379/3' }).redisUrl).toBe('redis://:pw@127.0.0.1:6379/3');
    });
  });
});
