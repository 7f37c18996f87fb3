import { SelectQueryBuilder } from 'typeorm';
import { PolicyAssignment } from '../entities';
import { Finder, FinderDeps } from './finder';
import { pairRaw } from './sql-lists';

/**
 * The assignments in force: the open ones, or with `asOf` those that applied then (assigned at or before it and not
 * yet removed by it), which is what a report for a past date must use.
 */
function inForce(qb: SelectQueryBuilder<PolicyAssignment>, asOf: Date | null): SelectQueryBuilder<PolicyAssignment> {
  if (!asOf) return qb.andWhere('pa.removedAt IS NULL');
  return qb.andWhere('pa.assignedAt <= :paAsOf AND (pa.removedAt IS NULL OR pa.removedAt > :paAsOf)', { paAsOf: asOf });
}

/** Policy assignments within the request's tenants. */
export class PolicyAssignmentFinder extends Finder<PolicyAssignment> {
  constructor(deps: FinderDeps) {
    super(deps, PolicyAssignment, 'pa', 'tenantId');
  }

  /** Each tenant's assignments, to the whole tenant and to its sites. */
  async byTenantIds(tenantIds: readonly string[], asOf: Date | null): Promise<Array<{ key: string; row: PolicyAssignment }>> {
    const rows = await inForce(this.query().andWhere('pa.tenantId IN (:...paTenants)', { paTenants: [...tenantIds] }), asOf)
      .orderBy('pa.policyKey', 'ASC')
      .addOrderBy('pa.assignedAt', 'ASC')
      .addOrderBy('pa.id', 'ASC')
      .getMany();
    return rows.map((row) => ({ key: row.tenantId, row }));
  }

  /** The assignments each site must meet: its tenant's whole-tenant ones and its own. */
  async bySiteIds(siteIds: readonly string[], asOf: Date | null): Promise<Array<{ key: string; row: PolicyAssignment }>> {
    const qb = this.query()
      .innerJoin('site', 's', 's.id = pa.siteId OR (pa.siteId IS NULL AND s.tenantId = pa.tenantId)')
      .addSelect('s.id', 'site_key')
      .andWhere('s.id IN (:...paSites)', { paSites: [...siteIds] });
    const result = await inForce(qb, asOf).orderBy('pa.policyKey', 'ASC').addOrderBy('pa.assignedAt', 'ASC').addOrderBy('pa.id', 'ASC').getRawAndEntities();
    return pairRaw(result, 'site_key', 'pa_id');
  }
}
