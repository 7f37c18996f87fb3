import { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { PageLimits } from './keyset';
import { TenantScope } from './tenant-scope';

/** What every finder is built from: the database, the request's tenant scope and its paging limits. */
export interface FinderDeps {
  dataSource: DataSource;
  scope: TenantScope;
  limits: PageLimits;
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

  /** Rows with these ids that the scope allows, in no particular order. */
  async byIds(ids: readonly string[]): Promise<T[]> {
    if (ids.length === 0) return [];
    return this.query().andWhere(`${this.alias}.id IN (:...ids)`, { ids: [...new Set(ids)] }).getMany();
  }

  async byId(id: string): Promise<T | null> {
    const [row] = await this.byIds([id]);
    return row ?? null;
  }
}
