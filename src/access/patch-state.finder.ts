import { placeholders } from '../db/entity-rows';
import { PatchState } from '../entities';
import { EvidenceKind, PatchStateValue } from '../entities/enums';
import { Finder, FinderDeps } from './finder';
import { Ordering, Page, PageArgs, paginate } from './keyset';
import { inList } from './sql-lists';

export type PatchStateOrderName = 'CHANGED_AT' | 'OBSERVED_AT';

export function patchStateOrdering(field: PatchStateOrderName, direction: 'ASC' | 'DESC'): Ordering<PatchState> {
  const base = { idColumn: 'ps.id', direction, name: `patchState.${field}.${direction}`, kind: 'date' } as const;
  return field === 'OBSERVED_AT'
    ? { ...base, column: 'ps.observedAt', value: (p) => p.observedAt }
    : { ...base, column: 'ps.changedAt', value: (p) => p.changedAt };
}

export interface PatchStateFilter {
  tenantIds?: string[] | null;
  assetIds?: string[] | null;
  updateIds?: string[] | null;
  states?: PatchStateValue[] | null;
  evidence?: EvidenceKind | null;
  /** Only the effective state of each (asset, update), not every source's. */
  effectiveOnly?: boolean;
}

export class PatchStateFinder extends Finder<PatchState> {
  constructor(deps: FinderDeps) {
    super(deps, PatchState, 'ps', 'tenantId');
  }

  private filtered(f: PatchStateFilter) {
    const qb = this.query();
    if (f.tenantIds) qb.andWhere('ps.tenantId IN (:...fTenants)', { fTenants: inList(f.tenantIds) });
    if (f.assetIds) qb.andWhere('ps.assetId IN (:...fAssets)', { fAssets: inList(f.assetIds) });
    if (f.updateIds) qb.andWhere('ps.updateId IN (:...fUpdates)', { fUpdates: inList(f.updateIds) });
    if (f.states) qb.andWhere('ps.state IN (:...fStates)', { fStates: inList(f.states) });
    if (f.evidence) qb.andWhere('ps.evidence = :fEvidence', { fEvidence: f.evidence });
    if (f.effectiveOnly) qb.andWhere('ps.effective = 1');
    return qb;
  }

  page(filter: PatchStateFilter, ordering: Ordering<PatchState>, args: PageArgs): Promise<Page<PatchState>> {
    return paginate(this.filtered(filter), ordering, args, this.deps.limits, this.columns());
  }

  count(filter: PatchStateFilter): Promise<number> {
    return this.filtered(filter).getCount();
  }

  /** Patch states of each asset, optionally only some states and only effective ones, for the Asset.patchStates loader. */
  async byAssetIds(assetIds: readonly string[], states: readonly PatchStateValue[] | null, effectiveOnly: boolean): Promise<PatchState[]> {
    if (assetIds.length === 0) return [];
    const stateList = states && inList(states);
    return this.select(
      (c) => [
        { sql: `${c('assetId')} IN (${placeholders(assetIds.length)})`, parameters: assetIds },
        ...(stateList ? [{ sql: `${c('state')} IN (${placeholders(stateList.length)})`, parameters: stateList }] : []),
        ...(effectiveOnly ? [{ sql: `${c('effective')} = 1`, parameters: [] }] : []),
      ],
      [['changedAt', 'DESC'], ['id', 'DESC']],
    );
  }

  /** Count of updates per asset whose effective state is one of the given states, computed in SQL. */
  async countByAsset(assetIds: readonly string[], states: readonly PatchStateValue[]): Promise<Map<string, number>> {
    const rows = await this.query()
      .select('ps.assetId', 'key')
      .addSelect('COUNT(DISTINCT ps.updateId)', 'n')
      .andWhere('ps.assetId IN (:...ids)', { ids: [...assetIds] })
      .andWhere('ps.state IN (:...states)', { states: inList(states) })
      .andWhere('ps.effective = 1')
      .groupBy('ps.assetId')
      .getRawMany<{ key: string; n: string | number }>();
    return new Map(rows.map((r) => [r.key, Number(r.n)]));
  }
}
