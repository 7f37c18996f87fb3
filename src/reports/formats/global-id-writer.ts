import { toGlobalId } from '../../graphql/types/global-id';
import { ChunkWriter } from './chunk-writer';

const BASE64URL = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 'latin1');

/**
 * toGlobalId for one type, row after row: the "<Type>:" prefix is written once into a scratch buffer and each key
 * after it, so an id costs one base64url encoding and no Buffer of its own (a report writes three ids a row, a
 * million rows). Gives exactly toGlobalId's text; a key too long for the scratch buffer goes through toGlobalId.
 */
export class GlobalIdWriter {
  private readonly scratch = Buffer.alloc(256);
  private readonly prefixBytes: number;

  constructor(private readonly type: string) {
    this.prefixBytes = this.scratch.write(`${type}:`, 0, 'utf8');
    if (this.prefixBytes !== Buffer.byteLength(`${type}:`, 'utf8')) throw new Error(`type name too long: ${type}`);
  }

  of(key: string): string {
    // A UTF-16 unit is at most 3 bytes of UTF-8: a key that might not fit is never cut short.
    if (this.prefixBytes + key.length * 3 > this.scratch.length) return toGlobalId(this.type, key);
    const end = this.prefixBytes + this.scratch.write(key, this.prefixBytes, 'utf8');
    return this.scratch.toString('base64url', 0, end);
  }

  /**
   * The same text written into `out` as bytes, encoded here: per row, a string made by Buffer's encoder and then
   * copied again cost more than the encoding. An ASCII key (every id patchgraph makes) is read a code unit at a time;
   * any other goes through of().
   */
  into(out: ChunkWriter, key: string): void {
    const scratch = this.scratch;
    const length = key.length;
    let n = this.prefixBytes;
    if (n + length > scratch.length) return out.text(this.of(key));
    for (let i = 0; i < length; i++) {
      const c = key.charCodeAt(i);
      if (c >= 0x80) return out.text(this.of(key));
      scratch[n++] = c;
    }
    // Unpadded base64url: four characters per three bytes, and two or three for the one or two bytes left over.
    out.room(Math.ceil((n * 4) / 3));
    const target = out.target;
    const start = out.position;
    let at = start;
    let i = 0;
    for (; i + 2 < n; i += 3) {
      const v = (scratch[i] << 16) | (scratch[i + 1] << 8) | scratch[i + 2];
      target[at++] = BASE64URL[v >> 18];
      target[at++] = BASE64URL[(v >> 12) & 63];
      target[at++] = BASE64URL[(v >> 6) & 63];
      target[at++] = BASE64URL[v & 63];
    }
    if (n - i === 1) {
      const v = scratch[i] << 16;
      target[at++] = BASE64URL[v >> 18];
      target[at++] = BASE64URL[(v >> 12) & 63];
    } else if (n - i === 2) {
      const v = (scratch[i] << 16) | (scratch[i + 1] << 8);
      target[at++] = BASE64URL[v >> 18];
      target[at++] = BASE64URL[(v >> 12) & 63];
      target[at++] = BASE64URL[(v >> 6) & 63];
    }
    out.advance(at - start);
  }
}
