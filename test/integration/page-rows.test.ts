import { randomBytes } from 'node:crypto';
import { Access } from '../../src/access/access';
import { AssetOrderName, assetOrdering } from '../../src/access/asset.finder';
import { TenantScope } from '../../src/access/tenant-scope';
import { entityRows } from '../../src/db/entity-rows';
import { Asset, Tenant } from '../../src/entities';
import { SecretBox } from '../../src/secrets/secret-box';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory, T0 } from '../helpers/factories';

const LIMITS = { defaultPageSize: 50, maxPageSize: 500 };
const PAGE = 100;
const secrets = SecretBox.fromEncodedKey(randomBytes(32).toString('base64'));

/**
 * A page with no condition (every tenant, no filter, no cursor) reads its ids first on MariaDB, then their rows
 * (pageRows): the rows must be the ones the single ordered statement gave, and the table is no longer scanned.
 */
describe(`pages with no condition on ${ENGINE}`, () => {
  let db: TestDatabase;
  let tenants: Tenant[];

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    tenants = [await f.tenant(), await f.tenant(), await f.tenant()];
    const assets: Asset[] = [];
    for (let i = 0; i < 2_000; i++) {
      // Host names and times repeat, so the id decides between equal sort values; the names are not in id order.
      assets.push(f.asset(tenants[i % 3], {
        hostname: `HOST-${String((i * 7919) % 700).padStart(4, '0')}`,
        lastSeenAt: new Date(T0.getTime() - (i % 500) * 60_000),
        createdAt: new Date(T0.getTime() - (i % 40) * 1000),
      }));
    }
    await f.insertAssets(assets);
  });
  afterAll(() => db.drop());

  const accessFor = (scope: TenantScope, columns: Set<string> | null) => {
    const access = new Access(db.dataSource, scope, LIMITS, fixedClock(T0), { label: 'test' }, secrets);
    access.readColumns(columns && new Map([[Asset, columns]]));
    return access;
  };
  const orderings: AssetOrderName[] = ['HOSTNAME', 'LAST_SEEN_AT', 'CREATED_AT'];

  it('give the rows, in the order, of one ordered statement, forwards and backwards, with whole rows or a few columns', async () => {
    for (const columns of [null, new Set(['id', 'tenantId', 'hostname'])]) {
      const access = accessFor(TenantScope.allTenants(), columns);
      for (const field of orderings) {
        for (const direction of ['ASC', 'DESC'] as const) {
          const ordering = assetOrdering(field, direction);
          const property = ordering.column.slice('asset.'.length);
          for (const backward of [false, true]) {
            const dir = backward === (direction === 'ASC') ? 'DESC' : 'ASC';
            const qb = db.dataSource.createQueryBuilder(Asset, 'asset').orderBy(ordering.column, dir).addOrderBy('asset.id', dir).limit(PAGE + 1);
            const single = await entityRows(qb, columns ? new Set([...columns, property]) : undefined);
            const expected = single.slice(0, PAGE);
            if (backward) expected.reverse();
            const page = await access.assets.page({}, ordering, backward ? { last: PAGE } : { first: PAGE });
            const label = `${field} ${direction}${backward ? ', backwards' : ''}${columns ? ', a few columns' : ''}`;
            expect({ label, rows: page.rows }).toEqual({ label, rows: expected });
            expect({ label, more: backward ? page.hasPreviousPage : page.hasNextPage }).toEqual({ label, more: true });
            for (const row of page.rows) expect(row).toBeInstanceOf(Asset);
          }
        }
      }
    }
  });

  it('keep their cursors: the next page after each is the same as before', async () => {
    const access = accessFor(TenantScope.allTenants(), null);
    for (const field of orderings) {
      const ordering = assetOrdering(field, 'ASC');
      const first = await access.assets.page({}, ordering, { first: PAGE });
      const next = await access.assets.page({}, ordering, { first: PAGE, after: first.cursorOf(first.rows[PAGE - 1]) });
      const both = await access.assets.page({}, ordering, { first: 2 * PAGE });
      expect([...first.rows, ...next.rows].map((a) => a.id)).toEqual(both.rows.map((a) => a.id));
    }
  });

  it('with a condition (a tenant scope, a filter) read as they did', async () => {
    const scoped = accessFor(TenantScope.only([tenants[0].id, tenants[2].id]), null);
    const page = await scoped.assets.page({}, assetOrdering('HOSTNAME', 'ASC'), { first: PAGE });
    const all = await accessFor(TenantScope.allTenants(), null).assets.page({ tenantIds: [tenants[0].id, tenants[2].id] }, assetOrdering('HOSTNAME', 'ASC'), { first: PAGE });
    expect(page.rows).toHaveLength(PAGE);
    expect(page.rows).toEqual(all.rows);
    expect(new Set(page.rows.map((a) => a.tenantId))).toEqual(new Set([tenants[0].id, tenants[2].id]));
  });

  (ENGINE === 'mariadb' ? it : it.skip)('do not scan the table on MariaDB', async () => {
    const access = accessFor(TenantScope.allTenants(), new Set(['id', 'tenantId', 'siteId', 'hostname']));
    for (const field of ['HOSTNAME', 'LAST_SEEN_AT'] as const) {
      db.counter.reset();
      await access.assets.page({}, assetOrdering(field, 'ASC'), { first: PAGE });
      expect(db.counter.statements).toHaveLength(1);
      const [plan] = await db.dataSource.query(`ANALYZE FORMAT=JSON ${db.counter.statements[0]}`, db.counter.parameters[0]);
      const reads = tableReads(JSON.parse(String(Object.values(plan)[0]))).filter((t) => t.table_name === 'asset');
      const rowsRead = reads.reduce((n, t) => n + t.r_loops * t.r_rows, 0);
      // The page's ids through the sort's index, then a row per id: about two reads a row, not one per asset.
      expect({ field, scans: reads.filter((t) => t.access_type === 'ALL').length, manyRows: rowsRead > 3 * (PAGE + 1) }).toEqual({ field, scans: 0, manyRows: false });
    }
  });
});

interface TableRead {
  table_name: string;
  access_type: string;
  r_loops: number;
  r_rows: number;
}

/** Every table access in an ANALYZE FORMAT=JSON plan, subqueries and derived tables included. */
function tableReads(node: unknown): TableRead[] {
  if (!node || typeof node !== 'object') return [];
  const here = 'table' in node && node.table && typeof node.table === 'object' && 'table_name' in node.table ? [node.table as TableRead] : [];
  return [...here, ...Object.values(node).flatMap(tableReads)];
}
