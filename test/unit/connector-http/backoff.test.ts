import { fullJitterBackoff, realSleep } from '../../../connectors/sdk/http/backoff';

describe('exponential backoff with full jitter', () => {
  it('is deterministic with an injected random source: half of a doubling ceiling', () => {
    const half = () => 0.5;
    expect([0, 1, 2, 3, 4].map((n) => fullJitterBackoff(n, { baseMs: 100, maxMs: 10_000, random: half }))).toEqual([50, 100, 200, 400, 800]);
  });

  it('never exceeds the cap, however many retries', () => {
    const almostOne = () => 0.999999;
    expect(fullJitterBackoff(10, { baseMs: 100, maxMs: 5_000, random: almostOne })).toBeLessThan(5_000);
    expect(fullJitterBackoff(5_000, { baseMs: 100, maxMs: 5_000, random: almostOne })).toBeLessThan(5_000);
  });

  it('spreads delays over the whole range from 0 (full jitter, not equal jitter)', () => {
    expect(fullJitterBackoff(3, { baseMs: 100, random: () => 0 })).toBe(0);
    expect(fullJitterBackoff(3, { baseMs: 100, random: () => 0.25 })).toBe(200);
  });

  it('gives the same sequence for the same seeded source', () => {
    const seeded = (seed: number) => () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const run = (random: () => number) => [0, 1, 2, 3].map((n) => fullJitterBackoff(n, { random }));
    expect(run(seeded(42))).toEqual(run(seeded(42)));
  });

  it('survives a broken random source', () => {
    expect(fullJitterBackoff(2, { baseMs: 100, random: () => NaN })).toBe(0);
    expect(fullJitterBackoff(2, { baseMs: 100, random: () => 7 })).toBe(400);
  });

  it('real sleep is cancelled by the signal', async () => {
    const controller = new AbortController();
    const sleeping = realSleep(10_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toThrow(/abort/i);
  });
});
