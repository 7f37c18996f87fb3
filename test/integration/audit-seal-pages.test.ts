/**
 * A large run's seal, read along the run's index page by page and hashed in slices, is the seal a single read and
 * a one-pass root give: same count, same root, same leaf list, on both engines.
 */
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { digestOf, LEAF_PAGE, LEAF_VERSION, leavesWhere, readLeafList } from '../../src/audit/event-leaves';
import { AuditEvent, PatchEvent, SyncRun } from '../../src/entities';
import { SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { verifyAuditChain } from '../../src/audit/verify-chain';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { syncHarness } from '../helpers/sync';

describe(`a large run's seal on ${ENGINE}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  }, 60_000);
  afterAll(async () => db?.drop());

  it('equals the one-pass seal over more than two pages of events, and verifies', async () => {
    const h = syncHarness(db.dataSource);
    const tenant = await new Factory(db.dataSource).tenant('Pages');
    const instance = await h.admin.create({ tenantId: tenant.id, kind: 'wsus', name: 'WSUS', settings: { ingestKey: 'k'.repeat(40) } });
    const wsus = new WsusSimulator({ computers: 150, updates: 40, seed: 3, now: h.clock.now() });
    const run = await h.engine.run(instance.id, { trigger: SyncTrigger.PUSH, triggeredBy: 'test', payload: JSON.parse(JSON.stringify(wsus.snapshot())) });
    expect(run.status).toBe(SyncRunStatus.SUCCEEDED);

    const events = await db.dataSource.getRepository(PatchEvent).countBy({ syncRunId: run.id });
    expect(events).toBeGreaterThan(2 * LEAF_PAGE);
    const seal = JSON.parse((await db.dataSource.getRepository(AuditEvent).findOneByOrFail({ action: 'sync.run', targetId: run.id, tenantId: tenant.id })).data);
    const onePass = (await leavesWhere(db.dataSource.manager, '{syncRunId} = ?', [run.id])).get(tenant.id)!;
    expect(seal.events).toEqual(digestOf(onePass, LEAF_VERSION));
    expect(seal.events.count).toBe(events);
    expect(await readLeafList(db.dataSource.manager, run.id, tenant.id)).toEqual(onePass);
    expect(await db.dataSource.getRepository(SyncRun).countBy({ id: run.id })).toBe(1);
    const verified = await verifyAuditChain(db.dataSource, tenant.id, {});
    expect(verified.ok).toBe(true);
    expect(verified.breaks).toEqual([]);
  }, 300_000);
});
