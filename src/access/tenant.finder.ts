import { Tenant } from '../entities';
import { Finder, FinderDeps } from './finder';
import { Ordering, Page, PageArgs, paginate } from './keyset';
import { containsCondition, containsPattern } from './like';

export const TENANT_BY_NAME: Ordering<Tenant> = {
  name: 'tenant.name',
  column: 'tenant.name',
  idColumn: 'tenant.id',
  direction: 'ASC',
  value: (t) => t.name,
  kind: 'string',
};

export interface TenantFilter {
  nameContains?: string | null;
}

export class TenantFinder extends Finder<Tenant> {
  constructor(deps: FinderDeps) {
    super(deps, Tenant, 'tenant', null);
  }

  // Tenants are scoped on their own id rather than a tenantId column.
  protected query() {
    return this.deps.scope.apply(super.query(), 'tenant.id');
  }

  private filtered(filter: TenantFilter) {
    const qb = this.query();
    if (filter.nameContains) qb.andWhere(containsCondition('tenant.name', 'name'), { name: containsPattern(filter.nameContains) });
    return qb;
  }

  page(filter: TenantFilter, args: PageArgs): Promise<Page<Tenant>> {
    return paginate(this.filtered(filter), TENANT_BY_NAME, args, this.deps.limits);
  }

  count(filter: TenantFilter): Promise<number> {
    return this.filtered(filter).getCount();
  }

  async byName(name: string): Promise<Tenant | null> {
    return this.query().andWhere('tenant.name = :name', { name }).getOne();
  }
}
