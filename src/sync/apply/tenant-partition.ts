/**
 * How a run of an instance bound to one tenant is partitioned: one partition, the instance's tenant. Records the
 * source lists as deleted are counted and never imported: a device the instance already holds is marked stale
 * (deleted in source) by planning, and one it never held is kept as an unattached record, so nothing the source
 * returned vanishes from view.
 */
import { EntityManager } from 'typeorm';
import { findIn } from '../../db/find-in';
import { SourceDevice } from '../../entities';
import { UnattachedReason } from '../../entities/enums';
import { placeDevice } from '../device-placement';
import type { SourceRead } from '../read-source';
import { withoutStatesOf } from '../unattached-records';
import type { Partitioning } from './partitioning';
import type { RunContext } from './run-context';

/** The read as a tenant's own instance applies it: a device is placed by its site alone, the tenant being the instance's. */
export const placeForTenant = (read: SourceRead): SourceRead => ({ ...read, devices: read.devices.map((d) => placeDevice(d, false)) });

export async function tenantPartition(m: EntityManager, run: RunContext, tenantId: string): Promise<Partitioning> {
  const { read, instance } = run;
  const deleted = read.devices.filter((d) => d.deleted);
  const { states, dropped } = withoutStatesOf(read, new Set(deleted.map((d) => d.externalId)));
  const held = new Set((await findIn(m, SourceDevice, 'externalId', deleted.map((d) => d.externalId), { connectorInstanceId: instance.id })).map((d) => d.externalId));
  return {
    partitions: [{ tenantId, read: { ...read, patchStates: states } }],
    unattached: deleted.filter((d) => !held.has(d.externalId)).map((record) => ({ record, reason: UnattachedReason.DELETED_IN_SOURCE })),
    read: { deleted: deleted.length, unmapped: 0, ignored: 0, droppedStates: dropped },
  };
}
