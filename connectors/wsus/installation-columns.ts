/**
 * A snapshot's installation rows kept as columns while the upload is parsed. A row as a JavaScript array costs at
 * least 72 bytes (a 20,000-computer snapshot has 1.76 million of them: 150 MB of heap held through the check and the
 * read); here it costs 9: its computer's and update's places in lists of the ids as sent, and its state.
 */
import type { InstallationTriple } from './envelope';
import { forEachSliced, TimeSlicer } from '../sdk/time-slices';

/** Rows the columns have room for at first; they grow by half as rows come. */
const FIRST_CAPACITY = 4_096;

export class InstallationColumns {
  /** The ids as the rows send them (case kept: a refusal names them as sent), each once. */
  readonly computerIds: string[] = [];
  readonly updateIds: string[] = [];
  /** Rows kept, all valid: the rows before the first one that is not. */
  length = 0;
  /**
   * The first row that is not a valid triple, as parsed: the check needs it, and only it, to refuse the upload as a
   * pass over every row would. Nothing after it is kept, since the upload is refused whatever follows.
   */
  firstBad: { index: number; row: unknown } | undefined;
  private computers = new Int32Array(FIRST_CAPACITY);
  private updates = new Int32Array(FIRST_CAPACITY);
  private states = new Uint8Array(FIRST_CAPACITY);
  /** Ids and states of rows kept so far: each passed the schema's rule for its place in a row. */
  private placeOfComputer: Map<string, number> | undefined = new Map();
  private placeOfUpdate: Map<string, number> | undefined = new Map();
  private statesSeen = new Set<unknown>();
  /** By an update's place: the place of the update in the row that came after its row last time. */
  private updateAfter: number[] = [];

  /** A row is read into the columns and not kept (but for `firstBad`, a copy): the route may lend it (UploadArrayCollector). */
  readonly borrowsRows = true;

  /** `isRow` is the schema's rule for one row: a row it refuses is kept raw, as `firstBad`. */
  constructor(private readonly isRow: (row: unknown) => boolean) {}

  add(row: unknown, index: number): void {
    if (this.firstBad) return;
    if (!this.placeOfComputer || !this.placeOfUpdate) throw new Error('installation columns take no rows once finished');
    // The schema checks a row's three places apart (an array of exactly three: id, id, state 0-6), so a row of three
    // whose every value already passed in its place is valid: 365,000 rows name some 2,300 ids and 7 states, and the
    // full rule (two GUID patterns a row) runs only for a row with something new in it.
    const triple = Array.isArray(row) && row.length === 3 ? (row as InstallationTriple) : undefined;
    let computer: number | undefined;
    let update: number | undefined;
    if (triple) {
      // The row's computer is most often the last row's, and its update the one that followed the last row's update
      // the last time: a comparison each, where a look-up hashes the id (both are ids already kept, so already checked).
      const last = this.length - 1;
      if (last >= 0) {
        const lastComputer = this.computers[last];
        if (this.computerIds[lastComputer] === triple[0]) computer = lastComputer;
        const next = this.updateAfter[this.updates[last]];
        if (next >= 0 && this.updateIds[next] === triple[1]) update = next;
      }
      computer ??= this.placeOfComputer.get(triple[0]);
      update ??= this.placeOfUpdate.get(triple[1]);
    }
    if (computer === undefined || update === undefined || !this.statesSeen.has(triple![2])) {
      if (!this.isRow(row)) {
        // Kept, so copied: the route lends the rows it scans (borrowsRows) and refills the same array for the next.
        this.firstBad = { index, row: Array.isArray(row) ? row.slice() : row };
        return;
      }
      const [computerId, updateId, state] = row as InstallationTriple;
      computer ??= placeOf(computerId, this.placeOfComputer, this.computerIds);
      if (update === undefined) {
        update = placeOf(updateId, this.placeOfUpdate, this.updateIds);
        while (this.updateAfter.length < this.updateIds.length) this.updateAfter.push(-1);
      }
      this.statesSeen.add(state);
    }
    if (this.length === this.states.length) this.grow();
    if (this.length > 0) this.updateAfter[this.updates[this.length - 1]] = update;
    this.computers[this.length] = computer;
    this.updates[this.length] = update;
    this.states[this.length] = triple![2];
    this.length++;
  }

  /** Trimmed to the rows kept; the maps that found an id's place are needed no more. */
  finish(): this {
    this.computers = this.computers.slice(0, this.length);
    this.updates = this.updates.slice(0, this.length);
    this.states = this.states.slice(0, this.length);
    this.placeOfComputer = undefined;
    this.placeOfUpdate = undefined;
    this.statesSeen.clear();
    this.updateAfter = [];
    return this;
  }

  /** Places in `computerIds` and `updateIds` by row, and the rows' states: what passes over every row read. */
  get computerPlaces(): Int32Array {
    return this.computers;
  }

  get updatePlaces(): Int32Array {
    return this.updates;
  }

  get stateCodes(): Uint8Array {
    return this.states;
  }

  computerId(row: number): string {
    return this.computerIds[this.computers[row]];
  }

  updateId(row: number): string {
    return this.updateIds[this.updates[row]];
  }

  state(row: number): number {
    return this.states[row];
  }

  private grow(): void {
    const capacity = Math.ceil(this.states.length * 1.5);
    const computers = new Int32Array(capacity);
    computers.set(this.computers);
    const updates = new Int32Array(capacity);
    updates.set(this.updates);
    const states = new Uint8Array(capacity);
    states.set(this.states);
    this.computers = computers;
    this.updates = updates;
    this.states = states;
  }
}

function placeOf(id: string, places: Map<string, number>, ids: string[]): number {
  let place = places.get(id);
  if (place === undefined) places.set(id, (place = ids.push(id) - 1));
  return place;
}

/**
 * Rows as columns whichever form they came in: an envelope built in code or by the SUSDB reader has triples, which
 * are put in columns here (in slices), so that a pass over every row reads numbers, never a string a row.
 * The triples were checked by the schema's row rule already, so the columns keep every one.
 */
export async function installationColumnsOf(rows: InstallationRows, slicer: TimeSlicer): Promise<InstallationColumns> {
  if (rows instanceof InstallationColumns) return rows;
  const columns = new InstallationColumns(() => true);
  await forEachSliced(rows, slicer, (row, i) => columns.add(row, i));
  return columns.finish();
}

/**
 * Each distinct id of a column by one name for all its spellings: WSUS ids are GUIDs, which a collector may send in
 * either case. `fold[place]` is the index in `names` of the place's id lowercased. Made once per distinct id, so a
 * pass over the rows compares numbers instead of lowercasing and looking up two strings a row.
 */
export function caseFolded(ids: readonly string[]): { fold: Int32Array; names: string[] } {
  const fold = new Int32Array(ids.length);
  const names: string[] = [];
  const indexOf = new Map<string, number>();
  for (let place = 0; place < ids.length; place++) {
    const name = ids[place].toLowerCase();
    let index = indexOf.get(name);
    if (index === undefined) indexOf.set(name, (index = names.push(name) - 1));
    fold[place] = index;
  }
  return { fold, names };
}

/** Installation rows in either form: an envelope built in code or by the SUSDB reader has triples, an upload columns. */
export type InstallationRows = readonly InstallationTriple[] | InstallationColumns;
