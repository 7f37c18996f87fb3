/**
 * Outgoing change webhooks over real HTTP: a receiver on 127.0.0.1 gets every create and transition of a change,
 * signed with HMAC-SHA256 under the secret shown once; a failed delivery is retried with doubling backoff and the
 * same bytes, given up after the last attempt; the secret is stored only encrypted; bad URLs are refused naming
 * the field. Queued in the change's transaction, so a refused transition sends nothing.
 */
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { backoffMs, MAX_ATTEMPTS, WebhookDispatcher } from '../../src/change/webhook-dispatcher';
import { verifySignature } from '../../src/change/webhook-signature';
import { Role } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

interface Received { headers: IncomingHttpHeaders; body: string }

describe(`change webhooks on ${ENGINE}`, () => {
  const clock = fixedClock('2026-11-02T10:00:00.000Z');
  let db: TestDatabase;
  let server: TestServer;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  const statuses: number[] = [];
  const g: Record<string, string> = {};

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    await f.catalog();
    const acme = await f.tenant('Acme Ltd');
    const [asset] = await f.insertAssets([f.asset(acme, { hostname: 'ACME-PC-01' })]);
    server = await startTestServer(db, {}, { clock });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = statuses.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/patchgraph`;
    g.acme = toGlobalId('Tenant', acme.id);
    g.asset = toGlobalId('Asset', asset.id);
    g.approver = await server.keyFor(Role.CLIENT_ADMIN, [acme.id]);
    g.kb = (await db.dataSource.query("SELECT kb FROM software_update WHERE kb IS NOT NULL AND owner = 'shared' ORDER BY kb LIMIT 1"))[0].kb;
  });
  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    await db?.drop();
  });

  const data = async (query: string, variables?: Record<string, unknown>, key?: string) => {
    const res = await server.gql(query, variables, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  };
  const dispatcher = () => new WebhookDispatcher({ dataSource: db.dataSource, secrets: server.secrets, clock });
  const createChange = () => data('mutation($input: ChangeRequestInput!) { createChangeRequest(input: $input) { id reference } }', {
    input: {
      tenantId: g.acme, type: 'NORMAL', title: 'Rollup', description: 'Monthly rollup', kbs: [g.kb], targets: { assetIds: [g.asset] }, risk: 'LOW',
      impact: 'One restart', rollbackPlan: 'Uninstall the KB', plannedStart: '2026-11-03T19:30:00Z', plannedEnd: '2026-11-03T21:30:00Z',
      externalTickets: [{ system: 'Autotask', id: 'T20261102.0042' }],
    },
  }).then((d) => d.createChangeRequest);

  it('signs every step, retries a refused delivery with backoff and the same bytes, and keeps the secret encrypted', async () => {
    const { createChangeWebhook: made } = await data('mutation($input: ChangeWebhookInput!) { createChangeWebhook(input: $input) { secret webhook { id url tenant { name } } } }', {
      input: { tenantId: g.acme, url: receiverUrl },
    });
    expect(made.webhook).toMatchObject({ url: receiverUrl, tenant: { name: 'Acme Ltd' } });
    expect(made.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = JSON.stringify(await db.dataSource.query('SELECT * FROM change_webhook')) + JSON.stringify(await db.dataSource.query('SELECT data FROM audit_event'));
    expect(stored).not.toContain(made.secret);

    const change = await createChange();
    await data('mutation($id: ID!) { submitChangeRequest(id: $id, comment: "for CAB") { state } }', { id: change.id });
    // A refused step (self-approval by the requester) queues nothing.
    expect((await server.gql('mutation($id: ID!) { approveChangeRequest(id: $id) { state } }', { id: change.id })).body.errors?.[0].extensions?.rule).toBe('SELF_APPROVAL');

    statuses.push(500);
    expect(await dispatcher().deliverDue()).toBe(2);
    expect(received.map((r) => r.headers['x-patchgraph-event'])).toEqual(['change.create', 'change.submit']);
    for (const r of received) expect(verifySignature(made.secret, r.body, String(r.headers['x-patchgraph-signature']), clock.now())).toBe(true);
    expect(verifySignature('another secret', received[1].body, String(received[1].headers['x-patchgraph-signature']), clock.now())).toBe(false);
    expect(JSON.parse(received[1].body)).toMatchObject({
      event: 'change.submit', occurredAt: '2026-11-02T10:00:00.000Z',
      change: { id: change.id, reference: change.reference, tenantId: g.acme, type: 'NORMAL', state: 'SUBMITTED', externalTickets: [{ system: 'Autotask', id: 'T20261102.0042' }] },
      transition: { from: 'DRAFT', to: 'SUBMITTED', comment: 'for CAB', actor: expect.stringContaining('test-admin') },
    });

    // The refused create waits 30 s; nothing is due before.
    expect(await dispatcher().deliverDue()).toBe(0);
    clock.advance(backoffMs(1));
    expect(await dispatcher().deliverDue()).toBe(1);
    expect(received).toHaveLength(3);
    expect(received[2].body).toBe(received[0].body);
    expect(received[2].headers['x-patchgraph-delivery']).toBe(received[0].headers['x-patchgraph-delivery']);

    const approved = await data('mutation($id: ID!) { approveChangeRequest(id: $id) { state } }', { id: change.id }, g.approver);
    expect(approved.approveChangeRequest.state).toBe('APPROVED');
    expect(await dispatcher().deliverDue()).toBe(1);
    expect(JSON.parse(received[3].body).transition).toMatchObject({ from: 'SUBMITTED', to: 'APPROVED', actor: expect.stringContaining('CLIENT_ADMIN') });

    const listed = await data('{ changeWebhooks { url deliveries { event attempts deliveredAt failedAt lastError } } }');
    expect(listed.changeWebhooks[0].deliveries.map((d: any) => [d.event, d.attempts, d.deliveredAt !== null, d.lastError])).toEqual(
      expect.arrayContaining([['change.create', 2, true, null], ['change.submit', 1, true, null], ['change.approve', 1, true, null]]),
    );
  });

  it('gives a delivery up after the last attempt, the waits doubling', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/gone`;
    await new Promise((resolve) => closed.close(resolve));
    await data('mutation($input: ChangeWebhookInput!) { createChangeWebhook(input: $input) { secret } }', { input: { url: deadUrl } });
    await dispatcher().deliverDue();
    await createChange();
    const d = dispatcher();
    const waits: number[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      expect(await d.deliverDue()).toBeGreaterThanOrEqual(1);
      const [row] = await db.dataSource.query('SELECT d.attempts, d.nextAttemptAt, d.failedAt FROM webhook_delivery d JOIN change_webhook w ON w.id = d.webhookId WHERE w.url = ?', [deadUrl]);
      expect(Number(row.attempts)).toBe(attempt);
      if (attempt < MAX_ATTEMPTS) {
        const wait = new Date(row.nextAttemptAt).getTime() - clock.now().getTime();
        waits.push(wait / 1000);
        clock.advance(wait);
      } else {
        expect(row.failedAt).not.toBeNull();
      }
    }
    expect(waits).toEqual([30, 60, 120, 240, 480, 960, 1920]);
    clock.advance(86_400_000);
    const hooks = await data('{ changeWebhooks { url deliveries { attempts failedAt lastError } } }');
    expect(hooks.changeWebhooks.find((h: any) => h.url === deadUrl).deliveries).toEqual([{ attempts: MAX_ATTEMPTS, failedAt: expect.any(String), lastError: expect.any(String) }]);
  });

  it('refuses bad URLs naming the field, and webhooks for every tenant to a tenant-limited key', async () => {
    for (const url of ['ftp://psa.example/hook', 'https://user:pass@psa.example/hook', 'not a url']) {
      const res = await server.gql('mutation($input: ChangeWebhookInput!) { createChangeWebhook(input: $input) { secret } }', { input: { url } });
      expect([url, res.body.errors?.[0].extensions]).toEqual([url, expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.url' })]);
    }
    const limited = await server.keyFor(Role.MSP_ADMIN, []);
    const res = await server.gql('mutation($input: ChangeWebhookInput!) { createChangeWebhook(input: $input) { secret } }', { input: { url: 'https://psa.example/hook' } }, limited);
    expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe(`change webhooks to internal addresses on ${ENGINE}`, () => {
  it('are refused unless the operator allows private URLs', async () => {
    const db = await openTestDatabase();
    const server = await startTestServer(db, { PATCHGRAPH_ALLOW_PRIVATE_URLS: 'false' });
    try {
      for (const url of ['http://127.0.0.1:8080/hook', 'http://169.254.169.254/latest', 'http://localhost/hook']) {
        const res = await server.gql('mutation($input: ChangeWebhookInput!) { createChangeWebhook(input: $input) { secret } }', { input: { url } });
        expect([url, res.body.errors?.[0].extensions?.field, res.body.errors?.[0].message]).toEqual([url, 'input.url', expect.stringContaining('PATCHGRAPH_ALLOW_PRIVATE_URLS')]);
      }
    } finally {
      await server.stop();
      await db.drop();
    }
  });
});
