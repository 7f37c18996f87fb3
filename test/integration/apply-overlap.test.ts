/**
 * A sync's apply keeps the database busy while this thread works: inside a transaction insertRows has two statements
 * in flight, a chunk of patch states is compared while the last chunk's statements run, and a chunk's states and
 * events are sent side by side. Order and all-or-nothing stay as they were: statements run in the order sent, and a
 * failure leaves nothing running once the stage has thrown. Counted, not timed.
 */
import { EntityManager } from 'typeorm';
import type { TimeSlicer } from '../../connectors/sdk/time-slices';
import { insertRows, MAX_ROWS_PER_INSERT } from '../../src/db/insert-rows';
import { PatchEvent, PatchState, SourceDevice, Tenant } from '../../src/entities';
import { EvidenceKind, PatchStateValue } from '../../src/entities/enums';
import { emptyCounts } from '../../src/sync/apply/run-context';
import { STATES_PER_CHUNK, writePatchStates } from '../../src/sync/apply/write-states';
import { RunStates } from '../../src/sync/run-states';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory, T0 } from '../helpers/factories';

/** The transaction's manager, watched: each statement sent and landed, with how many were in flight when it was sent. */
function watched(m: EntityManager) {
  const log: Array<{ sql: string; inFlightWhenSent: number }> = [];
  const state = { inFlight: 0, most: 0, afterFailure: 0, failed: false };
  const manager = Object.create(m) as EntityManager;
  manager.query = async (sql: string, parameters?: unknown[]) => {
    if (state.failed) state.afterFailure++;
    log.push({ sql, inFlightWhenSent: state.inFlight });
    state.inFlight++;
    state.most = Math.max(state.most, state.inFlight);
    try {
      return await m.query(sql, parameters);
    } catch (err) {
      state.failed = true;
      throw err;
    } finally {
      state.inFlight--;
    }
  };
  return { manager, log, state };
}

describe(`statements kept in flight by a sync's apply on ${ENGINE}`, () => {
  let db: TestDatabase;
  let f: Factory;
  beforeAll(async () => {
    db = await openTestDatabase();
    f = new Factory(db.dataSource);
  });
  afterAll(() => db.drop());

  const tenants = (n: number, tag: string) => Array.from({ length: n }, (_, i) => Object.assign(new Tenant(), { id: newId(), name: `${tag} ${i}`, createdAt: T0, updatedAt: T0 }));

  it('inside a transaction, sends the next INSERT before the last has landed, two at most, and stores every row', async () => {
    const rows = tenants(4 * MAX_ROWS_PER_INSERT, 'Two in flight');
    let most = 0;
    let sentWithOneInFlight = 0;
    await db.dataSource.transaction(async (m) => {
      const { manager, log, state } = watched(m);
      await insertRows(manager, Tenant, rows);
      most = state.most;
      sentWithOneInFlight = log.filter((s) => s.inFlightWhenSent === 1).length;
      expect(state.inFlight).toBe(0);
    });
    // Outside a transaction each statement commits alone, so there the next waits (insert-rows.test.ts). The second
    // is always sent before the first can have landed (no turn between); later ones as the database keeps up.
    expect(most).toBe(2);
    expect(sentWithOneInFlight).toBeGreaterThanOrEqual(1);
    const [{ n }] = await db.dataSource.query(`SELECT COUNT(*) AS n FROM tenant WHERE name LIKE 'Two in flight %'`);
    expect(Number(n)).toBe(rows.length);
  });

  it('a failed INSERT fails the call once nothing of it is running, and the transaction keeps none of its rows', async () => {
    const rows = tenants(4 * MAX_ROWS_PER_INSERT, 'Failing batch');
    // The third statement's first row takes an id the first statement already used.
    rows[2 * MAX_ROWS_PER_INSERT].id = rows[0].id;
    let inFlightAtThrow = -1;
    const failed = await db.dataSource.transaction(async (m) => {
      const { manager, state } = watched(m);
      try {
        await insertRows(manager, Tenant, rows);
      } finally {
        inFlightAtThrow = state.inFlight;
      }
    }).catch((err: unknown) => err);
    expect(String(failed)).toMatch(/UNIQUE|Duplicate/i);
    expect(inFlightAtThrow).toBe(0);
    const [{ n }] = await db.dataSource.query(`SELECT COUNT(*) AS n FROM tenant WHERE name LIKE 'Failing batch %'`);
    expect(Number(n)).toBe(0);
  });

  /** Devices with states enough for `chunks` chunks of the stage, each state MISSING, none stored yet. */
  async function plannedStates(chunks: number) {
    const tenant = await f.tenant();
    const connector = await f.connector(tenant, 'wsus');
    const { updates } = await f.catalog();
    const keys = [...updates.keys()].slice(0, 40);
    const devices = Math.ceil((chunks * STATES_PER_CHUNK) / keys.length) + 1;
    const sources = (await f.insertAssets(Array.from({ length: devices }, () => f.asset(tenant)))).map((a) => f.source(a, connector));
    await f.insert(SourceDevice, sources);
    const toCompare = new Map(sources.map((s) => [s, RunStates.from(keys.map((updateKey) => ({ deviceExternalId: s.externalId, updateKey, state: PatchStateValue.MISSING, evidence: 'REPORTED' as const })))]));
    return { tenant, sources, keys, toCompare, updateIds: new Map(keys.map((k) => [k, updates.get(k)!.id])) };
  }

  it("compares the next chunk while the last chunk's statements run, and sends a chunk's states and events side by side", async () => {
    const { tenant, sources, keys, toCompare, updateIds } = await plannedStates(2);
    let comparedDuringWrites = 0;
    let eventsSentBeforeStatesLanded = 0;
    await db.dataSource.transaction(async (m) => {
      const { manager, log, state } = watched(m);
      const slicer: TimeSlicer = {
        due: () => true,
        turn: async () => {
          if (state.inFlight > 0) comparedDuringWrites++;
          await new Promise((resolve) => setImmediate(resolve));
        },
      };
      await writePatchStates(manager, { tenantId: tenant.id, syncRunId: newId(), now: T0 }, { toCompare, digestChanged: [] }, new Set(sources.map((s) => s.id)), updateIds, emptyCounts(), slicer);
      // An event INSERT sent while a patch state INSERT was in flight (or the other way round).
      eventsSentBeforeStatesLanded = log.filter((s, i) => /INSERT INTO .patch_event/.test(s.sql) && s.inFlightWhenSent > 0
        && log.slice(0, i).some((e) => /INSERT INTO .patch_state/.test(e.sql))).length;
      expect(state.inFlight).toBe(0);
    });
    // Without the overlap every device of a chunk was compared with nothing in flight.
    expect(comparedDuringWrites).toBeGreaterThan(0);
    expect(eventsSentBeforeStatesLanded).toBeGreaterThan(0);
    const stored = await db.dataSource.getRepository(PatchState).countBy({ tenantId: tenant.id });
    const events = await db.dataSource.getRepository(PatchEvent).countBy({ tenantId: tenant.id });
    expect({ stored, events }).toEqual({ stored: sources.length * keys.length, events: sources.length * keys.length });
  });

  it("a chunk's failed write fails the stage once nothing of it is running, and the run keeps nothing", async () => {
    const { tenant, sources, keys, toCompare, updateIds } = await plannedStates(3);
    // A state the first chunk will insert is already stored: its INSERT fails mid-stage.
    await f.insert(PatchState, [Object.assign(new PatchState(), {
      id: newId(), tenantId: tenant.id, assetId: sources[0].assetId!, sourceDeviceId: sources[0].id, updateId: updateIds.get(keys[0])!, state: PatchStateValue.INSTALLED,
      evidence: EvidenceKind.REPORTED, firstSeenMissingAt: null, installedAt: null, changedAt: T0, observedAt: T0, effective: true, lastEventAt: null, firstOpenAt: null, maxEventAt: null,
    })]);
    let inFlightAtThrow = -1;
    let sentAfterFailure = -1;
    const failed = await db.dataSource.transaction(async (m) => {
      const { manager, state } = watched(m);
      try {
        await writePatchStates(manager, { tenantId: tenant.id, syncRunId: newId(), now: T0 }, { toCompare, digestChanged: [] }, new Set(sources.map((s) => s.id)), updateIds, emptyCounts());
      } finally {
        inFlightAtThrow = state.inFlight;
        sentAfterFailure = state.afterFailure;
      }
    }).catch((err: unknown) => err);
    expect(String(failed)).toMatch(/UNIQUE|Duplicate/i);
    expect(inFlightAtThrow).toBe(0);
    // At most the statement already in flight beside the failed one, and the other half of that chunk: never the
    // next chunk's.
    expect(sentAfterFailure).toBeLessThan(Math.ceil(STATES_PER_CHUNK / MAX_ROWS_PER_INSERT) * 2);
    const stored = await db.dataSource.getRepository(PatchState).countBy({ tenantId: tenant.id });
    const events = await db.dataSource.getRepository(PatchEvent).countBy({ tenantId: tenant.id });
    expect({ stored, events }).toEqual({ stored: 1, events: 0 });
  });
});
