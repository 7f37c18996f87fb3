import { PatchState, SourceDevice, Tenant } from '../../src/entities';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';

describe(`migrations on ${ENGINE}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(() => db.drop());

  it('build exactly the schema the entities describe (no drift between entities and migrations)', async () => {
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('leave nothing pending, and applying them again is a no-op', async () => {
    expect(await db.dataSource.showMigrations()).toBe(false);
    expect(await db.dataSource.runMigrations()).toEqual([]);
  });

  it('can be reverted to an empty database and applied again', async () => {
    const count = db.dataSource.migrations.length;
    for (let i = 0; i < count; i++) await db.dataSource.undoLastMigration();
    const tables = await db.dataSource.createQueryRunner().getTables(['tenant', 'asset']);
    expect(tables).toEqual([]);
    expect((await db.dataSource.runMigrations()).length).toBe(count);
  });

  it('DeviceFacts keeps devices stored before it, as current devices without the new facts', async () => {
    const deviceFacts = db.dataSource.migrations.findIndex((m) => m.name!.startsWith('DeviceFacts'));
    expect(deviceFacts).toBeGreaterThan(0);
    for (let i = db.dataSource.migrations.length; i > deviceFacts; i--) await db.dataSource.undoLastMigration();
    const q = (table: string, row: Record<string, unknown>) => {
      const columns = Object.keys(row);
      const quote = (c: string) => db.dataSource.driver.escape(c);
      return db.dataSource.query(
        `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        Object.values(row),
      );
    };
    const at = '2026-11-02 10:00:00.000';
    await q('tenant', { id: '00000000-0000-4000-8000-0000000000a1', name: 'Before DeviceFacts', createdAt: at, updatedAt: at });
    await q('connector_instance', {
      id: '00000000-0000-4000-8000-0000000000a2', tenantId: '00000000-0000-4000-8000-0000000000a1', kind: 'file-import', name: 'old',
      config: '{}', secretsCiphertext: null, syncIntervalSeconds: null, enabled: true, cursors: null, createdAt: at, updatedAt: at,
    });
    await q('source_device', {
      id: '00000000-0000-4000-8000-0000000000a3', tenantId: '00000000-0000-4000-8000-0000000000a1', connectorInstanceId: '00000000-0000-4000-8000-0000000000a2',
      assetId: null, externalId: 'dev-1', hostname: 'OLD-PC', macAddresses: '[]', stale: false, firstSeenAt: at, lastSeenAt: at,
    });
    await db.dataSource.runMigrations();
    const device = await db.dataSource.getRepository(SourceDevice).findOneByOrFail({ externalId: 'dev-1' });
    expect(device).toMatchObject({
      hostname: 'OLD-PC', inactive: false, manufacturer: null, model: null, ownership: null, attributes: null, postureStatus: null, vendorSiteId: null, revision: null,
    });
  });

  it('EffectiveEvidence marks the effective state of states stored before it: a re-imaged laptop\'s inactive record decides nothing', async () => {
    const migration = db.dataSource.migrations.findIndex((m) => m.name!.startsWith('EffectiveEvidence'));
    expect(migration).toBeGreaterThan(0);
    for (let i = db.dataSource.migrations.length; i > migration; i--) await db.dataSource.undoLastMigration();
    const quote = (c: string) => db.dataSource.driver.escape(c);
    const q = (table: string, row: Record<string, unknown>) => {
      const columns = Object.keys(row);
      return db.dataSource.query(`INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, Object.values(row));
    };
    const at = '2026-11-02 10:00:00.000';
    const id = (n: number) => `00000000-0000-4000-8000-0000000001${String(n).padStart(2, '0')}`;
    await q('tenant', { id: id(1), name: 'Before EffectiveEvidence', createdAt: at, updatedAt: at });
    await q('connector_instance', {
      id: id(2), tenantId: id(1), kind: 'intune', name: 'old', config: '{}', secretsCiphertext: null, syncIntervalSeconds: null, enabled: true, cursors: null, createdAt: at, updatedAt: at,
    });
    await q('asset', { id: id(3), tenantId: id(1), hostname: 'CAT-LT-101', status: 'ACTIVE', lastSeenAt: at, createdAt: at, updatedAt: at });
    await q('software_update', {
      id: id(4), catalogKey: 'microsoft:KB5075941', kb: 'KB5075941', title: '2026-02 Cumulative Update for Windows 11 Version 23H2', vendor: 'Microsoft',
      products: '[]', classification: 'SECURITY', severity: 'IMPORTANT', releasedAt: '2026-02-10 08:00:00.000', supersedes: '[]', createdAt: at, updatedAt: at,
    });
    const device = (n: number, externalId: string, inactive: boolean, lastCheckInAt: string) =>
      q('source_device', {
        id: id(n), tenantId: id(1), connectorInstanceId: id(2), assetId: id(3), externalId, hostname: 'CAT-LT-101', macAddresses: '[]', stale: false, inactive,
        lastCheckInAt, firstSeenAt: at, lastSeenAt: at,
      });
    await device(5, 'old-enrolment', true, '2026-09-12 08:00:00.000');
    await device(6, 'new-enrolment', false, '2026-11-01 08:00:00.000');
    const state = (n: number, sourceDeviceId: string, value: string) =>
      q('patch_state', { id: id(n), tenantId: id(1), assetId: id(3), sourceDeviceId, updateId: id(4), state: value, evidence: 'DERIVED', changedAt: at, observedAt: at });
    await state(7, id(5), 'MISSING');
    await state(8, id(6), 'INSTALLED');
    await db.dataSource.runMigrations();
    const rows = await db.dataSource.getRepository(PatchState).find({ where: { assetId: id(3) }, order: { id: 'ASC' } });
    expect(rows.map((r) => [r.state, r.effective])).toEqual([['MISSING', false], ['INSTALLED', true]]);
  });

  it('store timestamps in UTC with millisecond precision', async () => {
    const at = new Date('2026-03-29T01:30:45.987Z'); // inside a DST change in Europe: a local-time bug would show
    await db.dataSource.getRepository(Tenant).insert({ id: '00000000-0000-4000-8000-000000000001', name: 'Clockwork', createdAt: at, updatedAt: at });
    const back = await db.dataSource.getRepository(Tenant).findOneByOrFail({ name: 'Clockwork' });
    expect(back.createdAt.toISOString()).toBe('2026-03-29T01:30:45.987Z');
  });
});
