import { setTimeout as delay } from 'node:timers/promises';

/**
 * How long to wait before retry number `attempt` (0 for the first retry): "full jitter", a uniformly random delay
 * between 0 and min(maxMs, baseMs * 2^attempt). The randomness spreads out many clients that failed at the same
 * moment (a vendor outage, a shared throttle) so they do not all come back at once and fail again together.
 *
 * `random` is injectable so tests and simulations get the same delays every run.
 */
export interface BackoffOptions {
  /** The ceiling of the first retry's delay. Default 500 ms. */
  baseMs?: number;
  /** No delay is ever longer than this. Default 30 s. */
  maxMs?: number;
  /** A source of numbers in [0, 1); default Math.random. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: Required<Omit<BackoffOptions, 'random'>> = { baseMs: 500, maxMs: 30_000 };

export function fullJitterBackoff(attempt: number, options: BackoffOptions = {}): number {
  const baseMs = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const maxMs = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  // 2 ** attempt overflows to Infinity for large attempts, which Math.min turns into maxMs.
  const ceiling = Math.max(0, Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt)));
  const r = (options.random ?? Math.random)();
  // A bad random source (NaN, 1, negative) must not make the delay negative or longer than the ceiling.
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.floor(unit * ceiling);
}

/**
 * Waiting, as a function, so tests inject one that records the delay and returns at once. The signal cancels the
 * wait (the caller's request was aborted).
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) => delay(ms, undefined, signal ? { signal } : undefined);
