import { randomBytes } from 'node:crypto';
import { Access } from '../../src/access/access';
import { TenantScope } from '../../src/access/tenant-scope';
import { Asset, PatchState, SourceDevice } from '../../src/entities';
import { PatchStateValue } from '../../src/entities/enums';
import { SecretBox } from '../../src/secrets/secret-box';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory, T0 } from '../helpers/factories';

const secrets = SecretBox.fromEncodedKey(randomBytes(32).toString('base64'));

/**
 * The loaders' sorted statements (sources and patch states of a page's assets) sort their rows whole on MariaDB,
 * never row ids whose rows are read again after the sort. Their rows and order are text-statements.test's concern.
 */
(ENGINE === 'mariadb' ? describe : describe.skip)('sorted loader statements on MariaDB', () => {
  let db: TestDatabase;
  let assets: Asset[];

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const { updates } = await f.catalog();
    const tenant = await f.tenant();
    const connector = await f.connector(tenant);
    assets = await f.insertAssets(Array.from({ length: 20 }, () => f.asset(tenant)));
    const sources = assets.map((a) => f.source(a, connector));
    await f.insert(SourceDevice, sources);
    const updateIds = [...updates.values()].slice(0, 6).map((u) => u.id);
    await f.insert(PatchState, sources.flatMap((s, i) => updateIds.map((u, k) => Object.assign(
      f.patchState(s, u, (i + k) % 4 ? PatchStateValue.INSTALLED : PatchStateValue.MISSING),
      { changedAt: new Date(T0.getTime() + ((i * k) % 5) * 60_000) },
    ))));
  });
  afterAll(() => db.drop());

  /** How MariaDB sorted the one statement `read` sent: its ANALYZE's sort modes. */
  async function sortModes(read: () => Promise<unknown>): Promise<string[]> {
    db.counter.reset();
    await read();
    expect(db.counter.statements).toHaveLength(1);
    const [sql] = db.counter.statements;
    const analyzed = /^SET STATEMENT .+? FOR /.test(sql) ? sql.replace(/^(SET STATEMENT .+? FOR )/, '$1ANALYZE FORMAT=JSON ') : `ANALYZE FORMAT=JSON ${sql}`;
    const [plan] = await db.dataSource.query(analyzed, db.counter.parameters[0]);
    return [...String(Object.values(plan)[0]).matchAll(/"r_sort_mode": "([^"]*)"/g)].map((m) => m[1]);
  }

  it('sort the rows they select, with whole rows or the nested page\'s columns', async () => {
    const plans: Array<Map<Function, Set<string>> | null> = [null, new Map<Function, Set<string>>([
      [SourceDevice, new Set(['id', 'tenantId', 'connectorInstanceId', 'assetId', 'externalId'])],
      [PatchState, new Set(['id', 'tenantId', 'assetId', 'sourceDeviceId', 'updateId', 'state'])],
    ])];
    for (const plan of plans) {
      const access = new Access(db.dataSource, TenantScope.allTenants(), { defaultPageSize: 50, maxPageSize: 500 }, fixedClock(T0), { label: 'test' }, secrets);
      access.readColumns(plan);
      const ids = assets.map((a) => a.id);
      const label = plan ? 'columns' : 'whole rows';
      expect({ label, modes: await sortModes(() => access.patchStates.byAssetIds(ids, null, true)) }).toEqual({ label, modes: ['packed_sort_key,packed_addon_fields'] });
      // A whole source device has TEXT columns (attributes, MAC addresses), which MariaDB never sorts with the rows.
      if (plan) expect({ label, modes: await sortModes(() => access.sourceDevices.byAssetIds(ids)) }).toEqual({ label, modes: ['packed_sort_key,packed_addon_fields'] });
    }
  });
});
