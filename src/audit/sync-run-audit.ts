/**
 * The audit events of sync runs. A run that commits seals what it wrote: in each tenant whose patch or posture
 * events it wrote, its event carries the Merkle root and count of those events (src/audit/event-leaves.ts) and
 * their leaf list is stored beside it, in the same transaction as the data. A failed run is recorded too.
 *
 * Where: a tenant's own instance records in the tenant's chain. An MSP-wide instance (Datto RMM) records the run in
 * the MSP-wide chain, and each tenant's part in that tenant's chain; a tenant's part names the run only by a digest
 * of its id (runRef), since the MSP-wide run is not the tenant's to see.
 */
import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ConnectorInstance, SyncRun } from '../entities';
import { appendAudit } from './audit-log';
import { TimeSlicer, timeSlicer } from '../../connectors/sdk/time-slices';
import { eventCountsOfRun, EventsDigest } from './event-leaves';
import { RunLeaves, StoredCounts, takeRunLeaves } from './run-leaves';
import { sealRunIn } from './run-seal';

export const SYNC_RUN_ACTION = 'sync.run';
export const SYNC_RUN_TARGET = 'SyncRun';

/** How a tenant's chain names an MSP-wide run: a digest of its id, which the tenant cannot turn back into the id. */
export function runRef(syncRunId: string): string {
  return createHash('sha256').update(`SyncRun:${syncRunId}`).digest('hex');
}

function actorOf(run: SyncRun): string {
  return run.triggeredBy ?? `system:${run.trigger.toLowerCase()}`;
}

function summary(run: SyncRun): Record<string, unknown> {
  return {
    status: run.status, mode: run.mode, trigger: run.trigger,
    startedAt: run.startedAt.toISOString(), finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}

const NONE: StoredCounts = { patch: 0, posture: 0 };

/** A tenant's part: from the leaves the write handed over when they are all of it, else read back page by page. */
async function sealPart(m: EntityManager, syncRunId: string, tenantId: string, stored: StoredCounts, handedOver: RunLeaves | undefined, slicer: TimeSlicer): Promise<EventsDigest> {
  return (await handedOver?.seal(tenantId, stored)) ?? sealRunIn(m, syncRunId, tenantId, slicer);
}

/** Seals a run that is about to commit; call it in the run's transaction after its last write. */
export async function auditCompletedRun(m: EntityManager, run: SyncRun, instance: ConnectorInstance): Promise<void> {
  const occurredAt = run.finishedAt!;
  const actor = actorOf(run);
  const handedOver = takeRunLeaves(m, run.id);
  const stored = await eventCountsOfRun(m, run.id);
  const written = [...stored.keys()].sort();
  const slicer = timeSlicer();
  const counts = JSON.parse(run.counts) as Record<string, unknown>;
  if (instance.tenantId) {
    // A tenant's own instance writes only that tenant's events; any other tenant's would be sealed in its own chain.
    const tenants = [...new Set([instance.tenantId, ...written])].sort();
    for (const tenantId of tenants) {
      const events = await sealPart(m, run.id, tenantId, stored.get(tenantId) ?? NONE, handedOver, slicer);
      await appendAudit(m, {
        tenantId, actor, action: SYNC_RUN_ACTION, targetType: SYNC_RUN_TARGET, targetId: run.id, occurredAt,
        data: { connectorInstanceId: instance.id, kind: instance.kind, ...summary(run), counts, events },
      });
    }
    handedOver?.checkAllSealed();
    return;
  }
  await appendAudit(m, {
    tenantId: null, actor, action: SYNC_RUN_ACTION, targetType: SYNC_RUN_TARGET, targetId: run.id, occurredAt,
    data: { connectorInstanceId: instance.id, kind: instance.kind, ...summary(run), counts, tenantParts: written.length },
  });
  for (const tenantId of written) {
    const events = await sealPart(m, run.id, tenantId, stored.get(tenantId)!, handedOver, slicer);
    await appendAudit(m, {
      tenantId, actor, action: SYNC_RUN_ACTION, targetType: SYNC_RUN_TARGET, targetId: null, occurredAt,
      data: { mspWide: true, runRef: runRef(run.id), kind: instance.kind, ...summary(run), events },
    });
  }
  handedOver?.checkAllSealed();
}

/** Records a run that failed (or was abandoned): nothing it read was written, so there is nothing to seal. */
export async function auditFailedRun(m: EntityManager, run: SyncRun, instance: Pick<ConnectorInstance, 'id' | 'kind' | 'tenantId'>): Promise<void> {
  await appendAudit(m, {
    tenantId: instance.tenantId, actor: actorOf(run), action: SYNC_RUN_ACTION, targetType: SYNC_RUN_TARGET, targetId: run.id,
    occurredAt: run.finishedAt!,
    data: { connectorInstanceId: instance.id, kind: instance.kind, ...summary(run), errorKind: run.errorKind },
  });
}
