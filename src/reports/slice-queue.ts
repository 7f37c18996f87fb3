/** What a push source of rows (mysql2's streamed query, through its connection) must let the queue do. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/**
 * Rows a driver pushes as the database sends them, handed to a reader that pulls them in slices, one slice read
 * ahead: the source is resumed as soon as the reader takes a slice, so the database sends (and the driver parses,
 * between the reader's writes) the next one while the reader works on this one; it is paused whenever a whole slice
 * waits and the reader is not already waiting for it. A slow reader thus holds the slice it took, the next one and
 * what the socket's buffers hold, never more. (Resumed only when the reader came back for more, the MariaDB export
 * waited on the database's round trip at every slice: its thread was about a third idle, docs/benchmarks.md.)
 */
export class SliceQueue {
  private readonly ready: unknown[][][] = [];
  private filling: unknown[][] = [];
  private ended = false;
  private failure: Error | null = null;
  private paused = false;
  private wake: (() => void) | null = null;

  constructor(private readonly sliceRows: number, private readonly source: Pausable) {
    if (!Number.isInteger(sliceRows) || sliceRows < 1) throw new RangeError(`slice rows must be a positive integer, not ${sliceRows}`);
  }

  /** Rows received and not yet handed over. */
  get buffered(): number {
    return this.ready.reduce((n, slice) => n + slice.length, this.filling.length);
  }

  /** Whether the source is done, at its end or failed: a reader that stops before has left it mid-result. */
  get finished(): boolean {
    return this.ended || this.failure !== null;
  }

  push(row: unknown[]): void {
    this.filling.push(row);
    if (this.filling.length < this.sliceRows) return;
    this.ready.push(this.filling);
    this.filling = [];
    if (this.wake) this.notify();
    else if (!this.paused) {
      this.paused = true;
      this.source.pause();
    }
  }

  fail(err: Error): void {
    this.failure = err;
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  /** The rows in order, a slice at a time (the last one short); the source's failure is thrown where it happened. */
  async *slices(): AsyncGenerator<unknown[][], void, undefined> {
    for (;;) {
      while (this.ready.length === 0 && !this.ended && !this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
      if (this.failure) throw this.failure;
      let slice = this.ready.shift();
      if (slice === undefined) {
        slice = this.filling;
        this.filling = [];
      }
      // Before the slice is handed over, so that the next is read while the reader works on this one.
      if (this.paused && this.ready.length === 0) {
        this.paused = false;
        this.source.resume();
      }
      if (slice.length > 0) yield slice;
      if (this.ended && this.ready.length === 0 && this.filling.length === 0) return;
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
