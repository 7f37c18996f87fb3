/**
 * `patchgraph audit verify` and `patchgraph audit prune` as an operator runs them: on the database DATABASE_URL
 * names, with their own connection, on both engines. Verify says OK or names the broken link and exits 1; prune
 * reports what it removed and leaves a chain that verifies; bad options are one error naming the option.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { TenantAdmin } from '../../src/access/tenant-admin';
import { TenantScope } from '../../src/access/tenant-scope';
import { auditPruneCommand, auditVerifyCommand } from '../../src/cli/audit.command';
import { Config, loadConfig } from '../../src/config/config';
import { AuditEvent, PatchEvent, Tenant } from '../../src/entities';
import { SyncTrigger } from '../../src/entities/enums';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { InventoryFile, KB1, KB2 } from '../helpers/inventory';
import { plainSession, PlainSession } from '../helpers/plain-sql';
import { syncHarness } from '../helpers/sync';

function capture() {
  const lines: string[] = [];
  const out = new Writable({ write: (chunk, _e, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) });
  return { lines, out, text: () => lines.join('\n') };
}

describe(`patchgraph audit verify and prune on ${ENGINE}`, () => {
  let db: TestDatabase;
  let config: Config;
  let sql: PlainSession;
  let acme: Tenant;
  let h: ReturnType<typeof syncHarness>;

  beforeAll(async () => {
    db = await openTestDatabase();
    config = loadConfig({ DATABASE_URL: db.config.url, PATCHGRAPH_SECRET_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent' });
    h = syncHarness(db.dataSource);
    await new Factory(db.dataSource).catalog();
    acme = await new TenantAdmin(db.dataSource, TenantScope.allTenants(), h.clock, { label: 'test' }).createTenant('Acme Ltd');
    // An MSP-wide instance, so the MSP-wide chain has an event too.
    await h.admin.create({ tenantId: null, kind: 'file-import', name: 'MSP register', settings: { path: '/dev/null' }, enabled: false });
    const file = new InventoryFile().write(
      [{ externalId: 'pc-1', hostname: 'ACME-PC-1', serialNumber: 'ACME-1' }, { externalId: 'pc-2', hostname: 'ACME-PC-2', serialNumber: 'ACME-2' }],
      [
        { deviceExternalId: 'pc-1', updateKey: KB1.key, state: 'MISSING' }, { deviceExternalId: 'pc-1', updateKey: KB2.key, state: 'INSTALLED' },
        { deviceExternalId: 'pc-2', updateKey: KB1.key, state: 'FAILED' },
      ],
    );
    const instance = await h.admin.create({ tenantId: acme.id, kind: 'file-import', name: 'Acme export', settings: { path: file.path }, enabled: false });
    expect((await h.engine.run(instance.id, { trigger: SyncTrigger.CLI })).status).toBe('SUCCEEDED');
    sql = await plainSession(db);
  });
  afterAll(async () => {
    await sql?.close();
    await db?.drop();
  });

  it('says OK for each chain asked for, by name, id or "global", and exits 0', async () => {
    const c = capture();
    expect(await auditVerifyCommand(config, { tenant: ['Acme Ltd', 'global'] }, c.out)).toBe(0);
    expect(c.lines).toEqual([
      expect.stringMatching(new RegExp(`^OK {6}Acme Ltd \\(${acme.id}\\): \\d+ audit events, 1 sync runs, 3 patch and posture events checked \\(head \\d+ [0-9a-f]{12}…\\)$`)),
      expect.stringMatching(/^OK {6}MSP-wide chain \(global\): \d+ audit events/),
    ]);
    const all = capture();
    expect(await auditVerifyCommand(config, { all: true, json: true }, all.out)).toBe(0);
    const parsed = JSON.parse(all.text());
    expect(parsed.map((r: { chainKey: string; ok: boolean }) => [r.chainKey, r.ok])).toEqual([[acme.id, true], ['global', true]]);
  });

  it('refuses bad options with one error naming the option', async () => {
    await expect(auditVerifyCommand(config, {}, capture().out)).rejects.toThrow(/^--tenant: give at least one --tenant/);
    await expect(auditVerifyCommand(config, { tenant: ['Nobody Ltd'] }, capture().out)).rejects.toThrow(/^--tenant: no tenant has the id or the exact name "Nobody Ltd"/);
    await expect(auditVerifyCommand(config, { all: true, from: 'yesterday' }, capture().out)).rejects.toThrow(/^--from: must be a date/);
    await expect(auditVerifyCommand(config, { all: true, from: '2026-12-01', to: '2026-11-01' }, capture().out)).rejects.toThrow(/^--to: must not be before --from/);
    await expect(auditPruneCommand(config, {}, capture().out, h.clock)).rejects.toThrow(/^--before: is required/);
    await expect(auditPruneCommand(config, { before: '2030-01-01' }, capture().out, h.clock)).rejects.toThrow(/^--before: must not be in the future/);
    await expect(auditPruneCommand(config, { before: '2026-01-01', tenant: ['global'] }, capture().out, h.clock)).rejects.toThrow(/^--tenant: the MSP-wide chain/);
  });

  it('names the broken link and exits 1 when a patch event was changed in the database', async () => {
    const [target] = await db.dataSource.getRepository(PatchEvent).find({ where: { tenantId: acme.id, toState: 'MISSING' as never } });
    const seal = await db.dataSource.getRepository(AuditEvent).findOneByOrFail({ chainKey: acme.id, action: 'sync.run' });
    const trigger = ENGINE === 'sqlite'
      ? (await sql.all(`SELECT sql FROM sqlite_master WHERE name = 'trg_patch_event_no_update'`))[0].sql
      : (await sql.all('SHOW CREATE TRIGGER `trg_patch_event_no_update`'))[0]['SQL Original Statement'];
    await sql.run('DROP TRIGGER "trg_patch_event_no_update"');
    try {
      await sql.run(`UPDATE "patch_event" SET "toState" = 'INSTALLED' WHERE id = ?`, [target.id]);
      const c = capture();
      expect(await auditVerifyCommand(config, { tenant: [acme.id] }, c.out)).toBe(1);
      expect(c.lines[0]).toMatch(/^BROKEN {2}Acme Ltd \(.*\): 1 broken link\(s\); /);
      expect(c.lines[1]).toBe(`  EVENT_ALTERED at audit event ${seal.seq}, sync run ${target.syncRunId}, patch_event ${target.id}: the patch event was changed after the run sealed it`);
      await sql.run(`UPDATE "patch_event" SET "toState" = 'MISSING' WHERE id = ?`, [target.id]);
    } finally {
      await sql.run(trigger);
    }
    expect(await auditVerifyCommand(config, { tenant: [acme.id] }, capture().out)).toBe(0);
  });

  it('prunes history before a date (a dry run first), and the chain still verifies, saying where it was pruned', async () => {
    const clock = fixedClock(new Date(h.clock.now().getTime() + 86_400_000));
    const before = new Date(h.clock.now().getTime() + 1000).toISOString();
    const count = await db.dataSource.getRepository(AuditEvent).countBy({ chainKey: acme.id });
    const dry = capture();
    expect(await auditPruneCommand(config, { before, tenant: ['Acme Ltd'], dryRun: true }, dry.out, clock)).toBe(0);
    expect(dry.lines).toEqual([`Acme Ltd (${acme.id}): would prune ${count} audit events (seq 1-${count}), 1 sealed sync runs with 3 patch and 0 posture events`]);
    expect(await db.dataSource.getRepository(PatchEvent).countBy({ tenantId: acme.id })).toBe(3);

    const real = capture();
    expect(await auditPruneCommand(config, { before }, real.out, clock)).toBe(0);
    expect(real.lines).toEqual([
      `Acme Ltd (${acme.id}): pruned ${count} audit events (seq 1-${count}), 1 sealed sync runs with 3 patch and 0 posture events`,
      expect.stringMatching(/^MSP-wide chain \(global\): pruned \d+ audit events \(seq 1-\d+\), 0 sealed sync runs with 0 patch and 0 posture events$/),
      'each pruned chain records what went in an audit.prune event; `patchgraph audit verify` accepts the shorter chain',
    ]);
    expect(await db.dataSource.getRepository(PatchEvent).countBy({ tenantId: acme.id })).toBe(0);
    const c = capture();
    expect(await auditVerifyCommand(config, { all: true }, c.out)).toBe(0);
    expect(c.lines[0]).toBe(`OK      Acme Ltd (${acme.id}): 1 audit events, 0 sync runs, 0 patch and posture events checked (head ${count + 1} ${c.lines[0].split(`head ${count + 1} `)[1].slice(0, 12)}…; events 1-${count} pruned before ${before})`);
  });
});
