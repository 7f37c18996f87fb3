import { loadConfig } from '../../src/config/config';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

/**
 * Requests that never reach a resolver (bad JSON, wrong method, unknown route, …) against a real server started as
 * the README's default deployment starts it, with NODE_ENV unset: each answer is a JSON error with a code, with no
 * stack trace or path, and no request body reaches the log.
 */
describe(`request errors are JSON, with the safe mode by default, on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let dev: TestServer;
  let nodeEnvDev: TestServer;
  /** Whatever the process writes to stderr outside the structured log (Express's default handler printed traces there). */
  let stderr: string[];
  let restoreStderr: () => void;

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db, { NODE_ENV: '' });
    dev = await startTestServer(db, { NODE_ENV: '', PATCHGRAPH_DEV: '1' });
    nodeEnvDev = await startTestServer(db, { NODE_ENV: 'development' });
    stderr = [];
    const write = process.stderr.write.bind(process.stderr);
    const consoleError = console.error;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: any[]) => (stderr.push(String(chunk)), write(chunk, ...rest))) as typeof process.stderr.write;
    console.error = (...args: unknown[]) => stderr.push(args.map(String).join(' '));
    restoreStderr = () => {
      process.stderr.write = write;
      console.error = consoleError;
    };
  });
  afterAll(async () => {
    restoreStderr?.();
    // Each server closes the shared data source on stop: stop them only at the end.
    await server?.stop();
    await dev?.stop();
    await nodeEnvDev?.stop();
    await db.drop();
  });

  async function send(path: string, init: RequestInit = {}, target = server) {
    const res = await fetch(`${target.app.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, headers: res.headers };
  }

  /** A JSON error with the given code and nothing a client should not see. */
  function expectJsonError(res: { status: number; contentType: string; text: string }, status: number, code: string) {
    expect(res.status).toBe(status);
    expect(res.contentType).toMatch(/^application\/json/);
    const body = JSON.parse(res.text);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions.code).toBe(code);
    expect(typeof body.errors[0].message).toBe('string');
    expect(res.text).not.toMatch(/<html|<pre|stack|\bat \S+ \(|node_modules/i);
    expect(res.text).not.toContain(process.cwd());
  }

  const json = (body: string, headers: Record<string, string> = {}): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}`, ...headers },
    body,
  });

  it('malformed JSON carrying a secret: BAD_REQUEST as JSON, and the secret is in no log line nor on stderr', async () => {
    const secret = 'cs-9f3Kq-DoNotLogMe-71a2';
    // The trailing comma a hand-written mutation body often has.
    const body = `{"query":"mutation($i: CreateConnectorInstanceInput!) { createConnectorInstance(input: $i) { id } }",`
      + `"variables":{"i":{"kind":"intune","name":"x","settings":{"clientSecret":"${secret}"},}}}`;
    const res = await send('/graphql', json(body));
    expectJsonError(res, 400, 'BAD_REQUEST');
    expect(res.text).not.toContain(secret);
    expect(JSON.stringify(server.logs)).not.toContain(secret);
    expect(stderr.join('')).not.toContain(secret);
    expect(server.logs.some((l) => l.msg === 'request refused' && l.refused === 'BAD_REQUEST')).toBe(true);
  });

  it('introspection is refused by default (NODE_ENV unset)', async () => {
    const res = await server.gql('{ __schema { queryType { name } } }');
    expect(res.status).toBe(400);
    expect(res.body.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors![0].message).toMatch(/introspection/i);
    const type = await server.gql('{ __type(name: "Asset") { name } }');
    expect(type.body.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('introspection is allowed in development mode: PATCHGRAPH_DEV=1 or NODE_ENV=development', async () => {
    for (const target of [dev, nodeEnvDev]) {
      const res = await target.gql('{ __schema { queryType { name } } }');
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.__schema.queryType.name).toBe('Query');
    }
    expect(dev.config.development).toBe(true);
    expect(server.config.development).toBe(false);
  });

  it('only an explicit opt-in is development mode: NODE_ENV=test, staging or production are the safe mode', () => {
    for (const NODE_ENV of ['test', 'staging', 'production', '']) {
      expect(loadConfig({ NODE_ENV }).development).toBe(false);
      expect(loadConfig({ NODE_ENV, PATCHGRAPH_DEV: '1' }).development).toBe(true);
    }
  });

  it('no HTML landing page in the safe mode', async () => {
    const res = await send('/graphql', { headers: { accept: 'text/html' } });
    expect(res.contentType).not.toMatch(/html/);
    expectJsonError(res, 400, 'BAD_REQUEST');
  });

  it('a body over the limit: PAYLOAD_TOO_LARGE (413)', async () => {
    const res = await send('/graphql', json(JSON.stringify({ query: `{ viewer { name } }`, variables: { pad: 'x'.repeat(2 * 1_048_576) } })));
    expectJsonError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a body that is not JSON, or in another charset or encoding: UNSUPPORTED_MEDIA_TYPE (415)', async () => {
    expectJsonError(await send('/graphql', json('{ viewer { name } }', { 'content-type': 'text/plain' })), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectJsonError(await send('/graphql', json('query={viewer{name}}', { 'content-type': 'application/x-www-form-urlencoded' })), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectJsonError(await send('/graphql', json('{"query":"{ viewer { name } }"}', { 'content-type': 'application/json; charset=latin1' })), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectJsonError(await send('/graphql', json('{"query":"{ viewer { name } }"}', { 'content-encoding': 'br-nonsense' })), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a method the route does not serve: a JSON error with a code', async () => {
    const put = await send('/graphql', { ...json('{"query":"{ viewer { name } }"}'), method: 'PUT' });
    expect(put.status).toBe(405);
    expectJsonError(put, 405, JSON.parse(put.text).errors[0].extensions.code);
    expect(JSON.parse(put.text).errors[0].extensions.code).toMatch(/^(BAD_REQUEST|METHOD_NOT_ALLOWED)$/);
    const health = await send('/healthz', { method: 'DELETE' });
    expectJsonError(health, 405, 'METHOD_NOT_ALLOWED');
    expect(health.headers.get('allow')).toBe('GET');
  });

  it('a GET without a CSRF-preventing header is refused as JSON (BAD_REQUEST)', async () => {
    const res = await send(`/graphql?query=${encodeURIComponent('{ viewer { name } }')}`, { headers: { authorization: `Bearer ${server.adminKey}` } });
    expectJsonError(res, 400, 'BAD_REQUEST');
    expect(res.text).toMatch(/Cross-Site Request Forgery/);
  });

  it('an unknown route: NOT_FOUND (404) as JSON', async () => {
    for (const path of ['/', '/nope', '/graphql/extra/../../etc', '/ingest']) {
      expectJsonError(await send(path), 404, 'NOT_FOUND');
    }
    expectJsonError(await send('/nope', { method: 'POST', body: 'x' }), 404, 'NOT_FOUND');
  });

  it('a GET query never puts its variables in the log (the URL is logged without its query string)', async () => {
    const secret = 'get-variable-DoNotLogMe-55';
    const search = new URLSearchParams({ query: 'query($s: String) { assets(filter: { hostnameContains: $s }) { totalCount } }', variables: JSON.stringify({ s: secret }) });
    const res = await send(`/graphql?${search}`, { headers: { authorization: `Bearer ${server.adminKey}`, 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(200);
    expect(JSON.stringify(server.logs)).not.toContain(secret);
    expect(server.logs.some((l) => l.req?.url === '/graphql')).toBe(true);
  });
});
