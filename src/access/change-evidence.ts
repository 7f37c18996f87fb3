/**
 * What the database says about a change: which assets its targets are, what its maintenance windows are, what
 * landed on the targets (effective patch states) and which WSUS approvals match it. Used by the reads and by the
 * transitions (scheduling checks windows; completion keeps the verification), inside their transactions.
 * Callers have already checked the change is within the request's tenant scope; every query here stays within
 * the change's tenant.
 */
import { EntityManager } from 'typeorm';
import { ChangeRequest, DeploymentRing, MaintenanceWindow, PatchEvent, PatchState, Site, SourceDevice, UpdateApproval, Asset } from '../entities';
import { occurrenceHolding, WindowRule } from '../change/maintenance-windows';
import { verify, Verification } from '../change/verification';
import { applyAssetFilter } from './asset.finder';
import { assetFilterOf } from './change-target-filter';
import { approvalReaches, TargetDevice } from '../change/approval-reach';
import { inList } from './sql-lists';

/**
 * The assets a change reaches: named ones, every asset of its sites, every member of its rings, and the assets of
 * its tenant its saved filter matches: until the change starts, those it matches now (a machine that came to match
 * after the change was raised is a target); from its start, those it matched then. Sorted.
 */
export async function targetAssetIds(m: EntityManager, change: ChangeRequest): Promise<string[]> {
  const frozen = change.targets.filterMatch;
  const matched = frozen ? [] : await filterMatches(m, change, 'asset.id');
  const ids = new Set([...change.targets.assetIds, ...(frozen?.assetIds ?? [])]);
  if (change.targets.siteIds.length) {
    const rows = await m.createQueryBuilder(Asset, 'a').select('a.id', 'id')
      .where('a.tenantId = :t AND a.siteId IN (:...s)', { t: change.tenantId, s: inList(change.targets.siteIds) }).getRawMany<{ id: string }>();
    for (const r of rows) ids.add(r.id);
  }
  for (const ring of await ringsOf(m, change)) for (const id of ring.assetIds) ids.add(id);
  // Only assets that exist in the tenant now (a merged-away asset is no target any more); the filter's matches are.
  const live = ids.size === 0 ? [] : await m.createQueryBuilder(Asset, 'a').select('a.id', 'id')
    .where('a.tenantId = :t AND a.id IN (:...ids)', { t: change.tenantId, ids: inList([...ids]) }).getRawMany<{ id: string }>();
  return [...new Set([...live.map((r) => r.id), ...matched])].sort();
}

/** Distinct values of one asset column over the assets of the change's tenant its saved filter matches now; none without one. */
export async function filterMatches(m: EntityManager, change: ChangeRequest, column: 'asset.id' | 'asset.siteId'): Promise<string[]> {
  if (!change.targets.filter) return [];
  const qb = m.createQueryBuilder(Asset, 'asset').select(column, 'v').distinct(true)
    .where('asset.tenantId = :changeTenant', { changeTenant: change.tenantId });
  if (column === 'asset.siteId') qb.andWhere('asset.siteId IS NOT NULL');
  const rows = await applyAssetFilter(qb, assetFilterOf(change.targets.filter)).getRawMany<{ v: string }>();
  return rows.map((r) => r.v);
}

async function ringsOf(m: EntityManager, change: ChangeRequest): Promise<DeploymentRing[]> {
  if (!change.targets.ringIds.length) return [];
  return m.createQueryBuilder(DeploymentRing, 'r').where('r.tenantId = :t AND r.id IN (:...ids)', { t: change.tenantId, ids: inList(change.targets.ringIds) }).getMany();
}

/** The verification of the change's updates on these assets (by default all its targets), from effective states. */
export async function verifyChange(m: EntityManager, change: ChangeRequest, assetIds?: string[]): Promise<Verification> {
  const assets = assetIds ?? (await targetAssetIds(m, change));
  if (assets.length === 0 || change.updateIds.length === 0) return verify(assets, change.updateIds, []);
  const states = await m.createQueryBuilder(PatchState, 'ps')
    .where('ps.tenantId = :t AND ps.effective = :yes', { t: change.tenantId, yes: true })
    .andWhere('ps.assetId IN (:...assets) AND ps.updateId IN (:...updates)', { assets: inList(assets), updates: inList(change.updateIds) })
    .getMany();
  return verify(assets, change.updateIds, states);
}

/**
 * Whether [start, end] lies inside a maintenance window for every target group. A group is a site (named, or of a
 * named asset or an asset the saved filter matches) or a ring; a window of the whole tenant serves every group. A change with only site-less assets is
 * one group, served by the tenant's windows.
 */
export async function windowFit(m: EntityManager, change: ChangeRequest, start: Date, end: Date): Promise<{ fits: boolean; reason: string }> {
  const windows = await m.findBy(MaintenanceWindow, { tenantId: change.tenantId });
  const tenantWide = windows.filter((w) => !w.siteId && !w.ringId);
  const groups: Array<{ label: string; rules: MaintenanceWindow[] }> = [];
  const siteIds = new Set(change.targets.siteIds);
  if (change.targets.assetIds.length) {
    const rows = await m.createQueryBuilder(Asset, 'a').select('a.siteId', 'siteId')
      .where('a.tenantId = :t AND a.id IN (:...ids) AND a.siteId IS NOT NULL', { t: change.tenantId, ids: inList(change.targets.assetIds) }).getRawMany<{ siteId: string }>();
    for (const r of rows) siteIds.add(r.siteId);
  }
  for (const id of await filterMatches(m, change, 'asset.siteId')) siteIds.add(id);
  const sites = siteIds.size ? await m.createQueryBuilder(Site, 's').where('s.id IN (:...ids)', { ids: inList([...siteIds]) }).getMany() : [];
  for (const site of sites) groups.push({ label: `site "${site.name}"`, rules: [...tenantWide, ...windows.filter((w) => w.siteId === site.id)] });
  for (const ring of await ringsOf(m, change)) groups.push({ label: `ring "${ring.name}"`, rules: [...tenantWide, ...windows.filter((w) => w.ringId === ring.id)] });
  if (groups.length === 0) groups.push({ label: 'the tenant', rules: tenantWide });
  const period = `${start.toISOString()} to ${end.toISOString()}`;
  for (const g of groups) {
    if (g.rules.length === 0) return { fits: false, reason: `no maintenance window is defined for ${g.label}` };
    if (!occurrenceHolding(g.rules as WindowRule[], start, end)) return { fits: false, reason: `${period} is outside every maintenance window of ${g.label}` };
  }
  return { fits: true, reason: `${period} lies within a maintenance window of every target` };
}

/**
 * Approvals the change stands behind: of its tenant and updates, recorded from its creation until it was finished
 * (or now), for a group that holds one of its target machines (approval-reach.ts).
 */
export async function approvalsOfChange(m: EntityManager, change: ChangeRequest, now: Date): Promise<UpdateApproval[]> {
  if (change.updateIds.length === 0) return [];
  const approvals = await m.createQueryBuilder(UpdateApproval, 'ua')
    .where('ua.tenantId = :t AND ua.updateId IN (:...u)', { t: change.tenantId, u: inList(change.updateIds) })
    .andWhere('ua.approvedAt >= :from AND ua.approvedAt <= :to', { from: change.createdAt, to: change.finishedAt ?? now })
    .orderBy('ua.approvedAt', 'ASC').addOrderBy('ua.id', 'ASC')
    .getMany();
  if (approvals.length === 0) return [];
  const targets = await targetDevices(m, change);
  return approvals.filter((a) => approvalReaches(a, targets));
}

/** The source devices of the change's target assets, with the WSUS group each computer is an explicit member of. */
export async function targetDevices(m: EntityManager, change: ChangeRequest): Promise<TargetDevice[]> {
  const assets = await targetAssetIds(m, change);
  if (assets.length === 0) return [];
  const devices = await m.createQueryBuilder(SourceDevice, 'sd')
    .where('sd.tenantId = :t AND sd.assetId IN (:...assets)', { t: change.tenantId, assets: inList(assets) })
    .getMany();
  return devices.map((d) => ({ connectorInstanceId: d.connectorInstanceId, group: typeof d.attributes?.targetGroup === 'string' ? d.attributes.targetGroup : null }));
}

/**
 * The patch events the change caused, as far as the data can say: events of its updates on its targets observed
 * from its start until it finished (or now), oldest first, at most `limit`. Empty before it starts.
 */
export async function patchEventsOfChange(m: EntityManager, change: ChangeRequest, now: Date, limit: number): Promise<PatchEvent[]> {
  if (!change.startedAt || change.updateIds.length === 0) return [];
  const assets = await targetAssetIds(m, change);
  if (assets.length === 0) return [];
  return m.createQueryBuilder(PatchEvent, 'pe')
    .where('pe.tenantId = :t AND pe.assetId IN (:...assets) AND pe.updateId IN (:...updates)', { t: change.tenantId, assets: inList(assets), updates: inList(change.updateIds) })
    .andWhere('pe.observedAt >= :from AND pe.observedAt <= :to', { from: change.startedAt, to: change.finishedAt ?? now })
    .orderBy('pe.observedAt', 'ASC').addOrderBy('pe.id', 'ASC')
    .limit(limit)
    .getMany();
}
