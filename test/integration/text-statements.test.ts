import { randomBytes } from 'node:crypto';
import { Access } from '../../src/access/access';
import { TenantScope } from '../../src/access/tenant-scope';
import { entityRows } from '../../src/db/entity-rows';
import { Asset, PatchState, SourceDevice, Tenant, Update } from '../../src/entities';
import { SHARED_OWNER } from '../../src/entities/update.entity';
import { PatchStateValue } from '../../src/entities/enums';
import { SecretBox } from '../../src/secrets/secret-box';
import { fixedClock } from '../../src/util/clock';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory, T0 } from '../helpers/factories';

const LIMITS = { defaultPageSize: 50, maxPageSize: 500 };
const secrets = SecretBox.fromEncodedKey(randomBytes(32).toString('base64'));

/**
 * The hot loaders' statements are written as text, their SELECT head kept per column set and shared by every
 * request (Finder.select). Each call must still apply its own request's tenant scope and column set: the rows are
 * those the query builder's statement over the finder's scoped query() gives, whatever another scope or column set
 * ran the same statement before.
 */
describe(`statements written as text on ${ENGINE}`, () => {
  let db: TestDatabase;
  let tenants: Tenant[];
  let assets: Asset[];
  let updateIds: string[];

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const { updates } = await f.catalog();
    tenants = [await f.tenant(), await f.tenant(), await f.tenant()];
    const shared = [...updates.values()].slice(0, 3);
    // An update of the first tenant's own: the others must not see it, nor its states (there are none outside it).
    const own = Object.assign(new Update(), { ...shared[0], id: newId(), owner: tenants[0].id, catalogKey: `${shared[0].catalogKey}-own`, kb: 'KB9999999' });
    await f.insert(Update, [own]);
    updateIds = [...shared.map((u) => u.id), own.id];
    assets = [];
    for (const tenant of tenants) {
      const connector = await f.connector(tenant, 'datto-rmm');
      const mine = await f.insertAssets([f.asset(tenant), f.asset(tenant)]);
      assets.push(...mine);
      const sources = mine.flatMap((a) => [f.source(a, connector), f.source(a, connector, { firstSeenAt: new Date(T0.getTime() - 1000) })]);
      await f.insert(SourceDevice, sources);
      const ids = tenant === tenants[0] ? updateIds : updateIds.slice(0, 3);
      await f.insert(PatchState, sources.flatMap((s, i) => ids.map((u, k) => {
        const state = f.patchState(s, u, (i + k) % 3 ? PatchStateValue.MISSING : PatchStateValue.INSTALLED);
        return Object.assign(state, { effective: i % 2 === 0, changedAt: new Date(T0.getTime() + k * 60_000) });
      })));
    }
  });
  afterAll(() => db.drop());

  const scopesOf = (): Array<[string, TenantScope]> => [
    ['all tenants', TenantScope.allTenants()],
    ['the first tenant', TenantScope.only([tenants[0].id])],
    ['the second and third', TenantScope.only([tenants[1].id, tenants[2].id])],
    ['no tenant', TenantScope.only([])],
  ];
  const columnSets: Array<[string, Map<Function, Set<string>> | null]> = [
    ['whole rows', null],
    ['a few columns', new Map<Function, Set<string>>([
      [SourceDevice, new Set(['id', 'tenantId', 'assetId', 'connectorInstanceId', 'externalId', 'lastCheckInAt'])],
      [PatchState, new Set(['id', 'tenantId', 'assetId', 'sourceDeviceId', 'updateId', 'state'])],
      [Update, new Set(['id', 'owner', 'kb', 'severity', 'releasedAt'])],
    ])],
    ['other columns', new Map<Function, Set<string>>([
      [SourceDevice, new Set(['id', 'tenantId', 'assetId', 'connectorInstanceId', 'inactive', 'macAddresses'])],
      [PatchState, new Set(['id', 'tenantId', 'assetId', 'sourceDeviceId', 'updateId', 'effective', 'changedAt'])],
      [Update, new Set(['id', 'owner', 'title', 'products'])],
    ])],
  ];

  const accessFor = (scope: TenantScope, plan: Map<Function, Set<string>> | null) => {
    const access = new Access(db.dataSource, scope, LIMITS, fixedClock(T0), { label: 'test' }, secrets);
    access.readColumns(plan);
    return access;
  };

  /** What the query builder reads for the same finder, scope and columns (the statement before it was text). */
  const expected = <T extends object>(entity: new () => T, alias: string, columns: Set<string> | undefined, build: (qb: ReturnType<typeof db.dataSource.createQueryBuilder>) => void) => {
    const qb = db.dataSource.createQueryBuilder(entity, alias);
    build(qb as never);
    return entityRows(qb, columns);
  };

  it('read each scope\'s own rows with each column set, in any order of scopes and sets, as the query builder does', async () => {
    const assetIds = assets.map((a) => a.id);
    // Twice round, so every statement runs again after other scopes and column sets have used the cached heads.
    for (let round = 0; round < 2; round++) {
      for (const [columnsName, plan] of columnSets) {
        for (const [scopeName, scope] of scopesOf()) {
          const access = accessFor(scope, plan);
          const where = (alias: string, column: string) => (qb: { andWhere(sql: string, p?: object): unknown }) => {
            if (!scope.all) qb.andWhere(scope.allowedIds().length ? `${alias}.${column} IN (:...scope)` : '1 = 0', { scope: scope.allowedIds() });
          };
          const label = `${columnsName}, ${scopeName}`;

          const sources = await access.sourceDevices.byAssetIds(assetIds);
          const sourcesBefore = await expected(SourceDevice, 'sd', plan?.get(SourceDevice), (qb) => {
            where('sd', 'tenantId')(qb);
            qb.andWhere('sd.assetId IN (:...ids)', { ids: assetIds }).orderBy('sd.firstSeenAt', 'ASC').addOrderBy('sd.id', 'ASC');
          });
          expect({ label, rows: sources }).toEqual({ label, rows: sourcesBefore });
          for (const s of sources) expect(s).toBeInstanceOf(SourceDevice);

          for (const [states, effectiveOnly] of [[null, true], [[PatchStateValue.MISSING], false], [[], false]] as const) {
            const rows = await access.patchStates.byAssetIds(assetIds, states, effectiveOnly);
            const before = await expected(PatchState, 'ps', plan?.get(PatchState), (qb) => {
              where('ps', 'tenantId')(qb);
              qb.andWhere('ps.assetId IN (:...ids)', { ids: assetIds });
              if (states) qb.andWhere('ps.state IN (:...states)', { states: states.length ? states : ['-'] });
              if (effectiveOnly) qb.andWhere('ps.effective = 1');
              qb.orderBy('ps.changedAt', 'DESC').addOrderBy('ps.id', 'DESC');
            });
            expect({ label, states, effectiveOnly, rows }).toEqual({ label, states, effectiveOnly, rows: before });
          }

          const updates = await access.updates.byIds([...updateIds, updateIds[0], 'no-such-update']);
          const updatesBefore = await expected(Update, 'upd', plan?.get(Update), (qb) => {
            if (!scope.all) qb.andWhere('upd.owner IN (:...owners)', { owners: [SHARED_OWNER, ...scope.allowedIds()] });
            qb.andWhere('upd.id IN (:...ids)', { ids: updateIds });
          });
          const byId = (a: Update, b: Update) => (a.id < b.id ? -1 : 1);
          expect({ label, rows: [...updates].sort(byId) }).toEqual({ label, rows: [...updatesBefore].sort(byId) });
        }
      }
    }
  });

  it('never give one scope another\'s rows', async () => {
    const assetIds = assets.map((a) => a.id);
    const [first, second] = [TenantScope.only([tenants[0].id]), TenantScope.only([tenants[1].id])];
    for (const [, plan] of columnSets) {
      for (const [scope, tenant] of [[first, tenants[0]], [second, tenants[1]], [first, tenants[0]]] as const) {
        const access = accessFor(scope, plan);
        const sources = await access.sourceDevices.byAssetIds(assetIds);
        expect(sources).toHaveLength(4);
        expect(new Set(sources.map((s) => s.tenantId))).toEqual(new Set([tenant.id]));
        const states = await access.patchStates.byAssetIds(assetIds, null, false);
        expect(new Set(states.map((s) => s.tenantId))).toEqual(new Set([tenant.id]));
        const owners = new Set((await access.updates.byIds(updateIds)).map((u) => u.owner));
        expect(owners).toEqual(new Set(tenant === tenants[0] ? [SHARED_OWNER, tenants[0].id] : [SHARED_OWNER]));
      }
    }
    const none = accessFor(TenantScope.only([]), null);
    expect(await none.sourceDevices.byAssetIds(assetIds)).toEqual([]);
    expect(await none.patchStates.byAssetIds(assetIds, null, false)).toEqual([]);
    expect((await none.updates.byIds(updateIds)).map((u) => u.owner)).toEqual([SHARED_OWNER, SHARED_OWNER, SHARED_OWNER]);
  });
});
