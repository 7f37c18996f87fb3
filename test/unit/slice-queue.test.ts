/**
 * The queue between a driver's streamed result and the export (src/reports/slice-queue.ts), fed by a real object
 * stream as mysql2's query feeds it: the rows in order, in slices; one slice read ahead while the reader holds one
 * (the database's round trip overlapped with the reader's work), and no more than that for a reader that stalls.
 */
import { Readable } from 'node:stream';
import { SliceQueue } from '../../src/reports/slice-queue';

/** A stream of `n` one-value rows, feeding a queue as the driver does. */
function streamed(n: number, sliceRows: number, failAt?: number) {
  const source = new Readable({
    objectMode: true,
    highWaterMark: 1,
    read() {
      if (failAt !== undefined && next >= failAt) {
        this.destroy(new Error('connection lost'));
        return;
      }
      this.push(next < n ? [next++] : null);
    },
  });
  let next = 0;
  const queue = new SliceQueue(sliceRows, source);
  source.on('data', (row: unknown[]) => queue.push(row));
  source.on('end', () => queue.end());
  source.on('error', (err) => queue.fail(err));
  return { source, queue, sent: () => next };
}

/** Lets the stream run until it pauses or ends. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

const values = (slice: unknown[][]) => slice.map((r) => r[0]);

describe('SliceQueue', () => {
  it('hands over every row in order, a slice at a time, the last one short', async () => {
    const { queue } = streamed(10, 3);
    const slices: unknown[][] = [];
    for await (const slice of queue.slices()) slices.push(values(slice));
    expect(slices).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    expect(queue.finished).toBe(true);
  });

  it('reads the next slice while the reader holds one, and pauses the source there until the reader takes it', async () => {
    const { source, queue, sent } = streamed(100, 4);
    const reader = queue.slices();
    expect(values((await reader.next()).value as unknown[][])).toEqual([0, 1, 2, 3]);
    await settle();
    // Read ahead while the slice is held, and paused after it: a reader that stalls holds two slices, not the result.
    expect(queue.buffered).toBe(4);
    expect(source.isPaused()).toBe(true);
    expect(sent()).toBeLessThan(4 + 4 + 4);
    expect(values((await reader.next()).value as unknown[][])).toEqual([4, 5, 6, 7]);
    await settle();
    expect(queue.buffered).toBe(4);
    const rest: unknown[] = [];
    for (let r = await reader.next(); !r.done; r = await reader.next()) rest.push(...values(r.value));
    expect(rest).toEqual(Array.from({ length: 92 }, (_, i) => 8 + i));
  });

  it('a source that fails fails the reader (the download is cut off; no row past the failure is handed over)', async () => {
    const { queue } = streamed(100, 4, 6);
    const got: unknown[] = [];
    await expect((async () => {
      for await (const slice of queue.slices()) got.push(...values(slice));
    })()).rejects.toThrow('connection lost');
    expect(queue.finished).toBe(true);
    expect([[], [0, 1, 2, 3]]).toContainEqual(got);
  });

  it('a reader that stops early leaves the source unfinished (its owner closes it)', async () => {
    const { queue } = streamed(100, 4);
    for await (const slice of queue.slices()) {
      expect(values(slice)).toEqual([0, 1, 2, 3]);
      break;
    }
    expect(queue.finished).toBe(false);
  });
});
