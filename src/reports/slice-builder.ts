/**
 * Source text of SliceBuilder, for the SQLite reader thread's code (sqlite-reader-thread.ts), which runs from source:
 * `size` rows gathered into their distinct values and an Int32Array of indexes into them, the form a slice crosses
 * to the server's thread in, which then makes one string per distinct value instead of one per cell.
 *
 * A cell equal to the one above it (a run's events share their time, sync run, states and evidence) takes that
 * cell's code without a look-up, and a column none of whose first PROBE_ROWS cells repeats an earlier one (the event
 * id) is taken as unique: its cells are added as new values without one (a value that came back later would then be
 * among the values twice; the rows are the same). Hashing every cell into the Map was about a third of the thread's
 * time, and on SQLite that thread bounds the export: for the export's statement over 1,000,000 rows, stepping alone
 * costs 1.85 µs of CPU a row, slicing with every cell looked up 2.73, like this 2.25 (medians of five, load 2).
 */
export const SLICE_BUILDER = `
const PROBE_ROWS = 64;
class SliceBuilder {
  constructor(width, size) {
    this.width = width;
    this.size = size;
    this.codes = new Int32Array(Math.max(1, size * width));
    this.values = [];
    this.index = new Map();
    this.count = 0;
    this.at = 0;
    // Codes index this slice's values only: every slice starts with no cell above.
    this.above = new Array(width);
    this.aboveCode = new Int32Array(width);
    this.repeats = new Int32Array(width);
    this.unique = new Uint8Array(width);
  }
  get full() {
    return this.count >= this.size;
  }
  add(row) {
    const { width, codes, above, aboveCode, index, values, repeats, unique } = this;
    let at = this.at;
    for (let c = 0; c < width; c++) {
      const value = row[c];
      let code;
      if (value === above[c] && value !== undefined) {
        code = aboveCode[c];
        repeats[c]++;
      } else {
        if (unique[c] === 1) {
          code = values.push(value) - 1;
        } else {
          code = index.get(value);
          if (code === undefined) { code = values.length; values.push(value); index.set(value, code); }
          else repeats[c]++;
        }
        above[c] = value;
        aboveCode[c] = code;
      }
      codes[at++] = code;
    }
    this.at = at;
    if (++this.count === PROBE_ROWS) for (let c = 0; c < width; c++) if (repeats[c] === 0) unique[c] = 1;
  }
  seal(id, done) {
    return { id, count: this.count, width: this.width, values: this.values, codes: this.codes, done };
  }
}
`;
