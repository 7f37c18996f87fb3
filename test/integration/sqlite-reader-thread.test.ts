/**
 * An SQLite event stream (the CSV export's) steps its statement on a thread of its own with a read-only connection
 * (src/reports/sqlite-reader-thread.ts): the rows it hands over, the scope it reads under, and a reader that stops
 * (a client gone mid-download) ending the statement and, once the stream is released, the thread.
 */
import workerThreads = require('node:worker_threads');
import { TenantScope } from '../../src/access/tenant-scope';
import { takeEventStream } from '../../src/reports/event-stream';
import { PatchHistorySource, STREAMED } from '../../src/reports/patch-history-source';
import { openTestDatabase, TestDatabase } from '../helpers/database';

const sqliteOnly = process.env.TEST_ENGINE === 'mariadb' ? describe.skip : describe;
const RealWorker = workerThreads.Worker;

sqliteOnly('the SQLite event stream on a reader thread', () => {
  let db: TestDatabase;
  const id = (tenant: number, n: number) => `0000000${tenant}-0000-7000-8000-${String(n).padStart(12, '0')}`;
  const TENANTS = [1, 2];
  const EVENTS = 25;
  const at = (n: number) => `2026-10-${String(1 + (n % 20)).padStart(2, '0')} 06:00:00.000`;

  beforeAll(async () => {
    db = await openTestDatabase();
    const q = (sql: string, params: unknown[]) => db.dataSource.query(sql, params);
    for (const t of TENANTS) {
      await q('INSERT INTO tenant (id, name, createdAt, updatedAt) VALUES (?, ?, ?, ?)', [id(t, 0), `Tenant ${t}`, '2026-09-01 00:00:00.000', '2026-09-01 00:00:00.000']);
      await q(
        `INSERT INTO software_update (id, catalogKey, kb, title, vendor, products, classification, severity, releasedAt, supersedes, createdAt, updatedAt)
         VALUES (?, ?, NULL, ?, 'Tests', '[]', 'UPDATE', 'LOW', '2026-09-01 00:00:00.000', '[]', '2026-09-01 00:00:00.000', '2026-09-01 00:00:00.000')`,
        [id(t, 1), `tests:tool-${t}`, `Tool ${t}`],
      );
      // The two tenants' events interleave in time, so a statement that lost its tenant condition would mix them.
      for (let n = 0; n < EVENTS; n++) {
        await q(
          `INSERT INTO patch_event (id, tenantId, assetId, sourceDeviceId, updateId, syncRunId, fromState, toState, evidence, reportedAt, observedAt)
           VALUES (?, ?, ?, ?, ?, NULL, NULL, 'MISSING', 'REPORTED', ?, ?)`,
          [id(t, 100 + n), id(t, 0), id(t, 2), id(t, 3 + (n % 3)), id(t, 1), n % 2 ? null : at(n).replace('06:', '05:'), at(n)],
        );
      }
    }
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => db?.drop());

  /** Every Worker the code under test starts, with a promise of its exit. */
  function watchWorkers(): Array<{ worker: workerThreads.Worker; exited: Promise<number> }> {
    const started: Array<{ worker: workerThreads.Worker; exited: Promise<number> }> = [];
    jest.spyOn(workerThreads, 'Worker').mockImplementation((...args: ConstructorParameters<typeof RealWorker>) => {
      const worker = new RealWorker(...args);
      started.push({ worker, exited: new Promise((resolve) => worker.once('exit', resolve)) });
      return worker;
    });
    return started;
  }

  const SQL = 'SELECT id, reportedAt, observedAt, toState FROM patch_event WHERE tenantId = ? ORDER BY observedAt, id';

  it('hands over the statement\'s rows in order and unchanged, in slices, read on one thread for all the stream\'s statements', async () => {
    const workers = watchWorkers();
    const expected = await db.dataSource.query(SQL, [id(1, 0)]);
    const stream = takeEventStream(db.dataSource)!;
    try {
      for (const t of TENANTS) {
        const slices: unknown[][][] = [];
        for await (const slice of stream.slices(SQL, [id(t, 0)], 4)) slices.push(slice);
        expect(slices.map((s) => s.length)).toEqual([4, 4, 4, 4, 4, 4, 1]);
        const rows = slices.flat();
        const want = t === 1 ? expected : await db.dataSource.query(SQL, [id(t, 0)]);
        expect(rows).toEqual(want.map((r: Record<string, unknown>) => [r.id, r.reportedAt, r.observedAt, r.toState]));
      }
      expect(workers).toHaveLength(1);
    } finally {
      stream.release();
    }
    await expect(workers[0].exited).resolves.toBeDefined();
  });

  it('reads only the scope\'s tenant, through the statement PatchHistorySource builds', async () => {
    const source = await PatchHistorySource.open(db.dataSource, TenantScope.only([id(2, 0)]), {
      tenantIds: null, from: new Date('2026-09-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z'), knownAt: new Date('2026-11-02T00:00:00Z'),
      siteIds: null, assetIds: null, kbs: null, cveIds: null, severities: null, transitions: null, policy: null,
    }, null);
    const stream = takeEventStream(db.dataSource)!;
    const ids: string[] = [];
    try {
      for await (const slice of source.streamedSlices(stream)) {
        expect(slice.tenantId).toBe(id(2, 0));
        ids.push(...slice.rows.map((r) => String(r[STREAMED.id])));
      }
    } finally {
      stream.release();
    }
    expect(ids.sort()).toEqual(Array.from({ length: EVENTS }, (_, n) => id(2, 100 + n)).sort());
  });

  it('a reader that stops mid-statement (a client gone) leaves the thread free for the next statement, whose rows are its own, and releasing the stream ends the thread', async () => {
    const workers = watchWorkers();
    const stream = takeEventStream(db.dataSource)!;
    try {
      const first = stream.slices(SQL, [id(1, 0)], 2);
      expect((await first.next()).value).toHaveLength(2);
      await first.return(undefined);
      // The slice read ahead for the stopped statement is not handed to the next one.
      const rows: unknown[][] = [];
      for await (const slice of stream.slices(SQL, [id(2, 0)], 10)) rows.push(...slice);
      expect(rows.map((r) => r[0])).toEqual((await db.dataSource.query(SQL, [id(2, 0)])).map((r: { id: string }) => r.id));
    } finally {
      stream.release();
    }
    expect(workers).toHaveLength(1);
    await expect(workers[0].exited).resolves.toBeDefined();
  });

  it('a statement that fails on the thread fails the reader, which may go on with another', async () => {
    const stream = takeEventStream(db.dataSource)!;
    try {
      await expect((async () => {
        for await (const slice of stream.slices('SELECT nope FROM patch_event', [])) void slice;
      })()).rejects.toThrow(/no such column: nope/);
      await expect((async () => {
        for await (const slice of stream.slices("DELETE FROM patch_event WHERE id = 'x'", [])) void slice;
      })()).rejects.toThrow(/only reads/);
      const rows: unknown[][] = [];
      for await (const slice of stream.slices(SQL, [id(1, 0)])) rows.push(...slice);
      expect(rows).toHaveLength(EVENTS);
    } finally {
      stream.release();
    }
  });
});
