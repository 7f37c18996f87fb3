/**
 * An event-loop gap recorder: a short timer notes every interval in which the loop ran nothing else for longer than
 * a threshold, and (optionally) a CPU profile taken alongside says which of the project's functions held the loop in
 * each gap. `/healthz` answers in a gap's length at worst, so the gaps are the list of what to split.
 *
 * In a process of its own (the bench's server): `node --require dist/test/bench/event-loop-gaps.js …` with
 * BENCH_GAPS_FILE=<path> appends one JSON line per gap as it happens (a killed server loses none), and the
 * attributions when the process is told to stop (SIGTERM) or exits.
 */
import { appendFileSync } from 'node:fs';
import { Session } from 'node:inspector';

export interface Gap {
  /** Milliseconds since the recorder started. */
  at: number;
  ms: number;
  /** The project's innermost functions on the stack during the gap, with their share of its samples. */
  where?: string[];
  /** SQLite statements of 20 ms or more that ran in the gap (a statement's caller is not on the profile's stack). */
  statements?: string[];
}

export interface GapRecorder {
  /** When it started, on the system's monotonic clock (process.hrtime, the same in every process), in ms. */
  originMs: number;
  /** Stops; the gaps, attributed when profiling was asked for. */
  stop(): Promise<Gap[]>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Whether a frame is the project's own code (compiled or not), not a dependency's or Node's. */
const ownCode = (url: string) => /\/(src|connectors)\//.test(url) && !url.includes('node_modules');

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))));
}

/**
 * Starts recording gaps over `thresholdMs`. `profile: true` samples the CPU every millisecond so each gap can be
 * attributed; the profiler's own cost is small but not nothing, so compare runs taken alike.
 */
export async function recordEventLoopGaps(options: { thresholdMs?: number; tickMs?: number; profile?: boolean; onGap?: (gap: Gap) => void } = {}): Promise<GapRecorder> {
  const threshold = options.thresholdMs ?? 100;
  const tick = options.tickMs ?? 5;
  const origin = nowMs();
  const gaps: Gap[] = [];
  let session: Session | undefined;
  if (options.profile) {
    session = new Session();
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 1000 });
    await post(session, 'Profiler.start');
  }
  let last = nowMs();
  const timer = setInterval(() => {
    const now = nowMs();
    // The timer itself is due every `tick`: anything longer than that plus the threshold was the loop held.
    if (now - last > threshold + tick) {
      const gap = { at: last - origin, ms: now - last - tick };
      gaps.push(gap);
      options.onGap?.(gap);
    }
    last = now;
  }, tick);
  timer.unref();
  return {
    originMs: origin,
    async stop() {
      clearInterval(timer);
      if (!session) return gaps;
      const { profile } = await post<{ profile: Profile }>(session, 'Profiler.stop');
      session.disconnect();
      attribute(gaps, profile, origin);
      return gaps;
    },
  };
}

/** Names each gap's top three innermost project functions from the samples taken in it (V8's clock is the monotonic one hrtime reads). */
function attribute(gaps: Gap[], profile: Profile, originMs: number): void {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const innermostOwn = new Map<number, string>();
  const labelOf = (id: number): string => {
    const known = innermostOwn.get(id);
    if (known !== undefined) return known;
    const leaf = byId.get(id)!.callFrame;
    let label = `(outside the project: ${leaf.functionName || '(anonymous)'}${leaf.url ? ` ${leaf.url.replace(/^.*node_modules\//, '')}` : ''})`;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (ownCode(f.url)) {
        label = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(src|connectors)\//, '$1/')}:${f.lineNumber + 1}`;
        break;
      }
    }
    innermostOwn.set(id, label);
    return label;
  };
  let t = profile.startTime / 1000;
  const times = profile.timeDeltas.map((d) => (t += d / 1000) - originMs);
  for (const gap of gaps) {
    const counts = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, i) => {
      if (times[i] < gap.at || times[i] > gap.at + gap.ms + 5) return;
      const label = labelOf(id);
      counts.set(label, (counts.get(label) ?? 0) + 1);
      total++;
    });
    gap.where = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([label, n]) => `${Math.round((100 * n) / total)}% ${label}`);
  }
}

export const describeGap = (g: Gap) =>
  `  +${(g.at / 1000).toFixed(1)} s: ${Math.round(g.ms)} ms${[...(g.where ?? []), ...(g.statements ?? []).map((q) => `SQL ${q}`)].map((l) => `\n      ${l}`).join('')}`;

interface SlowStatement {
  at: number;
  ms: number;
  sql: string;
}

/**
 * Times every better-sqlite3 statement of 20 ms or more (their SQL, shortened), so a gap spent in the driver says
 * which statement it was. Bench instrumentation only: it wraps each prepared statement's run, all and get.
 */
function timeSqliteStatements(originMs: number): SlowStatement[] {
  const slow: SlowStatement[] = [];
  let Database: { prototype: { prepare(sql: string): Record<string, (...a: unknown[]) => unknown> } };
  try {
    Database = require('better-sqlite3');
  } catch {
    return slow;
  }
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: unknown, sql: string) {
    const statement = prepare.call(this, sql);
    for (const method of ['run', 'all', 'get']) {
      const original = statement[method];
      if (typeof original !== 'function') continue;
      statement[method] = function (this: unknown, ...args: unknown[]) {
        const start = nowMs();
        try {
          return original.apply(this, args);
        } finally {
          const ms = nowMs() - start;
          if (ms >= 20) slow.push({ at: start - originMs, ms, sql: sql.replace(/\s+/g, ' ').slice(0, 140) });
        }
      };
    }
    return statement;
  };
  return slow;
}

function attachStatements(gaps: Gap[], slow: SlowStatement[]): void {
  for (const gap of gaps) {
    const inGap = slow.filter((q) => q.at >= gap.at - 1 && q.at + q.ms <= gap.at + gap.ms + 10 + 1);
    if (inGap.length) gap.statements = inGap.sort((a, b) => b.ms - a.ms).slice(0, 3).map((q) => `${Math.round(q.ms)} ms ${q.sql}`);
  }
}

// Preloaded into a server (--require) with BENCH_GAPS_FILE set: record for the process's life.
if (require.main !== module && process.env.BENCH_GAPS_FILE && !(globalThis as { __gapRecorder?: boolean }).__gapRecorder) {
  (globalThis as { __gapRecorder?: boolean }).__gapRecorder = true;
  const file = process.env.BENCH_GAPS_FILE;
  const statementsFrom = nowMs();
  const slow = timeSqliteStatements(statementsFrom);
  void recordEventLoopGaps({ profile: process.env.BENCH_GAPS_PROFILE === '1', onGap: (g) => appendFileSync(file, `${JSON.stringify(g)}\n`) }).then((recorder) => {
    let written = false;
    const flush = async () => {
      if (written) return;
      written = true;
      const gaps = await recorder.stop();
      attachStatements(gaps, slow.map((q) => ({ ...q, at: q.at + statementsFrom - recorder.originMs })));
      appendFileSync(file, `${JSON.stringify({ attributed: gaps, originMs: recorder.originMs })}\n`);
    };
    process.prependListener('SIGTERM', () => void flush());
  });
}
