/**
 * The WSUS ingest endpoint against hostile or broken uploads, over real HTTP on a real database: decompression
 * bombs and pathological JSON are refused by the limit they cross (and the server keeps serving), a caller without
 * the key is answered before its body is read, a snapshot dated in the future cannot lock its instance out, and a
 * snapshot whose rows name computers or updates it does not list is refused. Every refusal leaves the graph as it was.
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { Role } from '../../../src/entities/enums';
import { WsusSimulator } from '../simulator';
import { ENGINE, openTestDatabase, TestDatabase } from '../../../test/helpers/database';
import { startTestServer, TestServer } from '../../../test/helpers/server';
import { tableDigests } from '../../../test/helpers/table-digest';

const NOW = new Date('2026-11-02T10:00:00.000Z'); // the test server's fixed clock
const KEY = 'wsus-hostile-ingest-key-0123456789abcdef';
const TABLES = ['source_device', 'asset', 'patch_state', 'patch_event', 'update_approval', 'vulnerability', 'software_update', 'connector_instance'];
const MB = 1_048_576;

/** gzip of `head`, then `unit` repeated until `totalBytes`, then `tail`: compressed as it is produced, never held whole. */
async function gzipBomb(head: string, unit: string, totalBytes: number, tail: string): Promise<Buffer> {
  const block = Buffer.from(unit.repeat(Math.ceil(64 * 1024 / unit.length)));
  async function* text() {
    yield Buffer.from(head);
    for (let sent = 0; sent < totalBytes; sent += block.length) yield block;
    yield Buffer.from(tail);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(text()).pipe(createGzip({ level: 9 }))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe(`WSUS ingest against hostile uploads on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let tenantId: string;
  let url: string;
  let wsus: WsusSimulator;

  const data = async (query: string, variables?: Record<string, unknown>, key?: string) => {
    const res = await server.gql(query, variables, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };
  /** Every row a snapshot can write, hashed per table: "unchanged" means this is equal. */
  const graphDigest = () => tableDigests(db.dataSource, TABLES);
  const post = (body: Buffer, to = url, key = KEY) =>
    fetch(to, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${key}` }, body })
      .then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
  const postSnapshot = (snapshot: unknown, to = url) => post(gzipSync(JSON.stringify(snapshot)), to);
  const newInstance = async (name: string) => {
    const id = (await data(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`, {
      input: { tenantId, kind: 'wsus', name, settings: { ingestKey: KEY } },
    })).createConnectorInstance.id as string;
    return { id, url: `${server.app.url}/ingest/wsus/${id}` };
  };

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
    tenantId = (await data(`mutation { createTenant(input: { name: "Fabrikam" }) { id } }`)).createTenant.id;
    ({ url } = await newInstance('WSUS wsus02'));
    wsus = new WsusSimulator({ computers: 20, updates: 40, seed: 11, now: NOW });
    expect((await wsus.upload(url, KEY)).status).toBe(200);
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  describe('refused, the graph unchanged', () => {
    let before: Record<string, string>;
    beforeEach(async () => {
      before = await graphDigest();
    });
    afterEach(async () => {
      expect(await graphDigest()).toEqual(before);
    });

    it('a 480 MB gzip bomb of [0,0,…] → 422 JSON_TOO_MANY_ELEMENTS, and the server still serves', async () => {
      const bomb = await gzipBomb('[', '0,', 480 * MB, '0]');
      expect(bomb.length).toBeLessThan(MB); // about 480 KB on the wire
      const res = await post(bomb);
      expect(res).toMatchObject({ status: 422, body: { error: { code: 'JSON_TOO_MANY_ELEMENTS', message: expect.stringMatching(/PATCHGRAPH_INGEST_MAX_JSON_ELEMENTS/) } } });
      expect((await fetch(`${server.app.url}/healthz`)).status).toBe(200);
      expect((await wsus.upload(url, KEY)).status).toBe(200);
    }, 120_000);

    it('a gzip bomb of whitespace past the snapshot size limit → 413 SNAPSHOT_TOO_LARGE', async () => {
      const bomb = await gzipBomb('{"format":', ' ', 200 * MB, '1}');
      const res = await post(bomb);
      expect(res).toMatchObject({ status: 413, body: { error: { code: 'SNAPSHOT_TOO_LARGE', message: expect.stringMatching(/128 MB uncompressed \(PATCHGRAPH_INGEST_MAX_SNAPSHOT_MB\)/) } } });
      expect((await fetch(`${server.app.url}/healthz`)).status).toBe(200);
    }, 120_000);

    it('an array nested 100,000 deep → 422 JSON_TOO_DEEP', async () => {
      const res = await post(gzipSync('['.repeat(100_000) + ']'.repeat(100_000)));
      expect(res).toMatchObject({ status: 422, body: { error: { code: 'JSON_TOO_DEEP', message: expect.stringMatching(/more than 32 deep.*PATCHGRAPH_INGEST_MAX_JSON_DEPTH/) } } });
    });

    it('a 300 MB string (a 300 KB gzip) → 422 JSON_STRING_TOO_LONG, and a normal upload still goes through', async () => {
      const bomb = await gzipBomb('{"format":"', 'a', 300 * MB, '"}');
      const res = await post(bomb);
      expect(res).toMatchObject({ status: 422, body: { error: { code: 'JSON_STRING_TOO_LONG', message: expect.stringMatching(/PATCHGRAPH_INGEST_MAX_JSON_STRING_CHARS/) } } });
      expect((await fetch(`${server.app.url}/healthz`)).status).toBe(200);
      expect((await wsus.upload(url, KEY)).status).toBe(200);
    }, 120_000);

    it('a long number counts as a long string', async () => {
      const res = await post(gzipSync(`[1${'0'.repeat(100_000)}]`));
      expect(res).toMatchObject({ status: 422, body: { error: { code: 'JSON_STRING_TOO_LONG' } } });
    });

    it('a snapshot dated in 2099 → 422 SNAPSHOT_FROM_THE_FUTURE (it would have made every real one stale)', async () => {
      const res = await postSnapshot({ ...wsus.snapshot(), generatedAt: '2099-01-01T00:00:00Z' });
      expect(res).toMatchObject({ status: 422, body: { error: { code: 'SNAPSHOT_FROM_THE_FUTURE', message: expect.stringMatching(/2099-01-01T00:00:00.000Z.*2026-11-02T10:10:00.000Z/) } } });
      // The next real snapshot is applied.
      expect((await wsus.upload(url, KEY)).status).toBe(200);
    });

    describe('a reference the snapshot does not back → 422 SCHEMA_VIOLATION naming the row', () => {
      const refused = async (edit: (rows: any) => void, message: string | RegExp) => {
        const snapshot = wsus.snapshot() as any;
        edit(snapshot.rows);
        const res = await postSnapshot(snapshot);
        expect(res).toMatchObject({ status: 422, body: { error: { code: 'SCHEMA_VIOLATION', message } } });
      };
      const stranger = '0badc0de-0000-4000-8000-000000000001';

      it('a group membership of a computer not in computerTargets', () =>
        refused((rows) => rows.groupMemberships.push({ ComputerTargetId: stranger, ComputerTargetGroupId: rows.targetGroups[0].ComputerTargetGroupId }),
          new RegExp(`^/rows/groupMemberships/\\d+/ComputerTargetId names computer ${stranger}, which is not in computerTargets$`)));

      it('an approval of an update not in updates', () =>
        refused((rows) => rows.approvals.push({ ...rows.approvals[0], UpdateApprovalId: stranger, UpdateId: stranger }),
          new RegExp(`^/rows/approvals/\\d+/UpdateId names update ${stranger}, which is not in updates$`)));

      it('an update listed twice', () =>
        refused((rows) => rows.updates.push({ ...rows.updates[0], UpdateId: rows.updates[0].UpdateId.toUpperCase() }),
          /^\/rows\/updates\/40\/UpdateId [0-9A-F-]+ is listed twice$/));

      it('two different states for one computer and update', () =>
        refused((rows) => {
          const [computer, update, state] = rows.installations[0];
          rows.installations.push([computer, update, state === 4 ? 2 : 4]);
        }, /^\/rows\/installations\/\d+ gives computer .* state \d for update .*, which an earlier row gives state \d$/));

      it('an installation naming an unknown update', () =>
        refused((rows) => rows.installations.push([rows.computerTargets[0].ComputerTargetId, stranger, 2]), /names update .*, which is not in updates$/));
    });
  });

  it('a wrong key is answered 401 before the body is read: the server does not wait for 60 MB to arrive', async () => {
    const declared = 60 * MB;
    let sent = 0;
    const answer = await new Promise<{ status: number; body: any; sentWhenAnswered: number }>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(declared), authorization: 'Bearer not-the-key' } }, (res) => {
        const sentWhenAnswered = sent;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()), sentWhenAnswered });
          req.destroy();
        });
      });
      req.on('error', (err) => (sent < declared ? undefined : reject(err)));
      // One megabyte, then nothing more until the server answers: a server reading the body first never does.
      const first = Buffer.alloc(MB, 0x20);
      sent += first.length;
      req.write(first);
      setTimeout(() => reject(new Error(`no answer after 10 s with ${sent} of ${declared} bytes sent: the server is waiting for the body`)), 10_000).unref();
    });
    expect(answer).toEqual({ status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'the ingest key is missing or wrong for this instance' } }, sentWhenAnswered: MB });
  }, 20_000);

  it('twenty unauthenticated 60 MB uploads at once are all refused without being read', async () => {
    const attempt = () => new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { 'content-length': String(60 * MB), authorization: 'Bearer wrong' } }, (res) => {
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', () => undefined);
      req.write(Buffer.alloc(256 * 1024));
      setTimeout(() => reject(new Error('no answer: the server is reading the body')), 10_000).unref();
    });
    expect(await Promise.all(Array.from({ length: 20 }, attempt))).toEqual(Array(20).fill(401));
    expect((await wsus.upload(url, KEY)).status).toBe(200);
  }, 30_000);

  it('a declared Content-Length over the upload limit → 413 before reading', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { 'content-length': String(65 * MB), authorization: `Bearer ${KEY}` } }, (res) => {
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', () => undefined);
      req.write(Buffer.alloc(64 * 1024));
      setTimeout(() => reject(new Error('no answer: the server is reading the body')), 10_000).unref();
    });
    expect(status).toBe(413);
  });

  describe('the ingest watermark', () => {
    it('a snapshot within the clock skew allowed is accepted; when it blocks real ones, MSP staff reset the watermark (audited)', async () => {
      const { id, url: target } = await newInstance('WSUS with a fast clock');
      const simulator = new WsusSimulator({ computers: 5, updates: 20, seed: 12, now: NOW });
      // Nine minutes ahead: within the default ten, so accepted, and now the watermark.
      const ahead = await postSnapshot({ ...simulator.snapshot(), generatedAt: new Date(NOW.getTime() + 9 * 60_000).toISOString() }, target);
      expect(ahead.status).toBe(200);
      expect((await postSnapshot(simulator.snapshot(), target))).toMatchObject({ status: 409, body: { error: { code: 'STALE_SNAPSHOT' } } });

      // The client's own admin may not (the permission matrix gives it to MSP_ADMIN and TECHNICIAN).
      const clientAdmin = await server.keyFor(Role.CLIENT_ADMIN, [(await db.dataSource.query(`SELECT id FROM tenant WHERE name = 'Fabrikam'`))[0].id]);
      const forbidden = await server.gql(`mutation($id: ID!) { resetIngestWatermark(connectorInstanceId: $id) { id } }`, { id }, clientAdmin);
      expect(forbidden.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');

      const reset = await data(`mutation($id: ID!) { resetIngestWatermark(connectorInstanceId: $id) { id name } }`, { id });
      expect(reset.resetIngestWatermark).toEqual({ id, name: 'WSUS with a fast clock' });
      const audit = await db.dataSource.query(`SELECT actor, action, data FROM audit_event WHERE action = 'connector.reset_ingest_watermark'`);
      expect(audit).toHaveLength(1);
      expect(JSON.parse(audit[0].data)).toEqual({ watermarkBefore: '2026-11-02T10:09:00.000Z' });

      expect((await postSnapshot(simulator.snapshot(), target)).status).toBe(200);
    });

  });
});
