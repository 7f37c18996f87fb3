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

/** Parses one JSON value from `chunks` (UTF-8 bytes), refusing it as soon as it crosses a limit. */
export async function parseBoundedJson(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, limits: JsonLimits, names: LimitNames): Promise<unknown> {
  const tooLong = (what: string, where = '') =>
    new JsonLimitError('JSON_STRING_TOO_LONG', `the snapshot has a ${what} longer than ${limits.maxStringChars} characters${where} (${names.maxStringChars})`);
  // Partial tokens let a long string be refused while it is still arriving, not once it is whole.
  const tokenizer = new DigitCountingTokenizer(limits.maxStringChars, () => tooLong('number'));
  const parser = new TokenParser({ paths: ['$'] });
  let root: { value: unknown } | null = null;
  let depth = 0;
  let elements = 0;
  parser.onValue = ({ value, stack, partial }) => {
    if (!partial && stack.length === 0) root = { value };
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
    }
    parser.write(info);
  };

  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) {
        throw new JsonLimitError('SNAPSHOT_TOO_LARGE', `the snapshot is larger than ${Math.round(limits.maxBytes / 1_048_576)} MB uncompressed (${names.maxBytes})`);
      }
      tokenizer.write(chunk);
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

