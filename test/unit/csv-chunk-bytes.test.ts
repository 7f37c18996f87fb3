import { toGlobalId } from '../../src/graphql/types/global-id';
import { ChunkWriter } from '../../src/reports/formats/chunk-writer';
import { writeIsoTime } from '../../src/reports/formats/csv-stream';
import { GlobalIdWriter } from '../../src/reports/formats/global-id-writer';
import { isoTime } from '../../src/reports/patch-history-source';

// The streamed CSV export writes its bytes straight into buffers (ChunkWriter) instead of building a string and
// encoding it: each writer here must give exactly the bytes Buffer.from(text, 'utf8') gives for the text the string
// path wrote, or the export's bytes (and the SHA-256 recorded for every report) would change.

const TEXTS = [
  '', 'a', 'BENCH-PC-00042', 'Line-of-business tool 3, "quarterly" release', 'Contoso Ltd — Head Office', 'Zürich', '東京オフィス',
  'emoji 🛡️ shield', 'lone high \uD83D end', 'lone low \uDE00 start', '\uD83D', 'x'.repeat(70_000), `${'ü'.repeat(30_000)}end`, '\r\n\t"=,',
];

/** Everything the writer handed over, joined. */
const drained = (w: ChunkWriter) => Buffer.concat(w.end());

describe('ChunkWriter', () => {
  it.each([1, 7, 64, 65_536])('with %i-byte buffers, gives the bytes of Buffer.from over the text appended, ASCII, non-ASCII, lone surrogates and strings longer than a buffer alike', (size) => {
    const w = new ChunkWriter(size);
    let text = '';
    const pieces: Buffer[] = [];
    for (const t of TEXTS) {
      w.text(t);
      w.ascii(0x2c);
      const encoded = Buffer.from(`${t}|`, 'utf8');
      w.bytes(encoded);
      text += `${t},${t}|`;
      pieces.push(...w.take());
    }
    expect(Buffer.concat([...pieces, drained(w)]).equals(Buffer.from(text, 'utf8'))).toBe(true);
  });

  it('hands buffers over once full, and only whole ones before the end', () => {
    const w = new ChunkWriter(16);
    w.text('0123456789');
    expect(w.ready).toBe(false);
    w.text('abcdefghij');
    expect(w.ready).toBe(true);
    expect(w.take().map((b) => b.toString())).toEqual(['0123456789']);
    expect(w.end().map((b) => b.toString())).toEqual(['abcdefghij']);
    expect(w.end()).toEqual([]);
  });

  it('refills a buffer given back, once, and never one it did not hand over', () => {
    const w = new ChunkWriter(8192);
    w.text('a'.repeat(8000));
    w.text('b'.repeat(1000));
    const [first] = w.take();
    expect(first.toString()).toBe('a'.repeat(8000));
    w.reuse(first);
    w.reuse(first); // twice: ignored
    const foreign = Buffer.alloc(8192);
    w.reuse(foreign);
    w.text('c'.repeat(8000));
    const [second] = w.take();
    expect(second.buffer).not.toBe(first.buffer);
    expect(second.toString()).toBe('b'.repeat(1000));
    w.text('d'.repeat(500));
    const [third, fourth] = w.end();
    // The buffer given back was taken up again for the next bytes, once: the one after it is new memory.
    expect(third.buffer).toBe(first.buffer);
    expect(third.toString()).toBe('c'.repeat(8000));
    expect(fourth.buffer).not.toBe(first.buffer);
    expect(fourth.buffer).not.toBe(foreign.buffer);
    expect(fourth.toString()).toBe('d'.repeat(500));
  });
});

describe('GlobalIdWriter.into', () => {
  const KEYS = ['', 'a', 'ab', 'abc', '0190f3c2-7a1e-7c3b-9d2e-5f1a2b3c4d5e', 'ünïcödé', '🛡️', 'lone \uD83D', 'k'.repeat(84), 'k'.repeat(85), 'k'.repeat(300), 'ü'.repeat(100)];
  it.each(['PatchEvent', 'SyncRun', 'A', 'Ab', 'Abc'])('writes exactly toGlobalId(%s, key), for keys of every length mod 3, non-ASCII and too long for its scratch buffer', (type) => {
    const ids = new GlobalIdWriter(type);
    const w = new ChunkWriter(10);
    let expected = '';
    for (const key of KEYS) {
      ids.into(w, key);
      w.ascii(0x2c);
      expected += `${toGlobalId(type, key)},`;
    }
    expect(drained(w).toString('latin1')).toBe(expected);
  });
});

describe('writeIsoTime', () => {
  /** The text, or the error's name when it throws. */
  const outcome = (f: () => string) => {
    try {
      return f();
    } catch (err) {
      return `threw ${(err as Error).name}`;
    }
  };

  it.each<unknown>([
    '2026-10-01 06:00:00.000', '1999-12-31 23:59:59.999', '2026-10-01T06:00:00.000Z', '2026-10-01 06:00:00', '2026-10-01 06:00:00.0001',
    '2026-10-01 06:00:00.000\n', '2026-1a-01 06:00:00.000', '2026-10-01 06:00:00,000', '２０２６-10-01 06:00:00.000', new Date('2026-10-01T06:00:00.123Z'),
    '2026-10-01 06:00:00.000+02:00', '9999-99-99 99:99:99.999',
  ])('writes exactly what isoTime(%p) gives, or fails as it does', (value) => {
    const w = new ChunkWriter(5);
    expect(outcome(() => {
      writeIsoTime(w, value);
      return drained(w).toString('utf8');
    })).toBe(outcome(() => isoTime(value)));
  });
});
