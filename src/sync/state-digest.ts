/**
 * Which devices' patch states a run must compare. Each source device keeps a digest of the list of states its
 * source last reported for it (source_device.statesDigest). A run that reports the same list again for a device
 * skips reading and comparing that device's stored states, so a re-posted snapshot costs what changed in it, not
 * the size of the fleet.
 *
 * Why skipping is safe: applying a device's list leaves every stored state it names exactly as the list says, and
 * applying the same list again changes nothing (nothing is written for a state that did not move). Only a run of
 * the device's own instance writes its states, and the digest is written in that run's transaction. So when the
 * stored digest is that of the very list being applied, comparing would find nothing to do. This holds for a list
 * of any scope: an incremental read's list is compared whenever it differs from the last one applied, and a state
 * a full read omits is left as it is, with or without the digest (a different set is a different digest).
 * Anything else that rewrites a device's states must null its digest (account-partitions.ts's rehome does).
 */
import { createHash } from 'node:crypto';
import type { PatchStateRecord } from '../../connectors/sdk/contract';
import { TimeSlicer, timeSlicer } from '../../connectors/sdk/time-slices';
import { SourceDevice } from '../entities';
import { SourceRead, SyncDataError } from './read-source';
import type { RunStates } from './run-states';

export interface StatePlan {
  /** The states to compare, by device: only devices whose list differs from the one last applied. */
  toCompare: Map<SourceDevice, RunStates>;
  /** Devices whose stored digest must be rewritten (already set on the object). */
  digestChanged: SourceDevice[];
}

const iso = (d: Date | null | undefined): string => d?.toISOString() ?? '';

/**
 * Every field of every record, with the catalog entry its key resolved to (a key that comes to resolve to another
 * entry must be compared again), sorted so that the order the source lists them in does not matter.
 */
export function statesDigest(records: readonly PatchStateRecord[], updateIds: ReadonlyMap<string, string>): string {
  const lines = records.map((r) => JSON.stringify([r.updateKey, updateIds.get(r.updateKey) ?? null, r.state, r.evidence, iso(r.reportedAt), iso(r.installedAt)]));
  lines.sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line).update('\n');
  return hash.digest('hex');
}

/**
 * Groups the run's states by device, checks each names a device the run may report states for, and keeps those
 * whose list moved. A device the run reports no state for keeps its states and its digest. A full WSUS run digests
 * some 240,000 states: in slices, with turns of the event loop between them.
 */
export async function planStates(read: SourceRead, devices: ReadonlyMap<string, SourceDevice>, updateIds: ReadonlyMap<string, string>, slicer: TimeSlicer = timeSlicer()): Promise<StatePlan> {
  const inRun = new Set(read.devices.map((d) => d.externalId));
  // A full read lists every device, so a state for one it did not list contradicts it; an incremental read
  // may report a state change of a device that itself did not change.
  const byDevice = read.patchStates.groupByDevice(
    (externalId) => (devices.has(externalId) && (!read.fullDeviceRead || inRun.has(externalId)) ? externalId : undefined),
    (r) => {
      throw new SyncDataError(`patch state ${r.deviceExternalId}/${r.updateKey}: the device is not in this ${read.fullDeviceRead ? 'full read' : 'run nor known to this connector'}`);
    },
  );
  const toCompare = new Map<SourceDevice, RunStates>();
  const digestChanged: SourceDevice[] = [];
  for (const [externalId, states] of byDevice) {
    const device = devices.get(externalId)!;
    // Before the digest, so an unchanged device (a re-post's every device) counts toward the slice too.
    if (slicer.due(states.length)) await slicer.turn();
    const digest = statesDigest(states.records(), updateIds);
    if (device.statesDigest === digest) continue;
    device.statesDigest = digest;
    digestChanged.push(device);
    toCompare.set(device, states);
  }
  return { toCompare, digestChanged };
}
