import { Brackets, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Asset } from '../entities';
import { AssetStatus, NOT_REMEDIATED_STATES, Severity } from '../entities/enums';
import { Finder, FinderDeps } from './finder';
import { Ordering, Page, PageArgs, paginate } from './keyset';
import { containsCondition, containsPattern } from './like';
import { inList } from './sql-lists';

export type AssetOrderName = 'HOSTNAME' | 'LAST_SEEN_AT' | 'CREATED_AT';

export function assetOrdering(field: AssetOrderName, direction: 'ASC' | 'DESC'): Ordering<Asset> {
  const base = { idColumn: 'asset.id', direction, name: `asset.${field}.${direction}` } as const;
  switch (field) {
    case 'HOSTNAME':
      return { ...base, column: 'asset.hostname', value: (a) => a.hostname, kind: 'string' };
    case 'LAST_SEEN_AT':
      return { ...base, column: 'asset.lastSeenAt', value: (a) => a.lastSeenAt, kind: 'date' };
    case 'CREATED_AT':
      return { ...base, column: 'asset.createdAt', value: (a) => a.createdAt, kind: 'date' };
  }
}

export interface AssetFilter {
  tenantIds?: string[] | null;
  siteIds?: string[] | null;
  /** Substring of the OS name, e.g. "Windows 11". */
  osNameContains?: string | null;
  /** Substring of the host name or FQDN. */
  hostnameContains?: string | null;
  lastSeenBefore?: Date | null;
  lastSeenAfter?: Date | null;
  status?: AssetStatus | null;
  /** true: at least one update whose effective state is not remediated; false: none. */
  hasMissingUpdates?: boolean | null;
  /** At least one update of one of these severities whose effective state is not remediated. */
  missingSeverities?: Severity[] | null;
}

/**
 * Adds the filter's conditions to a query over assets aliased `asset`. The one definition of what an asset filter
 * matches: the assets query and a change targeting a saved filter (change-evidence.ts) must agree.
 */
export function applyAssetFilter<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, f: AssetFilter): SelectQueryBuilder<T> {
  if (f.tenantIds) qb.andWhere('asset.tenantId IN (:...fTenantIds)', { fTenantIds: inList(f.tenantIds) });
  if (f.siteIds) qb.andWhere('asset.siteId IN (:...fSiteIds)', { fSiteIds: inList(f.siteIds) });
  if (f.osNameContains) qb.andWhere(containsCondition('asset.osName', 'fOs'), { fOs: containsPattern(f.osNameContains) });
  if (f.hostnameContains) {
    const pattern = containsPattern(f.hostnameContains);
    qb.andWhere(
      new Brackets((w) =>
        w.where(containsCondition('asset.hostname', 'fHost'), { fHost: pattern }).orWhere(containsCondition('asset.fqdn', 'fHost')),
      ),
    );
  }
  if (f.lastSeenBefore) qb.andWhere('asset.lastSeenAt < :fBefore', { fBefore: f.lastSeenBefore });
  if (f.lastSeenAfter) qb.andWhere('asset.lastSeenAt >= :fAfter', { fAfter: f.lastSeenAfter });
  if (f.status) qb.andWhere('asset.status = :fStatus', { fStatus: f.status });
  if (f.hasMissingUpdates != null) {
    const exists = `EXISTS (SELECT 1 FROM patch_state ps WHERE ps.assetId = asset.id AND ps.effective = 1 AND ps.state IN (:...fMissing))`;
    qb.andWhere(f.hasMissingUpdates ? exists : `NOT ${exists}`, { fMissing: NOT_REMEDIATED_STATES });
  }
  if (f.missingSeverities) {
    qb.andWhere(
      `EXISTS (SELECT 1 FROM patch_state ps2 INNER JOIN software_update u2 ON u2.id = ps2.updateId
         WHERE ps2.assetId = asset.id AND ps2.effective = 1 AND ps2.state IN (:...fMissing2) AND u2.severity IN (:...fSev))`,
      { fMissing2: NOT_REMEDIATED_STATES, fSev: inList(f.missingSeverities) },
    );
  }
  return qb;
}

export class AssetFinder extends Finder<Asset> {
  constructor(deps: FinderDeps) {
    super(deps, Asset, 'asset', 'tenantId');
  }

  private filtered(f: AssetFilter) {
    return applyAssetFilter(this.query(), f);
  }

  page(filter: AssetFilter, ordering: Ordering<Asset>, args: PageArgs): Promise<Page<Asset>> {
    return paginate(this.filtered(filter), ordering, args, this.deps.limits, this.columns());
  }

  count(filter: AssetFilter): Promise<number> {
    return this.filtered(filter).getCount();
  }

  /** Number of assets per tenant, computed in SQL. */
  async countByTenant(tenantIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.query()
      .select('asset.tenantId', 'key')
      .addSelect('COUNT(*)', 'n')
      .andWhere('asset.tenantId IN (:...ids)', { ids: [...tenantIds] })
      .groupBy('asset.tenantId')
      .getRawMany<{ key: string; n: string | number }>();
    return new Map(rows.map((r) => [r.key, Number(r.n)]));
  }

  /** Number of assets per site, computed in SQL. */
  async countBySite(siteIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.query()
      .select('asset.siteId', 'key')
      .addSelect('COUNT(*)', 'n')
      .andWhere('asset.siteId IN (:...ids)', { ids: [...siteIds] })
      .groupBy('asset.siteId')
      .getRawMany<{ key: string; n: string | number }>();
    return new Map(rows.map((r) => [r.key, Number(r.n)]));
  }
}
