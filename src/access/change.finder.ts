/**
 * Reading change records within the request's tenants: the list and the records, their approvals, what landed on
 * their targets, the WSUS approvals behind them, the maintenance windows and deployment rings they are planned
 * against, whether the next ring may start, and the WSUS approvals no change record stands behind.
 */
import { ChangeApproval, ChangeRequest, DeploymentRing, MaintenanceWindow, PatchEvent, UpdateApproval } from '../entities';
import { decidePromotion, PromotionDecision } from '../change/ring-promotion';
import { Verification } from '../change/verification';
import { UserInputError } from '../errors';
import { approvalsOfChange, patchEventsOfChange, targetAssetIds, targetDevices, verifyChange } from './change-evidence';
import { approvalReaches, TargetDevice } from '../change/approval-reach';
import { Finder, FinderDeps } from './finder';
import { Ordering, Page, PageArgs, paginate } from './keyset';
import { inList } from './sql-lists';

/** Newest first: the changes people are working on. */
export const CHANGE_BY_CREATION: Ordering<ChangeRequest> = {
  name: 'changeRequest.createdAt', column: 'cr.createdAt', idColumn: 'cr.id', direction: 'DESC', value: (c) => c.createdAt, kind: 'date',
};

export interface ChangeRequestFilter {
  tenantIds?: string[] | null;
  states?: string[] | null;
}

export interface RingPromotion extends PromotionDecision {
  ring: DeploymentRing;
  nextRing: DeploymentRing | null;
}

/** WSUS approvals that say "install", the ones a deployment needs a change record for. */
const INSTALL_ACTIONS = ['Install', 'install', 'INSTALL'];

export class ChangeRequestFinder extends Finder<ChangeRequest> {
  constructor(deps: FinderDeps) {
    super(deps, ChangeRequest, 'cr', 'tenantId');
  }

  private filtered(f: ChangeRequestFilter) {
    const qb = this.query();
    if (f.tenantIds) qb.andWhere('cr.tenantId IN (:...crTenants)', { crTenants: inList(f.tenantIds) });
    if (f.states?.length) qb.andWhere('cr.state IN (:...crStates)', { crStates: inList(f.states) });
    return qb;
  }

  page(filter: ChangeRequestFilter, args: PageArgs): Promise<Page<ChangeRequest>> {
    return paginate(this.filtered(filter), CHANGE_BY_CREATION, args, this.deps.limits);
  }

  count(filter: ChangeRequestFilter): Promise<number> {
    return this.filtered(filter).getCount();
  }

  byReference(reference: string): Promise<ChangeRequest | null> {
    return this.query().andWhere('cr.reference = :reference', { reference }).getOne();
  }

  /** Approvals of changes the caller has already read (so within scope), in the order given. */
  approvals(changeId: string): Promise<ChangeApproval[]> {
    return this.deps.dataSource.getRepository(ChangeApproval).find({ where: { changeId }, order: { approvedAt: 'ASC', id: 'ASC' } });
  }

  verification(change: ChangeRequest): Promise<Verification> {
    return verifyChange(this.deps.dataSource.manager, change);
  }

  targetAssetIds(change: ChangeRequest): Promise<string[]> {
    return targetAssetIds(this.deps.dataSource.manager, change);
  }

  patchEvents(change: ChangeRequest, now: Date): Promise<PatchEvent[]> {
    return patchEventsOfChange(this.deps.dataSource.manager, change, now, this.deps.limits.maxPageSize);
  }

  updateApprovals(change: ChangeRequest, now: Date): Promise<UpdateApproval[]> {
    return approvalsOfChange(this.deps.dataSource.manager, change, now);
  }

  /**
   * Install approvals recorded since `since` in the tenants with no change record behind them: none of the tenant's
   * changes names the update, was open (created, not yet finished) when the approval was made, and targets a machine
   * in the approval's group. What an auditor looks for first.
   */
  async unrecordedApprovals(tenantIds: string[] | null, since: Date, now: Date): Promise<UpdateApproval[]> {
    const qb = this.deps.scope.apply(this.deps.dataSource.createQueryBuilder(UpdateApproval, 'ua'), 'ua.tenantId')
      .andWhere('ua.action IN (:...actions)', { actions: INSTALL_ACTIONS })
      .andWhere('ua.approvedAt >= :since AND ua.approvedAt <= :now', { since, now })
      .orderBy('ua.approvedAt', 'ASC').addOrderBy('ua.id', 'ASC')
      .limit(this.deps.limits.maxPageSize);
    if (tenantIds) qb.andWhere('ua.tenantId IN (:...uaTenants)', { uaTenants: inList(tenantIds) });
    const approvals = await qb.getMany();
    if (approvals.length === 0) return [];
    const changes = await this.query()
      .andWhere('cr.tenantId IN (:...t)', { t: inList([...new Set(approvals.map((a) => a.tenantId))]) })
      .andWhere('cr.state NOT IN (:...unused)', { unused: ['DRAFT', 'REJECTED'] })
      .getMany();
    const open = (c: ChangeRequest, a: UpdateApproval) => c.tenantId === a.tenantId && c.updateIds.includes(a.updateId)
      && a.approvedAt! >= c.createdAt && a.approvedAt! <= (c.finishedAt ?? now);
    // A change stands behind an approval only if the approval's group holds one of its targets: an approval for
    // the Leeds servers is not covered by a change for York's.
    const reach = new Map<string, TargetDevice[]>();
    const targetsOf = async (c: ChangeRequest) => {
      if (!reach.has(c.id)) reach.set(c.id, await targetDevices(this.deps.dataSource.manager, c));
      return reach.get(c.id)!;
    };
    const unrecorded: UpdateApproval[] = [];
    for (const a of approvals) {
      let covered = false;
      for (const c of changes) {
        if (open(c, a) && approvalReaches(a, await targetsOf(c))) {
          covered = true;
          break;
        }
      }
      if (!covered) unrecorded.push(a);
    }
    return unrecorded;
  }
}

/** Maintenance windows and deployment rings within the request's tenants. */
export class ChangeScheduleFinder {
  constructor(private readonly deps: FinderDeps) {}

  windows(tenantIds: string[] | null): Promise<MaintenanceWindow[]> {
    const qb = this.deps.scope.apply(this.deps.dataSource.createQueryBuilder(MaintenanceWindow, 'mw'), 'mw.tenantId');
    if (tenantIds) qb.andWhere('mw.tenantId IN (:...mwTenants)', { mwTenants: inList(tenantIds) });
    return qb.orderBy('mw.name', 'ASC').addOrderBy('mw.id', 'ASC').getMany();
  }

  windowsByIds(ids: readonly string[]): Promise<MaintenanceWindow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.deps.scope.apply(this.deps.dataSource.createQueryBuilder(MaintenanceWindow, 'mw'), 'mw.tenantId')
      .andWhere('mw.id IN (:...ids)', { ids: inList([...ids]) }).getMany();
  }

  rings(tenantIds: string[] | null): Promise<DeploymentRing[]> {
    const qb = this.deps.scope.apply(this.deps.dataSource.createQueryBuilder(DeploymentRing, 'dr'), 'dr.tenantId');
    if (tenantIds) qb.andWhere('dr.tenantId IN (:...drTenants)', { drTenants: inList(tenantIds) });
    return qb.orderBy('dr.tenantId', 'ASC').addOrderBy('dr.position', 'ASC').getMany();
  }

  async ring(id: string): Promise<DeploymentRing | null> {
    return this.deps.scope.apply(this.deps.dataSource.createQueryBuilder(DeploymentRing, 'dr'), 'dr.tenantId').andWhere('dr.id = :id', { id }).getOne();
  }

  ringsByIds(ids: readonly string[]): Promise<DeploymentRing[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.deps.scope.apply(this.deps.dataSource.createQueryBuilder(DeploymentRing, 'dr'), 'dr.tenantId')
      .andWhere('dr.id IN (:...ids)', { ids: inList([...ids]) }).orderBy('dr.position', 'ASC').getMany();
  }

  /** Whether the ring after `ring` may start for the change: `ring`'s members against its promotion criteria. */
  async promotion(change: ChangeRequest, ring: DeploymentRing, now: Date): Promise<RingPromotion> {
    if (ring.tenantId !== change.tenantId) throw new UserInputError('ringId', 'the ring belongs to another tenant than the change');
    const m = this.deps.dataSource.manager;
    const members = (await targetAssetIds(m, { ...change, targets: { assetIds: ring.assetIds, siteIds: [], ringIds: [] } } as ChangeRequest));
    const decision = decidePromotion(ring, await verifyChange(m, change, members), now);
    const nextRing = await m.createQueryBuilder(DeploymentRing, 'dr')
      .where('dr.tenantId = :t AND dr.position > :p', { t: ring.tenantId, p: ring.position }).orderBy('dr.position', 'ASC').getOne();
    if (!nextRing) decision.reasons.push(`"${ring.name}" is the last ring: there is no next ring to start`);
    return { ...decision, mayStart: decision.mayStart && nextRing !== null, ring, nextRing: nextRing ?? null };
  }
}
