/**
 * What the stream parser's value holds. An upload is held through its check and its read, and the one that matters
 * is large: a WSUS snapshot is mostly [computer, update, state] rows naming a few thousand ids hundreds of thousands
 * of times. Its parsed form must be the same value as JSON.parse gives, in no more memory.
 */
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseBoundedJson } from '../../src/server/bounded-json';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const LIMITS = { maxBytes: 1 << 30, maxDepth: 64, maxElements: 10_000_000, maxStringChars: 10_000 };
const NAMES = { maxBytes: 'MAX_BYTES', maxDepth: 'MAX_DEPTH', maxElements: 'MAX_ELEMENTS', maxStringChars: 'MAX_STRING_CHARS' };

/** Installation rows as a collector sends them: every computer's state for every update, the ids as text each time. */
function installationRows(computers: number, updates: number): string {
  const computerIds = Array.from({ length: computers }, () => randomUUID());
  const updateIds = Array.from({ length: updates }, () => randomUUID());
  const rows = computerIds.flatMap((c, i) => updateIds.map((u, j) => [c, u, (i + j) % 7]));
  return JSON.stringify({ rows: { installations: rows } });
}

/** The heap a parse leaves behind while its value is kept. */
async function heldBy(parse: () => unknown | Promise<unknown>): Promise<{ bytes: number; value: unknown }> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const value = await parse();
  gc();
  return { bytes: process.memoryUsage().heapUsed - before, value };
}

/** The text in 64 KB chunks, as the gunzip stream hands it over. */
function chunksOf(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 65_536) chunks.push(bytes.subarray(i, i + 65_536));
  return chunks;
}

describe('a parsed upload', () => {
  it('holds 300 x 300 installation rows in well under what JSON.parse holds them in, as the same value', async () => {
    const text = installationRows(300, 300);
    const streamed = await heldBy(() => parseBoundedJson(chunksOf(text), LIMITS, NAMES));
    const whole = await heldBy(() => JSON.parse(text));
    // 1.6 times JSON.parse's when every occurrence of an id was a string of its own and every row an array with
    // room for 17 (at 2,000 x 300: 111 MB, against 69 MB; with one string per id and rows of their own size, 33 MB).
    expect(streamed.bytes / whole.bytes).toBeLessThan(0.75);
    expect(streamed.value).toEqual(whole.value);
  });
});
