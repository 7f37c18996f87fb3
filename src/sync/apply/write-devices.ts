/**
 * Stage 3 of a partition: writes what planning and identity decided about devices, in the order the foreign keys
 * need (new assets, then new devices, then changed ones), and moves the states of devices that changed asset.
 */
import { EntityManager } from 'typeorm';
import type { SyncCounts } from '../../../connectors/sdk/sync-counts';
import { insertRows, updateRows } from '../../db/insert-rows';
import { Asset, SourceDevice } from '../../entities';
import { DEVICE_UPDATE_COLUMNS } from './device-columns';
import type { DevicePlan } from './plan-devices';
import { repointPatchStates } from './refresh-assets';
import type { Resolved } from './resolve-identity';

/**
 * `digestChanged`: devices whose states digest moved (state-digest.ts), written with them. Returns the ids of the
 * devices created, which have no stored states to compare.
 */
export async function writeDevices(m: EntityManager, plan: DevicePlan, resolved: Resolved, digestChanged: readonly SourceDevice[], counts: SyncCounts): Promise<Set<string>> {
  await insertRows(m, Asset, resolved.newAssets);
  await insertRows(m, SourceDevice, plan.created);
  const createdIds = new Set(plan.created.map((d) => d.id));
  // A device whose states moved while the device did not (an incremental read's state change) only needs its digest.
  const written = new Set([...plan.changed, ...digestChanged].filter((d) => !createdIds.has(d.id)));
  await updateRows(m, SourceDevice, [...written], DEVICE_UPDATE_COLUMNS);
  await repointPatchStates(m, resolved.moved);
  counts.devices.changed += [...plan.changed].filter((d) => !createdIds.has(d.id)).length;
  return createdIds;
}
