import { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { entityRows } from '../db/entity-rows';
import { PageLimits } from './keyset';
import { TenantScope } from './tenant-scope';

/** Per entity class, the properties a request reads of its rows; an entity it does not name is read whole. */
export type ColumnPlan = ReadonlyMap<Function, ReadonlySet<string>>;

/** What every finder is built from: the database, the request's tenant scope and its paging limits. */
export interface FinderDeps {
  dataSource: DataSource;
  scope: TenantScope;
  limits: PageLimits;
  /** The request's column plan (src/graphql/column-plan.ts), shared by its finders; none reads whole rows. */
  columns?: { plan: ColumnPlan | null };
}

/**
 * Base of the tenant-scoped finders. `query()` is the only way a finder starts a query, and it applies the
 * scope for tenant-owned entities; catalog entities (updates, vulnerabilities) pass `tenantColumn: null`.
 */
export abstract class Finder<T extends ObjectLiteral & { id: string }> {
  constructor(
    protected readonly deps: FinderDeps,
    protected readonly entity: EntityTarget<T>,
    protected readonly alias: string,
    private readonly tenantColumn: string | null,
  ) {}

  protected query(): SelectQueryBuilder<T> {
    const qb = this.deps.dataSource.createQueryBuilder(this.entity, this.alias);
    return this.tenantColumn ? this.deps.scope.apply(qb, `${this.alias}.${this.tenantColumn}`) : qb;
  }

  /** The properties this request reads of this entity's rows; undefined: all of them. */
  protected columns(): ReadonlySet<string> | undefined {
    return this.deps.columns?.plan?.get(this.entity as Function);
  }

  /** The rows of a query of this finder, with only the columns the request reads. */
  protected rows(qb: SelectQueryBuilder<T>): Promise<T[]> {
    return entityRows(qb, this.columns());
  }

  /** Rows with these ids that the scope allows, in no particular order. */
  async byIds(ids: readonly string[]): Promise<T[]> {
    if (ids.length === 0) return [];
    return this.rows(this.query().andWhere(`${this.alias}.id IN (:...ids)`, { ids: [...new Set(ids)] }));
  }

  async byId(id: string): Promise<T | null> {
    const [row] = await this.byIds([id]);
    return row ?? null;
  }
}
