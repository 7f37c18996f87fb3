/**
 * Stage 4 of a partition, and what anything else that changes an asset's sources calls (identity-admin's merges
 * and splits): re-derives assets from their sources and re-decides their effective patch states.
 */
import { EntityManager, In, IsNull, Not } from 'typeorm';
import { TimeSlicer, timeSlicer } from '../../../connectors/sdk/time-slices';
import { updateRows } from '../../db/insert-rows';
import { findIn } from '../../db/find-in';
import { raiseAssetRevisions } from '../../compliance/revisions';
import { Asset, PatchState, Site, SourceDevice, VendorSite } from '../../entities';
import { DERIVED_FIELDS, deriveAsset, sameDerived } from '../derive-asset';
import { refreshEffectiveStates } from '../effective-states';

/**
 * Re-derives the given assets from their sources, deletes those left without any source, and re-decides their
 * effective patch states. Call it after any change to an asset's sources, their freshness or their states.
 */
export async function refreshAssets(
  m: EntityManager, tenantId: string, assetIds: Iterable<string>, now: Date,
  // Assets are derived in slices with turns between them: 2,000 in one piece held the server's thread about 115 ms.
  slicer: TimeSlicer = timeSlicer(),
): Promise<{ changed: number; deleted: string[] }> {
  const ids = [...new Set(assetIds)];
  if (ids.length === 0) return { changed: 0, deleted: [] };
  const assets = await findIn(m, Asset, 'id', ids, { tenantId });
  const sources = await findIn(m, SourceDevice, 'assetId', ids, { tenantId });
  const sites = await m.getRepository(Site).findBy({ tenantId });
  const mappedSite = await mappedSites(m, sources);
  const byAsset = new Map<string, SourceDevice[]>();
  for (const s of sources) byAsset.set(s.assetId!, [...(byAsset.get(s.assetId!) ?? []), s]);
  const changed: Asset[] = [];
  const deleted: string[] = [];
  for (const asset of assets) {
    if (slicer.due()) await slicer.turn();
    const own = byAsset.get(asset.id);
    if (!own?.length) {
      deleted.push(asset.id);
      continue;
    }
    const derived = deriveAsset(own, asset.siteId, sites, (s) => mappedSite.get(`${s.connectorInstanceId}\u0000${s.vendorSiteId}`));
    if (sameDerived(asset, derived)) continue;
    Object.assign(asset, derived, { updatedAt: now });
    changed.push(asset);
  }
  await updateRows(m, Asset, changed, [...DERIVED_FIELDS, 'updatedAt']);
  if (deleted.length) await m.getRepository(Asset).delete({ id: In(deleted), tenantId });
  const gone = new Set(deleted);
  const kept = ids.filter((id) => !gone.has(id));
  await raiseAssetRevisions(m, tenantId, kept);
  await refreshEffectiveStates(m, kept);
  return { changed: changed.length, deleted };
}

/** Sites an operator chose for vendor sites (vendor_site.siteId), keyed by instance and vendor site id. */
async function mappedSites(m: EntityManager, sources: SourceDevice[]): Promise<Map<string, string>> {
  const instances = [...new Set(sources.filter((s) => s.vendorSiteId).map((s) => s.connectorInstanceId))];
  if (instances.length === 0) return new Map();
  const rows = await m.getRepository(VendorSite).findBy({ connectorInstanceId: In(instances), siteId: Not(IsNull()) });
  return new Map(rows.map((r) => [`${r.connectorInstanceId}\u0000${r.externalId}`, r.siteId!]));
}

/** Moves the patch states of devices that changed asset, so per-asset queries follow the device. */
export async function repointPatchStates(m: EntityManager, devices: SourceDevice[]): Promise<void> {
  for (const d of devices) {
    await m.getRepository(PatchState).update({ sourceDeviceId: d.id }, { assetId: d.assetId! });
  }
}

