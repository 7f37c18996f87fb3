/**
 * A run's seal made from the events its write inserted (src/audit/run-leaves.ts), not read back: no statement of the
 * run reads an event row, the leaf list and seal are what collecting and sorting every leaf gives, and the chain
 * verifies, on both engines. What the write hands over is checked against the database: a part that is not all of
 * it is read back instead while none of its rows is written, and fails the run once some are.
 */
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { turnAlways } from '../../connectors/sdk/time-slices';
import { startRunLeaves } from '../../src/audit/run-leaves';
import { auditCompletedRun } from '../../src/audit/sync-run-audit';
import { verifyAuditChain } from '../../src/audit/verify-chain';
import { insertRows } from '../../src/db/insert-rows';
import { AuditEvent, ConnectorInstance, PatchEvent, PatchPostureEvent, RunEventLeaves, Tenant } from '../../src/entities';
import { EvidenceKind, PatchPostureStatus, PatchStateValue, SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { collectAndSortSeal, insertInstance, insertRunningRun } from '../helpers/seal-fixtures';
import { Factory } from '../helpers/factories';
import { turnsDuring } from '../helpers/turns';
import { syncHarness } from '../helpers/sync';

const AT = new Date('2026-11-02T10:00:00.000Z');

/** A statement that reads event rows (anything but the run's per-tenant counts from its index). */
const readsEvents = (sql: string) => /FROM\s+[`"]?patch_(posture_)?event[`"]?/i.test(sql) && !/COUNT\(\*\)/i.test(sql);


describe(`the seal from a run's write on ${ENGINE}`, () => {
  let db: TestDatabase;
  let factory: Factory;
  beforeAll(async () => {
    db = await openTestDatabase();
    factory = new Factory(db.dataSource);
  }, 60_000);
  afterAll(async () => db?.drop());

  const m = () => db.dataSource.manager;

  const instance = (tenant: Tenant | null, kind: string) => insertInstance(m(), tenant, kind, AT);


  const finishedRun = async (c: ConnectorInstance) => Object.assign(await insertRunningRun(m(), c, AT), { status: SyncRunStatus.SUCCEEDED, finishedAt: AT });


  const patchEvents = (tenant: Tenant, syncRunId: string, n: number) => Array.from({ length: n }, (_, i) => Object.assign(new PatchEvent(), {
    id: newId(), tenantId: tenant.id, assetId: newId(), sourceDeviceId: newId(), updateId: newId(), syncRunId,
    fromState: i % 3 === 0 ? null : PatchStateValue.MISSING, toState: PatchStateValue.INSTALLED, evidence: i % 2 ? EvidenceKind.REPORTED : EvidenceKind.DERIVED,
    reportedAt: i % 5 === 0 ? null : new Date(AT.getTime() - i * 1000), observedAt: AT,
  }));

  const postureEvents = (tenant: Tenant, syncRunId: string, n: number) => Array.from({ length: n }, (_, i) => Object.assign(new PatchPostureEvent(), {
    id: newId(), tenantId: tenant.id, assetId: newId(), sourceDeviceId: newId(), syncRunId,
    fromStatus: i % 4 === 0 ? null : PatchPostureStatus.APPROVED_PENDING, toStatus: PatchPostureStatus.FULLY_PATCHED,
    approvedPending: i % 7, notApproved: null, installed: 40 + i, observedAt: AT,
  }));

  async function storedRows(syncRunId: string, tenantId: string): Promise<string[]> {
    const rows = await m().getRepository(RunEventLeaves).find({ where: { syncRunId, tenantId }, order: { chunk: 'ASC' } });
    rows.forEach((r, i) => expect(r.chunk).toBe(i));
    return rows.map((r) => r.entries);
  }

  /** Each tenant's stored rows and seal are the collect-and-sort seal's, and its chain verifies. */
  async function expectSealedAsCollected(syncRunId: string, tenants: readonly Tenant[]) {
    const reference = await collectAndSortSeal(m(), syncRunId);
    for (const tenant of tenants) {
      const expected = reference.get(tenant.id)!;
      expect(await storedRows(syncRunId, tenant.id)).toEqual(expected.rows);
      const seal = JSON.parse((await m().getRepository(AuditEvent).findOneOrFail({ where: { action: 'sync.run', tenantId: tenant.id }, order: { seq: 'DESC' } })).data);
      expect(seal.events).toEqual(expected.events);
      const verified = await verifyAuditChain(db.dataSource, tenant.id);
      expect({ ok: verified.ok, breaks: verified.breaks }).toEqual({ ok: true, breaks: [] });
    }
    return reference;
  }

  it("seals a real WSUS run without reading one of its events back, as collect-and-sort did, and it verifies", async () => {
    const h = syncHarness(db.dataSource);
    const tenant = await factory.tenant('Handover WSUS');
    const wsusInstance = await h.admin.create({ tenantId: tenant.id, kind: 'wsus', name: 'WSUS', settings: { ingestKey: 'k'.repeat(40) } });
    const wsus = new WsusSimulator({ computers: 250, updates: 60, seed: 11, now: h.clock.now() });
    db.counter.reset();
    const run = await h.engine.run(wsusInstance.id, { trigger: SyncTrigger.PUSH, triggeredBy: 'test', payload: JSON.parse(JSON.stringify(wsus.snapshot())) });
    expect(run.status).toBe(SyncRunStatus.SUCCEEDED);
    const statements = db.counter.statements;
    expect(statements.filter(readsEvents)).toEqual([]);
    // Leaf-list rows went out during the write, before the run was marked done, not all in the seal after it.
    const marked = statements.findLastIndex((s) => /^UPDATE\s+[`"]?sync_run/i.test(s));
    expect(statements.slice(0, marked).filter((s) => /^INSERT INTO [`"]run_event_leaves/.test(s)).length).toBeGreaterThan(0);
    const reference = await expectSealedAsCollected(run.id, [tenant]);
    // More than a statement's worth of leaf-list rows (16 of 256 leaves), so some were written as the events were.
    expect(reference.get(tenant.id)!.rows.length).toBeGreaterThan(16);
  }, 180_000);

  it('seals what the write handed over in several tenants, patch and posture events interleaved, as collect-and-sort did', async () => {
    const [a, b] = [await factory.tenant('Handover A'), await factory.tenant('Handover B')];
    const msp = await instance(null, 'datto-rmm');
    const run = await finishedRun(msp);
    db.counter.reset();
    await db.dataSource.transaction(async (t) => {
      const leaves = startRunLeaves(t, run.id);
      // As a run writes them: a tenant's posture events first, then its patch events in chunks, then the next tenant's.
      for (const [events, posture] of [[patchEvents(a, run.id, 2_600), postureEvents(a, run.id, 310)], [patchEvents(b, run.id, 700), postureEvents(b, run.id, 30)]] as const) {
        await insertRows(t, PatchPostureEvent, posture);
        leaves.postureEvents(posture);
        for (let i = 0; i < events.length; i += 1_000) {
          await insertRows(t, PatchEvent, events.slice(i, i + 1_000));
          await leaves.patchEvents(events.slice(i, i + 1_000));
        }
      }
      const more = patchEvents(a, run.id, 2_100);
      await insertRows(t, PatchEvent, more);
      await leaves.patchEvents(more);
      await auditCompletedRun(t, run, msp);
    });
    expect(db.counter.statements.filter(readsEvents)).toEqual([]);
    const reference = await expectSealedAsCollected(run.id, [a, b]);
    expect(reference.get(a.id)!.events.count).toBe(5_010);
  }, 120_000);

  it('hashes a chunk of events in slices, giving the event loop turns, and seals the same', async () => {
    const a = await factory.tenant('Handover in slices');
    const msp = await instance(null, 'datto-rmm');
    const run = await finishedRun(msp);
    const events = patchEvents(a, run.id, 300);
    let turns = 0;
    await db.dataSource.transaction(async (t) => {
      const leaves = startRunLeaves(t, run.id, turnAlways());
      await insertRows(t, PatchEvent, events);
      ({ turns } = await turnsDuring(() => leaves.patchEvents(events)));
      await auditCompletedRun(t, run, msp);
    });
    // A turn after each event's leaf: in one piece, none would come before the chunk is hashed.
    expect(turns).toBeGreaterThanOrEqual(events.length - 1);
    expect((await expectSealedAsCollected(run.id, [a])).get(a.id)!.events.count).toBe(300);
  }, 120_000);

  it('reads a part back when the write handed over only some of its events and none of its rows is written yet', async () => {
    const t = await factory.tenant('Handover partial');
    const own = await instance(t, 'wsus');
    const run = await finishedRun(own);
    db.counter.reset();
    await db.dataSource.transaction(async (m) => {
      const leaves = startRunLeaves(m, run.id);
      const events = patchEvents(t, run.id, 900);
      await insertRows(m, PatchEvent, events);
      await leaves.patchEvents(events.slice(0, 600));
      await auditCompletedRun(m, run, own);
    });
    expect(db.counter.statements.filter(readsEvents).length).toBeGreaterThan(0);
    expect((await expectSealedAsCollected(run.id, [t])).get(t.id)!.events.count).toBe(900);
  }, 120_000);

  it('fails the run, writing nothing, when a part begun from the write turns out not to be all of it', async () => {
    const t = await factory.tenant('Handover short');
    const own = await instance(t, 'wsus');
    const run = await finishedRun(own);
    const sealing = db.dataSource.transaction(async (m) => {
      const leaves = startRunLeaves(m, run.id);
      // 5,000 leaves: a statement of 16 leaf-list rows is written while they are handed over.
      const events = patchEvents(t, run.id, 5_000);
      await insertRows(m, PatchEvent, events);
      await leaves.patchEvents(events);
      await insertRows(m, PatchEvent, patchEvents(t, run.id, 1));
      await auditCompletedRun(m, run, own);
    });
    await expect(sealing).rejects.toThrow(/did not hand over all of the run's events/);
    expect(await m().getRepository(RunEventLeaves).countBy({ syncRunId: run.id })).toBe(0);
    expect(await m().getRepository(PatchEvent).countBy({ syncRunId: run.id })).toBe(0);
  }, 120_000);

  it('reads a part back when what was handed over came out of id order', async () => {
    const t = await factory.tenant('Handover disorder');
    const own = await instance(t, 'wsus');
    const run = await finishedRun(own);
    await db.dataSource.transaction(async (m) => {
      const leaves = startRunLeaves(m, run.id);
      const events = patchEvents(t, run.id, 300);
      await insertRows(m, PatchEvent, events);
      await leaves.patchEvents([...events.slice(150), ...events.slice(0, 150)]);
      await auditCompletedRun(m, run, own);
    });
    expect((await expectSealedAsCollected(run.id, [t])).get(t.id)!.events.count).toBe(300);
  }, 120_000);
});
