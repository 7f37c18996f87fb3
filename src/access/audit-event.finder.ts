import { AuditEvent } from '../entities';
import { containsCondition, containsPattern } from './like';
import { Finder, FinderDeps } from './finder';
import { Ordering, Page, PageArgs, paginate } from './keyset';
import { inList } from './sql-lists';

export interface AuditEventFilter {
  /** Only these tenants' chains (keys); visibility is checked by the caller. */
  tenantIds?: string[] | null;
  /** true: only the MSP-wide chain; false: only tenants' chains. */
  mspWide?: boolean | null;
  actions?: string[] | null;
  actorContains?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

export function auditEventOrdering(direction: 'ASC' | 'DESC'): Ordering<AuditEvent> {
  return { name: `auditEvent.occurredAt.${direction}`, column: 'ae.occurredAt', idColumn: 'ae.id', direction, value: (e) => e.occurredAt, kind: 'date' };
}

/**
 * The audit trail within the request's scope: a tenant-limited principal sees its tenants' chains; the MSP-wide chain
 * (tenantId null: keys, policies, advisories, MSP-wide runs) only a principal that sees every tenant.
 */
export class AuditEventFinder extends Finder<AuditEvent> {
  constructor(deps: FinderDeps) {
    super(deps, AuditEvent, 'ae', 'tenantId');
  }

  private filtered(f: AuditEventFilter) {
    const qb = this.query();
    // A limited scope already excludes the MSP-wide chain (its tenantId is null).
    if (f.tenantIds) qb.andWhere('ae.tenantId IN (:...auditTenants)', { auditTenants: inList(f.tenantIds) });
    if (f.mspWide === true) qb.andWhere('ae.tenantId IS NULL');
    if (f.mspWide === false) qb.andWhere('ae.tenantId IS NOT NULL');
    if (f.actions) qb.andWhere('ae.action IN (:...auditActions)', { auditActions: inList(f.actions) });
    if (f.actorContains) qb.andWhere(containsCondition('ae.actor', 'auditActor'), { auditActor: containsPattern(f.actorContains) });
    if (f.targetType) qb.andWhere('ae.targetType = :auditTargetType', { auditTargetType: f.targetType });
    if (f.targetId) qb.andWhere('ae.targetId = :auditTargetId', { auditTargetId: f.targetId });
    if (f.from) qb.andWhere('ae.occurredAt >= :auditFrom', { auditFrom: f.from });
    if (f.to) qb.andWhere('ae.occurredAt <= :auditTo', { auditTo: f.to });
    return qb;
  }

  page(f: AuditEventFilter, ordering: Ordering<AuditEvent>, args: PageArgs): Promise<Page<AuditEvent>> {
    return paginate(this.filtered(f), ordering, args, this.deps.limits);
  }

  count(f: AuditEventFilter): Promise<number> {
    return this.filtered(f).getCount();
  }
}
