/**
 * Datto's read limit: one rolling window for the whole account (600 reads a minute), a 429 for each read over it,
 * and, for an address that keeps reading through the 429s, a temporary block in which it gets 403 for everything,
 * the token endpoint included. Only admitted reads count, so a client that waits out the window gets through again.
 */
import type { Clock } from '../../sdk/clock';
import { RollingWindow } from '../../sdk/testkit/simulator';

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
  private readonly account: RollingWindow;
  private readonly refused = new Map<string, number[]>();
  private readonly blockedUntil = new Map<string, number>();

  /** `enforced` false: reads are still counted (request_rate reports them) but never refused. */
  constructor(
    readonly limits: RateLimitOptions,
    enforced: boolean,
    private readonly clock: Clock,
  ) {
    this.account = new RollingWindow(enforced ? limits.reads : Infinity, limits.windowMs, clock);
  }

  isBlocked(address: string): boolean {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return false;
    if (this.clock.now().getTime() < until) return true;
    this.blockedUntil.delete(address);
    return false;
  }

  /** Counts the read if the window has room, else refuses it, and blocks an address past `blockAfter` refusals. */
  admit(address: string): boolean {
    if (this.account.admit().admitted) return true;
    const now = this.clock.now().getTime();
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
    return this.account.count();
  }
}
