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
import { hash } from 'node:crypto';
import { EVIDENCE_VALUES, PATCH_STATE_VALUES } from '../../connectors/sdk/contract';
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
 * entry must be compared again). Its bytes (STATE_DIGEST_FORM 2):
 * - the first 16 bytes of the SHA-256 of the head, the JSON text `[updateKey,updateId or null,`;
 * - the state's and the evidence's names, each followed by a zero byte;
 * - a flags byte (1: reportedAt given, 2: installedAt given), then each time as milliseconds, a little-endian double
 *   (0 where not given).
 * Lines are sorted by their heads' text, then (a key a device gives twice) by their remaining bytes; the digest is the
 * SHA-256 of the form's tag and the lines, in hex.
 *
 * The first form (b805c0a) hashed each line as JSON text: about 110 characters a state, 26 MB of strings a re-post at
 * 2,000 × 300, which were a sixth of the re-post with their collection. A digest of one form never equals one of
 * another (the tag is hashed first), so a change of form costs one full comparison of each device, at its next run,
 * and never a wrong skip. The names, not the packed codes, are hashed: a code that came to mean another state would
 * otherwise make a changed list look unchanged.
 */
class DeviceDigests {
  private readonly heads: string[] = [];
  private readonly headPrints: Buffer[] = [];
  private readonly middles: Buffer[] = [];
  /** Each update key's place among the run's lines' heads in string order (see `of`); made at the first device. */
  private headRanks: Int32Array | undefined;
  /** A device's states in yield order, and the bytes of its lines: kept for the next device, grown as needed. */
  private updates = new Int32Array(256);
  private codes = new Uint8Array(256);
  private reported = new Float64Array(256);
  private installed = new Float64Array(256);
  private bytes = Buffer.alloc(16_384);

  constructor(private readonly updateIds: ReadonlyMap<string, string>) {}

  /**
   * Heads differ in their text, so two lines with different heads are in the order of their heads. Those are ranked
   * once per run, and a device's lines sorted as numbers; only lines with the same head (a key given twice) are
   * compared by their remaining bytes.
   */
  of(states: RunStates): string {
    const ranks = (this.headRanks ??= this.rankHeads(states));
    const count = states.length;
    this.reserve(count);
    const { updates, codes, reported, installed } = this;
    let at = 0;
    states.forEachState((update, code, reportedAt, installedAt) => {
      updates[at] = update;
      codes[at] = code;
      reported[at] = reportedAt;
      installed[at] = installedAt;
      at++;
    });
    const sorted = count > POSITIONS ? this.sortedByComparison(count, ranks) : this.sortedByRank(count, ranks);
    let length = copyInto(this.bytes, 0, FORM_TAG);
    for (let k = 0; k < count; k++) {
      const line = sorted[k];
      length = copyInto(this.bytes, length, this.headPrint(updates[line], states));
      length = this.writeRest(line, length);
    }
    return hash('sha256', this.bytes.subarray(0, length), 'hex');
  }

  /** The lines' order: by rank and position as one number, sorted without a comparator; exact while ranks stay under 2^31. */
  private sortedByRank(count: number, ranks: Int32Array): Int32Array {
    const order = new Float64Array(count);
    for (let i = 0; i < count; i++) order[i] = ranks[this.updates[i]] * POSITIONS + i;
    order.sort();
    const sorted = new Int32Array(count);
    for (let i = 0; i < count; i++) sorted[i] = order[i] % POSITIONS;
    for (let i = 1; i < count; i++) {
      const rank = Math.floor(order[i] / POSITIONS);
      if (rank !== Math.floor(order[i - 1] / POSITIONS)) continue;
      let end = i + 1;
      while (end < count && Math.floor(order[end] / POSITIONS) === rank) end++;
      sorted.subarray(i - 1, end).sort((a, b) => this.compareRest(a, b));
      i = end - 1;
    }
    return sorted;
  }

  /** The same order for a device with more lines than POSITIONS, by a comparator. */
  private sortedByComparison(count: number, ranks: Int32Array): Int32Array {
    const sorted = new Int32Array(count);
    for (let i = 0; i < count; i++) sorted[i] = i;
    return sorted.sort((a, b) => ranks[this.updates[a]] - ranks[this.updates[b]] || this.compareRest(a, b));
  }

  /** Room for `count` states and their lines (at most LINE_BYTES each), past the form's tag. */
  private reserve(count: number): void {
    if (this.updates.length < count) {
      const size = Math.max(count, this.updates.length * 2);
      this.updates = new Int32Array(size);
      this.codes = new Uint8Array(size);
      this.reported = new Float64Array(size);
      this.installed = new Float64Array(size);
    }
    // The tag, the lines, and room for two lines' rest compared while sorting.
    const need = FORM_TAG.length + (count + 2) * LINE_BYTES;
    if (this.bytes.length < need) this.bytes = Buffer.alloc(Math.max(need, this.bytes.length * 2));
  }

  /** Writes a line's bytes after its head's print (names, flags, times) at `at`; the index after them. */
  private writeRest(line: number, at: number): number {
    const bytes = this.bytes;
    // Byte by byte rather than Buffer#copy: a few bytes, twice a state, where the call cost more than the copy.
    let i = copyInto(bytes, at, (this.middles[this.codes[line]] ??= middleOf(this.codes[line])));
    const reportedAt = this.reported[line];
    const installedAt = this.installed[line];
    const hasReported = !Number.isNaN(reportedAt);
    const hasInstalled = !Number.isNaN(installedAt);
    bytes[i++] = (hasReported ? 1 : 0) | (hasInstalled ? 2 : 0);
    i = hasReported ? bytes.writeDoubleLE(reportedAt, i) : zeros(bytes, i, 8);
    return hasInstalled ? bytes.writeDoubleLE(installedAt, i) : zeros(bytes, i, 8);
  }

  /** Two lines of one head by their bytes after its print: only a key a device gives twice is compared so. */
  private compareRest(a: number, b: number): number {
    // Written past the room the lines need, before any line is.
    const end = this.bytes.length;
    const restA = this.bytes.subarray(end - 2 * LINE_BYTES, this.writeRest(a, end - 2 * LINE_BYTES));
    const restB = this.bytes.subarray(end - LINE_BYTES, this.writeRest(b, end - LINE_BYTES));
    return Buffer.compare(restA, restB);
  }

  private headPrint(update: number, states: RunStates): Buffer {
    return (this.headPrints[update] ??= hash('sha256', this.headText(update, states), 'buffer').subarray(0, HEAD_PRINT_BYTES));
  }

  private headText(update: number, states: RunStates): string {
    return (this.heads[update] ??= headOf(states.updateKeyAt(update), this.updateIds));
  }

  private rankHeads(states: RunStates): Int32Array {
    const keyCount = states.updateKeyCount();
    const heads = Array.from({ length: keyCount }, (_, update) => this.headText(update, states));
    const byHead = heads.map((_, update) => update).sort((a, b) => (heads[a] < heads[b] ? -1 : heads[a] > heads[b] ? 1 : 0));
    const ranks = new Int32Array(keyCount);
    // Keys with the same head (none in a run: each key is once in it) share a rank, and their lines are compared by their rest.
    for (let r = 0; r < byHead.length; r++) ranks[byHead[r]] = r > 0 && heads[byHead[r]] === heads[byHead[r - 1]] ? ranks[byHead[r - 1]] : r;
    return ranks;
  }
}

/** The form of the digest (see DeviceDigests), hashed before the lines. */
export const STATE_DIGEST_FORM = 2;
const FORM_TAG = Buffer.from(`patchgraph states digest ${STATE_DIGEST_FORM}\n`);

/** Bytes of a head's print: 128 bits, beyond any search for two keys that share one. */
const HEAD_PRINT_BYTES = 16;
/** The longest line: a head's print, the longest state and evidence names with their zero bytes, flags, two doubles. */
const LINE_BYTES = HEAD_PRINT_BYTES + Math.max(...PATCH_STATE_VALUES.map((s) => s.length)) + Math.max(...EVIDENCE_VALUES.map((e) => e.length)) + 2 + 1 + 16;

/** Copies `from` into `to` at `at`; the index after it. */
function copyInto(to: Uint8Array, at: number, from: Uint8Array): number {
  for (let k = 0; k < from.length; k++) to[at + k] = from[k];
  return at + from.length;
}

/** Writes `n` zero bytes into `to` at `at`; the index after them. */
function zeros(to: Uint8Array, at: number, n: number): number {
  for (let k = 0; k < n; k++) to[at + k] = 0;
  return at + n;
}

const headOf = (updateKey: string, updateIds: ReadonlyMap<string, string>): string => `[${JSON.stringify(updateKey)},${JSON.stringify(updateIds.get(updateKey) ?? null)},`;

const middleOf = (code: number): Buffer => Buffer.from(`${stateOfCode(code)}\0${evidenceOfCode(code)}\0`, 'latin1');

/** Positions of a device's lines in one sort key: more states than a device has; a larger list is sorted by comparison. */
const POSITIONS = 2 ** 21;

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
