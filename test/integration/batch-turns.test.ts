/**
 * The sync's batched statements give the event loop a turn between two statements (on SQLite each runs
 * synchronously, so a run of them without a turn keeps the server from answering anyone, a liveness probe included),
 * and a multi-row INSERT is cut at MAX_ROWS_PER_INSERT rows. No timing: turns are counted, not measured.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { TimeSlicer } from '../../connectors/sdk/time-slices';
import { findIn } from '../../src/db/find-in';
import { insertRows, MAX_ROWS_PER_INSERT, updateRows } from '../../src/db/insert-rows';
import { readRowsIn } from '../../src/db/read-rows';
import { PatchState, SourceDevice, Tenant } from '../../src/entities';
import { PatchStateValue } from '../../src/entities/enums';
import { emptyCounts } from '../../src/sync/apply/run-context';
import type { DevicePlan } from '../../src/sync/apply/plan-devices';
import { refreshAssets } from '../../src/sync/apply/refresh-assets';
import { resolveIdentities } from '../../src/sync/apply/resolve-identity';
import { writePatchStates } from '../../src/sync/apply/write-states';
import { RunStates } from '../../src/sync/run-states';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory, T0 } from '../helpers/factories';
import { turnsDuring } from '../helpers/turns';


describe(`batched statements and the event loop on ${ENGINE}`, () => {
  let db: TestDatabase;
  let f: Factory;
  beforeAll(async () => {
    db = await openTestDatabase();
    f = new Factory(db.dataSource);
  });
  afterAll(() => db.drop());

  it(`inserts at most ${MAX_ROWS_PER_INSERT} rows a statement, however few columns the rows have`, async () => {
    const rows = Array.from({ length: 2 * MAX_ROWS_PER_INSERT + 100 }, (_, i) => Object.assign(new Tenant(), { id: newId(), name: `Batch ${i}`, createdAt: T0, updatedAt: T0 }));
    db.counter.reset();
    await insertRows(db.dataSource.manager, Tenant, rows);
    const rowsPerInsert = db.counter.statements.filter((s) => /^\s*INSERT/i.test(s)).map((s) => s.match(/\(\?/g)?.length ?? 0);
    // Four columns a row: the parameter bound alone would have put all 1,100 rows in one statement.
    expect(rowsPerInsert).toEqual([MAX_ROWS_PER_INSERT, MAX_ROWS_PER_INSERT, 100]);
    const [{ n }] = await db.dataSource.query(`SELECT COUNT(*) AS n FROM tenant WHERE name LIKE 'Batch %'`);
    expect(Number(n)).toBe(rows.length);
  });

  it('reads a long IN list (readRowsIn, findIn) and updates many rows (updateRows) with turns between the statements', async () => {
    const tenant = await f.tenant();
    const connector = await f.connector(tenant);
    const assets = await f.insertAssets(Array.from({ length: 1_200 }, () => f.asset(tenant)));
    const sources = assets.map((a) => f.source(a, connector));
    await f.insert(SourceDevice, sources);
    const ids = sources.map((s) => s.id);

    const read = await turnsDuring(() => readRowsIn(db.dataSource.manager, SourceDevice, 'id', ids));
    expect(read.result).toHaveLength(1_200);
    expect(read.turns).toBeGreaterThanOrEqual(2); // three statements of 500 ids

    const found = await turnsDuring(() => findIn(db.dataSource.manager, SourceDevice, 'id', ids, { tenantId: tenant.id }));
    expect(found.result).toHaveLength(1_200);
    expect(found.turns).toBeGreaterThanOrEqual(2);

    for (const s of sources) s.hostname = `${s.hostname}-renamed`;
    const updated = await turnsDuring(() => updateRows(db.dataSource.manager, SourceDevice, sources.slice(0, 600), ['hostname']));
    expect(updated.turns).toBeGreaterThanOrEqual(2); // three statements of 200 rows
    const [{ n }] = await db.dataSource.query(`SELECT COUNT(*) AS n FROM source_device WHERE hostname LIKE '%-renamed'`);
    expect(Number(n)).toBe(600);
  });

  it('compares a chunk of devices with turns as its slicer asks, and writes the same states', async () => {
    const tenant = await f.tenant();
    const connector = await f.connector(tenant, 'wsus');
    const { updates } = await f.catalog();
    const keys = [...updates.keys()].slice(0, 3);
    const sources = (await f.insertAssets(Array.from({ length: 4 }, () => f.asset(tenant)))).map((a) => f.source(a, connector));
    await f.insert(SourceDevice, sources);
    const toCompare = new Map(sources.map((s) => [s, RunStates.from(keys.map((updateKey) => ({ deviceExternalId: s.externalId, updateKey, state: PatchStateValue.MISSING, evidence: 'REPORTED' as const })))]));
    let turns = 0;
    const slicer: TimeSlicer = { due: () => true, turn: () => (turns++, nextTurn()) };

    await db.dataSource.transaction((m) => writePatchStates(
      m, { tenantId: tenant.id, syncRunId: newId(), now: T0 }, { toCompare, digestChanged: [] }, new Set(sources.map((s) => s.id)),
      new Map(keys.map((k) => [k, updates.get(k)!.id])), emptyCounts(), slicer,
    ));

    expect(turns).toBe(sources.length); // asked before each device
    const stored = await db.dataSource.getRepository(PatchState).findBy({ tenantId: tenant.id });
    expect(stored).toHaveLength(sources.length * keys.length);
    expect(new Set(stored.map((s) => s.state))).toEqual(new Set([PatchStateValue.MISSING]));
  });

  it('decides devices\' assets and derives assets with turns as the slicer asks, to the same result', async () => {
    const tenant = await f.tenant();
    const connector = await f.connector(tenant, 'wsus');
    const sources = Array.from({ length: 5 }, (_, i) => Object.assign(f.source(f.asset(tenant), connector), { assetId: null, externalId: `turning-${i}`, hostname: `turning-${i}` }));
    let turns = 0;
    const slicer: TimeSlicer = { due: () => true, turn: () => (turns++, nextTurn()) };
    const plan = { byExternalId: new Map(sources.map((s) => [s.externalId, s])), created: sources, changed: new Set(), needsIdentity: sources, postureChanges: [], sharedSerials: new Map(), sharedSmbiosUuids: new Map() } as DevicePlan;

    const resolved = await db.dataSource.transaction((m) => resolveIdentities(m, tenant.id, T0, plan, slicer));
    expect(turns).toBe(sources.length); // asked after each device
    expect({ newAssets: resolved.newAssets.length, every: sources.every((s) => resolved.newAssets.some((a) => a.id === s.assetId)) }).toEqual({ newAssets: 5, every: true });

    await f.insertAssets(resolved.newAssets);
    await f.insert(SourceDevice, sources);
    turns = 0;
    const refreshed = await db.dataSource.transaction((m) => refreshAssets(m, tenant.id, resolved.touched, T0, slicer));
    expect(turns).toBe(sources.length); // asked before each asset
    expect(refreshed.deleted).toEqual([]);
  });
});
