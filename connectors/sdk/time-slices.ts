/**
 * Long synchronous work cut into slices of a time budget, with a turn of the event loop between them: a server
 * checking a 365,000-row upload or hashing a quarter of a million leaves still answers its probes and its other
 * clients meanwhile. A budget rather than a fixed row count, because rows differ in cost and machines in speed.
 * The clock is injectable, so a test can force a turn at every check without measuring time.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Work between two turns: short enough that a 100 ms liveness probe is never kept waiting by one slice. */
export const SLICE_BUDGET_MS = 20;

/** How many calls to `due()` between two readings of the clock: reading it per row would cost more than the row. */
const CHECK_EVERY = 64;

export interface TimeSlicer {
  /**
   * True when the current slice has used its budget; cheap enough to call per row. `rows`: how many rows' worth of
   * work was done since the last call (a heavy item counts as many), so the clock is read often enough for it.
   */
  due(rows?: number): boolean;
  /** Gives the event loop a turn (timers, sockets, I/O callbacks) and starts a new slice. */
  turn(): Promise<void>;
}

export function timeSlicer(options: { budgetMs?: number; now?: () => number } = {}): TimeSlicer {
  const budget = options.budgetMs ?? SLICE_BUDGET_MS;
  const now = options.now ?? (() => performance.now());
  let started = now();
  let calls = 0;
  return {
    due(rows = 1) {
      calls += rows;
      if (calls < CHECK_EVERY) return false;
      calls = 0;
      return now() - started >= budget;
    },
    async turn() {
      await nextTurn();
      started = now();
      calls = 0;
    },
  };
}

/** A slicer that turns at every check: what tests pass to see that work gives way, without timing it. */
export function turnAlways(): TimeSlicer {
  return {
    due: () => true,
    turn: () => nextTurn(),
  };
}

/** Calls `fn` on each item in order, taking turns as the budget says; stops at the first throw, like forEach. */
export async function forEachSliced<T>(items: readonly T[], slicer: TimeSlicer, fn: (item: T, index: number) => void): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    fn(items[i], i);
    if (slicer.due()) await slicer.turn();
  }
}
