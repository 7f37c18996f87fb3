import { Advisory } from '../entities';
import { Finder, FinderDeps } from './finder';

/** Advisories are authorities' public notices: every tenant is measured against them, so every role reads all. */
export class AdvisoryFinder extends Finder<Advisory> {
  constructor(deps: FinderDeps) {
    super(deps, Advisory, 'adv', null);
  }

  /** Newest notice first; `authority` compares ignoring case, as MariaDB's unique index does. */
  list(authority: string | null): Promise<Advisory[]> {
    const qb = this.query();
    if (authority) qb.andWhere('LOWER(adv.authority) = :authority', { authority: authority.trim().toLowerCase() });
    return qb.orderBy('adv.noticeAt', 'DESC').addOrderBy('adv.id', 'ASC').getMany();
  }
}
