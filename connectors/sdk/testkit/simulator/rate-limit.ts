/**
 * A vendor's request limit as a rolling window on the injected clock, so a test can run a long sync past the limit
 * without waiting. Only admitted requests count: a client that waits out the window gets through again.
 */
import { Clock, systemClock } from '../../clock';
import type { Middleware, SimRequest, SimResponse } from './server';

export type Admission = { admitted: true } | { admitted: false; retryAfterMs: number };

export class RollingWindow {
  private admitted: number[] = [];

  /** `limit` Infinity counts without refusing (an API that reports usage but does not enforce it). */
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Counts the request if the window has room; otherwise how long until the oldest counted one leaves it. */
  admit(): Admission {
    const now = this.prune();
    if (this.admitted.length < this.limit) {
      this.admitted.push(now);
      return { admitted: true };
    }
    return { admitted: false, retryAfterMs: this.admitted[0] + this.windowMs - now };
  }

  /** Requests counted in the current window. */
  count(): number {
    this.prune();
    return this.admitted.length;
  }

  private prune(): number {
    const now = this.clock.now().getTime();
    this.admitted = this.admitted.filter((t) => t > now - this.windowMs);
    return now;
  }
}

export interface RateLimitOptions {
  window: RollingWindow;
  /** Send Retry-After (whole seconds, at least 1) with the 429; default true. */
  retryAfter?: boolean;
  /** The vendor's 429 body; default `{ error: 'rate_limited', message }`. */
  refuse?: (req: SimRequest) => SimResponse;
}

/** 429 for a request over the window's limit. */
export function rateLimit(options: RateLimitOptions): Middleware {
  return (req, next) => {
    const admission = options.window.admit();
    if (admission.admitted) return next();
    const answer = options.refuse?.(req) ?? { status: 429, body: { error: 'rate_limited', message: 'Too many requests; retry later.' } };
    if (options.retryAfter === false) return answer;
    return { ...answer, headers: { ...answer.headers, 'retry-after': String(Math.max(1, Math.ceil(admission.retryAfterMs / 1000))) } };
  };
}
