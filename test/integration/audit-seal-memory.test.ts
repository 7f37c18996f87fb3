/**
 * A run's seal holds about a page of its events, whatever the size of the run ([P12]: a sync run's peak memory must
 * stay flat as the fleet grows). Alone in its file, so that no other test's leftovers are collected while it measures.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { auditCompletedRun } from '../../src/audit/sync-run-audit';
import { insertRows } from '../../src/db/insert-rows';
import { ConnectorInstance, PatchEvent, SyncRun } from '../../src/entities';
import { EvidenceKind, PatchStateValue, SyncMode, SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';

const AT = new Date('2026-11-02T10:00:00.000Z');

describe(`the memory of a run's seal on ${ENGINE}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  }, 60_000);
  afterAll(async () => db?.drop());

  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as () => void;
  const live = () => {
    gc();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  /**
   * Live memory once garbage has really gone: array buffers a collection drops are freed later, off the main thread,
   * so a baseline read at once could still count the buffers of the statements just run, and the seal's own
   * readings, taken after they were freed, came out tens of MB below it (seen in a full CI run).
   */
  const settled = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    return live();
  };

  /** The most live memory above what was live before, measured as each leaf-list statement starts, while a run of `n` events is sealed. */
  async function sealHeld(n: number): Promise<number> {
    const m = db.dataSource.manager;
    const tenant = await new Factory(db.dataSource).tenant(`Memory ${n}`);
    const instance = await new Factory(db.dataSource).connector(tenant, 'wsus');
    const run = Object.assign(new SyncRun(), {
      id: newId(), connectorInstanceId: instance.id, tenantId: tenant.id, status: SyncRunStatus.SUCCEEDED, mode: SyncMode.FULL, trigger: SyncTrigger.PUSH,
      triggeredBy: 'test', startedAt: AT, finishedAt: AT, counts: '{}', errorKind: null, errorMessage: null,
    });
    await insertRows(m, SyncRun, [run]);
    for (let i = 0; i < n; i += 10_000) {
      await insertRows(m, PatchEvent, Array.from({ length: Math.min(10_000, n - i) }, (_, j) => Object.assign(new PatchEvent(), {
        id: newId(), tenantId: tenant.id, assetId: newId(), sourceDeviceId: newId(), updateId: newId(), syncRunId: run.id,
        fromState: null, toState: PatchStateValue.INSTALLED, evidence: EvidenceKind.REPORTED, reportedAt: new Date(AT.getTime() - j * 1000), observedAt: AT,
      })));
    }
    // The statement counter keeps every statement's parameters (the rows just inserted, the leaf list to come): here
    // it keeps nothing, as the seal's own memory must not depend on it.
    const logQuery = db.counter.logQuery;
    db.counter.reset();
    const before = await settled();
    let most = -Infinity;
    let statements = 0;
    // Measured as the leaf list is written: collecting every leaf first, a seal held them all by its first write. At
    // the 1st, 2nd, 4th, 8th... statement, not each: a forced collection in a test worker whose heap holds the files
    // it ran before took about 0.4 s, and the larger run writes some 200 statements (90 s of a CI run, 5 s alone).
    // A seal whose memory grew with the run would show it by the last of them, over half-way through.
    db.counter.logQuery = (query) => {
      if (!/^INSERT INTO .run_event_leaves/.test(query)) return;
      statements++;
      if ((statements & (statements - 1)) === 0) most = Math.max(most, live() - before);
    };
    try {
      await db.dataSource.transaction((t) => auditCompletedRun(t, run, instance as ConnectorInstance));
    } finally {
      db.counter.logQuery = logQuery;
    }
    return most;
  }

  it("holds about a page of a run's events while sealing it, not the run: the live heap does not grow with the run", async () => {
    // Once first, so that compiling the seal's code is not counted against the smaller run.
    await sealHeld(1_000);
    const small = await sealHeld(5_000);
    const large = await sealHeld(50_000);
    // Collecting and sorting held about 320 bytes an event at its first write: 1.6 MB for the smaller run, 16 MB for
    // the larger one. Streamed, both hold about 1.5 MB (a page of rows, a statement of the leaf list).
    expect({ small, large, flat: large - small < 4 * 1024 * 1024 }).toEqual({ small, large, flat: true });
  }, 180_000);
});
