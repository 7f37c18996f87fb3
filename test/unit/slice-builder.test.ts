/**
 * The SQLite reader thread's SliceBuilder (src/reports/slice-builder.ts, run from its source as the thread runs it):
 * a slice's rows come back unchanged from its values and codes, and neither a cell equal to the one above it nor a
 * cell of a column that never repeats (the event id) is looked up in the slice's index (the thread bounds the SQLite
 * export).
 */
import { SLICE_BUILDER } from '../../src/reports/slice-builder';
import type { SliceMessage as Slice } from '../../src/reports/sqlite-reader-thread';

interface Builder {
  full: boolean;
  add(row: unknown[]): void;
  seal(id: number, done: boolean): Slice;
}
type BuilderClass = new (width: number, size: number) => Builder;

/** The class as the thread defines it, with the Map it indexes values by given, to count its look-ups. */
const builderWith = (map: MapConstructor): BuilderClass => new Function('Map', `${SLICE_BUILDER}\nreturn SliceBuilder;`)(map);

class CountingMap<K, V> extends Map<K, V> {
  static gets = 0;
  static keys: unknown[] = [];
  get(key: K): V | undefined {
    CountingMap.gets += 1;
    CountingMap.keys.push(key);
    return super.get(key);
  }
}

const rowsOf = ({ count, width, values, codes }: Slice) => Array.from({ length: count }, (_, i) => Array.from({ length: width }, (_, c) => values[codes[i * width + c]]));

/** A run's events as the export's statement gives them: id, observedAt, reportedAt, fromState, toState, syncRunId, updateId, device, evidence. */
function runRows(n: number): unknown[][] {
  const blob = Buffer.from('evidence');
  return Array.from({ length: n }, (_, i) => [
    `event-${i}`, '2026-10-01 06:00:00.000', i % 3 ? null : `2026-10-01 05:${String(i % 60).padStart(2, '0')}:00.000`, i < n / 2 ? null : 'MISSING', 'INSTALLED',
    'run-1', `update-${i % 4}`, `device-${Math.floor(i / 4)}`, i % 5 ? 'REPORTED' : blob,
  ]);
}

describe('SliceBuilder (the SQLite reader thread\'s slices)', () => {
  it('gives back every row unchanged from the slice\'s distinct values, each value once, and seals full at its size', () => {
    const SliceBuilder = builderWith(Map);
    const rows = [...runRows(10), [0, 2, 1.5, null, null, 'x', 'x', 'x', 'x'], [0, 0, 1.5, 'y', null, 'x', 'y', 'x', 'y']];
    const builder = new SliceBuilder(9, rows.length);
    for (const row of rows) {
      expect(builder.full).toBe(false);
      builder.add(row);
    }
    expect(builder.full).toBe(true);
    const slice = builder.seal(7, true);
    expect({ id: slice.id, count: slice.count, width: slice.width, done: slice.done }).toEqual({ id: 7, count: rows.length, width: 9, done: true });
    expect(rowsOf(slice)).toEqual(rows);
    expect(new Set(slice.values).size).toBe(slice.values.length);
  });

  it('a cell equal to the one above it, or of a column whose first 64 cells never repeat, costs no look-up; a new slice starts with none above (its codes are its own)', () => {
    const SliceBuilder = builderWith(CountingMap as unknown as MapConstructor);
    const rows = runRows(1024);
    const first = new SliceBuilder(9, 512);
    CountingMap.gets = 0;
    CountingMap.keys = [];
    for (const row of rows.slice(0, 512)) first.add(row);
    // Looked up: a cell that differs from the one above (most reported times, updates and devices, the evidence's
    // changes), never the run's time, sync run or toState after the first row; ids only while the column is probed.
    const changed = (slice: unknown[][]) => slice.reduce((n: number, row, i) => n + row.filter((v, c) => c > 0 && (i === 0 || v !== slice[i - 1][c])).length, 0);
    const ids = CountingMap.keys.filter((k) => typeof k === 'string' && k.startsWith('event-'));
    expect(ids).toEqual(rows.slice(0, 64).map((r) => r[0]));
    expect(CountingMap.gets).toBe(changed(rows.slice(0, 512)) + 64);
    const second = new SliceBuilder(9, 512);
    for (const row of rows.slice(512)) second.add(row);
    const slices = [first.seal(1, false), second.seal(1, true)];
    expect(slices.flatMap(rowsOf)).toEqual(rows);
    // The second slice holds the run's shared values itself, not codes into the first slice's values.
    expect(slices[1].values).toEqual(expect.arrayContaining(['2026-10-01 06:00:00.000', 'run-1', 'INSTALLED']));
  });
});
