/**
 * The tamper-evident audit trail on a real database holding the demo (Intune, WSUS and MSP-wide Datto RMM runs):
 * every run is sealed, a plain SQL session cannot UPDATE or DELETE history, tampering done after dropping the
 * triggers (as a DBA could) is found at the exact event, and the retention job is let through and leaves a chain
 * that still verifies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditChain } from '../../src/audit/verify-chain';
import { pruneAuditTrail } from '../../src/audit/prune';
import { runRef } from '../../src/audit/sync-run-audit';
import { loadDemo } from '../../src/demo/load-demo';
import { DemoSimulators } from '../../src/demo/demo-simulations';
import { AuditEvent, PatchEvent, PatchPostureEvent, RunEventLeaves, SyncRun, Tenant } from '../../src/entities';
import { SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { InventoryFile, KB1, KB2 } from '../helpers/inventory';
import { plainSession, PlainSession } from '../helpers/plain-sql';
import { syncHarness } from '../helpers/sync';

const PROTECTED = ['audit_event', 'patch_event', 'patch_posture_event', 'run_event_leaves'];

describe(`tamper-evident audit trail on ${ENGINE}`, () => {
  let db: TestDatabase;
  let sql: PlainSession;
  let dir: string;
  let simulators: DemoSimulators | undefined;
  let h: ReturnType<typeof syncHarness>;
  const tenants: Record<string, string> = {};

  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-audit-'));
    h = syncHarness(db.dataSource);
    simulators = (await loadDemo({ dataSource: db.dataSource, secrets: h.secrets, clock: h.clock, engine: h.engine, dataDir: dir })).simulators;
    for (const t of await db.dataSource.getRepository(Tenant).find()) tenants[t.name] = t.id;
    sql = await plainSession(db);
  }, 120_000);
  afterAll(async () => {
    await sql?.close();
    await simulators?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const repo = <T extends object>(e: new () => T) => db.dataSource.getRepository(e);
  const verify = (tenant: string | null, range = {}) => verifyAuditChain(db.dataSource, tenant === null ? null : tenants[tenant], range);
  const first = async (tenant: string) => {
    const v = await verify(tenant);
    return { ok: v.ok, ...v.breaks[0] };
  };

  it('seals every run: each tenant part carries the root and count of the events it wrote, and every chain verifies', async () => {
    const runs = await repo(SyncRun).find();
    expect(runs.length).toBe(6);
    const seals = (await repo(AuditEvent).findBy({ action: 'sync.run' })).map((e) => ({ ...e, data: JSON.parse(e.data) }));
    const tenantSeals = seals.filter((e) => e.tenantId);
    // The Datto account is MSP-wide: its runs are in the MSP-wide chain, its parts in the clients' chains by runRef only.
    const datto = runs.filter((r) => r.tenantId === null);
    expect(seals.filter((e) => e.tenantId === null).map((e) => e.targetId).sort()).toEqual(datto.map((r) => r.id).sort());
    const parts = tenantSeals.filter((e) => e.data.mspWide);
    expect(parts.length).toBeGreaterThan(0);
    expect(parts.every((e) => e.targetId === null && datto.some((r) => runRef(r.id) === e.data.runRef))).toBe(true);
    expect(JSON.stringify(parts)).not.toContain(datto[0].id);

    for (const name of Object.keys(tenants)) {
      const v = await verify(name);
      expect([name, v.ok, v.breaks]).toEqual([name, true, []]);
      const events = (await repo(PatchEvent).countBy({ tenantId: tenants[name] })) + (await repo(PatchPostureEvent).countBy({ tenantId: tenants[name] }));
      expect([name, v.eventsChecked]).toEqual([name, events]);
      const sealed = tenantSeals.filter((e) => e.tenantId === tenants[name]).reduce((n, e) => n + e.data.events.count, 0);
      expect([name, sealed]).toEqual([name, events]);
      expect(v.unsealedEvents).toBe(0);
    }
    const global = await verify(null);
    expect(global).toMatchObject({ ok: true, chainKey: 'global', tenantId: null });
    expect(global.auditEventsChecked).toBeGreaterThan(2);
  });

  it('has the triggers on every protected table after the migrations', async () => {
    const names = ENGINE === 'sqlite'
      ? (await sql.all(`SELECT name FROM sqlite_master WHERE type = 'trigger'`)).map((r) => r.name)
      : (await sql.all('SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()')).map((r) => r.name);
    const expected = [...PROTECTED.flatMap((t) => [`trg_${t}_no_update`, `trg_${t}_no_delete`]), 'trg_audit_chain_head_no_delete', 'trg_audit_chain_head_forward'];
    expect(names.sort()).toEqual(expected.sort());
  });

  it('refuses UPDATE and DELETE of history from a plain SQL session, and leaves every row as it was', async () => {
    const before = await Promise.all(PROTECTED.map((t) => sql.all(`SELECT * FROM "${t}" ORDER BY id`)));
    const heads = await sql.all('SELECT * FROM "audit_chain_head" ORDER BY "chainKey"');
    const attempts = [
      `UPDATE "patch_event" SET "toState" = 'INSTALLED'`,
      'DELETE FROM "patch_event"',
      `UPDATE "patch_posture_event" SET "toStatus" = 'UP_TO_DATE'`,
      'DELETE FROM "patch_posture_event"',
      `UPDATE "audit_event" SET "actor" = 'someone else'`,
      'DELETE FROM "audit_event" WHERE "seq" = 1',
      `UPDATE "run_event_leaves" SET "entries" = '[]'`,
      'DELETE FROM "run_event_leaves"',
      'DELETE FROM "audit_chain_head"',
      'UPDATE "audit_chain_head" SET "seq" = "seq" - 1',
      `UPDATE "audit_chain_head" SET "seq" = "seq" + 1, "hash" = '${'f'.repeat(64)}'`,
    ];
    for (const statement of attempts) {
      const outcome = await sql.run(statement).then(() => 'accepted', (err: Error) => err.message);
      expect([statement, outcome]).toEqual([statement, expect.stringMatching(/append-only|never deleted|only moves forward/)]);
    }
    expect(await Promise.all(PROTECTED.map((t) => sql.all(`SELECT * FROM "${t}" ORDER BY id`)))).toEqual(before);
    expect(await sql.all('SELECT * FROM "audit_chain_head" ORDER BY "chainKey"')).toEqual(heads);
  });

  describe('after a DBA drops the triggers', () => {
    let triggers: string[] = [];
    beforeAll(async () => {
      // As a DBA would: keep each trigger's definition, drop it, tamper, and create it again afterwards.
      if (ENGINE === 'sqlite') {
        const rows = await sql.all(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger'`);
        triggers = rows.map((r) => r.sql);
        for (const r of rows) await sql.run(`DROP TRIGGER "${r.name}"`);
      } else {
        for (const r of await sql.all('SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()')) {
          const [shown] = await sql.all(`SHOW CREATE TRIGGER \`${r.name}\``);
          triggers.push(shown['SQL Original Statement']);
          await sql.run(`DROP TRIGGER \`${r.name}\``);
        }
      }
    });
    afterAll(async () => {
      for (const statement of triggers) await sql.run(statement);
    });

    const sealOf = async (tenantId: string, syncRunId: string) => {
      const seals = await repo(AuditEvent).findBy({ chainKey: tenantId, action: 'sync.run' });
      return seals.find((e) => e.targetId === syncRunId || JSON.parse(e.data).runRef === runRef(syncRunId))!;
    };
    const rowOf = async (table: string, id: string) => (await sql.all(`SELECT * FROM "${table}" WHERE id = ?`, [id]))[0];
    const reinsert = async (table: string, row: Record<string, any>) => {
      const columns = Object.keys(row);
      await sql.run(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, Object.values(row));
    };

    it("finds a patch event whose state was edited, at that event, and the chain verifies again once it is put back", async () => {
      const target = (await repo(PatchEvent).find({ where: { tenantId: tenants['Contoso Academy Trust'] }, order: { id: 'ASC' } })).filter((e) => e.toState !== 'INSTALLED')[7];
      const seal = await sealOf(target.tenantId, target.syncRunId!);
      await sql.run(`UPDATE "patch_event" SET "toState" = 'INSTALLED' WHERE id = ?`, [target.id]);
      expect(await first('Contoso Academy Trust')).toMatchObject({
        ok: false, reason: 'EVENT_ALTERED', seq: seal.seq, auditEventId: seal.id, syncRunId: target.syncRunId, event: { kind: 'patch_event', id: target.id },
      });
      await sql.run(`UPDATE "patch_event" SET "toState" = ? WHERE id = ?`, [target.toState, target.id]);
      expect((await verify('Contoso Academy Trust')).ok).toBe(true);
    });

    it("finds a patch event whose evidence kind was edited (leaf version 2), and the chain verifies again once it is put back", async () => {
      const target = (await repo(PatchEvent).find({ where: { tenantId: tenants['Contoso Academy Trust'] }, order: { id: 'ASC' } }))[5];
      const seal = await sealOf(target.tenantId, target.syncRunId!);
      const forged = target.evidence === 'REPORTED' ? 'DERIVED' : 'REPORTED';
      await sql.run(`UPDATE "patch_event" SET "evidence" = ? WHERE id = ?`, [forged, target.id]);
      expect(await first('Contoso Academy Trust')).toMatchObject({
        ok: false, reason: 'EVENT_ALTERED', seq: seal.seq, auditEventId: seal.id, syncRunId: target.syncRunId, event: { kind: 'patch_event', id: target.id },
      });
      await sql.run(`UPDATE "patch_event" SET "evidence" = ? WHERE id = ?`, [target.evidence, target.id]);
      expect((await verify('Contoso Academy Trust')).ok).toBe(true);
    });

    it('finds a deleted patch event by its id, and an inserted one by its id', async () => {
      const events = await repo(PatchEvent).find({ where: { tenantId: tenants['Fabrikam Logistics'] }, order: { id: 'ASC' } });
      const target = events[3];
      const row = await rowOf('patch_event', target.id);
      const seal = await sealOf(target.tenantId, target.syncRunId!);
      await sql.run('DELETE FROM "patch_event" WHERE id = ?', [target.id]);
      expect(await first('Fabrikam Logistics')).toMatchObject({ reason: 'EVENT_DELETED', seq: seal.seq, event: { kind: 'patch_event', id: target.id } });
      await reinsert('patch_event', row);
      expect((await verify('Fabrikam Logistics')).ok).toBe(true);

      // A forged event in a sealed run: an install nobody observed.
      const forged = { ...row, id: 'ffffffff-0000-4000-8000-00000000f00d', fromState: 'MISSING', toState: 'INSTALLED' };
      await reinsert('patch_event', forged);
      expect(await first('Fabrikam Logistics')).toMatchObject({ reason: 'EVENT_INSERTED', seq: seal.seq, event: { kind: 'patch_event', id: forged.id } });
      await sql.run('DELETE FROM "patch_event" WHERE id = ?', [forged.id]);

      // One naming a run no audit event seals.
      const orphan = { ...row, id: 'ffffffff-0000-4000-8000-00000000beef', syncRunId: 'ffffffff-0000-4000-8000-0000000000aa' };
      await reinsert('patch_event', orphan);
      expect(await first('Fabrikam Logistics')).toMatchObject({ reason: 'EVENT_INSERTED', seq: null, syncRunId: orphan.syncRunId, event: { id: orphan.id } });
      await sql.run('DELETE FROM "patch_event" WHERE id = ?', [orphan.id]);
      expect((await verify('Fabrikam Logistics')).ok).toBe(true);
    });

    it("finds an edited posture event of the MSP-wide Datto run in the client's own chain", async () => {
      const [target] = await repo(PatchPostureEvent).find({ where: { tenantId: tenants['Northwind Dental'] }, order: { id: 'ASC' } });
      await sql.run('UPDATE "patch_posture_event" SET "installed" = 999 WHERE id = ?', [target.id]);
      const b = await first('Northwind Dental');
      expect(b).toMatchObject({ reason: 'EVENT_ALTERED', syncRunId: null, event: { kind: 'patch_posture_event', id: target.id } });
      expect(b.seq).toBe((await sealOf(target.tenantId, target.syncRunId!)).seq);
      await sql.run('UPDATE "patch_posture_event" SET "installed" = ? WHERE id = ?', [target.installed, target.id]);
      expect((await verify('Northwind Dental')).ok).toBe(true);
    });

    it('reports ROOT_MISMATCH for the run when its leaf list was rewritten to match an edit', async () => {
      const target = (await repo(PatchEvent).find({ where: { tenantId: tenants['Northwind Dental'] }, order: { id: 'ASC' } })).find((e) => e.toState !== 'INSTALLED')!;
      const seal = await sealOf(target.tenantId, target.syncRunId!);
      const [leaves] = await repo(RunEventLeaves).find({ where: { syncRunId: target.syncRunId!, tenantId: target.tenantId }, order: { chunk: 'ASC' } });
      await sql.run(`UPDATE "patch_event" SET "toState" = 'INSTALLED' WHERE id = ?`, [target.id]);
      const entries = JSON.parse(leaves.entries).map((e: string[]) => (e[1] === target.id ? [e[0], e[1], 'a'.repeat(64)] : e));
      await sql.run('UPDATE "run_event_leaves" SET "entries" = ? WHERE id = ?', [JSON.stringify(entries), leaves.id]);
      expect(await first('Northwind Dental')).toMatchObject({ reason: 'ROOT_MISMATCH', seq: seal.seq, event: null });
      await sql.run('UPDATE "run_event_leaves" SET "entries" = ? WHERE id = ?', [leaves.entries, leaves.id]);
      await sql.run('UPDATE "patch_event" SET "toState" = ? WHERE id = ?', [target.toState, target.id]);
      expect((await verify('Northwind Dental')).ok).toBe(true);
    });

    it('finds an edited audit row by its seq, and a deleted one as a gap', async () => {
      const chain = await repo(AuditEvent).find({ where: { chainKey: tenants['Contoso Academy Trust'] }, order: { seq: 'ASC' } });
      const site = chain.find((e) => e.action === 'site.create')!;
      await sql.run('UPDATE "audit_event" SET "data" = ? WHERE id = ?', [JSON.stringify({ name: 'Somewhere else' }), site.id]);
      expect(await first('Contoso Academy Trust')).toMatchObject({ reason: 'HASH_MISMATCH', seq: site.seq, auditEventId: site.id });
      await sql.run('UPDATE "audit_event" SET "data" = ? WHERE id = ?', [site.data, site.id]);

      // Rewriting the hash too moves the break to the next event's link.
      const forgedHash = 'b'.repeat(64);
      await sql.run('UPDATE "audit_event" SET "hash" = ? WHERE id = ?', [forgedHash, site.id]);
      const both = (await verify('Contoso Academy Trust')).breaks.map((b) => [b.reason, b.seq]);
      expect(both).toEqual([['HASH_MISMATCH', site.seq], ['HASH_MISMATCH', site.seq + 1]]);
      await sql.run('UPDATE "audit_event" SET "hash" = ? WHERE id = ?', [site.hash, site.id]);

      const row = await rowOf('audit_event', site.id);
      await sql.run('DELETE FROM "audit_event" WHERE id = ?', [site.id]);
      expect(await first('Contoso Academy Trust')).toMatchObject({ reason: 'SEQ_GAP', seq: site.seq + 1 });
      await reinsert('audit_event', row);

      const last = chain[chain.length - 1];
      const lastRow = await rowOf('audit_event', last.id);
      await sql.run('DELETE FROM "audit_event" WHERE id = ?', [last.id]);
      expect(await first('Contoso Academy Trust')).toMatchObject({ reason: 'SEQ_GAP', seq: last.seq });
      await reinsert('audit_event', lastRow);
      expect((await verify('Contoso Academy Trust')).ok).toBe(true);
    });
  });

  it('lets the retention job through, records what it pruned in the chain, and verification still passes and explains the gap', async () => {
    const tenantId = tenants['Contoso Academy Trust'];
    // Two hours after the demo, a client's own export syncs: it is after the cut and stays.
    h.clock.advance(2 * 3_600_000);
    const file = new InventoryFile().write(
      [{ externalId: 'late-1', hostname: 'CAT-LATE-01', serialNumber: 'SER-LATE-1' }],
      [{ deviceExternalId: 'late-1', updateKey: KB1.key, state: 'MISSING' }, { deviceExternalId: 'late-1', updateKey: KB2.key, state: 'INSTALLED' }],
    );
    const instance = await h.admin.create({ tenantId, kind: 'file-import', name: 'late export', settings: { path: file.path }, enabled: false });
    const late = await h.engine.run(instance.id, { trigger: SyncTrigger.CLI });
    expect(late.status).toBe(SyncRunStatus.SUCCEEDED);
    const cut = new Date(h.clock.now().getTime() - 3_600_000);
    const beforeChain = await repo(AuditEvent).find({ where: { chainKey: tenantId }, order: { seq: 'ASC' } });
    const prunable = beforeChain.filter((e) => e.occurredAt < cut);

    // A window of the chain verifies on its own: the late instance's creation and its run, linked to the demo's last event.
    const window = await verify('Contoso Academy Trust', { from: cut });
    expect(window).toMatchObject({ ok: true, auditEventsChecked: 2, runsChecked: 1, eventsChecked: 2 });
    const demoEvents = await repo(PatchEvent).createQueryBuilder('e').where('e.tenantId = :tenantId AND e.syncRunId <> :late', { tenantId, late: late.id }).getCount();

    const dry = await pruneAuditTrail(db.dataSource, { before: cut, tenantIds: [tenantId], actor: 'cli:test', clock: h.clock, dryRun: true });
    expect(dry[0].record).toMatchObject({ auditEvents: { count: prunable.length, fromSeq: 1, toSeq: prunable.length }, patchEvents: demoEvents });
    expect(await repo(AuditEvent).countBy({ chainKey: tenantId })).toBe(beforeChain.length);

    const [result] = await pruneAuditTrail(db.dataSource, { before: cut, tenantIds: [tenantId], actor: 'cli:test', clock: h.clock });
    expect(result.record).toMatchObject({
      before: cut.toISOString(), auditEvents: { count: prunable.length, fromSeq: 1, toSeq: prunable.length, lastHash: prunable[prunable.length - 1].hash },
      patchEvents: demoEvents, unsealedEvents: 0,
    });
    expect(result.record!.runs.count).toBe(prunable.filter((e) => e.action === 'sync.run' && JSON.parse(e.data).events).length);
    // The late run's events stay whole; the demo runs' are gone with their seals; the permit is gone.
    expect(await repo(PatchEvent).countBy({ tenantId })).toBe(2);
    expect(await repo(RunEventLeaves).countBy({ tenantId, syncRunId: late.id })).toBe(1);
    expect(await sql.all('SELECT * FROM "audit_prune_permit"')).toEqual([]);
    const prune = await repo(AuditEvent).findOneByOrFail({ chainKey: tenantId, action: 'audit.prune' });
    expect(prune).toMatchObject({ actor: 'cli:test', targetType: 'AuditChain', seq: beforeChain.length + 1 });

    const v = await verify('Contoso Academy Trust');
    expect(v).toMatchObject({ ok: true, breaks: [], pruned: { throughSeq: prunable.length, before: cut.toISOString() }, eventsChecked: 2 });
    // Other chains are untouched, and the triggers still refuse everyone else.
    expect((await verify('Fabrikam Logistics')).ok).toBe(true);
    await expect(sql.run('DELETE FROM "audit_event"')).rejects.toThrow(/append-only/);
    await expect(sql.run('DELETE FROM "patch_event"')).rejects.toThrow(/append-only/);

    // The same cut again finds nothing left to prune.
    await expect(pruneAuditTrail(db.dataSource, { before: cut, tenantIds: [tenantId], actor: 'cli:test', clock: h.clock })).resolves.toEqual([
      { chainKey: tenantId, tenantId, record: null },
    ]);
  });
});
