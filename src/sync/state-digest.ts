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
import { TimeSlicer, timeSlicer } from '../../connectors/sdk/time-slices';
import { SourceDevice } from '../entities';
import { SourceRead, SyncDataError } from './read-source';
import { evidenceOfCode, RunStates, stateOfCode } from './run-states';

export interface StatePlan {
  /** The states to compare, by device: only devices whose list differs from the one last applied. */
  toCompare: Map<SourceDevice, RunStates>;
  /** Devices whose stored digest must be rewritten (already set on the object). */
  digestChanged: SourceDevice[];
}

/**
 * A device's digest: its states as lines, sorted so that the order the source lists them in does not matter, hashed.
 * A line is every field of a state with the catalog entry its key resolved to (a key that comes to resolve to another
 * entry must be compared again), as the JSON array
 * `[updateKey, updateId or null, state, evidence, reportedAt ISO or "", installedAt ISO or ""]`.
 * Stored digests are compared with new ones, so this text must never change.
 *
 * Made from the run's columns with each part of a line built once per update key or state code, not per state: an
 * unchanged re-post digests every state of the fleet, and a record object and a JSON.stringify each were most of it.
 */
class DeviceDigests {
  private readonly heads: string[] = [];
  private readonly middles: string[] = [];

  constructor(private readonly updateIds: ReadonlyMap<string, string>) {}

  of(states: RunStates): string {
    const lines = new Array<string>(states.length);
    let at = 0;
    states.forEachState((update, code, reportedAt, installedAt) => {
      const head = (this.heads[update] ??= this.headOf(states.updateKeyAt(update)));
      const middle = (this.middles[code] ??= `${JSON.stringify(stateOfCode(code))},${JSON.stringify(evidenceOfCode(code))},`);
      lines[at++] = `${head}${middle}${isoText(reportedAt)},${isoText(installedAt)}]`;
    });
    lines.sort();
    return createHash('sha256').update(lines.length ? `${lines.join('\n')}\n` : '').digest('hex');
  }

  private headOf(updateKey: string): string {
    return `[${JSON.stringify(updateKey)},${JSON.stringify(this.updateIds.get(updateKey) ?? null)},`;
  }
}

const isoText = (ms: number): string => (Number.isNaN(ms) ? '""' : `"${new Date(ms).toISOString()}"`);

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
  const digests = new DeviceDigests(updateIds);
  for (const [externalId, states] of byDevice) {
    const device = devices.get(externalId)!;
    // Before the digest, so an unchanged device (a re-post's every device) counts toward the slice too.
    if (slicer.due(states.length)) await slicer.turn();
    const digest = digests.of(states);
    if (device.statesDigest === digest) continue;
    device.statesDigest = digest;
    digestChanged.push(device);
    toCompare.set(device, states);
  }
  return { toCompare, digestChanged };
}
