/**
 * Several API servers each run a webhook dispatcher over the same database: two dispatchers on two connections
 * (as two processes would have) against a real HTTP receiver. Each delivery arrives exactly once, and a
 * delivery whose dispatcher stopped mid-send is sent by another once the claim's lease has run out, the late
 * outcome of the first one then changing nothing.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { CLAIM_LEASE_MS, WebhookDispatcher } from '../../src/change/webhook-dispatcher';
import { createDataSource } from '../../src/db/data-source';
import { insertRows } from '../../src/db/insert-rows';
import { WebhookDelivery } from '../../src/entities';
import { keyOf, toGlobalId } from '../../src/graphql/types/global-id';
import { fixedClock } from '../../src/util/clock';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

describe(`webhook dispatchers sharing one database on ${ENGINE}`, () => {
  const clock = fixedClock('2026-11-02T10:00:00.000Z');
  let db: TestDatabase;
  let other: DataSource;
  let server: TestServer;
  let receiver: Server;
  let webhookId: string;
  /** Delivery ids in the order their requests arrived, answered or not. */
  const arrivals: string[] = [];
  /** While set, requests are held unanswered here: the dispatcher that sent them is stuck mid-send. */
  let hold: Array<ServerResponse> | null = null;

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const acme = await f.tenant('Acme Ltd');
    server = await startTestServer(db, {}, { clock });
    receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        arrivals.push(String(req.headers['x-patchgraph-delivery']));
        if (hold) hold.push(res);
        // A short wait, so that the two dispatchers' sends overlap.
        else setTimeout(() => res.end(), 5);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const res = await server.gql('mutation($input: ChangeWebhookInput!) { createChangeWebhook(input: $input) { webhook { id } } }', { input: { tenantId: toGlobalId('Tenant', acme.id), url } });
    expect(res.body.errors).toBeUndefined();
    webhookId = keyOf('ChangeWebhook', res.body.data.createChangeWebhook.webhook.id, 'id');
    // A second connection pool on the same database, as another server process has.
    other = await createDataSource(db.config);
    await other.initialize();
  });
  afterAll(async () => {
    if (other?.isInitialized) await other.destroy();
    await server?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    await db?.drop();
  });

  const dispatcher = (dataSource: DataSource) => new WebhookDispatcher({ dataSource, secrets: server.secrets, clock });
  const queue = async (n: number): Promise<string[]> => {
    const at = clock.now();
    const rows = Array.from({ length: n }, (_, i) => Object.assign(new WebhookDelivery(), {
      id: newId(), webhookId, changeId: newId(), event: 'change.create', sequence: i + 1, payload: JSON.stringify({ n: i + 1 }), attempts: 0,
      nextAttemptAt: at, deliveredAt: null, failedAt: null, lastError: null, createdAt: at,
    }));
    await insertRows(db.dataSource.manager, WebhookDelivery, rows);
    return rows.map((r) => r.id);
  };
  const stored = (ids: string[]) => db.dataSource.getRepository(WebhookDelivery).find({ where: ids.map((id) => ({ id })), order: { sequence: 'ASC' } });

  it('sends each delivery exactly once when two dispatchers run at the same time', async () => {
    const ids = await queue(24);
    arrivals.length = 0;
    const [a, b] = await Promise.all([dispatcher(db.dataSource).deliverDue(), dispatcher(other).deliverDue()]);
    // Both took part, and between them they attempted every delivery once.
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(a + b).toBe(ids.length);
    expect([...arrivals].sort()).toEqual([...ids].sort());
    for (const row of await stored(ids)) {
      expect(row).toMatchObject({ attempts: 1, failedAt: null, lastError: null, claimedBy: null, claimedUntil: null });
      expect(row.deliveredAt).toEqual(clock.now());
    }
    // Nothing is left to send.
    expect(await dispatcher(other).deliverDue()).toBe(0);
    expect(arrivals).toHaveLength(ids.length);
  });

  it('sends a delivery whose dispatcher stopped mid-send once its claim has expired, and keeps that outcome', async () => {
    const [id] = await queue(1);
    arrivals.length = 0;
    hold = [];
    const stuck = dispatcher(db.dataSource).deliverDue();
    while (hold.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const stuckRequest = hold[0];
    hold = null;
    expect(arrivals).toEqual([id]);

    // Claimed: the other dispatcher leaves it alone for the whole lease.
    expect(await dispatcher(other).deliverDue()).toBe(0);
    clock.advance(CLAIM_LEASE_MS - 1);
    expect(await dispatcher(other).deliverDue()).toBe(0);
    clock.advance(1);
    expect(await dispatcher(other).deliverDue()).toBe(1);
    expect(arrivals).toEqual([id, id]);
    const [sent] = await stored([id]);
    expect(sent).toMatchObject({ attempts: 1, failedAt: null, lastError: null, claimedBy: null, claimedUntil: null });
    expect(sent.deliveredAt).toEqual(clock.now());

    // The first dispatcher's request finally fails: its claim is gone, so it records nothing over the delivery.
    stuckRequest.statusCode = 500;
    stuckRequest.end();
    expect(await stuck).toBe(1);
    expect(await stored([id])).toEqual([sent]);
    expect(arrivals).toEqual([id, id]);
  });
});
