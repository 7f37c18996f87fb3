/**
 * JSON parsed as it streams in, under limits checked token by token. JSON.parse needs the whole text first and
 * builds the whole value without a bound: a 483 KB gzip of `[0,0,…]` inflates to a string and an array that make
 * V8 abort the process (a fatal error no try/catch sees), taking every tenant down with it. Here the text is never
 * held whole, and a document that would exceed a limit is refused at the token that crosses it.
 */
import { TokenParser, Tokenizer, TokenType } from '@streamparser/json';

export interface JsonLimits {
  /** Bytes of JSON text read, whitespace included. */
  maxBytes: number;
  /** Nesting of arrays and objects. */
  maxDepth: number;
  /** Values of every kind (containers, strings, numbers, literals) and object keys: what the parsed value holds. */
  maxElements: number;
  /** Characters of one string or key, and digits of one number. */
  maxStringChars: number;
}

export type JsonLimitCode = 'SNAPSHOT_TOO_LARGE' | 'JSON_TOO_DEEP' | 'JSON_TOO_MANY_ELEMENTS' | 'JSON_STRING_TOO_LONG';

/** The document crossed a limit; the message names the setting that sets it. */
export class JsonLimitError extends Error {
  constructor(
    readonly code: JsonLimitCode,
    message: string,
  ) {
    super(message);
  }
}

/** The text is not one complete JSON value. */
export class JsonSyntaxError extends Error {}

const ELEMENT_TOKENS = new Set<TokenType>([TokenType.STRING, TokenType.NUMBER, TokenType.TRUE, TokenType.FALSE, TokenType.NULL, TokenType.LEFT_BRACE, TokenType.LEFT_BRACKET]);

export interface LimitNames {
  maxBytes: string;
  maxDepth: string;
  maxElements: string;
  maxStringChars: string;
}

/**
 * Takes the elements of one array of the document as they are parsed, so that the parsed value never holds them one
 * JavaScript value each: a WSUS snapshot's 1.76 million installation rows at 20,000 computers were 150 MB of arrays.
 */
export interface ArrayCollector {
  /** One element, complete and within every limit; `index` is its place in the array. */
  add(element: unknown, index: number): void;
  /** `add` keeps nothing of an element (UploadArrayCollector.borrowsRows): a scanned array row is lent, not copied. */
  readonly borrowsRows?: boolean;
  /** What the parsed value holds in the array's place once it has closed. */
  finish(): unknown;
}

/**
 * Collected arrays by their path from the root, member names joined by dots ("$.rows.installations"). A value found
 * there that is not an array is kept as parsed, for the reader's check to refuse as it would have.
 */
export type ArrayCollectors = Readonly<Record<string, () => ArrayCollector>>;

/** Parses one JSON value from `chunks` (UTF-8 bytes), refusing it as soon as it crosses a limit. */
export async function parseBoundedJson(
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  limits: JsonLimits,
  names: LimitNames,
  collectors: ArrayCollectors = {},
): Promise<unknown> {
  const tooLong = (what: string, where = '') =>
    new JsonLimitError('JSON_STRING_TOO_LONG', `the snapshot has a ${what} longer than ${limits.maxStringChars} characters${where} (${names.maxStringChars})`);
  // Partial tokens let a long string be refused while it is still arriving, not once it is whole.
  const tokenizer = new DigitCountingTokenizer(limits.maxStringChars, () => tooLong('number'));
  const paths = Object.keys(collectors);
  // Only the root, the collected arrays and their elements are announced: every other value is left to the parser.
  const parser = new TokenParser({ paths: ['$', ...paths.flatMap((path) => [path, `${path}.*`])] });
  let root: { value: unknown } | null = null;
  const collection = arrayCollection(collectors);
  const collect = collection.collect;
  const intern = stringInterner();
  let depth = 0;
  let elements = 0;
  parser.onValue = ({ value, key, parent, stack, partial }) => {
    if (partial) return;
    if (stack.length === 0) root = { value };
    else collect(value, key, parent, stack);
  };
  tokenizer.onToken = (info) => {
    const { token, value, partial } = info;
    if (token === TokenType.STRING && typeof value === 'string' && value.length > limits.maxStringChars) throw tooLong('string', `, at byte ${info.offset}`);
    if (partial) return;
    if (ELEMENT_TOKENS.has(token) && ++elements > limits.maxElements) {
      throw new JsonLimitError('JSON_TOO_MANY_ELEMENTS', `the snapshot has more than ${limits.maxElements} JSON values and keys (${names.maxElements})`);
    }
    if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) {
      depth++;
      if (depth > limits.maxDepth) {
        throw new JsonLimitError('JSON_TOO_DEEP', `the snapshot nests arrays or objects more than ${limits.maxDepth} deep, at byte ${info.offset} (${names.maxDepth})`);
      }
    } else if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) {
      depth--;
    } else if (token === TokenType.STRING) {
      info.value = intern(info.value as string);
    }
    parser.write(info);
    if (token === TokenType.RIGHT_BRACKET) compactClosedArray(parser);
  };

  const fast = rowScanner(limits, intern);
  /** The tokenizer's offset (the start of its last token) before the last slice it was given (see feed). */
  let offsetBeforeSlice = Number.NaN;
  /**
   * Inside a collected array, the rows between the tokenizer's tokens are read by rowScanner wherever the tokenizer
   * and the parser stand just after a complete row; everything it does not take is the tokenizer's, handed over up to
   * the next "]" or "}" so that the scanner can take over again after the row that puzzled it.
   */
  const feed = (chunk: Buffer): void => {
    let at = 0;
    while (at < chunk.length) {
      const filling = collection.filling();
      if (filling && betweenRows(tokenizer, parser, filling.array)) {
        const place = parser as unknown as ParserArrayPlace;
        const scanned = fast.scan(chunk, at, depth, elements, place.key, filling.collector);
        if (scanned.end > at) {
          // The bytes the scanner read count as the tokenizer's: in token offsets, and in the stream's length, which
          // its syntax errors' "absolute position" is counted from.
          const counts = tokenizer as unknown as { offset: number; streamByteLength: number };
          counts.offset += scanned.end - at;
          counts.streamByteLength += scanned.end - at;
          place.key += scanned.rows;
          place.memberCount += scanned.rows;
          elements += scanned.elements;
          at = scanned.end;
          if (at >= chunk.length) break;
        }
      }
      let end = chunk.length;
      const reading = tokenizer as unknown as { state: number; offset: number };
      // A whole slice went by inside one token (a long string) when no token was completed in the last slice.
      const inLongToken = reading.state !== TOKENIZER_STATE_START && reading.offset === offsetBeforeSlice;
      if (!filling && !inLongToken) {
        // Outside the collected arrays, a slice at a time: the next collected array's first row ends in one of them,
        // and the scanner takes over there instead of after the rest of the chunk (up to 256 KB of its rows). A long
        // token gets the rest of the chunk: each write of a token's part re-decodes all of it so far, for the
        // limit's check.
        end = Math.min(chunk.length, at + TOKENIZER_SLICE_BYTES);
        offsetBeforeSlice = reading.offset;
      } else if (filling) {
        // Up to the end of a row, array or object, where the scanner may take over again.
        const bracket = chunk.indexOf(0x5d, at);
        const brace = chunk.indexOf(0x7d, at);
        const close = bracket < 0 ? brace : brace < 0 ? bracket : Math.min(bracket, brace);
        if (close >= 0) end = close + 1;
      }
      tokenizer.write(at === 0 && end === chunk.length ? chunk : chunk.subarray(at, end));
      at = end;
    }
  };

  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) {
        throw new JsonLimitError('SNAPSHOT_TOO_LARGE', `the snapshot is larger than ${Math.round(limits.maxBytes / 1_048_576)} MB uncompressed (${names.maxBytes})`);
      }
      feed(chunk);
    }
    tokenizer.end();
  } catch (err) {
    if (err instanceof JsonLimitError) throw err;
    // Anything the tokenizer or parser refused, or a decompression error surfacing through `chunks`.
    if (isSyntaxError(err)) throw new JsonSyntaxError((err as Error).message.slice(0, 200));
    throw err;
  }
  const parsed = root as { value: unknown } | null;
  if (!parsed) throw new JsonSyntaxError('the text ends before its JSON value is complete');
  return parsed.value;
}

type ParserFrame = { key?: string | number };

/**
 * What the parser announces at a collected path: an element goes to its array's collector and is taken out of the
 * array at once (as the parser's own keepStack: false does, by shortening it), and the array, once closed, is
 * replaced by what its collector made. A path is worked out only for an array's first element and its close.
 */
function arrayCollection(collectors: ArrayCollectors) {
  const pathOf = (stack: readonly ParserFrame[]) => stack.slice(1).reduce((path, frame) => `${path}.${String(frame.key)}`, '$');
  let filling: { array: unknown[]; collector: ArrayCollector } | null = null;
  const collect = (value: unknown, key: string | number | undefined, parent: unknown, stack: readonly ParserFrame[]): void => {
    if (!Array.isArray(parent) || typeof key !== 'number') {
      const factory = collectors[`${pathOf(stack)}.${String(key)}`];
      if (!factory || !Array.isArray(value) || parent === null || typeof parent !== 'object') return;
      const collector = filling?.array === value ? filling.collector : factory();
      filling = null;
      (parent as Record<string, unknown>)[key as string] = collector.finish();
      return;
    }
    if (filling?.array !== parent) {
      const factory = collectors[pathOf(stack)];
      if (!factory) return;
      filling = { array: parent, collector: factory() };
    }
    filling.collector.add(value, key);
    parent.length -= 1;
  };
  /** The collected array being filled, once its first element has come. */
  return { collect, filling: () => filling };
}

/** The parser's and tokenizer's own state, read to know when the text stands just after a row (see betweenRows). */
interface ParserArrayPlace {
  value: unknown;
  key: number;
  memberCount: number;
  mode: number;
  state: number;
}
const PARSER_MODE_ARRAY = 1;
const PARSER_STATE_COMMA = 3;
const TOKENIZER_STATE_START = 0;
/** Bytes the tokenizer is handed at a time between tokens outside the collected arrays (see feed). */
const TOKENIZER_SLICE_BYTES = 4_096;

/**
 * The text stands just after an element of the collected array: the tokenizer holds no part of a token and the
 * parser, in that array, expects "," or "]". From here a ", [ … ]" read by rowScanner leaves both where they were.
 * (These are the library's own fields; the equivalence test in test/unit fails if a new version keeps them elsewhere.)
 */
function betweenRows(tokenizer: Tokenizer, parser: TokenParser, array: unknown[]): boolean {
  const place = parser as unknown as ParserArrayPlace;
  return (
    (tokenizer as unknown as { state: number }).state === TOKENIZER_STATE_START &&
    place.value === array &&
    place.mode === PARSER_MODE_ARRAY &&
    place.state === PARSER_STATE_COMMA &&
    typeof place.key === 'number'
  );
}

/** Node's own Buffer method, without toString's checks of its arguments: the scanner has made sure of them. */
type LatinSlicing = Buffer & { latin1Slice(start: number, end: number): string };

/** Digits (with the sign) of a number the scanner reads itself; longer ones may not be exact in a double, so the tokenizer reads them. */
const SCANNED_NUMBER_MAX_CHARS = 15;

/**
 * Reads a collected array's rows, the bulk of a WSUS snapshot (", [\"<guid>\", \"<guid>\", 3]" 365,000 times at
 * 2,000 × 300), straight from the bytes to the collector: the generic tokenizer spent a callback, a token object and a
 * decoded string on every value. It reads only rows it is sure of — flat arrays of integers and strings, and flat
 * objects whose members are integers, strings, true, false or null (a WSUS computer, a group membership), the
 * strings printable ASCII without escapes, whole within the chunk, within every limit — and stops before the first
 * row that is anything else, for the tokenizer to read (and refuse, with its own error at its own byte) exactly as it
 * would have.
 */
function rowScanner(limits: JsonLimits, intern: (value: string) => string) {
  const row: unknown[] = [];
  const recent = recentStrings(intern);
  const result = { end: 0, rows: 0, elements: 0 };
  const maxChars = limits.maxStringChars;
  /** The value the last readString or readValue read. */
  let value: unknown;

  /** Reads the string whose text starts at `from` into `value`: the index after its closing quote, or -1 to leave it. */
  const readString = (chunk: Buffer, from: number, column: number): number => {
    const n = chunk.length;
    const expected = recent.expected(column, chunk, from);
    if (expected !== undefined) {
      value = expected;
      return from + expected.length + 1;
    }
    let i = from;
    let c = 0;
    let hash = FNV_OFFSET;
    while (i < n && (c = chunk[i]) >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) {
      hash = Math.imul(hash ^ c, FNV_PRIME);
      i++;
    }
    if (i >= n || c !== 0x22 || i - from > maxChars) return -1;
    value = recent.string(chunk, from, i, hash, column);
    return i + 1;
  };

  /** Reads the integer at `from` into `value`: the index after it, or -1 to leave it (a fraction, an exponent, too long). */
  const readInteger = (chunk: Buffer, from: number): number => {
    const n = chunk.length;
    let i = from;
    let c = chunk[i];
    const negative = c === 0x2d;
    if (negative) i++;
    const digitsFrom = i;
    let integer = 0;
    while (i < n && (c = chunk[i]) >= 0x30 && c <= 0x39) {
      integer = integer * 10 + (c - 0x30);
      i++;
    }
    const digits = i - digitsFrom;
    if (i >= n || digits === 0 || (digits > 1 && chunk[digitsFrom] === 0x30) || i - from > SCANNED_NUMBER_MAX_CHARS || i - from > maxChars) return -1;
    // A fraction or an exponent is the tokenizer's to read.
    if (c === 0x2e || c === 0x65 || c === 0x45) return -1;
    value = negative ? -integer : integer;
    return i;
  };

  /** Reads a string, an integer or (where `literals`) true, false or null at `at` into `value`; -1 to leave it. */
  const readValue = (chunk: Buffer, at: number, column: number, literals: boolean): number => {
    const c = chunk[at];
    if (c === 0x22) return readString(chunk, at + 1, column);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return readInteger(chunk, at);
    if (!literals) return -1;
    for (const [bytes, literal] of LITERALS) {
      if (c !== bytes[0] || at + bytes.length >= chunk.length) continue;
      for (let k = 1; k < bytes.length; k++) if (chunk[at + k] !== bytes[k]) return -1;
      value = literal;
      return at + bytes.length;
    }
    return -1;
  };

  const skipSpace = (chunk: Buffer, from: number): number => {
    let i = from;
    let c = 0;
    while (i < chunk.length && ((c = chunk[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
    return i;
  };

  /**
   * Reads the object row whose "{" is just before `from` into `value`, its members counted in `row.length` (keys
   * and values, as the limits count them): the index after its "}", or -1 to leave it. A "__proto__" key is left to
   * the tokenizer and the parser, which decide what it does.
   */
  const readObjectRow = (chunk: Buffer, from: number): number => {
    const object: Record<string, unknown> = {};
    row.length = 0;
    let i = skipSpace(chunk, from);
    if (i < chunk.length && chunk[i] === 0x7d) {
      value = object;
      return i + 1;
    }
    for (;;) {
      if (i >= chunk.length || chunk[i] !== 0x22 || (i = readString(chunk, i + 1, row.length)) < 0) return -1;
      const key = value as string;
      if (key === '__proto__') return -1;
      i = skipSpace(chunk, i);
      if (i >= chunk.length || chunk[i] !== 0x3a) return -1;
      i = skipSpace(chunk, i + 1);
      if (i >= chunk.length || (i = readValue(chunk, i, row.length + 1, true)) < 0) return -1;
      object[key] = value;
      row.push(key, value);
      i = skipSpace(chunk, i);
      if (i >= chunk.length) return -1;
      if (chunk[i] === 0x7d) {
        value = object;
        return i + 1;
      }
      if (chunk[i] !== 0x2c) return -1;
      i = skipSpace(chunk, i + 1);
    }
  };

  return {
    scan(chunk: Buffer, start: number, depth: number, elementsSoFar: number, lastKey: number, collector: ArrayCollector): typeof result {
      result.end = start;
      result.rows = 0;
      result.elements = 0;
      if (depth + 1 > limits.maxDepth) return result;
      const n = chunk.length;
      let elements = elementsSoFar;
      for (;;) {
        let i = result.end;
        let c = 0;
        while (i < n && ((c = chunk[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
        if (i >= n || c !== 0x2c) return result;
        i++;
        while (i < n && ((c = chunk[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
        if (i >= n || (c !== 0x5b && c !== 0x7b)) return result;
        i++;
        row.length = 0;
        recent.startRow();
        let element: unknown;
        if (c === 0x7b) {
          i = readObjectRow(chunk, i);
          if (i < 0) return result;
          element = value;
        } else {
          // The array rows, the bulk, keep their punctuation and spaces inline: through readValue and skipSpace their
          // parse was about 8 % slower (2,000 × 300 in-process, fastest of ten); the values' own readers cost nothing.
          for (;;) {
            while (i < n && ((c = chunk[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
            if (i >= n) return result;
            if (c === 0x5d && row.length === 0) {
              i++;
              break;
            }
            if (c === 0x22) {
              i = readString(chunk, i + 1, row.length);
              if (i < 0) return result;
              row.push(value);
            } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
              i = readInteger(chunk, i);
              if (i < 0) return result;
              row.push(value);
            } else {
              return result;
            }
            while (i < n && ((c = chunk[i]) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
            if (i >= n) return result;
            if (c === 0x5d) {
              i++;
              break;
            }
            if (c !== 0x2c) return result;
            i++;
          }
          element = collector.borrowsRows ? row : row.slice();
        }
        // The row and its values (and keys), counted as the tokenizer's path counts them; one over the limit is its to refuse.
        if (elements + 1 + row.length > limits.maxElements) return result;
        elements += 1 + row.length;
        collector.add(element, lastKey + result.rows + 1);
        result.rows++;
        result.elements += 1 + row.length;
        result.end = i;
      }
    },
  };
}

/** The literals an object row's member may be, as bytes. */
const LITERALS: ReadonlyArray<readonly [Buffer, boolean | null]> = [
  [Buffer.from('true'), true],
  [Buffer.from('false'), false],
  [Buffer.from('null'), null],
];

/** FNV-1a over a string's bytes, which the scanner reads one by one anyway. */
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16_777_619;

/** Slots of the scanner's recent strings: a fleet's updates and the computer at hand fit with room to spare. */
const RECENT_SLOTS = 4_096;

/** Places in a row whose strings the scanner predicts: a WSUS row's computer and update, with room to spare. */
const PREDICTED_COLUMNS = 4;

/**
 * The strings the row scanner read lately, by the hash of their bytes. A row's two ids are nearly always ones read a
 * row or a few hundred rows before (the computer at hand, the fleet's updates), and finding them by their bytes spares
 * making a new string of 36 characters and hashing it again in the interner, twice a row. A slot holds one string;
 * a hash that matches is confirmed byte by byte, so a collision only costs the slower path.
 *
 * Before hashing, the string that followed, at the same place in the row, the one read there in the row before is
 * tried: the computer repeats its own id for some hundreds of rows, and each computer's updates come in the order the
 * last one's came. Confirming that guess is one comparison a byte, against hashing and then comparing: a row's two
 * ids are about 80 % of the scanner's bytes. A guess is taken only if its every byte and the closing quote are
 * there, and it was read and checked by the slower path when it was kept, so a wrong guess only costs the hashing.
 */
function recentStrings(intern: (value: string) => string) {
  const hashes = new Int32Array(RECENT_SLOTS);
  const strings: Array<string | undefined> = new Array(RECENT_SLOTS).fill(undefined);
  /** By (slot, place): the slot of the string read at that place in the row after the one where the slot's string was. */
  const follows = new Int32Array(RECENT_SLOTS * PREDICTED_COLUMNS).fill(-1);
  /** Slots read at each place of the row before and of this row; -1 where it held no kept string. */
  let before = new Int32Array(PREDICTED_COLUMNS).fill(-1);
  let current = new Int32Array(PREDICTED_COLUMNS).fill(-1);
  /**
   * Each kept string's bytes as little-endian 32-bit words, its last 0-3 bytes left out: a row's two ids are compared
   * four bytes a step through a view of the chunk (about 75 ms of a 2,000 × 300 re-post's parse, a byte a step).
   */
  const words: Array<Int32Array | undefined> = new Array(RECENT_SLOTS).fill(undefined);
  let viewed: Buffer | undefined;
  let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  const sameBytes = (slot: number, text: string, chunk: Buffer, from: number, to: number): boolean => {
    const n = text.length;
    if (n !== to - from) return false;
    if (chunk !== viewed) {
      viewed = chunk;
      view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    const whole = n & ~3;
    const textWords = words[slot]!;
    for (let k = 0; k < whole; k += 4) if (view.getInt32(from + k, true) !== textWords[k >> 2]) return false;
    for (let k = whole; k < n; k++) if (text.charCodeAt(k) !== chunk[from + k]) return false;
    return true;
  };
  return {
    /** A new row begins: the one just read becomes the row before. */
    startRow(): void {
      const swap = before;
      before = current;
      current = swap.fill(-1);
    },
    /** The guessed string for `column` if `chunk` holds it, with its closing quote, from `from`. */
    expected(column: number, chunk: Buffer, from: number): string | undefined {
      if (column >= PREDICTED_COLUMNS) return undefined;
      const previous = before[column];
      if (previous < 0) return undefined;
      const slot = follows[previous * PREDICTED_COLUMNS + column];
      if (slot < 0) return undefined;
      const text = strings[slot]!;
      const end = from + text.length;
      if (end >= chunk.length || chunk[end] !== 0x22 || !sameBytes(slot, text, chunk, from, end)) return undefined;
      current[column] = slot;
      return text;
    },
    /** The string of `chunk`'s printable ASCII bytes from `from` to `to`, interned; `hash` is FNV-1a over them. */
    string(chunk: Buffer, from: number, to: number, hash: number, column: number): string {
      const slot = hash & (RECENT_SLOTS - 1);
      let text = strings[slot];
      if (text === undefined || hashes[slot] !== hash || !sameBytes(slot, text, chunk, from, to)) {
        text = intern((chunk as LatinSlicing).latin1Slice(from, to));
        if (to - from > INTERNED_MAX_CHARS) return text;
        strings[slot] = text;
        hashes[slot] = hash;
        words[slot] = wordsOf(chunk, from, to);
      }
      if (column < PREDICTED_COLUMNS) {
        current[column] = slot;
        const previous = before[column];
        if (previous >= 0) follows[previous * PREDICTED_COLUMNS + column] = slot;
      }
      return text;
    },
  };
}

/** The bytes from `from` to `to` as little-endian 32-bit words, the last 0-3 bytes left out (see recentStrings). */
function wordsOf(chunk: Buffer, from: number, to: number): Int32Array {
  const out = new Int32Array((to - from) >> 2);
  for (let k = 0; k < out.length; k++) {
    const at = from + 4 * k;
    out[k] = chunk[at] | (chunk[at + 1] << 8) | (chunk[at + 2] << 16) | (chunk[at + 3] << 24);
  }
  return out;
}

/** Strings up to this long are interned: ids, codes, dates; a title or a name seldom repeats. */
const INTERNED_MAX_CHARS = 64;
/** Distinct strings the interner holds before it starts afresh, so a document of unique strings costs it a bounded table. */
const INTERNED_MAX_STRINGS = 16_384;

/**
 * One string for each repeated short value. A snapshot names the same ids over and over (a WSUS upload names each of
 * its computers and updates once per installation row, 730,000 GUIDs for 2,300 distinct ones at 2,000 × 300), and the
 * parser would otherwise allocate a new string for every occurrence and keep them all in the parsed value. The table
 * is started afresh when full rather than grown: the ids that repeat come back into it at once, and a document of
 * unique strings (which gains nothing) never makes it larger than INTERNED_MAX_STRINGS. The collector sends the
 * installation rows ordered by computer, so the ids in use at any time are one computer's and the updates': a fleet
 * of 20,000 computers needs no larger a table.
 */
function stringInterner(): (value: string) => string {
  let seen = new Map<string, string>();
  return (value) => {
    if (value.length > INTERNED_MAX_CHARS) return value;
    const known = seen.get(value);
    if (known !== undefined) return known;
    if (seen.size >= INTERNED_MAX_STRINGS) seen = new Map();
    seen.set(value, value);
    return value;
  };
}

/** Arrays up to this long are copied to their exact size when they close; a longer one has little slack to gain. */
const COMPACTED_MAX_LENGTH = 16;

/** The parser's place in the value it builds: the container being filled and the key of its latest member. */
interface ParserPlace {
  value: unknown;
  key: string | number | undefined;
}

/**
 * The parser builds each array by pushing onto [], and V8 gives an array its first push room for 17 elements: a
 * WSUS installation row, a [computer, update, state] triple, took 184 bytes where its 3 elements need 72, and a
 * 2,000 × 300 snapshot has 365,000 of them (39 MB of empty slots; through the route they are now collected as
 * columns instead, but short arrays elsewhere still gain). A short array is replaced by an exact copy once
 * it is closed: after the parser's write of "]", its place is the parent again, whose latest member is that array.
 * (The place is the parser's own state, read through ParserPlace: the parsed-value test in test/unit fails if a
 * new version of the parser keeps it elsewhere.)
 */
function compactClosedArray(parser: TokenParser): void {
  const { value: parent, key } = parser as unknown as ParserPlace;
  if (parent === null || typeof parent !== 'object' || key === undefined) return;
  const closed = (parent as Record<string | number, unknown>)[key];
  if (!Array.isArray(closed) || closed.length > COMPACTED_MAX_LENGTH) return;
  (parent as Record<string | number, unknown>)[key] = closed.slice();
}

/** A number's value is no witness of its length (a million zeros parse to 0): its digits are counted instead. */
class DigitCountingTokenizer extends Tokenizer {
  constructor(
    private readonly maxChars: number,
    private readonly refuse: () => Error,
  ) {
    super({ emitPartialTokens: true });
  }

  protected override parseNumber(digits: string): number {
    if (digits.length > this.maxChars) throw this.refuse();
    return super.parseNumber(digits);
  }
}

function isSyntaxError(err: unknown): boolean {
  const name = (err as Error)?.constructor?.name;
  return name === 'TokenizerError' || name === 'TokenParserError';
}

