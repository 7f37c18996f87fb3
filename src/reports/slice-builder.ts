/**
 * Source text of SliceBuilder, for the SQLite reader thread's code (sqlite-reader-thread.ts), which runs from source:
 * `size` rows gathered into their distinct values and an Int32Array of indexes into them, the form a slice crosses
 * to the server's thread in, which then makes one string per distinct value instead of one per cell.
 *
 * A cell equal to the one above it (a run's events share their time, sync run, states and evidence) takes that
 * cell's code without a look-up: hashing every cell into the Map was a quarter of the reader thread's time a row
 * (the export's statement, 1,000,000 rows: 2.52 -> 2.12 µs of CPU a row), and on SQLite that thread bounds the export.
 */
export const SLICE_BUILDER = `
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
  }
  get full() {
    return this.count >= this.size;
  }
  add(row) {
    const { width, codes, above, aboveCode, index, values } = this;
    let at = this.at;
    for (let c = 0; c < width; c++) {
      const value = row[c];
      let code;
      if (value === above[c] && value !== undefined) {
        code = aboveCode[c];
      } else {
        code = index.get(value);
        if (code === undefined) { code = values.length; values.push(value); index.set(value, code); }
        above[c] = value;
        aboveCode[c] = code;
      }
      codes[at++] = code;
    }
    this.at = at;
    this.count++;
  }
  seal(id, done) {
    return { id, count: this.count, width: this.width, values: this.values, codes: this.codes, done };
  }
}
`;
