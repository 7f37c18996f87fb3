/**
 * The streamed seal (a run's events read page by page in canonical order, the leaf list written as it fills, the
 * root folded as it goes) writes what collecting every leaf and sorting them wrote: the same rows, chunk for chunk,
 * and the same count and root in each tenant's audit event, on both engines. Rows that do not come in canonical
 * order are sealed by collecting and sorting them instead, with the same result.
 */
import { randomUUID } from 'node:crypto';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { digestOf, EventsDigest, LEAF_PAGE, LEAF_VERSION } from '../../src/audit/event-leaves';
import { GLOBAL_CHAIN } from '../../src/audit/audit-log';
import { auditCompletedRun } from '../../src/audit/sync-run-audit';
import { verifyAuditChain } from '../../src/audit/verify-chain';
import { insertRows } from '../../src/db/insert-rows';
import { AuditEvent, ConnectorInstance, PatchEvent, PatchPostureEvent, RunEventLeaves, SyncRun, Tenant } from '../../src/entities';
import { EvidenceKind, PatchPostureStatus, PatchStateValue, SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { collectAndSortSeal, insertInstance, insertRunningRun } from '../helpers/seal-fixtures';
import { Factory } from '../helpers/factories';
import { syncHarness } from '../helpers/sync';

const AT = new Date('2026-11-02T10:00:00.000Z');


describe(`the streamed seal of a run on ${ENGINE}`, () => {
  let db: TestDatabase;
  let factory: Factory;
  beforeAll(async () => {
    db = await openTestDatabase();
    factory = new Factory(db.dataSource);
  }, 60_000);
  afterAll(async () => db?.drop());

  const m = () => db.dataSource.manager;

  const instance = (tenant: Tenant | null, kind: string) => insertInstance(m(), tenant, kind, AT);


  const startRun = (c: ConnectorInstance) => insertRunningRun(m(), c, AT);


  const patchEvents = (tenant: Tenant, syncRunId: string, ids: readonly string[]) => ids.map((id, i) => Object.assign(new PatchEvent(), {
    id, tenantId: tenant.id, assetId: newId(), sourceDeviceId: newId(), updateId: newId(), syncRunId,
    fromState: i % 3 === 0 ? null : PatchStateValue.MISSING, toState: PatchStateValue.INSTALLED, evidence: i % 2 ? EvidenceKind.REPORTED : EvidenceKind.DERIVED,
    reportedAt: i % 5 === 0 ? null : new Date(AT.getTime() - i * 1000), observedAt: AT,
  }));

  const postureEvents = (tenant: Tenant, syncRunId: string, ids: readonly string[]) => ids.map((id, i) => Object.assign(new PatchPostureEvent(), {
    id, tenantId: tenant.id, assetId: newId(), sourceDeviceId: newId(), syncRunId,
    fromStatus: i % 4 === 0 ? null : PatchPostureStatus.APPROVED_PENDING, toStatus: PatchPostureStatus.FULLY_PATCHED,
    approvedPending: i % 7, notApproved: null, installed: 40 + i, observedAt: AT,
  }));

  const ids = (n: number) => Array.from({ length: n }, () => newId());

  /** Tenant parts whose streamed leaf list was undone for collect-and-sort, in the statements since the counter's reset. */
  const partsUndone = () => db.counter.statements.filter((s) => /^\s*ROLLBACK TO SAVEPOINT/i.test(s)).length;

  /** Seals the run as the engine does, in one transaction after its writes. */
  async function seal(run: SyncRun, c: ConnectorInstance): Promise<{ partsUndone: number }> {
    const finished = Object.assign(run, { status: SyncRunStatus.SUCCEEDED, finishedAt: AT });
    db.counter.reset();
    await db.dataSource.transaction((t) => auditCompletedRun(t, finished, c));
    return { partsUndone: partsUndone() };
  }

  async function storedRows(syncRunId: string, tenantId: string): Promise<Array<{ chunk: number; entries: string }>> {
    const rows = await m().getRepository(RunEventLeaves).find({ where: { syncRunId, tenantId }, order: { chunk: 'ASC' } });
    return rows.map(({ chunk, entries }) => ({ chunk, entries }));
  }

  /** Each tenant's stored rows and seal are the collect-and-sort seal's, and its chain verifies. */
  async function expectSealedAsCollected(syncRunId: string, tenants: readonly Tenant[], reference: Map<string, { rows: string[]; events: EventsDigest }>) {
    for (const tenant of tenants) {
      const expected = reference.get(tenant.id)!;
      expect(await storedRows(syncRunId, tenant.id)).toEqual(expected.rows.map((entries, chunk) => ({ chunk, entries })));
      const seal = JSON.parse((await m().getRepository(AuditEvent).findOneOrFail({ where: { action: 'sync.run', tenantId: tenant.id }, order: { seq: 'DESC' } })).data);
      expect(seal.events).toEqual(expected.events);
      const verified = await verifyAuditChain(db.dataSource, tenant.id);
      expect({ ok: verified.ok, breaks: verified.breaks }).toEqual({ ok: true, breaks: [] });
    }
  }

  it("seals an MSP-wide run's parts in several tenants, both kinds, over many pages and statements, as collect-and-sort did", async () => {
    const [a, b, c] = [await factory.tenant('Stream A'), await factory.tenant('Stream B'), await factory.tenant('Stream C')];
    const msp = await instance(null, 'datto-rmm');
    const earlier = await startRun(msp);
    await insertRows(m(), PatchEvent, patchEvents(a, earlier.id, ids(40)));
    await seal(earlier, msp);
    const run = await startRun(msp);
    // Written as a run writes them: a tenant's patch events, posture events, then the next tenant's, all interleaved in time.
    await insertRows(m(), PatchEvent, patchEvents(a, run.id, ids(2_600)));
    await insertRows(m(), PatchPostureEvent, postureEvents(b, run.id, ids(30)));
    await insertRows(m(), PatchPostureEvent, postureEvents(a, run.id, ids(310)));
    await insertRows(m(), PatchEvent, patchEvents(b, run.id, ids(700)));
    await insertRows(m(), PatchEvent, patchEvents(a, run.id, ids(2_100)));
    await insertRows(m(), PatchPostureEvent, postureEvents(c, run.id, ids(25)));
    const reference = await collectAndSortSeal(m(), run.id);
    // More than four pages and more than one statement's worth of rows (16) in A; patch and posture events in one row.
    expect(reference.get(a.id)!.events.count).toBe(5_010);
    expect(reference.get(a.id)!.events.count).toBeGreaterThan(4 * LEAF_PAGE);
    expect(reference.get(a.id)!.rows.length).toBeGreaterThan(16);

    expect(await seal(run, msp)).toEqual({ partsUndone: 0 });

    const mspWide = await m().getRepository(AuditEvent).findOneByOrFail({ action: 'sync.run', targetId: run.id, chainKey: GLOBAL_CHAIN });
    expect(JSON.parse(mspWide.data).tenantParts).toBe(3);
    await expectSealedAsCollected(run.id, [a, b, c], reference);
    expect(reference.get(c.id)!.events.count).toBe(25);
  }, 120_000);

  it("seals a tenant instance's run with no events in its tenant as an empty part, as before", async () => {
    const t = await factory.tenant('Stream empty');
    const own = await instance(t, 'intune');
    const run = await startRun(own);
    expect(await seal(run, own)).toEqual({ partsUndone: 0 });
    const [event] = await m().getRepository(AuditEvent).find({ where: { action: 'sync.run', tenantId: t.id } });
    expect(JSON.parse(event.data).events).toEqual(digestOf([], LEAF_VERSION));
    expect(await storedRows(run.id, t.id)).toEqual([]);
  });

  it('falls back to collecting and sorting when rows come out of id order, after rows were already written, with the same result', async () => {
    const t = await factory.tenant('Stream disorder');
    const own = await instance(t, 'wsus');
    const run = await startRun(own);
    // Ids made before the others but written after them (another process's, or held back), once the stream has
    // already written a statement's worth of rows; then posture events with old random ids, one of them in capitals,
    // which MariaDB's case-insensitive collation orders apart from the code units the canonical order compares.
    const late = ids(300);
    await insertRows(m(), PatchEvent, patchEvents(t, run.id, ids(5_200)));
    await insertRows(m(), PatchEvent, patchEvents(t, run.id, late));
    await insertRows(m(), PatchPostureEvent, postureEvents(t, run.id, ['a0000000-0000-4000-8000-000000000001', 'D0000000-0000-4000-8000-000000000002', ...Array.from({ length: 50 }, () => randomUUID())]));
    const reference = await collectAndSortSeal(m(), run.id);
    expect(reference.get(t.id)!.events.count).toBe(5_552);

    expect(await seal(run, own)).toEqual({ partsUndone: 1 });

    // The part streamed so far had been written (and the leaf list refuses DELETE): it was rolled back, not deleted.
    const undone = db.counter.statements.findIndex((s) => /^\s*ROLLBACK TO SAVEPOINT/i.test(s));
    expect(db.counter.statements.slice(0, undone).filter((s) => /^INSERT INTO .run_event_leaves/.test(s)).length).toBeGreaterThan(0);
    await expectSealedAsCollected(run.id, [t], reference);
  }, 120_000);

  it("streams a real WSUS run's seal, never falling back, and it verifies", async () => {
    const h = syncHarness(db.dataSource);
    const tenant = await factory.tenant('Stream WSUS');
    const wsusInstance = await h.admin.create({ tenantId: tenant.id, kind: 'wsus', name: 'WSUS', settings: { ingestKey: 'k'.repeat(40) } });
    const wsus = new WsusSimulator({ computers: 80, updates: 40, seed: 5, now: h.clock.now() });
    db.counter.reset();
    const run = await h.engine.run(wsusInstance.id, { trigger: SyncTrigger.PUSH, triggeredBy: 'test', payload: JSON.parse(JSON.stringify(wsus.snapshot())) });
    expect(run.status).toBe(SyncRunStatus.SUCCEEDED);
    expect(partsUndone()).toBe(0);
    const reference = await collectAndSortSeal(m(), run.id);
    expect(reference.get(tenant.id)!.events.count).toBeGreaterThan(LEAF_PAGE);
    await expectSealedAsCollected(run.id, [tenant], reference);
  }, 120_000);
});
