/**
 * The collected rows are read by a scanner of their own where the text allows it (a whole row in one chunk, of the
 * shape it knows) and by the generic tokenizer elsewhere. Handed over one byte at a time, no row is ever whole in a
 * chunk, so every row takes the tokenizer's path: each document here must give the same value, the same rows at the
 * same places, or the same refusal (class, code and message), whichever way it is cut.
 */
import { Tokenizer } from '@streamparser/json';
import { ArrayCollector, JsonLimitError, JsonLimits, parseBoundedJson } from '../../src/server/bounded-json';

const NAMES = { maxBytes: 'B', maxDepth: 'D', maxElements: 'E', maxStringChars: 'S' };
const GUID_A = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const GUID_B = 'AABBCCDD-0000-1111-2222-333344445555';

function collectors() {
  const seen: Array<[unknown, number]> = [];
  const factory = (): ArrayCollector => ({
    add: (element, index) => void seen.push([element, index]),
    finish: () => ({ collected: seen.length }),
  });
  return { seen, collectors: { '$.rows.installations': factory, '$.rows.computers': factory } };
}

/**
 * Cut in chunks of `chunkBytes`, or (AFTER_FIRST_ROW) in two: up to the end of the collected array's first row (ROWS[0]
 * or OBJECT_ROWS[0]), and the rest. The parser reads a chunk whole until the array's first row has come, so a document
 * in one chunk never meets the scanner; cut there, every later row whole in the second chunk is the scanner's.
 */
async function outcome(text: string, chunkBytes: number | typeof AFTER_FIRST_ROW, limits: JsonLimits): Promise<unknown> {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  if (chunkBytes === AFTER_FIRST_ROW) {
    const cut = cutAfterFirstRow(text);
    chunks.push(bytes.subarray(0, cut), bytes.subarray(cut));
  } else {
    for (let at = 0; at < bytes.length; at += chunkBytes) chunks.push(bytes.subarray(at, at + chunkBytes));
  }
  const { seen, collectors: c } = collectors();
  try {
    const value = await parseBoundedJson(chunks, limits, NAMES, c);
    const negativeZeros = seen.map(([element]) => (Array.isArray(element) ? element.filter((v) => Object.is(v, -0)).length : 0));
    return { value, seen, negativeZeros };
  } catch (err) {
    // A syntax error's "chunk position" is where the cut fell, whichever path read it; the absolute position is kept.
    const message = (err as Error).message.replace(/at chunk position "\d+" /, '');
    return { error: (err as Error).constructor.name, code: (err as JsonLimitError).code, message, seen: seen.length };
  }
}

const AFTER_FIRST_ROW = 'after the first row';

function cutAfterFirstRow(text: string): number {
  for (const [key, first] of [['"installations":[', ROWS[0]], ['"computers":[', OBJECT_ROWS[0]]]) {
    const at = text.indexOf(key + first);
    if (at >= 0) return Buffer.byteLength(text.slice(0, at + key.length + first.length));
  }
  return Buffer.byteLength(text) >> 1;
}

const doc = (rows: string) => `{"kind":"wsus","rows":{"computers":[],"installations":${rows}},"tail":[1,2]}`;
const ROWS = [
  `["${GUID_A}","${GUID_B}",3]`,
  `[ "${GUID_B}" , "${GUID_A}" , 0 ]`,
  `["x",-0,-12,123456789012345]`,
  `[]`,
  `["${GUID_A}",\n\t"${GUID_B}",\r 2]`,
];
const HOSTILE_ROWS = [
  `["a\\"b",1]`,
  `["é",1]`,
  `["\\u0041",1]`,
  `[1.5]`,
  `[1e3]`,
  `[01]`,
  `[-]`,
  `[-01]`,
  `[true,false,null]`,
  `[[1,2],[3]]`,
  `[{"a":1}]`,
  `"${GUID_A}"`,
  `7`,
  `[1234567890123456789]`,
  `["tab\there"]`,
  `[1 2]`,
  `[1,]`,
  `[,1]`,
  `["unterminated]`,
  `[1}`,
  `["123456789","12345678"]`,
  `[123456789]`,
];
const LIMITS: JsonLimits = { maxBytes: 1_000_000, maxDepth: 10, maxElements: 10_000, maxStringChars: 40 };

/** Rows that are flat objects (a WSUS computer, a group membership), collected at $.rows.computers. */
const objectDoc = (rows: string) => `{"kind":"wsus","rows":{"computers":${rows},"installations":[]},"tail":{"a":[1]}}`;
const OBJECT_ROWS = [
  `{"ComputerTargetId":"${GUID_A}","Name":"dc01.corp.example","OSMajorVersion":10,"IPAddress":null,"Virtual":true,"Gone":false}`,
  `{ "id" : "${GUID_B}" ,\n\t"n" : -12 , "z":-0 }`,
  `{}`,
  `{ }`,
  `{"a":1,"b":"two","a":3}`,
];
const HOSTILE_OBJECT_ROWS = [
  `{"__proto__":{"polluted":1}}`,
  `{"__proto__":"x"}`,
  `{"a":{"b":1}}`,
  `{"a":[1,2]}`,
  `{"a":1.5}`,
  `{"a":2e1}`,
  `{"a":"é"}`,
  `{"a\\"b":1}`,
  `{"a":"\\u0041"}`,
  `{"a":nul}`,
  `{"a":nulls}`,
  `{"a":truex}`,
  `{"a":True}`,
  `{"a":fals}`,
  `{"a":1,}`,
  `{,"a":1}`,
  `{"a" 1}`,
  `{"a":1 "b":2}`,
  `{"a":01}`,
  `{"a":-}`,
  `{"a":1]`,
  `{a:1}`,
  `{"a":"${'x'.repeat(41)}"}`,
  `{"${'k'.repeat(41)}":1}`,
  `{"a":1234567890123456789}`,
  `["${GUID_A}",1]`,
  `"${GUID_A}"`,
];

const documents = [
  doc(`[${ROWS.join(',')}]`),
  doc(`[${[...ROWS, ...ROWS, ...ROWS].join(' , ')}]`),
  doc(`[ ]`),
  doc(`[${ROWS[0]}]`),
  ...HOSTILE_ROWS.map((bad) => doc(`[${ROWS[0]},${ROWS[1]},${bad},${ROWS[2]},${ROWS[0]}]`)),
  doc(`[${ROWS[0]},${ROWS[1]},]`),
  doc(`[${ROWS[0]} ${ROWS[1]}]`),
  doc(`[${ROWS[0]},${ROWS[1]}`),
  doc(`[${ROWS[0]},${ROWS[1]},`),
  doc(`[${ROWS[0]},${ROWS[1]}]]`),
  doc(`{"a":${ROWS[0]}}`),
  objectDoc(`[${OBJECT_ROWS.join(',')}]`),
  objectDoc(`[${[...OBJECT_ROWS, ...OBJECT_ROWS].join(' ,\n ')}]`),
  ...HOSTILE_OBJECT_ROWS.map((bad) => objectDoc(`[${OBJECT_ROWS[0]},${OBJECT_ROWS[1]},${bad},${OBJECT_ROWS[4]},${OBJECT_ROWS[0]}]`)),
  objectDoc(`[${OBJECT_ROWS[0]},${OBJECT_ROWS[1]},]`),
  objectDoc(`[${OBJECT_ROWS[0]} ${OBJECT_ROWS[1]}]`),
  objectDoc(`[${OBJECT_ROWS[0]},${OBJECT_ROWS[1]}}`),
  objectDoc(`[${OBJECT_ROWS[0]},${OBJECT_ROWS[1]}`),
];

describe('collected rows read by the scanner or by the tokenizer', () => {
  it.each(documents.map((text, i) => [i, text]))('document %i gives the same outcome in one chunk, in 1-byte and 7-byte chunks, and cut after its first row', async (_i, text) => {
    const whole = await outcome(text as string, 1 << 20, LIMITS);
    expect(await outcome(text as string, 1, LIMITS)).toEqual(whole);
    expect(await outcome(text as string, 7, LIMITS)).toEqual(whole);
    expect(await outcome(text as string, AFTER_FIRST_ROW, LIMITS)).toEqual(whole);
  });

  /** Read whole and one byte at a time (the tokenizer's path), under each limit from 1 up. */
  async function expectSameAtEveryLimit(text: string, maxElementsUpTo: number) {
    const limitsToTry = [
      ...Array.from({ length: maxElementsUpTo }, (_, i) => ({ ...LIMITS, maxElements: i + 1 })),
      ...Array.from({ length: 40 }, (_, i) => ({ ...LIMITS, maxStringChars: i + 1 })),
      ...Array.from({ length: 5 }, (_, i) => ({ ...LIMITS, maxDepth: i + 1 })),
    ];
    for (const limits of limitsToTry) {
      const tokenized = await outcome(text, 1, limits);
      expect(await outcome(text, 1 << 20, limits)).toEqual(tokenized);
      expect(await outcome(text, AFTER_FIRST_ROW, limits)).toEqual(tokenized);
    }
  }

  it('refuses at the same value and with the same words at every element limit, string length and depth', async () => {
    await expectSameAtEveryLimit(doc(`[${[...ROWS, ...ROWS].join(',')}]`), 60);
  });

  it('refuses object rows at the same value and with the same words at every element limit, string length and depth', async () => {
    await expectSameAtEveryLimit(objectDoc(`[${[...OBJECT_ROWS, ...OBJECT_ROWS].join(',')}]`), 70);
  });

  it('reads flat object rows from the bytes, leaving the tokenizer the first chunk and the rows cut by a chunk', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ ComputerTargetId: `c${String(i).padStart(7, '0')}-1111-4111-8111-111111111111`, Name: `pc${i}.corp.example`, OSMajorVersion: 10, IPAddress: i % 3 ? null : `10.0.0.${i}`, Virtual: i % 2 === 0 }));
    const text = objectDoc(JSON.stringify(rows));
    const write = jest.spyOn(Tokenizer.prototype, 'write');
    let tokenized = 0;
    try {
      // In chunks of 1 KB, as the body comes: the tokenizer takes a chunk whole until the collected array's first row.
      const read = (await outcome(text, 1_024, LIMITS)) as { seen: Array<[unknown, number]> };
      expect(read.seen).toEqual(rows.map((row, i) => [row, i]));
      for (const [chunk] of write.mock.calls) tokenized += (chunk as Buffer | string).length;
    } finally {
      write.mockRestore();
    }
    const chunks = Math.ceil(Buffer.byteLength(text) / 1_024);
    const longestRow = Math.max(...rows.map((r) => JSON.stringify(r).length));
    expect(Buffer.byteLength(text)).toBeGreaterThan(6_000);
    expect(tokenized).toBeLessThan(1_024 + chunks * (longestRow + 2) + 100);
  });

  it('takes over a collected array in the chunk where its first row ends, not after the rest of that chunk', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => ({ ComputerTargetId: `c${String(i).padStart(7, '0')}-1111-4111-8111-111111111111`, OSMajorVersion: 10 }));
    const head = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ n: i, s: 'x'.repeat(30) })));
    const text = `{"head":${head},"rows":{"computers":${JSON.stringify(rows)},"installations":[]}}`;
    const write = jest.spyOn(Tokenizer.prototype, 'write');
    let tokenized = 0;
    try {
      // The whole document in one chunk, as a 256 KB piece of an inflated upload holds the start of an array.
      const read = (await outcome(text, 1 << 20, LIMITS)) as { seen: Array<[unknown, number]> };
      expect(read.seen).toEqual(rows.map((row, i) => [row, i]));
      for (const [chunk] of write.mock.calls) tokenized += (chunk as Buffer | string).length;
    } finally {
      write.mockRestore();
    }
    // The head (outside any collected array) and up to a slice of 4 KB past the first row; before, the whole chunk.
    expect(Buffer.byteLength(text)).toBeGreaterThan(30_000);
    expect(tokenized).toBeLessThan(Buffer.byteLength(head) + 4_096 + 200);
  });

  it('reads the rows it can in one chunk as the tokenizer would, at their places', async () => {
    const text = doc(`[${[...ROWS, ...ROWS].join(',')}]`);
    const { seen, collectors: c } = collectors();
    await parseBoundedJson([Buffer.from(text)], LIMITS, NAMES, c);
    expect(seen.map(([, index]) => index)).toEqual([...Array(ROWS.length * 2).keys()]);
    expect(seen[2][0]).toEqual(['x', -0, -12, 123456789012345]);
    expect(Object.is((seen[2][0] as unknown[])[1], -0)).toBe(true);
  });
  it('tries the id that followed last time before hashing, and never takes a guess that is only part of the text or longer than it', async () => {
    const computers = Array.from({ length: 20 }, (_, c) => `c${String(c).padStart(7, '0')}-1111-4111-8111-111111111111`);
    const updates = Array.from({ length: 40 }, (_, u) => `u${String(u).padStart(7, '0')}-2222-4222-8222-222222222222`);
    const rows: Array<[string, string, number]> = [];
    for (const computer of computers) for (const update of updates) rows.push([computer, update, 3]);
    const hashedBytes = async (text: string, expected: unknown[]) => {
      const imul = jest.spyOn(Math, 'imul');
      try {
        const read = (await outcome(text, 4_096, LIMITS)) as { seen: Array<[unknown, number]> };
        expect(read.seen.map(([row]) => row)).toEqual(expected);
        return imul.mock.calls.length;
      } finally {
        imul.mockRestore();
      }
    };
    // 800 rows, 1,600 ids of 36 bytes, each hashed byte by byte before (57,600 calls); now only where a guess fails:
    // the first computer's row of each update, each computer's first row, and the rows of the first chunk (the
    // tokenizer's): 3,717.
    expect(await hashedBytes(doc(JSON.stringify(rows)), rows)).toBeLessThan(6_000);

    // Guesses that are a prefix of the text, longer than it, or equal but for one byte (in a four-byte word the
    // scanner compares at once, or in the last 0-3 bytes it compares one by one) or the closing quote: each row must
    // be read as the tokenizer reads it, one byte at a time.
    const differing = (at: number) => `${GUID_A.slice(0, at)}${GUID_A[at] === 'f' ? 'e' : 'f'}${GUID_A.slice(at + 1)}`;
    const tricky = ['abc', 'abcd', 'ab', 'abc', 'abce', 'abc', 'ab"c', 'abc\\', 'abcd', 'abc', 'abcdefgh', 'abcdefgi', 'abcdXfgh', 'abcdefgh',
      GUID_A, differing(0), GUID_A, differing(5), differing(18), GUID_A, differing(32), differing(35), GUID_A];
    const trickyRows = computers.slice(0, 6).flatMap((c, i) => tricky.map((t, k) => [i % 2 ? `${c}x` : c, tricky[(k + i) % tricky.length], k]));
    const text = doc(JSON.stringify(trickyRows));
    // The first chunk ends after the first row, so that the scanner reads every other row.
    const { seen, collectors: c } = collectors();
    const cut = Buffer.byteLength(text.slice(0, text.indexOf('],[') + 1));
    const scanned = await parseBoundedJson([Buffer.from(text).subarray(0, cut), Buffer.from(text).subarray(cut)], LIMITS, NAMES, c);
    const tokenized = (await outcome(text, 1, LIMITS)) as { value: unknown; seen: Array<[unknown, number]> };
    expect(scanned).toEqual(tokenized.value);
    expect(seen).toEqual(tokenized.seen);
    expect(seen.map(([row]) => row)).toEqual(trickyRows);
  });

  it('lends one array for every scanned row to a collector that borrows rows, and hands the others a copy each', async () => {
    const rows = Array.from({ length: 200 }, (_, r) => [GUID_A, `${GUID_B.slice(0, 32)}${String(r).padStart(4, '0')}`, r % 7]);
    const text = doc(JSON.stringify(rows));
    const cut = Buffer.byteLength(text.slice(0, text.indexOf('],[') + 1));
    const read = async (borrowsRows: boolean) => {
      const elements: unknown[] = [];
      const contents: unknown[] = [];
      const collector = (): ArrayCollector => ({ borrowsRows, add: (element) => void (elements.push(element), contents.push(structuredClone(element))), finish: () => null });
      await parseBoundedJson([Buffer.from(text).subarray(0, cut), Buffer.from(text).subarray(cut)], LIMITS, NAMES, { '$.rows.installations': collector });
      return { arrays: new Set(elements).size, contents };
    };
    const lent = await read(true);
    const copied = await read(false);
    expect(lent.contents).toEqual(rows);
    expect(copied.contents).toEqual(rows);
    // The first row is the tokenizer's (the first chunk); every row after it is scanned.
    expect(lent.arrays).toBe(2);
    expect(copied.arrays).toBe(rows.length);
  });

  it('finds a repeated id by its bytes, making its string once, and never mistakes one id for another whose bytes hash alike', async () => {
    // Ids whose FNV-1a hashes share the low 12 bits: the same slot of the scanner's recent strings.
    const fnv = (text: string) => [...Buffer.from(text, 'latin1')].reduce((h, c) => Math.imul(h ^ c, 16_777_619), 0x811c9dc5 | 0);
    const bySlot = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let n = 0; !pair; n++) {
      const id = `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
      const other = bySlot.get(fnv(id) & 4_095);
      if (other) pair = [other, id];
      else bySlot.set(fnv(id) & 4_095, id);
    }
    const computers = Array.from({ length: 20 }, (_, c) => `c${String(c).padStart(7, '0')}-1111-4111-8111-111111111111`);
    const rows: Array<[string, string, number]> = [];
    const update = (u: number) => (u < 4 ? pair![u % 2] : `u${String(u).padStart(7, '0')}-2222-4222-8222-222222222222`);
    for (const computer of computers) for (let u = 0; u < 40; u++) rows.push([computer, update(u), u % 7]);
    for (let u = 0; u < 40; u++) rows.push([pair[u % 2], `u${String(u).padStart(7, '0')}-2222-4222-8222-222222222222`, 1]);
    const text = doc(JSON.stringify(rows));
    const slice = jest.spyOn(Buffer.prototype as unknown as { latin1Slice(start: number, end: number): string }, 'latin1Slice');
    let made: number;
    let read: unknown;
    try {
      // In chunks of 4 KB, as the body comes: the tokenizer takes a chunk whole until the collected array's first row.
      read = await outcome(text, 4_096, LIMITS);
      made = slice.mock.calls.length;
    } finally {
      slice.mockRestore();
    }
    expect((read as { seen: Array<[unknown, number]> }).seen.map(([row]) => row)).toEqual(rows);
    // 840 rows, 1,680 ids, of 58 distinct: a colliding id is made again each time the other has taken its slot,
    // the rest once. Made for every id, as before, they were some 1,560 strings (the rest read by the tokenizer).
    expect(made).toBeLessThan(rows.length / 3);
  });
});
