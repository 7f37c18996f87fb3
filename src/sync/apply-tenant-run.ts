/**
 * Applies a run of an instance bound to one tenant: the ordinary rules (applyRun), plus the records the source
 * lists as deleted. Those are counted and never imported: a device the instance already holds is marked stale
 * (deleted in source) by applyRun, and one it never held is kept as an unattached record, so nothing the source
 * returned vanishes from view.
 */
import { EntityManager } from 'typeorm';
import type { SyncCounts } from '../../connectors/sdk/sync-counts';
import { SourceDevice } from '../entities';
import { UnattachedReason } from '../entities/enums';
import { applyRun, ApplyContext } from './apply-run';
import { placeDevice } from './device-placement';
import { findIn } from '../db/find-in';
import { withoutStatesOf, writeUnattached } from './unattached-records';

export async function applyTenantRun(m: EntityManager, given: ApplyContext): Promise<SyncCounts> {
  // A tenant's own instance places a device by its site alone: the tenant is the instance's.
  const ctx = { ...given, read: { ...given.read, devices: given.read.devices.map((d) => placeDevice(d, false)) } };
  const { read, instance, now } = ctx;
  const deleted = read.devices.filter((d) => d.deleted);
  const { states, dropped } = withoutStatesOf(read, new Set(deleted.map((d) => d.externalId)));
  const counts = await applyRun(m, { ...ctx, read: { ...read, patchStates: states } });
  counts.devices.deleted = deleted.length;
  counts.patchStates.seen = read.patchStates.length;
  counts.patchStates.dropped = dropped;

  const held = new Set((await findIn(m, SourceDevice, 'externalId', deleted.map((d) => d.externalId), { connectorInstanceId: instance.id })).map((d) => d.externalId));
  const entries = deleted.filter((d) => !held.has(d.externalId)).map((record) => ({ record, reason: UnattachedReason.DELETED_IN_SOURCE }));
  await writeUnattached(m, { instance, read, entries, now });
  return counts;
}
