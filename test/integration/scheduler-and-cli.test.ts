import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ConnectorAdmin } from '../../src/access/connector-admin';
import { TenantScope } from '../../src/access/tenant-scope';
import { loadConfig } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';
import { runMigrations } from '../../src/db/migrate';
import { SecretBox } from '../../src/secrets/secret-box';
import { syncCommand } from '../../src/cli/sync.command';
import { ConnectorInstance, SourceDevice, SyncRun } from '../../src/entities';
import { SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { SyncScheduler } from '../../src/sync/scheduler';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { InventoryFile } from '../helpers/inventory';
import { syncHarness } from '../helpers/sync';

describe(`scheduler and the sync command on ${ENGINE}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(() => db.drop());

  it('runs each enabled instance once per interval, skips disabled and unscheduled ones', async () => {
    const h = syncHarness(db.dataSource);
    const tenant = await new Factory(db.dataSource).tenant();
    const file = new InventoryFile().write([{ externalId: 's1', hostname: 'SCHED-1' }]);
    const hourly = await h.admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'hourly', settings: { path: file.path }, syncIntervalSeconds: 3600 });
    await h.admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'off', settings: { path: file.path }, syncIntervalSeconds: 3600, enabled: false });
    await h.admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'by hand', settings: { path: file.path }, syncIntervalSeconds: null });
    const scheduler = new SyncScheduler({ dataSource: db.dataSource, engine: h.engine, clock: h.clock, tickMs: 60_000 });

    expect(await scheduler.tick()).toEqual([hourly.id]);
    h.clock.advance(30 * 60_000);
    expect(await scheduler.tick()).toEqual([]);
    h.clock.advance(30 * 60_000);
    expect(await scheduler.tick()).toEqual([hourly.id]);
    const runs = await db.dataSource.getRepository(SyncRun).findBy({ connectorInstanceId: hourly.id });
    expect(runs.map((r) => [r.trigger, r.status])).toEqual([[SyncTrigger.SCHEDULE, SyncRunStatus.SUCCEEDED], [SyncTrigger.SCHEDULE, SyncRunStatus.SUCCEEDED]]);
    await scheduler.stop();
  });

  it('never schedules a push-only instance (a WSUS instance fed by its collector), even one stored with an interval', async () => {
    const h = syncHarness(db.dataSource);
    const tenant = await new Factory(db.dataSource).tenant('Push Ltd');
    const wsus = await h.admin.create({ tenantId: tenant.id, kind: 'wsus', name: 'collector-fed', settings: { ingestKey: 'k'.repeat(40) }, syncIntervalSeconds: null });
    // As an older version could have stored it.
    await db.dataSource.getRepository(ConnectorInstance).update({ id: wsus.id }, { syncIntervalSeconds: 3600 });
    const scheduler = new SyncScheduler({ dataSource: db.dataSource, engine: h.engine, clock: h.clock, tickMs: 60_000 });
    expect((await scheduler.due()).map((i) => i.id)).not.toContain(wsus.id);
    await scheduler.stop();
  });

  it('makes a scheduled run full once the last successful full run is a day old, so removed devices get marked stale', async () => {
    const h = syncHarness(db.dataSource);
    const tenant = await new Factory(db.dataSource).tenant('Reconciled Ltd');
    // With modifiedAt the file reads incrementally, as a vendor API would.
    const both = [{ externalId: 'f1', hostname: 'FULL-1', modifiedAt: '2026-11-01T00:00:00Z' }, { externalId: 'f2', hostname: 'FULL-2', modifiedAt: '2026-11-01T00:00:00Z' }];
    const file = new InventoryFile().write(both);
    const hourly = await h.admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'reconciled', settings: { path: file.path }, syncIntervalSeconds: 3600 });
    const scheduler = new SyncScheduler({ dataSource: db.dataSource, engine: h.engine, clock: h.clock, tickMs: 60_000 });
    const modes = async () => (await db.dataSource.getRepository(SyncRun).find({ where: { connectorInstanceId: hourly.id }, order: { startedAt: 'ASC' } })).map((r) => r.mode);

    await scheduler.tick();
    file.write([both[0]]); // FULL-2 leaves the source
    for (let hour = 1; hour <= 24; hour++) {
      h.clock.advance(3_600_000);
      await scheduler.tick();
    }
    expect(await modes()).toEqual(['FULL', ...Array(23).fill('INCREMENTAL'), 'FULL']);
    const gone = await db.dataSource.getRepository(SourceDevice).findOneByOrFail({ connectorInstanceId: hourly.id, externalId: 'f2' });
    expect(gone.stale).toBe(true);
    await scheduler.stop();
  });

  it('`patchgraph sync` prints one plain line per instance off a terminal and exits 1 when a run failed', async () => {
    if (ENGINE !== 'sqlite') return; // the command opens its own database from DATABASE_URL; one engine is enough here
    const dir = mkdtempSync(join(tmpdir(), 'patchgraph-cli-'));
    const key = randomBytes(32).toString('base64');
    const config = loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`, PATCHGRAPH_SECRET_KEY: key, LOG_LEVEL: 'silent' });
    const lines: string[] = [];
    const out = new Writable({ write: (chunk, _e, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) });
    expect(await syncCommand(config, {}, out)).toBe(0);
    expect(lines).toEqual(['no enabled connector instances to sync']);

    // Instances are created the way the API creates them, in the command's database.
    const ds = await createDataSource(config.database);
    await ds.initialize();
    await runMigrations(ds);
    const tenant = await new Factory(ds).tenant();
    const admin = new ConnectorAdmin(ds, TenantScope.allTenants(), { now: () => new Date() }, { label: 'test' }, SecretBox.fromEncodedKey(key));
    const good = new InventoryFile().write([{ externalId: 'c1', hostname: 'CLI-1' }]);
    await admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'Good export', settings: { path: good.path } });
    await admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'Missing export', settings: { path: join(dir, 'nowhere.json') } });
    await ds.destroy();

    lines.length = 0;
    expect(await syncCommand(config, {}, out)).toBe(1);
    expect(lines.filter((l) => l.endsWith(': started'))).toHaveLength(2);
    expect(lines.find((l) => l.startsWith('Good export'))).toBeDefined();
    expect(lines.some((l) => /^Good export \[file-import\] .*: full sync ok: devices 1 seen, 1 new/.test(l))).toBe(true);
    expect(lines.some((l) => /^Missing export \[file-import\] .*: FAILED \(\w+\): .*nowhere\.json/.test(l))).toBe(true);
  });
});
