import { placeholders } from '../db/entity-rows';
import { Update } from '../entities';
import { SHARED_OWNER } from '../entities/update.entity';
import { Severity, UpdateClassification } from '../entities/enums';
import { Finder, FinderDeps } from './finder';
import { Ordering, Page, PageArgs, paginate } from './keyset';
import { inList, pairRaw } from './sql-lists';
import { ScopeCondition } from './tenant-scope';

export type UpdateOrderName = 'RELEASED_AT' | 'TITLE';

export function updateOrdering(field: UpdateOrderName, direction: 'ASC' | 'DESC'): Ordering<Update> {
  const base = { idColumn: 'upd.id', direction, name: `update.${field}.${direction}` } as const;
  return field === 'TITLE'
    ? { ...base, column: 'upd.title', value: (u) => u.title, kind: 'string' }
    : { ...base, column: 'upd.releasedAt', value: (u) => u.releasedAt, kind: 'date' };
}

export interface UpdateFilter {
  /** KB number with or without the "KB" prefix. */
  kb?: string | null;
  classifications?: UpdateClassification[] | null;
  severities?: Severity[] | null;
  releasedAfter?: Date | null;
  releasedBefore?: Date | null;
  /** Only updates that fix this CVE. */
  cveId?: string | null;
}

/** "5041585", "kb5041585" and "KB5041585" all name the same article. */
export function normaliseKb(kb: string): string {
  const digits = kb.trim().replace(/^kb/i, '');
  return `KB${digits}`;
}

/** Updates the caller may see: the entries every tenant shares, and the visible tenants' own entries. */
export class UpdateFinder extends Finder<Update> {
  constructor(deps: FinderDeps) {
    // The scope is applied in query(): a shared entry has no tenant, so the base class's filter does not fit.
    super(deps, Update, 'upd', null);
  }

  protected override query() {
    return this.deps.scope.applyShared(super.query(), 'upd.owner', SHARED_OWNER);
  }

  protected override scopeCondition(column: (property: string) => string): ScopeCondition | null {
    return this.deps.scope.sharedCondition(column('owner'), SHARED_OWNER);
  }

  /** As the base class's, as a statement written as text: the by-id loader behind every state's update on a page. */
  override async byIds(ids: readonly string[]): Promise<Update[]> {
    if (ids.length === 0) return [];
    const unique = [...new Set(ids)];
    return this.select((c) => [{ sql: `${c('id')} IN (${placeholders(unique.length)})`, parameters: unique }], []);
  }

  private filtered(f: UpdateFilter) {
    const qb = this.query();
    if (f.kb) qb.andWhere('upd.kb = :kb', { kb: normaliseKb(f.kb) });
    if (f.classifications) qb.andWhere('upd.classification IN (:...cls)', { cls: inList(f.classifications) });
    if (f.severities) qb.andWhere('upd.severity IN (:...sev)', { sev: inList(f.severities) });
    if (f.releasedAfter) qb.andWhere('upd.releasedAt >= :ra', { ra: f.releasedAfter });
    if (f.releasedBefore) qb.andWhere('upd.releasedAt < :rb', { rb: f.releasedBefore });
    if (f.cveId) {
      qb.andWhere(
        `EXISTS (SELECT 1 FROM update_vulnerability uv INNER JOIN vulnerability v ON v.id = uv.vulnerabilityId
           WHERE uv.updateId = upd.id AND v.cveId = :cve)`,
        { cve: f.cveId.trim().toUpperCase() },
      );
    }
    return qb;
  }

  page(filter: UpdateFilter, ordering: Ordering<Update>, args: PageArgs): Promise<Page<Update>> {
    return paginate(this.filtered(filter), ordering, args, this.deps.limits, this.columns());
  }

  count(filter: UpdateFilter): Promise<number> {
    return this.filtered(filter).getCount();
  }

  /** Updates that fix each vulnerability, for the Vulnerability.updates loader. */
  async byVulnerabilityIds(vulnerabilityIds: readonly string[]): Promise<Array<{ key: string; row: Update }>> {
    const rows = await this.query()
      .innerJoin('update_vulnerability', 'uv', 'uv.updateId = upd.id')
      .addSelect('uv.vulnerabilityId', 'uv_vulnerabilityId')
      .andWhere('uv.vulnerabilityId IN (:...ids)', { ids: [...vulnerabilityIds] })
      .orderBy('upd.releasedAt', 'ASC')
      .addOrderBy('upd.id', 'ASC')
      .getRawAndEntities();
    return pairRaw(rows, 'uv_vulnerabilityId', 'upd_id');
  }
}
