/**
 * Rate limits: requests per principal on /graphql, failed authentications per client address (on /graphql and the
 * WSUS ingest endpoint), and uploads per WSUS instance. The counters live in Redis when REDIS_URL is set, so every
 * server process behind a load balancer counts against the same budget, and in this process otherwise.
 *
 * With Redis configured the limits fail closed: if Redis cannot be asked, the request is refused with 503
 * RATE_LIMITER_UNAVAILABLE rather than served unlimited, which is what an attacker who can knock Redis over would
 * want. /healthz and /readyz are not limited; /readyz reports Redis as down.
 */
import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import type { RequestHandler, Response } from 'express';
import { GraphQLError } from 'graphql';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Readiness } from './readiness';

export interface RateLimitSettings {
  perPrincipalPerMinute: number;
  unauthenticatedPerMinute: number;
  ingestPerMinute: number;
  redisUrl?: string;
}

/** How long a client address that failed authentication too often is refused, whatever it sends. */
export const BLOCK_SECONDS = 300;
/** A Redis that accepts the connection but does not answer must not hold requests: past this it counts as down. */
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

/** A refusal the caller answers over HTTP: 429 with Retry-After, or 503 when the counters cannot be reached. */
export class RateLimitRefusal extends Error {
  constructor(
    readonly status: 429 | 503,
    readonly code: 'RATE_LIMITED' | 'RATE_LIMITER_UNAVAILABLE',
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'RateLimitRefusal';
  }

  /** The body every patchgraph endpoint but the ingest one answers errors with. */
  body() {
    return { errors: [{ message: this.message, extensions: { code: this.code, retryAfterSeconds: this.retryAfterSeconds } }] };
  }

  /** For Apollo: it applies `http` (status and headers) to the response and drops it from the answer. */
  toGraphQLError(): GraphQLError {
    return new GraphQLError(this.message, {
      extensions: {
        code: this.code,
        retryAfterSeconds: this.retryAfterSeconds,
        http: { status: this.status, headers: new Map([['retry-after', String(this.retryAfterSeconds)]]) },
      },
    });
  }
}

export class RateLimits {
  private readonly perPrincipal: RateLimiterAbstract;
  private readonly failedAuthentications: RateLimiterAbstract;
  private readonly perIngestInstance: RateLimiterAbstract;

  private constructor(
    private readonly settings: RateLimitSettings,
    private readonly logger: Logger,
    private readonly redis: Redis | null,
  ) {
    const store = (keyPrefix: string, points: number, blockDuration = 0): RateLimiterAbstract =>
      redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `patchgraph:rl:${keyPrefix}`, points, duration: 60, blockDuration, rejectIfRedisNotReady: true })
        : new RateLimiterMemory({ keyPrefix, points, duration: 60, blockDuration });
    this.perPrincipal = store('principal', settings.perPrincipalPerMinute);
    this.failedAuthentications = store('auth-failures', settings.unauthenticatedPerMinute, BLOCK_SECONDS);
    this.perIngestInstance = store('ingest', settings.ingestPerMinute);
  }

  /**
   * With Redis, waits until the first connection attempt has succeeded or failed (at most its connect timeout), so
   * that the first requests after start are not refused only because the connection was still being made.
   */
  static async create(settings: RateLimitSettings, logger: Logger): Promise<RateLimits> {
    if (!settings.redisUrl) return new RateLimits(settings, logger, null);
    const redis = connectRedis(settings.redisUrl, logger);
    await new Promise<void>((resolve) => {
      const settle = () => {
        redis.off('ready', settle);
        redis.off('error', settle);
        resolve();
      };
      redis.once('ready', settle);
      redis.once('error', settle);
    });
    return new RateLimits(settings, logger, redis);
  }

  /** Where the counters live, for the start-up log. */
  get store(): 'redis' | 'memory' {
    return this.redis ? 'redis' : 'memory';
  }

  /** Counts one request by an authenticated principal; throws a refusal when it is over its budget. */
  async admitPrincipal(principal: { kind: string; id: string }): Promise<void> {
    await this.consume(this.perPrincipal, `${principal.kind}:${principal.id}`, (wait) =>
      `This principal has made more than ${this.settings.perPrincipalPerMinute} requests in a minute (PATCHGRAPH_RATE_LIMIT_PER_MINUTE); retry in ${wait} s`);
  }

  /** Counts one WSUS upload to an instance, after its ingest key was accepted. */
  async admitIngest(instanceId: string): Promise<void> {
    await this.consume(this.perIngestInstance, instanceId, (wait) =>
      `This instance has uploaded more than ${this.settings.ingestPerMinute} snapshots in a minute (PATCHGRAPH_INGEST_RATE_LIMIT_PER_MINUTE); retry in ${wait} s`);
  }

  /**
   * Refuses every request from an address that failed authentication too often, valid credentials included:
   * answering a right guess differently from a wrong one would let the guessing go on.
   */
  async checkAddress(address: string): Promise<void> {
    let res: RateLimiterRes | null;
    try {
      res = await this.failedAuthentications.get(addressKey(address));
    } catch (err) {
      throw this.unavailable(err);
    }
    if (res && res.consumedPoints > this.settings.unauthenticatedPerMinute) throw this.blocked(res);
  }

  /** Counts a failed authentication from an address; the one that crosses the limit is itself refused. */
  async authenticationFailed(address: string): Promise<void> {
    try {
      await this.failedAuthentications.consume(addressKey(address));
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        this.logger.warn({ address: addressKey(address), blockSeconds: BLOCK_SECONDS }, 'too many failed authentications from one address; blocking it');
        throw this.blocked(err);
      }
      throw this.unavailable(err);
    }
  }

  /** Ready when the counters can be reached: always in memory, and when Redis answers a PING otherwise. */
  async readiness(): Promise<Readiness> {
    if (!this.redis) return { ready: true };
    try {
      await this.redis.ping();
      return { ready: true };
    } catch {
      return { ready: false, reason: 'the rate limiter\'s Redis (REDIS_URL) does not answer; requests are refused until it does' };
    }
  }

  async close(): Promise<void> {
    if (!this.redis) return;
    // QUIT needs a live connection; without one, disconnect() also stops the reconnection attempts.
    if (this.redis.status !== 'ready') {
      this.redis.disconnect();
      return;
    }
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private async consume(limiter: RateLimiterAbstract, key: string, message: (waitSeconds: number) => string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        const wait = retryAfter(err);
        throw new RateLimitRefusal(429, 'RATE_LIMITED', message(wait), wait);
      }
      throw this.unavailable(err);
    }
  }

  private blocked(res: RateLimiterRes): RateLimitRefusal {
    const wait = retryAfter(res);
    return new RateLimitRefusal(429, 'RATE_LIMITED', `Too many failed authentications from this address; it is blocked for ${wait} s`, wait);
  }

  private unavailable(err: unknown): RateLimitRefusal {
    this.logger.error({ err: { message: (err as Error)?.message } }, 'rate limiter store unavailable; refusing the request');
    return new RateLimitRefusal(503, 'RATE_LIMITER_UNAVAILABLE', 'The rate limiter cannot be reached, so requests are refused for now; retry shortly', 5);
  }
}

function retryAfter(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/**
 * The key an address is counted under. An IPv6 client usually holds a whole /64, so it is counted by its /64: one
 * per address would let it try a fresh address on each request. IPv4-mapped IPv6 is its IPv4 address.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head, tail = ''] = address.split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

function connectRedis(url: string, logger: Logger): Redis {
  // Loaded only with REDIS_URL set, like the job queue's BullMQ: a server without Redis never needs ioredis.
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const redis = new Redis(url, {
    // Queued commands would wait for a reconnect that may never come; failing at once is what makes 503 immediate.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 5_000,
    // Reconnects for ever, at most every 2 s, so the limits come back by themselves when Redis does.
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  // ioredis reports each failed reconnect; the log gets the changes of state, not one line every 2 s.
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.error({ err: { message: err.message } }, 'rate limiter: Redis (REDIS_URL) unreachable; /graphql and WSUS uploads answer 503 until it is back');
  });
  redis.on('ready', () => {
    if (down) logger.info('rate limiter: Redis (REDIS_URL) is back');
    down = false;
  });
  return redis;
}

/** The client's address as Express sees it: the TCP peer, or X-Forwarded-For from a proxy PATCHGRAPH_TRUST_PROXY names. */
export function clientAddress(req: IncomingMessage & { ip?: string }): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

export function sendRefusal(res: Response, refusal: RateLimitRefusal): void {
  res.setHeader('retry-after', String(refusal.retryAfterSeconds));
  res.status(refusal.status).json(refusal.body());
}

/** Refuses, before anything is parsed, a request from an address blocked for failing authentication. */
export function addressGate(limits: RateLimits): RequestHandler {
  return (req, res, next) => {
    limits.checkAddress(clientAddress(req)).then(
      () => next(),
      (err: unknown) => (err instanceof RateLimitRefusal ? sendRefusal(res, err) : next(err)),
    );
  };
}
