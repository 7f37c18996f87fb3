/**
 * Stage 1 of a partition: compares the partition's device records with the devices stored for it and decides,
 * without writing, which are new, which changed, which turned stale, which need their asset (re)decided and whose
 * patch posture moved. An unchanged device (same digest, current, on an asset) is left out entirely.
 */
import type { SyncCounts } from '../../../connectors/sdk/sync-counts';
import { TimeSlicer, timeSlicer } from '../../../connectors/sdk/time-slices';
import { SourceDevice } from '../../entities';
import { PatchPostureStatus } from '../../entities/enums';
import { SERIAL_SHARED_BY_LIVE_RECORDS, SMBIOS_UUID_SHARED_BY_LIVE_RECORDS } from '../../identity/match';
import { serialsSharedByLiveRecords, SerialHolder, SharedIdentifier, smbiosUuidsSharedByLiveRecords } from '../../identity/shared-serials';
import { newId } from '../../util/ids';
import { outOfDate } from '../derive-asset';
import { identityKeys, identityOf } from '../identity-index';
import { deviceDigest, samePosture, toDeviceColumns } from './device-columns';
import type { Partition, RunContext } from './run-context';
import { storedMatch } from './stored-match';

export interface DevicePlan {
  /** Devices of the partition after this run, by external id. */
  byExternalId: Map<string, SourceDevice>;
  created: SourceDevice[];
  changed: Set<SourceDevice>;
  /** Devices whose asset must be (re)decided. */
  needsIdentity: SourceDevice[];
  /** Devices whose patch posture changed (or was first reported), with the status before. */
  postureChanges: Array<{ device: SourceDevice; from: PatchPostureStatus | null }>;
  /** Devices whose serial other live records of the instance share (clones), with those records. */
  sharedSerials: Map<string, SharedIdentifier>;
  /** Likewise for SMBIOS UUIDs, which imaging and VM templates copy too. */
  sharedSmbiosUuids: Map<string, SharedIdentifier>;
}

const identitySignature = (d: SourceDevice) => identityKeys(identityOf(d)).sort().join('|');

/**
 * Clones are found among all the partition's records, not only those this run changed: a new clone makes its
 * twin's serial void too. A device whose serial turned void (or valid again) since it was matched is re-decided.
 */
function findSharedIdentifiers(plan: Omit<DevicePlan, 'sharedSerials' | 'sharedSmbiosUuids'>): Pick<DevicePlan, 'sharedSerials' | 'sharedSmbiosUuids'> {
  const devices = [...plan.byExternalId.values()];
  const holders: SerialHolder[] = devices.map((d) => ({
    sourceId: d.externalId, serialNumber: d.serialNumber, smbiosUuid: d.smbiosUuid, outOfDate: outOfDate(d), lastCheckInAt: d.lastCheckInAt, enrolledAt: d.enrolledAt,
  }));
  const sharedSerials = serialsSharedByLiveRecords(holders);
  const sharedSmbiosUuids = smbiosUuidsSharedByLiveRecords(holders);
  const voided: Array<[Map<string, SharedIdentifier>, string, string]> = [
    [sharedSerials, SERIAL_SHARED_BY_LIVE_RECORDS, 'SERIAL_NUMBER'],
    [sharedSmbiosUuids, SMBIOS_UUID_SHARED_BY_LIVE_RECORDS, 'SMBIOS_UUID'],
  ];
  const queued = new Set(plan.needsIdentity);
  for (const d of devices) {
    if (queued.has(d) || !d.assetId || d.pinnedAssetId) continue;
    const stored = storedMatch(d.matchedBy);
    const redecide = voided.some(([shared, code, rule]) => {
      const wasVoid = stored.conflicts.some((c) => c.startsWith(code));
      const isVoid = shared.has(d.externalId);
      return (isVoid && stored.rule === rule) || (!isVoid && wasVoid);
    });
    if (redecide) plan.needsIdentity.push(d);
  }
  return { sharedSerials, sharedSmbiosUuids };
}

/**
 * `existing`: the partition's stored devices. Counts the devices created and those turned stale. Each record's
 * columns and digest are computed in slices, with turns of the event loop between them.
 */
export async function planDevices(existing: SourceDevice[], run: RunContext, part: Partition, counts: SyncCounts, slicer: TimeSlicer = timeSlicer()): Promise<DevicePlan> {
  const { now, instance } = run;
  const { tenantId, read } = part;
  const byExternalId = new Map(existing.map((d) => [d.externalId, d]));
  const created: SourceDevice[] = [];
  const changed = new Set<SourceDevice>();
  const needsIdentity: SourceDevice[] = [];
  const postureChanges: DevicePlan['postureChanges'] = [];
  const seen = new Set<string>();
  for (const record of [...read.devices].sort((a, b) => (a.externalId < b.externalId ? -1 : 1))) {
    if (slicer.due()) await slicer.turn();
    seen.add(record.externalId);
    if (record.deleted) {
      // Never imported. A device the partition holds keeps its history and states and is only marked; an unknown
      // one is kept as an unattached record (the run's partitioning decided which).
      const held = byExternalId.get(record.externalId);
      if (held && !(held.stale && held.deletedInSource)) {
        if (!held.stale) counts.devices.stale += 1;
        Object.assign(held, { stale: true, deletedInSource: true, lastSeenAt: now });
        changed.add(held);
      }
      continue;
    }
    const columns = toDeviceColumns(record);
    const digest = deviceDigest(columns);
    const current = byExternalId.get(record.externalId);
    if (!current) {
      const device = Object.assign(new SourceDevice(), {
        id: newId(), tenantId, connectorInstanceId: instance.id, assetId: null, externalId: record.externalId, ...columns,
        payloadDigest: digest, matchedBy: null, pinnedAssetId: null, forbiddenAssetIds: null, stale: false, firstSeenAt: now, lastSeenAt: now,
      });
      byExternalId.set(device.externalId, device);
      created.push(device);
      needsIdentity.push(device);
      if (columns.postureStatus) postureChanges.push({ device, from: null });
      continue;
    }
    if (current.payloadDigest === digest && !current.stale && current.assetId) continue;
    if (columns.postureStatus && !samePosture(current, columns)) postureChanges.push({ device: current, from: current.postureStatus });
    const before = identitySignature(current);
    Object.assign(current, columns, { payloadDigest: digest, stale: false, deletedInSource: false, lastSeenAt: now });
    changed.add(current);
    if (!current.assetId || identitySignature(current) !== before) needsIdentity.push(current);
  }
  if (read.fullDeviceRead) {
    // Only a complete full read proves absence; the device is kept (history, states) and only marked.
    for (const d of existing) {
      if (seen.has(d.externalId) || d.stale) continue;
      d.stale = true;
      d.lastSeenAt = now;
      changed.add(d);
      counts.devices.stale += 1;
    }
  }
  counts.devices.created += created.length;
  const plan = { byExternalId, created, changed, needsIdentity, postureChanges };
  return { ...plan, ...findSharedIdentifiers(plan) };
}
