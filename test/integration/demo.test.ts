import { Asset, AuditEvent, PatchState, SourceDevice, Tenant, Update, Vulnerability } from '../../src/entities';
import { PatchStateValue } from '../../src/entities/enums';
import { MICROSOFT_CATALOG } from '../../src/demo/catalog';
import { buildAtLeast } from '../../src/demo/fleet';
import { isEmpty, seedDemo } from '../../src/demo/seed-demo';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';

describe(`demo data set on ${ENGINE}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(() => db.drop());

  it('loads into an empty database: real catalog, three tenants, patch states consistent with each build', async () => {
    expect(await isEmpty(db.dataSource)).toBe(true);
    const loaded = await seedDemo(db.dataSource, fixedClock('2026-11-02T10:00:00Z'));
    expect(await isEmpty(db.dataSource)).toBe(false);
    expect(loaded).toEqual({ tenants: 3, assets: 38, patchStates: await db.dataSource.getRepository(PatchState).count() });
    expect(await db.dataSource.getRepository(Tenant).count()).toBe(3);
    expect(await db.dataSource.getRepository(Update).count()).toBe(12);
    expect(await db.dataSource.getRepository(Vulnerability).count()).toBe(123);
    expect(await db.dataSource.getRepository(AuditEvent).count()).toBe(3);

    // Every derived state agrees with the device's build and the update's fixed build from MSRC.
    const catalog = MICROSOFT_CATALOG.updates;
    const updates = new Map((await db.dataSource.getRepository(Update).find()).map((u) => [u.id, u]));
    const sources = new Map((await db.dataSource.getRepository(SourceDevice).find()).map((s) => [s.id, s]));
    const assets = new Map((await db.dataSource.getRepository(Asset).find()).map((a) => [a.id, a]));
    for (const ps of await db.dataSource.getRepository(PatchState).find()) {
      const source = sources.get(ps.sourceDeviceId)!;
      expect(source.assetId).toBe(ps.assetId);
      expect(source.tenantId).toBe(ps.tenantId);
      expect(assets.get(ps.assetId)!.tenantId).toBe(ps.tenantId);
      // "10.0.22631.4037" is the fixed build for the device's build number 22631, if the update applies to it.
      const fixedBuilds = Object.values(catalog.find((u) => u.kb === updates.get(ps.updateId)!.kb)!.fixedBuilds);
      const fixed = fixedBuilds.find((b) => b.split('.')[2] === source.osBuild!.split('.')[0]);
      expect(fixed).toBeDefined();
      expect(ps.state === PatchStateValue.INSTALLED).toBe(buildAtLeast(source.osBuild!, fixed!));
    }
  });
});
