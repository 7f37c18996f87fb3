/**
 * A run's patch states, held as columns instead of one object per state. A record object of the contract costs some
 * 250 bytes of heap with its strings and dates; a 20,000-device WSUS or Datto account reports three million states,
 * which as objects alone would be most of a gigabyte. Here a state is two interned indexes and a code (9 bytes), with
 * two times where the source gives any (16 more); the device ids and update keys are held once each, and a record
 * object exists only while a stage works on its device: the apply materialises one chunk of devices at a time
 * (write-states.ts).
 *
 * A RunStates is a view: the shared columns and, for a part of the run (a device, a tenant, the imported devices),
 * the positions of its states, in the order the source yielded them.
 */
import { EVIDENCE_VALUES, PATCH_STATE_VALUES, PatchStateRecord } from '../../connectors/sdk/contract';
import type { DeviceStateList } from '../../connectors/sdk/device-states';

const INITIAL_CAPACITY = 1_024;

/** Evidence values per state value in the packed code byte. */
const EVIDENCE_KINDS = EVIDENCE_VALUES.length;

/** A time that is not there: the columns are numbers, and a missing time must not read as 1970. */
const NO_TIME = Number.NaN;

class StateColumns {
  readonly deviceIds: string[] = [];
  readonly deviceIndex = new Map<string, number>();
  readonly updateKeys: string[] = [];
  readonly updateIndex = new Map<string, number>();
  length = 0;
  device = new Int32Array(INITIAL_CAPACITY);
  update = new Int32Array(INITIAL_CAPACITY);
  code = new Uint8Array(INITIAL_CAPACITY);
  // Made at the first state that has the time: many sources give none (a WSUS snapshot's states never do), and the
  // two times would be two thirds of the columns.
  reportedAt: Float64Array | null = null;
  installedAt: Float64Array | null = null;

  /** The last state's device id and its index: sources list a device's states together, so most states repeat it. */
  private lastDeviceId: string | undefined;
  private lastDevice = -1;

  push(r: PatchStateRecord): void {
    if (this.length === this.device.length) this.resize(this.length * 2);
    const i = this.length++;
    if (r.deviceExternalId !== this.lastDeviceId) {
      this.lastDeviceId = r.deviceExternalId;
      this.lastDevice = intern(r.deviceExternalId, this.deviceIds, this.deviceIndex);
    }
    this.device[i] = this.lastDevice;
    this.update[i] = intern(r.updateKey, this.updateKeys, this.updateIndex);
    // The values were checked against the contract's lists before they got here (read-source.ts).
    this.code[i] = PATCH_STATE_VALUES.indexOf(r.state) * EVIDENCE_KINDS + EVIDENCE_VALUES.indexOf(r.evidence);
    if (r.reportedAt) (this.reportedAt ??= this.timeColumn())[i] = r.reportedAt.getTime();
    else if (this.reportedAt) this.reportedAt[i] = NO_TIME;
    if (r.installedAt) (this.installedAt ??= this.timeColumn())[i] = r.installedAt.getTime();
    else if (this.installedAt) this.installedAt[i] = NO_TIME;
  }

  /** A device's states as lists (checked already): what `push` makes of each of their records, none made. */
  pushList(list: DeviceStateList): void {
    const { updateKeys, states } = list;
    const count = updateKeys.length;
    if (count === 0) return;
    let size = Math.max(this.device.length, INITIAL_CAPACITY);
    while (this.length + count > size) size *= 2;
    if (size > this.device.length) this.resize(size);
    if (list.deviceExternalId !== this.lastDeviceId) {
      this.lastDeviceId = list.deviceExternalId;
      this.lastDevice = intern(list.deviceExternalId, this.deviceIds, this.deviceIndex);
    }
    const evidence = EVIDENCE_VALUES.indexOf(list.evidence);
    for (let k = 0; k < count; k++) {
      const i = this.length++;
      this.device[i] = this.lastDevice;
      this.update[i] = intern(updateKeys[k], this.updateKeys, this.updateIndex);
      this.code[i] = PATCH_STATE_VALUES.indexOf(states[k]) * EVIDENCE_KINDS + evidence;
      // No times: where other states gave some, these have none.
      if (this.reportedAt) this.reportedAt[i] = NO_TIME;
      if (this.installedAt) this.installedAt[i] = NO_TIME;
    }
  }

  record(i: number): PatchStateRecord {
    const code = this.code[i];
    const reportedAt = this.reportedAt?.[i] ?? NO_TIME;
    const installedAt = this.installedAt?.[i] ?? NO_TIME;
    return {
      deviceExternalId: this.deviceIds[this.device[i]],
      updateKey: this.updateKeys[this.update[i]],
      state: stateOfCode(code),
      evidence: evidenceOfCode(code),
      reportedAt: Number.isNaN(reportedAt) ? null : new Date(reportedAt),
      installedAt: Number.isNaN(installedAt) ? null : new Date(installedAt),
    };
  }

  /** Once the read has ended: the columns shrink to the states they hold (doubling leaves up to half of them empty). */
  trim(): void {
    if (this.length < this.device.length) this.resize(this.length);
  }

  private timeColumn(): Float64Array {
    return new Float64Array(this.device.length).fill(NO_TIME);
  }

  /** Doubling while the read goes on, so a run of n states copies at most 2n of them in all. */
  private resize(size: number): void {
    const n = this.length;
    const move = <A extends Int32Array | Uint8Array | Float64Array>(from: A, to: A): A => {
      to.set(from.subarray(0, n));
      return to;
    };
    this.device = move(this.device, new Int32Array(size));
    this.update = move(this.update, new Int32Array(size));
    this.code = move(this.code, new Uint8Array(size));
    if (this.reportedAt) this.reportedAt = move(this.reportedAt, new Float64Array(size).fill(NO_TIME));
    if (this.installedAt) this.installedAt = move(this.installedAt, new Float64Array(size).fill(NO_TIME));
  }
}

function intern(value: string, values: string[], index: Map<string, number>): number {
  let i = index.get(value);
  if (i === undefined) {
    i = values.length;
    values.push(value);
    index.set(value, i);
  }
  return i;
}

/** The state value a packed code byte holds. */
export const stateOfCode = (code: number): PatchStateRecord['state'] => PATCH_STATE_VALUES[Math.floor(code / EVIDENCE_KINDS)];
/** The evidence value a packed code byte holds. */
export const evidenceOfCode = (code: number): PatchStateRecord['evidence'] => EVIDENCE_VALUES[code % EVIDENCE_KINDS];

/** A state given twice for one device and update, at the later of the two positions. */
export interface DuplicateState {
  deviceExternalId: string;
  updateKey: string;
}

export class RunStates implements Iterable<PatchStateRecord> {
  private devices?: Map<string, RunStates>;

  /** `rows`: the positions of this view's states in the columns, in yield order; null for all of them. */
  private constructor(
    private readonly columns: StateColumns,
    private readonly rows: Int32Array | null,
  ) {}

  /** States collected one by one, as a read yields them. */
  static collector(): { add(record: PatchStateRecord): void; addList(list: DeviceStateList): void; done(): RunStates } {
    const columns = new StateColumns();
    return {
      add: (record) => columns.push(record),
      addList: (list) => columns.pushList(list),
      done: () => {
        columns.trim();
        return new RunStates(columns, null);
      },
    };
  }

  static from(records: Iterable<PatchStateRecord>): RunStates {
    const c = RunStates.collector();
    for (const r of records) c.add(r);
    return c.done();
  }

  get length(): number {
    return this.rows ? this.rows.length : this.columns.length;
  }

  private position(i: number): number {
    return this.rows ? this.rows[i] : i;
  }

  *[Symbol.iterator](): Iterator<PatchStateRecord> {
    for (let i = 0; i < this.length; i++) yield this.columns.record(this.position(i));
  }

  /** Every state of the view as a record: for a part the size of one device's list, never for a whole run. */
  records(): PatchStateRecord[] {
    const out = new Array<PatchStateRecord>(this.length);
    for (let i = 0; i < out.length; i++) out[i] = this.columns.record(this.position(i));
    return out;
  }

  /**
   * Each state of the view, in yield order, as the index of its update key (updateKeyAt), its packed state and
   * evidence (stateOfCode, evidenceOfCode) and its two times in milliseconds (NaN where there is none): a pass over
   * every state of a run without a record object each. An index means the same key in every view of one run.
   */
  forEachState(visit: (update: number, code: number, reportedAt: number, installedAt: number) => void): void {
    const { columns } = this;
    for (let i = 0; i < this.length; i++) {
      const p = this.position(i);
      visit(columns.update[p], columns.code[p], columns.reportedAt?.[p] ?? NO_TIME, columns.installedAt?.[p] ?? NO_TIME);
    }
  }

  updateKeyAt(update: number): string {
    return this.columns.updateKeys[update];
  }

  /** How many update keys the run's states name: indexes from 0 to this, less one. */
  updateKeyCount(): number {
    return this.columns.updateKeys.length;
  }

  /** The update keys the view's states name, each once, in the order they first appear. */
  updateKeys(): string[] {
    const seen = new Uint8Array(this.columns.updateKeys.length);
    const out: string[] = [];
    for (let i = 0; i < this.length; i++) {
      const u = this.columns.update[this.position(i)];
      if (seen[u]) continue;
      seen[u] = 1;
      out.push(this.columns.updateKeys[u]);
    }
    return out;
  }

  /** The states of the devices `keep` says yes to (asked once per device). */
  whereDevice(keep: (deviceExternalId: string) => boolean): RunStates {
    const { columns } = this;
    // 0: not asked yet, 1: kept, 2: left out.
    const verdict = new Uint8Array(columns.deviceIds.length);
    const kept = (p: number): boolean => {
      const d = columns.device[p];
      if (verdict[d] === 0) verdict[d] = keep(columns.deviceIds[d]) ? 1 : 2;
      return verdict[d] === 1;
    };
    let count = 0;
    for (let i = 0; i < this.length; i++) if (kept(this.position(i))) count += 1;
    // Every device kept (a run that drops none): the view itself, whose grouping by device may be made already.
    if (count === this.length) return this;
    const rows = new Int32Array(count);
    for (let i = 0, at = 0; i < this.length; i++) if (kept(this.position(i))) rows[at++] = this.position(i);
    return new RunStates(columns, rows);
  }

  /**
   * The view split by a key of each device (its tenant, or the device itself), keys in the order they first appear,
   * each part's states in yield order. `keyOf` is asked once per device; a device it gives no key for is refused
   * through `refuse`, with the first of its states in yield order.
   */
  groupByDevice(keyOf: (deviceExternalId: string) => string | undefined, refuse: (first: PatchStateRecord) => never): Map<string, RunStates> {
    const { columns } = this;
    const groupOf = new Int32Array(columns.deviceIds.length).fill(-1);
    const keys: string[] = [];
    const groupIndex = new Map<string, number>();
    const counts: number[] = [];
    for (let i = 0; i < this.length; i++) {
      const d = columns.device[this.position(i)];
      if (groupOf[d] === -1) {
        const key = keyOf(columns.deviceIds[d]);
        if (key === undefined) refuse(columns.record(this.position(i)));
        groupOf[d] = intern(key, keys, groupIndex);
        if (counts.length < keys.length) counts.push(0);
      }
      counts[groupOf[d]] += 1;
    }
    // A counting sort: one array of positions for the whole split, each part a window of it in yield order.
    const starts = new Int32Array(keys.length + 1);
    for (let g = 0; g < keys.length; g++) starts[g + 1] = starts[g] + counts[g];
    const sorted = new Int32Array(this.length);
    const next = starts.slice(0, keys.length);
    for (let i = 0; i < this.length; i++) {
      const p = this.position(i);
      sorted[next[groupOf[columns.device[p]]]++] = p;
    }
    return new Map(keys.map((key, g) => [key, new RunStates(columns, sorted.subarray(starts[g], starts[g + 1]))]));
  }

  /**
   * The view by device external id, devices in the order they first appear. Made once per view: a run asks for it
   * to look for a state given twice and again to digest each device's list (a pass and a sort over every state).
   */
  byDevice(): Map<string, RunStates> {
    this.devices ??= this.groupByDevice((id) => id, () => {
      throw new Error('unreachable: every device is its own key');
    });
    return this.devices;
  }

  /**
   * The state given a second time for the same device and update, earliest in yield order, or null. Where a check
   * of each record as it arrives would keep a set of every pair seen, this needs one mark per catalog key.
   */
  firstDuplicate(): DuplicateState | null {
    const { columns } = this;
    const markedFor = new Int32Array(columns.updateKeys.length).fill(-1);
    let first = -1;
    for (const device of this.byDevice().values()) {
      for (let i = 0; i < device.length; i++) {
        const p = device.position(i);
        const u = columns.update[p];
        const d = columns.device[p];
        if (markedFor[u] !== d) markedFor[u] = d;
        else if (first === -1 || p < first) first = p;
      }
    }
    if (first === -1) return null;
    return { deviceExternalId: columns.deviceIds[columns.device[first]], updateKey: columns.updateKeys[columns.update[first]] };
  }
}
