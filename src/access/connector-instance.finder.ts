import { ConnectorInstance } from '../entities';
import { Finder, FinderDeps } from './finder';
import { Ordering, Page, PageArgs, paginate } from './keyset';
import { inList } from './sql-lists';

export const CONNECTOR_INSTANCE_BY_NAME: Ordering<ConnectorInstance> = {
  name: 'connectorInstance.name',
  column: 'ci.name',
  idColumn: 'ci.id',
  direction: 'ASC',
  value: (c) => c.name,
  kind: 'string',
};

export interface ConnectorInstanceFilter {
  tenantIds?: string[] | null;
  kinds?: string[] | null;
}

/** MSP-wide instances (tenantId null) are visible only to principals that see every tenant. */
export class ConnectorInstanceFinder extends Finder<ConnectorInstance> {
  constructor(deps: FinderDeps) {
    super(deps, ConnectorInstance, 'ci', 'tenantId');
  }

  private filtered(filter: ConnectorInstanceFilter) {
    const qb = this.query();
    if (filter.tenantIds) qb.andWhere('ci.tenantId IN (:...tenantIds)', { tenantIds: inList(filter.tenantIds) });
    if (filter.kinds) qb.andWhere('ci.kind IN (:...kinds)', { kinds: inList(filter.kinds) });
    return qb;
  }

  page(filter: ConnectorInstanceFilter, args: PageArgs): Promise<Page<ConnectorInstance>> {
    return paginate(this.filtered(filter), CONNECTOR_INSTANCE_BY_NAME, args, this.deps.limits);
  }

  count(filter: ConnectorInstanceFilter): Promise<number> {
    return this.filtered(filter).getCount();
  }
}
