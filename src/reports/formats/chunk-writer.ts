const EMPTY = Buffer.alloc(0);

/** Spare buffers kept for reuse at most: what a socket has in flight at once, a few times over. */
const MAX_SPARE = 8;

/**
 * Text appended as UTF-8 straight into buffers of about `size` bytes, each handed over once full. For an export
 * that writes a million lines of a few hundred bytes: built as a JavaScript string and converted per 64 KB, a line
 * was made three times (the pieces, the flattened string, its UTF-8), and that conversion was a quarter of the
 * CSV's formatting time. Cells many lines share are encoded once (`bytes`), the rest are copied in as they come.
 * The bytes are exactly Buffer.from(text, 'utf8') of the same text appended in the same order (lone surrogates
 * too: they go through Buffer's own encoder); where one buffer ends and the next begins does not follow lines.
 *
 * A buffer handed over can be given back (reuse) once its reader is done with it, e.g. when the socket has sent it:
 * with nothing else to collect, V8 let tens of MB of sent 64 KB buffers wait for a collection (server peak RSS 22 MB
 * higher, 2.5 times the page faults on MariaDB), and new buffers cost fresh pages.
 */
export class ChunkWriter {
  private buffer: Buffer;
  private at = 0;
  private readonly full: Buffer[] = [];
  /** The memory of the buffers handed over and not given back; only these are taken back, each once. */
  private readonly issued = new WeakSet<ArrayBuffer>();
  private readonly spare: Buffer[] = [];

  constructor(private readonly size = 64 * 1024) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, not ${size}`);
    this.buffer = EMPTY;
  }

  /** Buffers filled since last taken, in order; the writer never touches them again. */
  take(): Buffer[] {
    return this.full.splice(0);
  }

  /** Whether take() has anything. */
  get ready(): boolean {
    return this.full.length > 0;
  }

  /** Hands over what is written, full or not (at the end). */
  end(): Buffer[] {
    this.seal();
    return this.take();
  }

  /**
   * Gives back a buffer take() or end() handed over, for the writer to fill again: the caller must not read it after
   * (a socket's write callback is the time). Anything else, or a buffer given back twice, is ignored.
   */
  reuse(chunk: Buffer): void {
    const memory = chunk.buffer as ArrayBuffer;
    if (!this.issued.has(memory) || memory.byteLength !== this.size) return;
    this.issued.delete(memory);
    if (this.spare.length < MAX_SPARE) this.spare.push(Buffer.from(memory, 0, memory.byteLength));
  }

  /** Already encoded bytes. */
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buffer.set(b, this.at);
    this.at += b.length;
  }

  /** One byte below 0x80 (a separator). */
  ascii(code: number): void {
    this.room(1);
    this.buffer[this.at++] = code;
  }

  /** A string as UTF-8. ASCII (ids, times, enum names: nearly everything) is copied a code unit at a time. */
  text(s: string): void {
    const n = s.length;
    this.room(n);
    const buffer = this.buffer;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // Not ASCII: what was copied is left behind (the position has not moved) and Buffer's encoder writes it all.
        this.room(Buffer.byteLength(s, 'utf8'));
        this.at += this.buffer.write(s, this.at, 'utf8');
        return;
      }
      buffer[at++] = c;
    }
    this.at = at;
  }

  /**
   * Makes room for `n` more bytes, handing over the current buffer if they do not fit; a buffer is begun as large as
   * `n` when that is more than `size`. Callers that write the bytes themselves (`buffer`, `position`, `advance`).
   */
  room(n: number): void {
    if (this.at + n <= this.buffer.length) return;
    this.seal();
    // Never from Buffer's shared pool: a buffer is known, and given back, by its own memory (Node 24 pools
    // allocations under 32 KB, so a smaller chunk would share its memory with unrelated buffers).
    this.buffer = (n <= this.size && this.spare.pop()) || Buffer.allocUnsafeSlow(Math.max(this.size, n));
  }

  /** The buffer written into; valid until the next room(). */
  get target(): Buffer {
    return this.buffer;
  }

  get position(): number {
    return this.at;
  }

  /** Moves past `n` bytes the caller wrote at `position` (after room(n)). */
  advance(n: number): void {
    this.at += n;
  }

  private seal(): void {
    if (this.at > 0) {
      this.full.push(this.buffer.subarray(0, this.at));
      // Only a buffer of its own memory: one the pool shares with others (a small allocUnsafe) is never given back.
      if (this.buffer.byteOffset === 0 && this.buffer.length === this.buffer.buffer.byteLength) this.issued.add(this.buffer.buffer as ArrayBuffer);
    }
    this.buffer = EMPTY;
    this.at = 0;
  }
}
