/**
 * An upload's installation rows are kept as columns as the ingest route parses them, never as one array per row:
 * at 20,000 computers they were 1.76 million arrays, 150 MB of heap held through the check and the read. Nothing
 * else may change: the same states are applied, and every malformed upload is refused with the same first problem.
 */
import { randomUUID } from 'node:crypto';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { checkEnvelope, WsusEnvelope } from '..';
import { wsusIngest } from '../ingest';
import { InstallationColumns } from '../installation-columns';
import { mapSnapshot } from '../mapping';
import { parseBoundedJson } from '../../../src/server/bounded-json';
import { PatchState } from '../../../src/entities';
import { SyncRunStatus, SyncTrigger } from '../../../src/entities/enums';
import { ENGINE, openTestDatabase, TestDatabase } from '../../../test/helpers/database';
import { decodeGlobalId } from '../../../src/graphql/types/global-id';
import { startTestServer, TestServer } from '../../../test/helpers/server';
import { WsusSimulator } from '../simulator';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const NOW = new Date('2026-11-02T10:00:00.000Z');
const LIMITS = { maxBytes: 1 << 30, maxDepth: 64, maxElements: 10_000_000, maxStringChars: 10_000 };
const NAMES = { maxBytes: 'MAX_BYTES', maxDepth: 'MAX_DEPTH', maxElements: 'MAX_ELEMENTS', maxStringChars: 'MAX_STRING_CHARS' };
const KEY = 'wsus-ingest-key-for-the-columns-test-0123456789';

const snapshotText = (computers: number, updates: number, seed = 3) => JSON.stringify(new WsusSimulator({ computers, updates, seed, now: NOW }).snapshot());

/** The text in 64 KB chunks, as the gunzip stream hands it over. */
function chunksOf(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 65_536) chunks.push(bytes.subarray(i, i + 65_536));
  return chunks;
}

/** What the route gives the WSUS hook: the upload parsed with the hook's collectors. */
const parsedAsRouted = (text: string | Buffer[]) => parseBoundedJson(typeof text === 'string' ? chunksOf(text) : text, LIMITS, NAMES, wsusIngest.collectArrays);

/**
 * The heap and typed arrays' buffers (kept outside the heap, so heapUsed alone would flatter the columns), less the
 * heap's code spaces: the parser's code, compiled again in some measures and not in others, is no data the parse holds.
 */
const held = () => {
  const code = getHeapSpaceStatistics().filter((s) => /code/.test(s.space_name)).reduce((sum, s) => sum + s.space_used_size, 0);
  return process.memoryUsage().heapUsed - code + process.memoryUsage().arrayBuffers;
};

/** What a parse leaves behind while its value is kept. */
async function heldBy(parse: () => Promise<unknown>): Promise<{ bytes: number; value: unknown }> {
  gc();
  gc();
  const before = held();
  const value = await parse();
  gc();
  gc();
  return { bytes: held() - before, value };
}

/** The columns' rows as triples, in order. */
const rowsOf = (columns: InstallationColumns) => Array.from({ length: columns.length }, (_, i) => [columns.computerId(i), columns.updateId(i), columns.state(i)]);

const mapOptions = { targetGroups: 'sites', staleAfterDays: 30 } as const;
const statesOf = async (envelope: WsusEnvelope) => [...(await mapSnapshot(envelope, mapOptions)).patchStates];

describe('a WSUS upload parsed as the ingest route parses it', () => {
  it('holds a 300 x 300 snapshot in under a third of what it held with a JavaScript array per installation row', async () => {
    const text = snapshotText(300, 300);
    const rowCount = (JSON.parse(text) as WsusEnvelope).rows.installations.length;
    // The text's buffers are made first: made inside the measure, they would count until their finalisers ran.
    const chunks = chunksOf(text);
    /** One measure of each, in a frame of its own, so that nothing of one attempt is held through the next. */
    const attempt = async (): Promise<number> => {
      const arrays = await heldBy(() => parseBoundedJson(chunks, LIMITS, NAMES));
      const columns = await heldBy(() => parsedAsRouted(chunks));
      process.stdout.write(`300 x 300 (${rowCount} rows): held ${arrays.bytes} bytes as arrays, ${columns.bytes} as columns\n`);
      const installations = (columns.value as WsusEnvelope).rows.installations as unknown;
      expect(installations).toBeInstanceOf(InstallationColumns);
      expect((installations as InstallationColumns).length).toBe(rowCount);
      return columns.bytes / arrays.bytes;
    };
    // At 2,000 x 300 (365,000 rows): 30 MB held with the rows as interned, exact-size arrays, 5 MB as columns.
    // Once unmeasured first: the first parse of each kind compiles what later ones reuse (bytecode, the schema's
    // checks, optimized code), and measured with it the columns came to 1.8-2.0 MB in some runs and 0.5-0.9 MB in
    // others. What else the process allocates meanwhile only adds to a measure: the least of up to three attempts.
    await parseBoundedJson(chunks, LIMITS, NAMES);
    await parsedAsRouted(chunks);
    let ratio = await attempt();
    for (let i = 1; i < 3 && ratio >= 1 / 3; i++) ratio = Math.min(ratio, await attempt());
    expect(ratio).toBeLessThan(1 / 3);
  });

  it('gives the same rows, and the same states once checked and mapped, as the text parsed whole', async () => {
    const text = snapshotText(60, 40, 11);
    const whole = JSON.parse(text) as WsusEnvelope;
    const routed = await checkEnvelope(await parsedAsRouted(text));
    const rows: unknown[] = [];
    rows.push(...rowsOf(routed.rows.installations as unknown as InstallationColumns));
    expect(rows).toEqual(whole.rows.installations);
    const expected = await statesOf(await checkEnvelope(whole));
    expect(expected.length).toBeGreaterThan(500);
    expect(await statesOf(routed)).toEqual(expected);
  });

  /** Spoils a small snapshot's text; each is refused the same whichever way it is parsed. */
  const spoilers: Array<[string, (e: WsusEnvelope & { rows: any }) => string | void]> = [
    ['a state out of range at row 7', (e) => void (e.rows.installations[7][2] = 9)],
    ['a row of two at row 7, and a worse one after it', (e) => void ((e.rows.installations[7] = e.rows.installations[7].slice(0, 2)), (e.rows.installations[9] = 'x'))],
    ['a row that is a string', (e) => void (e.rows.installations[3] = 'row')],
    ['a row that is an object', (e) => void (e.rows.installations[0] = { ComputerTargetId: e.rows.installations[0][0] })],
    ['a row that is null', (e) => void (e.rows.installations[12] = null)],
    ['a row with a fourth member', (e) => void e.rows.installations[5].push(1)],
    ['an id that is not a GUID', (e) => void (e.rows.installations[4][1] = 'not-a-guid')],
    ['a state given as text, in a row whose ids passed before', (e) => void (e.rows.installations[30][2] = String(e.rows.installations[30][2]))],
    ['a state that is not whole, in a row whose ids passed before', (e) => void (e.rows.installations[30][2] = 4.5)],
    ['a row of four late in the set, its ids and state seen before', (e) => void e.rows.installations[40].push(e.rows.installations[40][2])],
    ['a bad installation row after a bad computer', (e) => void ((e.rows.installations[2][2] = -1), (e.rows.computerTargets[1].Name = 5))],
    ['a bad installation row before a bad approval', (e) => void ((e.rows.installations[2][2] = 'four'), (e.rows.approvals = [{}]))],
    ['installations that are an object', (e) => void (e.rows.installations = { 0: e.rows.installations[0] })],
    ['installations that are a string', (e) => void (e.rows.installations = 'none')],
    ['no installations', (e) => void delete e.rows.installations],
    ['a row naming a computer not listed', (e) => void (e.rows.installations[7][0] = randomUUID())],
    ['a row naming an update not listed', (e) => void (e.rows.installations[7][1] = randomUUID())],
    ['two states for one pair', (e) => void e.rows.installations.push([e.rows.installations[3][0], e.rows.installations[3][1], (e.rows.installations[3][2] + 1) % 7])],
    ['a second installations member, the bad one last', (e) => JSON.stringify(e).replace('"approvals":[', '"installations":[["x"]],"approvals":[')],
    ['a second installations member, the good one last', (e) => JSON.stringify(e).replace('"installations":[', '"installations":[],"installations":[["x"]],"installations":[')],
  ];

  it.each(spoilers)('refuses %s with the same first problem as before', async (_, spoil) => {
    const envelope = JSON.parse(snapshotText(20, 15, 7));
    const text = spoil(envelope) ?? JSON.stringify(envelope);
    const before = await checkEnvelope(JSON.parse(text)).then(() => 'accepted', (err: Error) => err.message);
    const now = await checkEnvelope(await parsedAsRouted(text)).then(() => 'accepted', (err: Error) => err.message);
    expect(now).toBe(before);
    // A member given twice is JSON's to resolve, the last one winning: a good one last is accepted.
    expect(now).toEqual(/good one last/.test(_) ? 'accepted' : expect.stringMatching(/installations|approvals|computerTargets/));
  });

  it('runs the full row rule only for a row with an id or state no earlier row had, and keeps the same rows', async () => {
    const envelope = JSON.parse(snapshotText(40, 30, 5)) as WsusEnvelope;
    const rows = envelope.rows.installations;
    let ruled = 0;
    const columns = new InstallationColumns((row) => {
      ruled += 1;
      return Array.isArray(row) && row.length === 3 && typeof row[0] === 'string' && typeof row[1] === 'string' && Number.isInteger(row[2]);
    });
    rows.forEach((row, i) => columns.add(row, i));
    columns.finish();
    const distinct = new Set(rows.map(([c]) => c)).size + new Set(rows.map(([, u]) => u)).size + new Set(rows.map(([, , s]) => s)).size;
    expect(rows.length).toBeGreaterThan(3 * distinct);
    expect(ruled).toBeLessThanOrEqual(distinct);
    const kept: unknown[] = [];
    kept.push(...rowsOf(columns));
    expect(kept).toEqual(rows);
  });

  it("places a row's computer and update by the rows before it, without a look-up, and keeps every row where a guess is wrong", async () => {
    const isRow = (row: unknown) => Array.isArray(row) && row.length === 3 && typeof row[0] === 'string' && typeof row[1] === 'string' && Number.isInteger(row[2]);
    const computers = Array.from({ length: 50 }, () => randomUUID());
    const updates = Array.from({ length: 40 }, () => randomUUID());
    // Every computer's updates in the same order, as the collector sends them.
    const ordered = computers.flatMap((c) => updates.map((u, k) => [c, u, k % 7]));
    const count = (rows: unknown[][]) => {
      const columns = new InstallationColumns(isRow);
      const get = jest.spyOn(Map.prototype, 'get');
      try {
        rows.forEach((row, i) => columns.add(row, i));
        return { lookUps: get.mock.calls.length, rows: rowsOf(columns.finish()) };
      } finally {
        get.mockRestore();
      }
    };
    const same = count(ordered);
    expect(same.rows).toEqual(ordered);
    // Two look-ups a row before: 4,000 for 2,000 rows. Now a computer's first row and the first computer's updates.
    expect(same.lookUps).toBeLessThan(200);

    // Orders that defeat the guesses: updates shuffled per computer, computers interleaved, ids differing only in case.
    const shuffled = computers.flatMap((c, i) => updates.map((_, k) => [i % 3 === 0 ? c.toUpperCase() : c, updates[(k * 7 + i) % updates.length], (k + i) % 7]));
    const interleaved = updates.flatMap((u, k) => computers.slice(0, 5).map((c, i) => [c, k % 2 ? u.toUpperCase() : u, i]));
    for (const rows of [shuffled, interleaved, [...ordered].reverse()]) expect(count(rows).rows).toEqual(rows);
  });

  it('refuses columns it did not make, however like its own they look', async () => {
    const text = snapshotText(10, 10, 2);
    const routed = (await parsedAsRouted(text)) as WsusEnvelope;
    const forged = new InstallationColumns(() => true);
    forged.add([routed.rows.computerTargets[0].ComputerTargetId, routed.rows.updates[0].UpdateId, 9], 0);
    await expect(checkEnvelope({ ...routed, rows: { ...routed.rows, installations: forged.finish() as any } })).rejects.toThrow('/rows/installations must be array');
  });
});

describe(`an upload through the ingest route on ${ENGINE}`, () => {
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

  /** A tenant's stored states, told apart by what a user sees: the computer, the update and the state. */
  async function storedStates(tenantId: string): Promise<string[]> {
    const states = await db.dataSource.getRepository(PatchState).find({ where: { tenantId }, relations: { assetRef: true, updateRef: true } });
    return states.map((s) => `${s.assetRef!.fqdn} ${s.updateRef!.catalogKey} ${s.state} ${s.evidence}`).sort();
  }

  /** A tenant and its WSUS instance, made through the API; their keys. */
  async function wsusInstance(name: string): Promise<[string, string]> {
    const tenant = (await server.gql(`mutation($name: String!) { createTenant(input: { name: $name }) { id } }`, { name })).body.data!.createTenant.id;
    const instance = (await server.gql(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`, {
      input: { tenantId: tenant, kind: 'wsus', name: `WSUS of ${name}`, settings: { ingestKey: KEY } },
    })).body.data!.createConnectorInstance.id;
    return [decodeGlobalId(tenant, 'tenantId').key, decodeGlobalId(instance, 'instanceId').key];
  }

  it('reaches the connector as columns and stores what the same snapshot handed over as arrays stores', async () => {
    const [routedTenant, routedInstance] = await wsusInstance('Columns over HTTP');
    const [plainTenant, plainInstance] = await wsusInstance('Arrays to the engine');
    const wsus = new WsusSimulator({ computers: 80, updates: 50, seed: 9, now: server.clock.now() });
    const rowCount = wsus.snapshot().rows.installations.length;

    const engine = server.sync;
    const run = engine.run.bind(engine);
    let handedOver: unknown;
    engine.run = (id, options) => {
      handedOver = (options.payload as WsusEnvelope).rows.installations;
      return run(id, options);
    };
    let routed: { status: number; body: any };
    try {
      routed = await wsus.upload(`${server.app.url}/ingest/wsus/${routedInstance}`, KEY);
    } finally {
      engine.run = run;
    }
    expect({ status: routed.status, body: routed.body }).toMatchObject({ status: 200, body: { syncRun: { status: 'SUCCEEDED' } } });
    expect(handedOver).toBeInstanceOf(InstallationColumns);
    expect((handedOver as InstallationColumns).length).toBe(rowCount);

    const direct = await server.sync.run(plainInstance, { trigger: SyncTrigger.PUSH, triggeredBy: 'test', payload: JSON.parse(JSON.stringify(wsus.snapshot())) });
    expect(direct.status).toBe(SyncRunStatus.SUCCEEDED);
    const expected = await storedStates(plainTenant);
    expect(expected.length).toBeGreaterThan(1000);
    expect(await storedStates(routedTenant)).toEqual(expected);
  });
});
