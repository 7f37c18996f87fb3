import { fixedClock } from '../../../src/util/clock';
import { ConfigError } from '../../../connectors/sdk/errors';
import { RateLimiterRegistry, RollingWindowLimiter } from '../../../connectors/sdk/http/rate-limiter';

/** A fake clock and a sleep that advances it: waiting costs no real time. */
function fakeTime() {
  const clock = fixedClock('2025-06-02T10:00:00.000Z');
  const start = clock.now().getTime();
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    clock.advance(ms);
  };
  return { clock, sleep, sleeps, elapsed: () => clock.now().getTime() - start };
}

describe('rolling-window rate limiter', () => {
  it('never lets more than N requests start in any window of W ms', async () => {
    const time = fakeTime();
    const limiter = new RollingWindowLimiter({ maxRequests: 3, windowMs: 1000 }, time);
    const granted: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, () => limiter.acquire().then(() => granted.push(time.elapsed()))),
    );
    expect(granted).toEqual([0, 0, 0, 1000, 1000, 1000, 2000, 2000, 2000, 3000]);
    for (const t of granted) {
      expect(granted.filter((g) => g >= t && g < t + 1000).length).toBeLessThanOrEqual(3);
    }
  });

  it('is rolling, not fixed: a slot frees exactly W ms after the request that took it', async () => {
    const time = fakeTime();
    const limiter = new RollingWindowLimiter({ maxRequests: 3, windowMs: 1000 }, time);
    await limiter.acquire(); // t=0
    time.clock.advance(600);
    await limiter.acquire(); // t=600
    time.clock.advance(300);
    await limiter.acquire(); // t=900
    time.clock.advance(100);
    await limiter.acquire(); // t=1000: the t=0 slot has just left the window
    expect(time.sleeps).toEqual([]);
    await limiter.acquire(); // full until the t=600 slot leaves at 1600
    expect(time.sleeps).toEqual([600]);
    expect(time.elapsed()).toBe(1600);
    expect(limiter.inWindow()).toBe(3);
  });

  it('is shared by every client of one account key, and separate per key', async () => {
    const time = fakeTime();
    const registry = new RateLimiterRegistry(time);
    const a = registry.limiterFor('datto:merlot:acct-1', { maxRequests: 2, windowMs: 60_000 });
    const b = registry.limiterFor('datto:merlot:acct-1', { maxRequests: 2, windowMs: 60_000 });
    const other = registry.limiterFor('datto:merlot:acct-2', { maxRequests: 2, windowMs: 60_000 });
    expect(b).toBe(a);
    await a.acquire();
    await b.acquire();
    await other.acquire();
    expect(time.sleeps).toEqual([]);
    await b.acquire();
    expect(time.sleeps).toEqual([60_000]);
  });

  it('refuses two different limits for one account as a configuration error', () => {
    const registry = new RateLimiterRegistry();
    registry.limiterFor('graph:tenant', { maxRequests: 2000, windowMs: 20_000 });
    expect(() => registry.limiterFor('graph:tenant', { maxRequests: 100, windowMs: 20_000 })).toThrow(ConfigError);
    registry.delete('graph:tenant');
    expect(registry.limiterFor('graph:tenant', { maxRequests: 100, windowMs: 20_000 }).limit.maxRequests).toBe(100);
  });

  it('rejects an impossible limit naming the field', () => {
    expect(() => new RollingWindowLimiter({ maxRequests: 0, windowMs: 1000 })).toThrow('rateLimit.maxRequests');
    expect(() => new RollingWindowLimiter({ maxRequests: 1, windowMs: -1 })).toThrow('rateLimit.windowMs');
  });

  it('an aborted acquire does not take a slot or block the acquirers behind it', async () => {
    const time = fakeTime();
    const limiter = new RollingWindowLimiter({ maxRequests: 1, windowMs: 1000 }, time);
    const controller = new AbortController();
    controller.abort();
    await expect(limiter.acquire(controller.signal)).rejects.toThrow();
    await limiter.acquire();
    expect(time.sleeps).toEqual([]);
    expect(limiter.inWindow()).toBe(1);
  });

  it('defaults to real time', async () => {
    const limiter = new RollingWindowLimiter({ maxRequests: 1, windowMs: 5 });
    const started = Date.now();
    await limiter.acquire();
    await limiter.acquire();
    expect(Date.now() - started).toBeGreaterThanOrEqual(4);
  });
});
