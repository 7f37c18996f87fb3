import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { placeholders } from '../db/entity-rows';
import { NotFoundError } from '../errors';

let paramSeq = 0;

/** A tenant scope as SQL: a condition with positional placeholders, and their values in order. */
export interface ScopeCondition {
  sql: string;
  parameters: string[];
}

/**
 * The set of tenants a request may see. Every finder in access/ applies it to every query it builds, so a
 * resolver never builds a query and cannot forget the filter.
 */
export class TenantScope {
  private readonly visible: ReadonlySet<string>;

  private constructor(readonly all: boolean, tenantIds: readonly string[]) {
    this.visible = new Set(tenantIds);
  }

  static allTenants(): TenantScope {
    return new TenantScope(true, []);
  }

  static only(tenantIds: readonly string[]): TenantScope {
    return new TenantScope(false, tenantIds);
  }

  /** The visible tenant ids of a limited scope, for SQL the query builder does not write (empty when `all`). */
  allowedIds(): string[] {
    return [...this.visible];
  }

  allows(tenantId: string | null): boolean {
    if (this.all) return true;
    return tenantId !== null && this.visible.has(tenantId);
  }

  /** Restricts `qb` to rows whose `column` holds a visible tenant id. */
  apply<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, column: string): SelectQueryBuilder<T> {
    if (this.all) return qb;
    if (this.visible.size === 0) return qb.andWhere('1 = 0');
    const param = `scopeTenants${++paramSeq}`;
    return qb.andWhere(`${column} IN (:...${param})`, { [param]: [...this.visible] });
  }

  /**
   * What apply() adds, for a statement written as text (Finder.select): a condition on `column` (already escaped)
   * with its positional parameters, or null when every tenant is visible.
   */
  condition(column: string): ScopeCondition | null {
    if (this.all) return null;
    if (this.visible.size === 0) return { sql: '1 = 0', parameters: [] };
    return { sql: `${column} IN (${placeholders(this.visible.size)})`, parameters: [...this.visible] };
  }

  /** What applyShared() adds, for a statement written as text: `column` holds `shared` or a visible tenant id. */
  sharedCondition(column: string, shared: string): ScopeCondition | null {
    if (this.all) return null;
    return { sql: `${column} IN (${placeholders(this.visible.size + 1)})`, parameters: [shared, ...this.visible] };
  }

  /**
   * Restricts `qb` to rows whose `column` holds `shared` (rows every tenant sees, such as trusted catalog entries)
   * or a visible tenant id.
   */
  applyShared<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, column: string, shared: string): SelectQueryBuilder<T> {
    if (this.all) return qb;
    const param = `scopeOwners${++paramSeq}`;
    return qb.andWhere(`${column} IN (:...${param})`, { [param]: [shared, ...this.visible] });
  }

  /**
   * Checks tenant ids a caller asked to filter by. An invisible tenant is reported as not found, exactly like
   * one that does not exist, so ids of other MSP clients cannot be probed.
   */
  requireVisible(tenantIds: readonly string[], describe: (id: string) => string): void {
    for (const id of tenantIds) {
      if (!this.allows(id)) throw new NotFoundError('Tenant', describe(id));
    }
  }
}
