import { PatchEvent, Update } from '../entities';
import { PatchStateValue } from '../entities/enums';
import { Finder, FinderDeps } from './finder';
import { Ordering, Page, PageArgs, paginate } from './keyset';
import { inList } from './sql-lists';

export interface PatchEventFilter {
  tenantIds?: string[] | null;
  assetIds?: string[] | null;
  sourceDeviceIds?: string[] | null;
  updateIds?: string[] | null;
  /** KB numbers, e.g. KB5075912 (matched without regard to case). */
  kbs?: string[] | null;
  fromStates?: PatchStateValue[] | null;
  toStates?: PatchStateValue[] | null;
  /** Only the first observation of an update on a source (fromState null). */
  firstSeen?: boolean | null;
  syncRunIds?: string[] | null;
  /** Observed time, inclusive. */
  from?: Date | null;
  to?: Date | null;
}

export function patchEventOrdering(direction: 'ASC' | 'DESC'): Ordering<PatchEvent> {
  return { name: `patchEvent.observedAt.${direction}`, column: 'pe.observedAt', idColumn: 'pe.id', direction, value: (e) => e.observedAt, kind: 'date' };
}

/** Patch events (observed state transitions) of the request's tenants; history, never rewritten. */
export class PatchEventFinder extends Finder<PatchEvent> {
  constructor(deps: FinderDeps) {
    super(deps, PatchEvent, 'pe', 'tenantId');
  }

  private filtered(f: PatchEventFilter) {
    const qb = this.query();
    if (f.tenantIds) qb.andWhere('pe.tenantId IN (:...peTenants)', { peTenants: inList(f.tenantIds) });
    if (f.assetIds) qb.andWhere('pe.assetId IN (:...peAssets)', { peAssets: inList(f.assetIds) });
    if (f.sourceDeviceIds) qb.andWhere('pe.sourceDeviceId IN (:...peSources)', { peSources: inList(f.sourceDeviceIds) });
    if (f.updateIds) qb.andWhere('pe.updateId IN (:...peUpdates)', { peUpdates: inList(f.updateIds) });
    if (f.kbs) {
      const sub = qb.subQuery().select('u.id').from(Update, 'u').where('UPPER(u.kb) IN (:...peKbs)').getQuery();
      qb.andWhere(`pe.updateId IN ${sub}`, { peKbs: inList(f.kbs.map((kb) => kb.toUpperCase())) });
    }
    if (f.fromStates) qb.andWhere('pe.fromState IN (:...peFrom)', { peFrom: inList(f.fromStates) });
    if (f.toStates) qb.andWhere('pe.toState IN (:...peTo)', { peTo: inList(f.toStates) });
    if (f.firstSeen === true) qb.andWhere('pe.fromState IS NULL');
    if (f.firstSeen === false) qb.andWhere('pe.fromState IS NOT NULL');
    if (f.syncRunIds) qb.andWhere('pe.syncRunId IN (:...peRuns)', { peRuns: inList(f.syncRunIds) });
    if (f.from) qb.andWhere('pe.observedAt >= :peFromTime', { peFromTime: f.from });
    if (f.to) qb.andWhere('pe.observedAt <= :peToTime', { peToTime: f.to });
    return qb;
  }

  page(f: PatchEventFilter, ordering: Ordering<PatchEvent>, args: PageArgs): Promise<Page<PatchEvent>> {
    return paginate(this.filtered(f), ordering, args, this.deps.limits);
  }

  count(f: PatchEventFilter): Promise<number> {
    return this.filtered(f).getCount();
  }
}
