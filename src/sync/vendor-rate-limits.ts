import { RedisRateLimiterRegistry } from '../../connectors/sdk/http/redis-rate-limiter';
import type { Config } from '../config/config';

/**
 * With REDIS_URL, vendor quotas (Datto's 600 reads a minute per account, Graph's per app and tenant) are counted in
 * Redis, so that every process syncing an account, workers on other machines included, shares its one budget.
 * Undefined without Redis: the engine keeps the process-wide in-memory registry.
 */
export function vendorRateLimiters(config: Config): RedisRateLimiterRegistry | undefined {
  return config.syncQueue ? new RedisRateLimiterRegistry(config.syncQueue.redisUrl, config.syncQueue.prefix) : undefined;
}
