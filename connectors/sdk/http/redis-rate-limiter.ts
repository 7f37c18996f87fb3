import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { realSleep, Sleep } from './backoff';
import { checkLimit, checkSameLimit, LimiterRegistry, RateLimit, WindowLimiter } from './rate-limiter';

/**
 * The rolling window of rate-limiter.ts kept in Redis, so that every worker syncing one vendor account, on any
 * machine, draws from the account's one quota. A sorted set per account holds the start times of the grants in the
 * window; one script prunes, counts and grants, so two workers cannot both take the last slot. Times are Redis's
 * own clock, so workers whose clocks differ still agree on the window.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local windowMs = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - windowMs)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], windowMs)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + windowMs - now)
`;

class RedisWindowLimiter implements WindowLimiter {
  /** Acquirers of this process are served in arrival order, as in the in-process limiter. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly limit: RateLimit,
    private readonly redis: Redis,
    private readonly redisKey: string,
    private readonly sleep: Sleep,
  ) {}

  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot(signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForSlot(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const waitMs = Number(await this.redis.eval(ACQUIRE, 1, this.redisKey, this.limit.maxRequests, this.limit.windowMs, randomUUID()));
      if (waitMs === 0) return;
      await this.sleep(Math.min(waitMs, this.limit.windowMs), signal);
    }
  }
}

export class RedisRateLimiterRegistry implements LimiterRegistry {
  private readonly limiters = new Map<string, RedisWindowLimiter>();
  private readonly redis: Redis;

  /** `prefix` separates deployments sharing one Redis (PATCHGRAPH_QUEUE_PREFIX). */
  constructor(redisUrl: string, private readonly prefix: string, private readonly sleep: Sleep = realSleep) {
    // A request that cannot be counted fails (and its sync with it) rather than going over the vendor's quota.
    // ioredis is loaded here, by the first shared limiter (REDIS_URL set), not with every connector that imports the SDK.
    const { Redis } = require('ioredis') as typeof import('ioredis');
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
    // Connection errors reach the acquire that needed Redis; the event itself has nothing to add.
    this.redis.on('error', () => undefined);
  }

  limiterFor(key: string, limit: RateLimit): WindowLimiter {
    const existing = this.limiters.get(key);
    if (existing) {
      checkSameLimit(key, existing.limit, limit);
      return existing;
    }
    checkLimit(limit);
    // Hashed: account keys can hold a vendor API key (Datto's), which has no business in Redis key names.
    const redisKey = `${this.prefix}:vendor-rl:${createHash('sha256').update(key).digest('hex')}`;
    const limiter = new RedisWindowLimiter(limit, this.redis, redisKey, this.sleep);
    this.limiters.set(key, limiter);
    return limiter;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
