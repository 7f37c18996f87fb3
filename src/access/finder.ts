import { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { entityRows, selectRows, selectStatement } from '../db/entity-rows';
import { PageLimits } from './keyset';
import { ScopeCondition, TenantScope } from './tenant-scope';

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

  /**
   * The scope as a condition for select(): the same rows query() keeps. A finder whose query() scopes in a way of
   * its own overrides this too; without a tenant column and without an override, select() refuses to run.
   */
  protected scopeCondition(column: (property: string) => string): ScopeCondition | null {
    if (!this.tenantColumn) throw new Error(`${this.constructor.name} has no scope condition for statements written as text`);
    return this.deps.scope.condition(column(this.tenantColumn));
  }

  /**
   * Rows of this finder's entity, with the columns the request reads, matching every condition of `where` (each
   * with its positional parameters) inside the tenant scope, in `orderBy`'s order (property and direction). A
   * statement as text for the hot loaders: its head is built once per column set (selectStatement), where the
   * query builder rebuilt the whole statement on every call. The scope's condition always comes first.
   */
  protected async select(
    where: (column: (property: string) => string) => Array<{ sql: string; parameters: readonly unknown[] }>,
    orderBy: ReadonlyArray<readonly [string, 'ASC' | 'DESC']>,
  ): Promise<T[]> {
    const statement = selectStatement(this.deps.dataSource, this.entity, this.alias, this.columns());
    const column = (property: string) => statement.column(property);
    const scope = this.scopeCondition(column);
    const conditions = scope ? [scope, ...where(column)] : where(column);
    const order = orderBy.map(([property, direction]) => `${column(property)} ${direction}`).join(', ');
    return selectRows<T>(
      statement,
      `${conditions.length ? `WHERE ${conditions.map((c) => `(${c.sql})`).join(' AND ')}` : ''}${order ? ` ORDER BY ${order}` : ''}`,
      conditions.flatMap((c) => c.parameters),
      { sorted: order !== '' },
    );
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
