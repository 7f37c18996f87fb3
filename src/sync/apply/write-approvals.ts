/** Approvals are evidence: recorded the first time they are seen, never changed or removed by a later run. */
import { EntityManager } from 'typeorm';
import { insertRows } from '../../db/insert-rows';
import { findIn } from '../../db/find-in';
import { ConnectorInstance, UpdateApproval } from '../../entities';
import { newId } from '../../util/ids';
import { SyncDataError } from '../read-source';
import type { Partition } from './run-context';

export async function writeApprovals(m: EntityManager, instance: ConnectorInstance, part: Partition, updateIds: ReadonlyMap<string, string>, now: Date): Promise<void> {
  const { read, tenantId } = part;
  if (read.approvals.length === 0) return;
  const known = new Set((await findIn(m, UpdateApproval, 'externalId', read.approvals.map((a) => a.externalId), { connectorInstanceId: instance.id })).map((a) => a.externalId));
  const created: UpdateApproval[] = [];
  for (const a of read.approvals) {
    if (known.has(a.externalId)) continue;
    const updateId = updateIds.get(a.updateKey);
    if (!updateId) throw new SyncDataError(`approval ${a.externalId}: the update ${a.updateKey} is neither in this run nor in the catalog`);
    created.push(Object.assign(new UpdateApproval(), {
      id: newId(), tenantId, connectorInstanceId: instance.id, updateId, externalId: a.externalId, groupName: a.group.slice(0, 255), action: a.action.slice(0, 32),
      approvedAt: a.approvedAt ?? null, approvedBy: a.approvedBy ? a.approvedBy.slice(0, 255) : null, recordedAt: now,
    }));
  }
  await insertRows(m, UpdateApproval, created);
}
