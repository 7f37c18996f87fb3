import { SourceDevice, Tenant } from '../../src/entities';
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

  it('store timestamps in UTC with millisecond precision', async () => {
    const at = new Date('2026-03-29T01:30:45.987Z'); // inside a DST change in Europe: a local-time bug would show
    await db.dataSource.getRepository(Tenant).insert({ id: '00000000-0000-4000-8000-000000000001', name: 'Clockwork', createdAt: at, updatedAt: at });
    const back = await db.dataSource.getRepository(Tenant).findOneByOrFail({ name: 'Clockwork' });
    expect(back.createdAt.toISOString()).toBe('2026-03-29T01:30:45.987Z');
  });
});
