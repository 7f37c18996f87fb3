import { connect } from 'node:net';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

describe(`operations on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeEach(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
  });
  afterEach(async () => {
    await server.stop();
    await db.drop();
  });

  it('/healthz says the process is alive; /readyz that the database answers', async () => {
    const health = await fetch(`${server.app.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
  });

  it('/readyz answers 503 when the database is gone', async () => {
    await db.dataSource.destroy();
    const ready = await fetch(`${server.app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', reason: 'database did not answer' });
  });

  it('logs each request as structured JSON with its request id, and echoes the id', async () => {
    const res = await fetch(`${server.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}`, 'x-request-id': 'portal-4711' },
      body: JSON.stringify({ query: '{ viewer { name } }' }),
    });
    expect(res.headers.get('x-request-id')).toBe('portal-4711');
    const generated = await server.gql('{ viewer { name } }');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const line = server.logs.find((l) => l.req?.id === 'portal-4711');
    expect(line).toMatchObject({ service: 'patchgraph', res: { statusCode: 200 }, msg: 'request completed' });
    expect(typeof line!.responseTime).toBe('number');
    expect(line!.req.headers.authorization).toBe('[redacted]');
  });

  it('shuts down gracefully: an in-flight request completes, new connections are refused', async () => {
    const body = JSON.stringify({ query: '{ tenants { totalCount } }' });
    const socket = connect(server.app.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const response = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('close', () => resolve(text));
    });
    // Headers and half the body are sent: the request is in flight when shutdown begins.
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer ${server.adminKey}\r\n` +
        `Connection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((r) => setTimeout(r, 100));
    let stopped = false;
    const stopping = server.app.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(stopped).toBe(false);
    await expect(fetch(`${server.app.url}/healthz`)).rejects.toThrow();

    socket.write(body.slice(10));
    const text = await response;
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toContain('{"data":{"tenants":{"totalCount":0}}}');
    await stopping;
    expect(stopped).toBe(true);
    expect(db.dataSource.isInitialized).toBe(false);
  });
});
