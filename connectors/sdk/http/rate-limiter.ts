import { Clock, systemClock } from '../clock';
import { ConfigError } from '../errors';
import { realSleep, Sleep } from './backoff';

/**
 * Client-side throttling, so we stay under a vendor's quota instead of learning about it from 429s (and, on
 * Datto, from the temporary IP block that follows ignored 429s).
 *
 * Vendor quotas belong to an account, not to one HTTP client: Datto allows 600 reads per rolling 60 s for the whole
 * account, Intune 2000 requests per 20 s per app and tenant. Every client of one account must therefore draw from
 * the same limiter, which is why limiters live in a registry keyed by an account id.
 */
export interface RateLimit {
  /** At most this many requests start… */
  maxRequests: number;
  /** …in any window of this many milliseconds. */
  windowMs: number;
}

/** What a client draws from: one account's window, wherever its count is kept. */
export interface WindowLimiter {
  readonly limit: RateLimit;
  /** Resolves when a request may start, and counts that request against the window. */
  acquire(signal?: AbortSignal): Promise<void>;
}

/**
 * Limiters by account key. RateLimiterRegistry keeps the counts in this process; with REDIS_URL,
 * RedisRateLimiterRegistry (redis-rate-limiter.ts) keeps them in Redis, shared by every worker on every machine.
 */
export interface LimiterRegistry {
  limiterFor(key: string, limit: RateLimit): WindowLimiter;
}

/** Refuses a second, different quota for one account key: see RateLimiterRegistry.limiterFor. */
export function checkSameLimit(key: string, existing: RateLimit, limit: RateLimit): void {
  if (existing.maxRequests !== limit.maxRequests || existing.windowMs !== limit.windowMs) {
    throw new ConfigError(
      'rateLimit',
      `account "${key}" already has a limit of ${existing.maxRequests} per ${existing.windowMs} ms; ` +
        `every client of one account must use the same limit`,
    );
  }
}

/** Checks a limit's fields, naming the one that is wrong. */
export function checkLimit(limit: RateLimit): void {
  if (!Number.isInteger(limit.maxRequests) || limit.maxRequests < 1) {
    throw new ConfigError('rateLimit.maxRequests', `must be a positive integer, got ${limit.maxRequests}`);
  }
  if (!Number.isFinite(limit.windowMs) || limit.windowMs <= 0) {
    throw new ConfigError('rateLimit.windowMs', `must be a positive number of milliseconds, got ${limit.windowMs}`);
  }
}

export interface LimiterTiming {
  clock?: Clock;
  sleep?: Sleep;
}

/** A rolling (sliding-log) window: it remembers when each of the last `maxRequests` requests started. */
export class RollingWindowLimiter implements WindowLimiter {
  /** Start times (epoch ms) of the grants still inside the window, oldest first. */
  private readonly grants: number[] = [];
  /** Acquirers are served one at a time, in arrival order, so a slot freed by time goes to whoever waited longest. */
  private queue: Promise<void> = Promise.resolve();
  private readonly clock: Clock;
  private readonly sleep: Sleep;

  constructor(readonly limit: RateLimit, timing: LimiterTiming = {}) {
    checkLimit(limit);
    this.clock = timing.clock ?? systemClock;
    this.sleep = timing.sleep ?? realSleep;
  }

  /** Resolves when a request may start, and counts that request against the window. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot(signal));
    // One aborted acquirer must not block the ones behind it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Requests started inside the current window; for diagnostics and tests. */
  inWindow(): number {
    this.prune(this.clock.now().getTime());
    return this.grants.length;
  }

  private async waitForSlot(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.clock.now().getTime();
      this.prune(now);
      if (this.grants.length < this.limit.maxRequests) {
        this.grants.push(now);
        return;
      }
      // The oldest grant leaves the window at grants[0] + windowMs; that is the earliest a slot frees up.
      await this.sleep(Math.min(this.grants[0] + this.limit.windowMs - now, this.limit.windowMs), signal);
    }
  }

  private prune(now: number): void {
    // A grant "in the future" means the wall clock was set back; forgetting it is better than stalling until the
    // clock catches up again.
    while (this.grants.length > 0 && (this.grants[0] <= now - this.limit.windowMs || this.grants[this.grants.length - 1] > now)) {
      this.grants.shift();
    }
  }
}

/** Limiters by account key, e.g. "datto:merlot:<accountUid>" or "graph:<tenantId>:<appId>". */
export class RateLimiterRegistry implements LimiterRegistry {
  private readonly limiters = new Map<string, RollingWindowLimiter>();

  constructor(private readonly timing: LimiterTiming = {}) {}

  /**
   * The account's limiter, created on first use. Two clients that disagree about an account's quota are a
   * configuration mistake; silently picking one would break the other's assumption, so it is refused.
   */
  limiterFor(key: string, limit: RateLimit): RollingWindowLimiter {
    const existing = this.limiters.get(key);
    if (existing) {
      checkSameLimit(key, existing.limit, limit);
      return existing;
    }
    const limiter = new RollingWindowLimiter(limit, this.timing);
    this.limiters.set(key, limiter);
    return limiter;
  }

  /** Forgets an account's limiter, e.g. when its connector is reconfigured with a new quota. */
  delete(key: string): boolean {
    return this.limiters.delete(key);
  }
}

/** The process-wide registry HttpClient uses unless it is given another one. Real time. */
export const sharedRateLimiters = new RateLimiterRegistry();
