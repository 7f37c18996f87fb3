/**
 * A realistic large WSUS server through the ingest endpoint: 2,000 computers × 300 updates, then the same again.
 * While the first one is written, the portal keeps being answered, and only ever from committed data: no answer
 * shows part of the run.
 */
import { request } from 'node:http';
import { WsusSimulator } from '../simulator';
import { ENGINE, openTestDatabase, TestDatabase } from '../../../test/helpers/database';
import { startTestServer, TestServer } from '../../../test/helpers/server';

const KEY = 'wsus-ingest-key-for-the-large-test-0123456789';

/** A GraphQL POST on a new connection, closed after the answer. */
function postOnce(url: string, key: string, body: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch (err) {
          reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe(`a 2,000 × 300 WSUS snapshot on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('ingests through the endpoint, and re-posting it writes nothing', async () => {
    const tenant = (await server.gql(`mutation { createTenant(input: { name: "Big school trust" }) { id } }`)).body.data!.createTenant.id;
    const instance = (await server.gql(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`, {
      input: { tenantId: tenant, kind: 'wsus', name: 'WSUS (2,000 computers)', settings: { ingestKey: KEY } },
    })).body.data!.createConnectorInstance.id;
    const wsus = new WsusSimulator({ computers: 2000, updates: 300, seed: 1, now: new Date('2026-11-02T09:00:00Z') });
    const snapshot = wsus.snapshot();
    const body = wsus.gzipSnapshot();
    const url = `${server.app.url}/ingest/wsus/${instance}`;

    // The portal asks for the tenant's asset count and the run's status, one request after another, until the upload
    // is answered. Each request on a connection of its own: this process is the client too, and on a loaded machine
    // a pause longer than the server's keep-alive timeout would reset a reused connection, which is not the point.
    const portal: Array<{ runStatus: string | null; assets: number }> = [];
    let uploading = true;
    const asking = (async () => {
      while (uploading) {
        const answer = await postOnce(`${server.app.url}/graphql`, server.adminKey, {
          query: `query($t: ID!) { syncRuns(first: 1) { nodes { status } } assets(filter: { tenantIds: [$t] }) { totalCount } }`, variables: { t: tenant },
        });
        if (answer.errors) throw new Error(JSON.stringify(answer.errors));
        portal.push({ runStatus: answer.data.syncRuns.nodes[0]?.status ?? null, assets: answer.data.assets.totalCount });
      }
    })();
    const first = await wsus.upload(url, KEY, body).finally(() => (uploading = false));
    await asking;
    expect(portal.filter((a) => a.assets !== 0 && a.assets !== 2000)).toEqual([]);
    expect(portal.filter((a) => a.runStatus === 'SUCCEEDED').every((a) => a.assets === 2000)).toBe(true);
    // Answered during the run, not only around it (on SQLite the apply gives the event loop turns and the reads go to
    // a read-only connection; without that, the server answers nothing until the commit).
    expect(portal.filter((a) => a.runStatus === 'RUNNING' && a.assets === 0).length).toBeGreaterThanOrEqual(5);
    // The body says why when it fails.
    const failures = () => server.logs.filter((l) => l.level >= 50).map((l) => ({ msg: l.msg, err: l.err?.message, stack: l.err?.stack?.split("\n").slice(0, 12).join(" | ") }));
    expect({ status: first.status, error: (first.body as any).error, failures: failures() }).toEqual({ status: 200, error: undefined, failures: [] });
    const counts = (first.body as any).syncRun.counts;
    expect(counts.devices.created).toBe(2000);
    expect(counts.patchStates.created).toBeGreaterThan(100_000);
    expect(snapshot.rows.installations.length).toBeGreaterThan(counts.patchStates.created); // declined updates and merged KB variants
    expect(Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM patch_state'))[0].n)).toBe(counts.patchStates.created);

    const again = await wsus.upload(url, KEY, body);
    expect({ status: again.status, error: (again.body as any).error, failures: failures() }).toEqual({ status: 200, error: undefined, failures: [] });
    expect((again.body as any).syncRun.counts).toMatchObject({
      devices: { seen: 2000, created: 0, changed: 0, stale: 0 }, patchStates: { created: 0, changed: 0 }, events: 0, assets: { created: 0, changed: 0 },
    });
  }, 600_000);
});
