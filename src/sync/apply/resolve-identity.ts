/**
 * Stage 2 of a partition: decides the asset of every device the plan queued, creating assets for new machines
 * (inserted by the write stage). Marks the devices whose asset or match changed as changed.
 */
import { EntityManager } from 'typeorm';
import { TimeSlicer, timeSlicer } from '../../../connectors/sdk/time-slices';
import { Asset, SourceDevice } from '../../entities';
import { AssetStatus } from '../../entities/enums';
import { resolveIdentity } from '../../identity/match';
import { findIn } from '../../db/find-in';
import { newId } from '../../util/ids';
import { identityOf, IdentityIndex } from '../identity-index';
import type { DevicePlan } from './plan-devices';
import { matchedByJson } from './stored-match';

export interface Resolved {
  newAssets: Asset[];
  /** Assets whose set of sources changed: they must be re-derived. */
  touched: Set<string>;
  /** Devices that left an asset for another: their patch states follow them. */
  moved: SourceDevice[];
}

/**
 * `slicer`: the devices are decided in slices with turns of the event loop between them (2,000 new computers in one
 * piece held the server's thread about 130 ms on a busy machine).
 */
export async function resolveIdentities(m: EntityManager, tenantId: string, now: Date, plan: DevicePlan, slicer: TimeSlicer = timeSlicer()): Promise<Resolved> {
  const touched = new Set<string>();
  const newAssets: Asset[] = [];
  const moved: SourceDevice[] = [];
  if (plan.needsIdentity.length === 0) return { newAssets, touched, moved };

  const tenantSources = await m.getRepository(SourceDevice).findBy({ tenantId });
  const resolving = new Set(plan.needsIdentity.map((d) => d.id));
  const index = new IdentityIndex(tenantId);
  for (const s of tenantSources) if (s.assetId && !resolving.has(s.id)) index.add(s.assetId, identityOf(s));

  const pins = [...new Set(plan.needsIdentity.map((d) => d.pinnedAssetId).filter((x): x is string => !!x))];
  const livePins = new Set((await findIn(m, Asset, 'id', pins, { tenantId })).map((a) => a.id));

  for (const device of plan.needsIdentity) {
    const sharers = plan.sharedSerials.get(device.externalId)?.others() ?? [];
    const uuidSharers = plan.sharedSmbiosUuids.get(device.externalId)?.others() ?? [];
    const identity = { ...identityOf(device), serialSharedWith: sharers, smbiosUuidSharedWith: uuidSharers };
    const pinned = device.pinnedAssetId && livePins.has(device.pinnedAssetId) ? device.pinnedAssetId : undefined;
    const resolution = resolveIdentity(identity, index.candidatesFor(identity), {
      pinnedAssetId: pinned,
      forbiddenAssetIds: device.forbiddenAssetIds ?? [],
    });
    const previous = device.assetId;
    let assetId = resolution.assetId;
    let matchedBy = matchedByJson(resolution);
    // A clone must not stay on an asset its twin holds: that is the wrong merge being undone.
    const twinThere = [...sharers, ...uuidSharers].some((id) => plan.byExternalId.get(id)?.assetId === previous);
    if (!assetId && previous && !twinThere && !(device.forbiddenAssetIds ?? []).includes(previous)) {
      // Nothing else claims the device: it stays where it is (assets do not churn because an identifier changed).
      assetId = previous;
      matchedBy = device.matchedBy ?? matchedBy;
    }
    if (!assetId) {
      const asset = Object.assign(new Asset(), {
        id: newId(), tenantId, siteId: null, hostname: device.externalId, fqdn: null, serialNumber: null, manufacturer: null, model: null, osName: null, osVersion: null,
        osBuild: null, status: AssetStatus.ACTIVE, lastSeenAt: now, createdAt: now, updatedAt: now,
      });
      newAssets.push(asset);
      assetId = asset.id;
    }
    if (previous !== assetId) {
      if (previous) {
        touched.add(previous);
        moved.push(device);
      }
      device.assetId = assetId;
      plan.changed.add(device);
    }
    if (device.matchedBy !== matchedBy) {
      device.matchedBy = matchedBy;
      plan.changed.add(device);
    }
    touched.add(assetId);
    index.add(assetId, identity);
    if (slicer.due()) await slicer.turn();
  }
  return { newAssets, touched, moved };
}
