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
  /** Each update key's place among the run's lines' heads in string order (see `of`); made at the first device. */
  private headRanks: Int32Array | undefined;

  constructor(private readonly updateIds: ReadonlyMap<string, string>) {}

  /**
   * The lines are sorted as strings, but by their heads (`[key, id or null,`): a head is two JSON values and a comma,
   * each value ending where its own syntax says, so no head is the start of another, and two lines with different
   * heads are in the order of their heads. Those are ranked once per run, and a device's lines sorted as numbers; only
   * lines with the same head (a key given twice) are compared as strings, as before.
   */
  of(states: RunStates): string {
    const ranks = (this.headRanks ??= this.rankHeads(states));
    const count = states.length;
    const lines = new Array<string>(count);
    // A line's rank and position in one number, sorted without a comparator: exact while ranks stay under 2^31.
    const order = new Float64Array(count);
    let at = 0;
    states.forEachState((update, code, reportedAt, installedAt) => {
      const head = (this.heads[update] ??= this.headOf(states.updateKeyAt(update)));
      const middle = (this.middles[code] ??= `${JSON.stringify(stateOfCode(code))},${JSON.stringify(evidenceOfCode(code))},`);
      lines[at] = `${head}${middle}${isoText(reportedAt)},${isoText(installedAt)}]`;
      order[at] = ranks[update] * POSITIONS + at;
      at++;
    });
    if (count > POSITIONS) return digestOf(lines.sort());
    order.sort();
    const sorted = new Array<string>(count);
    for (let i = 0; i < count; i++) sorted[i] = lines[order[i] % POSITIONS];
    for (let i = 1; i < count; i++) {
      if (Math.floor(order[i] / POSITIONS) !== Math.floor(order[i - 1] / POSITIONS)) continue;
      let end = i + 1;
      while (end < count && Math.floor(order[end] / POSITIONS) === Math.floor(order[i] / POSITIONS)) end++;
      const same = sorted.slice(i - 1, end).sort();
      for (let k = 0; k < same.length; k++) sorted[i - 1 + k] = same[k];
      i = end - 1;
    }
    return digestOf(sorted);
  }

  private rankHeads(states: RunStates): Int32Array {
    const keyCount = states.updateKeyCount();
    const heads = Array.from({ length: keyCount }, (_, update) => (this.heads[update] ??= this.headOf(states.updateKeyAt(update))));
    const byHead = heads.map((_, update) => update).sort((a, b) => (heads[a] < heads[b] ? -1 : heads[a] > heads[b] ? 1 : 0));
    const ranks = new Int32Array(keyCount);
    // Keys with the same head (none in a run: each key is once in it) share a rank, and their lines are compared whole.
    for (let r = 0; r < byHead.length; r++) ranks[byHead[r]] = r > 0 && heads[byHead[r]] === heads[byHead[r - 1]] ? ranks[byHead[r - 1]] : r;
    return ranks;
  }

  private headOf(updateKey: string): string {
    return `[${JSON.stringify(updateKey)},${JSON.stringify(this.updateIds.get(updateKey) ?? null)},`;
  }
}

/** Positions of a device's lines in one sort key: more states than a device has; a larger list is sorted as strings. */
const POSITIONS = 2 ** 21;

const digestOf = (sortedLines: readonly string[]): string => createHash('sha256').update(sortedLines.length ? `${sortedLines.join('\n')}\n` : '').digest('hex');

const isoText = (ms: number): string => (Number.isNaN(ms) ? '""' : `"${new Date(ms).toISOString()}"`);

/** The run's states by device external id, in the order devices first appear, each with its list's digest. */
export type DigestedStates = Map<string, { states: RunStates; digest: string }>;

/**
 * Digests every device's list of the run's states. It needs neither the stored devices nor any statement, so a run
 * does it while its stored devices are being read (apply-run.ts). A full WSUS run digests some 240,000 states: in
 * slices, with turns of the event loop between them.
 */
export async function digestRunStates(read: SourceRead, updateIds: ReadonlyMap<string, string>, slicer: TimeSlicer = timeSlicer()): Promise<DigestedStates> {
  const digests = new DeviceDigests(updateIds);
  const digested: DigestedStates = new Map();
  for (const [externalId, states] of read.patchStates.byDevice()) {
    if (slicer.due(states.length)) await slicer.turn();
    digested.set(externalId, { states, digest: digests.of(states) });
  }
  return digested;
}

/**
 * Checks each device the run reports states for is one it may report them for, and keeps those whose list moved.
 * A device the run reports no state for keeps its states and its digest.
 */
export function planDigestedStates(read: SourceRead, devices: ReadonlyMap<string, SourceDevice>, digested: DigestedStates): StatePlan {
  const inRun = new Set(read.devices.map((d) => d.externalId));
  const toCompare = new Map<SourceDevice, RunStates>();
  const digestChanged: SourceDevice[] = [];
  // In the order devices first appear, so the refusal names the first state, in the order the source gave them, of
  // the first device that may not be there. A full read lists every device, so a state for one it did not list
  // contradicts it; an incremental read may report a state change of a device that itself did not change.
  for (const [externalId, { states }] of digested) {
    if (devices.has(externalId) && (!read.fullDeviceRead || inRun.has(externalId))) continue;
    const r = states.records()[0];
    throw new SyncDataError(`patch state ${r.deviceExternalId}/${r.updateKey}: the device is not in this ${read.fullDeviceRead ? 'full read' : 'run nor known to this connector'}`);
  }
  for (const [externalId, { states, digest }] of digested) {
    const device = devices.get(externalId)!;
    if (device.statesDigest === digest) continue;
    device.statesDigest = digest;
    digestChanged.push(device);
    toCompare.set(device, states);
  }
  return { toCompare, digestChanged };
}

/** The plan in one call: the digests, then the check and the comparison against the stored devices. */
export async function planStates(read: SourceRead, devices: ReadonlyMap<string, SourceDevice>, updateIds: ReadonlyMap<string, string>, slicer: TimeSlicer = timeSlicer()): Promise<StatePlan> {
  return planDigestedStates(read, devices, await digestRunStates(read, updateIds, slicer));
}
