/**
 * Datto's read limit: one rolling window for the whole account (600 reads a minute), a 429 for each read over it,
 * and, for an address that keeps reading through the 429s, a temporary block in which it gets 403 for everything,
 * the token endpoint included. Only admitted reads count, so a client that waits out the window gets through again.
 */

export interface RateLimitOptions {
  /** Reads the account may make per window. */
  reads: number;
  windowMs: number;
  /** Refused reads an address may make in one window; one more and it is blocked. */
  blockAfter: number;
  blockMs: number;
}

export const DATTO_RATE_LIMIT: RateLimitOptions = { reads: 600, windowMs: 60_000, blockAfter: 10, blockMs: 300_000 };

export class ReadLimit {
  private admitted: number[] = [];
  private readonly refused = new Map<string, number[]>();
  private readonly blockedUntil = new Map<string, number>();

  /** `enforced` false: reads are still counted (request_rate reports them) but never refused. */
  constructor(
    readonly limits: RateLimitOptions,
    private readonly enforced: boolean,
    private readonly now: () => number,
  ) {}

  isBlocked(address: string): boolean {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.blockedUntil.delete(address);
    return false;
  }

  /** Counts the read if the window has room, else refuses it, and blocks an address past `blockAfter` refusals. */
  admit(address: string): boolean {
    const now = this.now();
    this.prune(now);
    if (!this.enforced || this.admitted.length < this.limits.reads) {
      this.admitted.push(now);
      return true;
    }
    const refusals = (this.refused.get(address) ?? []).filter((t) => t > now - this.limits.windowMs);
    refusals.push(now);
    if (refusals.length > this.limits.blockAfter) {
      this.blockedUntil.set(address, now + this.limits.blockMs);
      this.refused.delete(address);
    } else {
      this.refused.set(address, refusals);
    }
    return false;
  }

  /** Reads counted in the current window. */
  count(): number {
    this.prune(this.now());
    return this.admitted.length;
  }

  private prune(now: number): void {
    const since = now - this.limits.windowMs;
    if (this.admitted.length > 0 && this.admitted[0] <= since) this.admitted = this.admitted.filter((t) => t > since);
  }
}
