import { Site } from '../entities';
import { Finder, FinderDeps } from './finder';
import { Ordering, Page, PageArgs, paginate } from './keyset';
import { containsCondition, containsPattern } from './like';
import { inList } from './sql-lists';

export const SITE_BY_NAME: Ordering<Site> = {
  name: 'site.name',
  column: 'site.name',
  idColumn: 'site.id',
  direction: 'ASC',
  value: (s) => s.name,
  kind: 'string',
};

export interface SiteFilter {
  tenantIds?: string[] | null;
  nameContains?: string | null;
}

export class SiteFinder extends Finder<Site> {
  constructor(deps: FinderDeps) {
    super(deps, Site, 'site', 'tenantId');
  }

  private filtered(filter: SiteFilter) {
    const qb = this.query();
    if (filter.tenantIds) qb.andWhere('site.tenantId IN (:...tenantIds)', { tenantIds: inList(filter.tenantIds) });
    if (filter.nameContains) qb.andWhere(containsCondition('site.name', 'name'), { name: containsPattern(filter.nameContains) });
    return qb;
  }

  page(filter: SiteFilter, args: PageArgs): Promise<Page<Site>> {
    return paginate(this.filtered(filter), SITE_BY_NAME, args, this.deps.limits);
  }

  count(filter: SiteFilter): Promise<number> {
    return this.filtered(filter).getCount();
  }

  /** Sites of each tenant, for the Tenant.sites loader. */
  byTenantIds(tenantIds: readonly string[]): Promise<Site[]> {
    return this.query()
      .andWhere('site.tenantId IN (:...tenantIds)', { tenantIds: [...tenantIds] })
      .orderBy('site.name', 'ASC')
      .addOrderBy('site.id', 'ASC')
      .getMany();
  }

  byName(tenantId: string, name: string): Promise<Site | null> {
    return this.query().andWhere('site.tenantId = :tenantId AND site.name = :name', { tenantId, name }).getOne();
  }
}
