import { Tenant } from '../../src/entities';
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

  it('store timestamps in UTC with millisecond precision', async () => {
    const at = new Date('2026-03-29T01:30:45.987Z'); // inside a DST change in Europe: a local-time bug would show
    await db.dataSource.getRepository(Tenant).insert({ id: '00000000-0000-4000-8000-000000000001', name: 'Clockwork', createdAt: at, updatedAt: at });
    const back = await db.dataSource.getRepository(Tenant).findOneByOrFail({ name: 'Clockwork' });
    expect(back.createdAt.toISOString()).toBe('2026-03-29T01:30:45.987Z');
  });
});
