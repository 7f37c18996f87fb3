/**
 * The history stage: one event per real transition, a patch state's (PatchEvent) or a device's patch posture's
 * (PatchPostureEvent). Events are only ever inserted; each names the device's asset, so it runs after identity.
 */
import { EntityManager } from 'typeorm';
import type { RunLeaves } from '../../audit/run-leaves';
import { insertRows } from '../../db/insert-rows';
import { PatchEvent, PatchPostureEvent, SourceDevice } from '../../entities';
import { EvidenceKind, PatchPostureStatus, PatchStateValue } from '../../entities/enums';
import { newId } from '../../util/ids';
import { settleAll } from '../../util/settle-all';

/** Who and when: what every event of a partition shares. */
export interface EventScope {
  tenantId: string;
  syncRunId: string;
  now: Date;
  /** Where the run's seal takes each event's leaf as it is inserted, so it need not read the run's events back. */
  leaves?: RunLeaves;
}

export interface StateTransition {
  device: SourceDevice;
  updateId: string;
  from: PatchStateValue | null;
  to: PatchStateValue;
  evidence: EvidenceKind;
  reportedAt: Date | null;
}

export async function writePatchEvents(m: EntityManager, scope: EventScope, transitions: readonly StateTransition[]): Promise<number> {
  const { tenantId, syncRunId, now } = scope;
  const events = transitions.map((t) => Object.assign(new PatchEvent(), {
    id: newId(), tenantId, assetId: t.device.assetId!, sourceDeviceId: t.device.id, updateId: t.updateId, syncRunId,
    fromState: t.from, toState: t.to, evidence: t.evidence, reportedAt: t.reportedAt, observedAt: now,
  }));
  // Their leaves are made while they are inserted: if the insert fails, so does the run, leaves and all.
  await settleAll([insertRows(m, PatchEvent, events), scope.leaves?.patchEvents(events)]);
  return transitions.length;
}

/** `changes`: devices whose posture moved, with the status before (null when first reported). */
export async function writePostureEvents(m: EntityManager, scope: EventScope, changes: ReadonlyArray<{ device: SourceDevice; from: PatchPostureStatus | null }>): Promise<number> {
  const { tenantId, syncRunId, now } = scope;
  const events = changes.map(({ device, from }) => Object.assign(new PatchPostureEvent(), {
    id: newId(), tenantId, assetId: device.assetId!, sourceDeviceId: device.id, syncRunId,
    fromStatus: from, toStatus: device.postureStatus!, approvedPending: device.postureApprovedPending, notApproved: device.postureNotApproved,
    installed: device.postureInstalled, observedAt: now,
  }));
  await insertRows(m, PatchPostureEvent, events);
  scope.leaves?.postureEvents(events);
  return changes.length;
}
