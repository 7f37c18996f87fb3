import { RiskException } from '../entities';
import { Finder, FinderDeps } from './finder';
import { Ordering, Page, PageArgs, paginate } from './keyset';
import { inList } from './sql-lists';

/** Soonest to expire first: the ones an operator must review next. */
export const EXCEPTION_BY_EXPIRY: Ordering<RiskException> = {
  name: 'riskException.expiresAt',
  column: 're.expiresAt',
  idColumn: 're.id',
  direction: 'ASC',
  value: (e) => e.expiresAt,
  kind: 'date',
};

export interface RiskExceptionFilter {
  tenantIds?: string[] | null;
  /** Only those in force at this time: valid from it, not expired and not revoked by it. */
  activeAt?: Date | null;
  /** Without activeAt: also those expired or revoked by `now`. */
  includeExpired: boolean;
  now: Date;
}

/** Risk exceptions within the request's tenants. */
export class RiskExceptionFinder extends Finder<RiskException> {
  constructor(deps: FinderDeps) {
    super(deps, RiskException, 're', 'tenantId');
  }

  private filtered(f: RiskExceptionFilter) {
    const qb = this.query();
    if (f.tenantIds) qb.andWhere('re.tenantId IN (:...reTenants)', { reTenants: inList(f.tenantIds) });
    if (f.activeAt) {
      qb.andWhere('re.validFrom <= :reAt AND re.expiresAt > :reAt AND (re.revokedAt IS NULL OR re.revokedAt > :reAt)', { reAt: f.activeAt });
    } else if (!f.includeExpired) {
      qb.andWhere('re.expiresAt > :reNow AND (re.revokedAt IS NULL OR re.revokedAt > :reNow)', { reNow: f.now });
    }
    return qb;
  }

  page(filter: RiskExceptionFilter, args: PageArgs): Promise<Page<RiskException>> {
    return paginate(this.filtered(filter), EXCEPTION_BY_EXPIRY, args, this.deps.limits);
  }

  count(filter: RiskExceptionFilter): Promise<number> {
    return this.filtered(filter).getCount();
  }
}
