import { SyncRun } from '../entities';
import { SyncRunStatus } from '../entities/enums';
import { Finder, FinderDeps } from './finder';
import { Ordering, Page, PageArgs, paginate } from './keyset';
import { inList } from './sql-lists';

export const SYNC_RUN_NEWEST_FIRST: Ordering<SyncRun> = {
  name: 'syncRun.startedAt.DESC',
  column: 'run.startedAt',
  idColumn: 'run.id',
  direction: 'DESC',
  value: (r) => r.startedAt,
  kind: 'date',
};

export interface SyncRunFilter {
  tenantIds?: string[] | null;
  connectorInstanceIds?: string[] | null;
  statuses?: SyncRunStatus[] | null;
}

/** Runs of MSP-wide instances (no tenant) are visible only to principals that see every tenant. */
export class SyncRunFinder extends Finder<SyncRun> {
  constructor(deps: FinderDeps) {
    super(deps, SyncRun, 'run', 'tenantId');
  }

  private filtered(filter: SyncRunFilter) {
    const qb = this.query();
    if (filter.tenantIds) qb.andWhere('run.tenantId IN (:...tenantIds)', { tenantIds: inList(filter.tenantIds) });
    if (filter.connectorInstanceIds) qb.andWhere('run.connectorInstanceId IN (:...ciIds)', { ciIds: inList(filter.connectorInstanceIds) });
    if (filter.statuses) qb.andWhere('run.status IN (:...statuses)', { statuses: inList(filter.statuses) });
    return qb;
  }

  page(filter: SyncRunFilter, args: PageArgs): Promise<Page<SyncRun>> {
    return paginate(this.filtered(filter), SYNC_RUN_NEWEST_FIRST, args, this.deps.limits);
  }

  count(filter: SyncRunFilter): Promise<number> {
    return this.filtered(filter).getCount();
  }

  /** The latest run of each instance, for ConnectorInstance.lastSyncRun. */
  async latestByInstance(instanceIds: readonly string[]): Promise<SyncRun[]> {
    if (instanceIds.length === 0) return [];
    const latest = this.query()
      .subQuery()
      .select('MAX(r2.startedAt)')
      .from(SyncRun, 'r2')
      .where('r2.connectorInstanceId = run.connectorInstanceId')
      .getQuery();
    const rows = await this.query()
      .andWhere('run.connectorInstanceId IN (:...ids)', { ids: [...instanceIds] })
      .andWhere(`run.startedAt = ${latest}`)
      .orderBy('run.id', 'ASC')
      .getMany();
    // Two runs can start in the same millisecond (a refused one and the real one); keep one per instance.
    const byInstance = new Map<string, SyncRun>();
    for (const r of rows) if (!byInstance.has(r.connectorInstanceId)) byInstance.set(r.connectorInstanceId, r);
    return [...byInstance.values()];
  }
}
