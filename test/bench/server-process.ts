/**
 * The server as an operator runs it (`patchgraph serve`), in a process of its own, so that its memory is its own:
 * the bench process holds its seeding's and its baseline's garbage, which are not the server's. Shared by the bench
 * cases that measure a server's throughput and peak memory.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ServerProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** The project's root (this file runs from test/bench, and compiled from dist/test/bench). */
function projectRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export async function startServerProcess(databaseUrl: string, adminKey: string, dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const main = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
  // Through the launcher `npm start` and the container use, so the bench measures the heap limit they give the server
  // (PATCHGRAPH_HEAP_MB; a --max-old-space-size in BENCH_SERVER_NODE_ARGS comes later on the command line and wins).
  // The shell execs node, so the child's pid is the server's.
  const launcher = join(projectRoot(), 'scripts', 'bounded-heap.sh');
  const nodeArgs = [...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '-e', `require(${JSON.stringify(main)}).main(['node', 'patchgraph', 'serve'])`];
  const child = spawn('sh', [launcher, process.execPath, ...nodeArgs], {
    env: {
      ...process.env, DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'warn', PATCHGRAPH_DEMO: 'false', PATCHGRAPH_SCHEDULER: 'false', PATCHGRAPH_ADMIN_KEY: adminKey,
      PATCHGRAPH_SECRET_KEY: randomBytes(32).toString('base64'), PATCHGRAPH_DATA_DIR: dataDir, PATCHGRAPH_RATE_LIMIT_PER_MINUTE: '100000',
      // e.g. --max-old-space-size=160: how much of the server's peak is live memory and how much the collector's slack.
      // (BENCH_SERVER_NODE_ARGS takes what NODE_OPTIONS refuses, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof.)
      ...(process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {}),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const served = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /serving GraphQL at (http:\/\/[^\s]+)\/graphql/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before serving:\n${stderr}`)));
  });
  // What the server says after it serves (an out-of-memory report, a warning) is lost unless asked for.
  if (process.env.BENCH_SERVER_STDERR) child.stderr!.pipe(createWriteStream(process.env.BENCH_SERVER_STDERR, { flags: 'a' }));
  return {
    url: served,
    pid: child.pid!,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A process's peak resident set size so far, in MB (Linux: VmHWM). */
export function peakRssOf(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** A process's resident set size now, in MB (Linux: VmRSS). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** A process's CPU time so far (user and system, all its threads), in seconds (Linux: /proc/<pid>/stat at 100 ticks a second). */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Waits until the server has used under 10 % of a core (a profiled one spends some on its sampling) for a second and
 * a half, and says how long that took. What a run leaves running after it answers (on SQLite the checkpointer's thread
 * copies a full ingest's log into the database file, about 400 MB at 2,000 x 300, in the seconds after) is that run's
 * cost, not the next one's: a run timed while it goes on shares the machine with it. The window is longer than the
 * checkpointer's 1 s tick, so an idle moment before its next tick is not taken for the end.
 */
export async function untilIdle(pid: number, maxSeconds = 120): Promise<number> {
  const start = Date.now();
  const windowMs = 1_500;
  for (;;) {
    const before = cpuSecondsOf(pid);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    if (cpuSecondsOf(pid) - before < (0.1 * windowMs) / 1000) return (Date.now() - start) / 1000;
    if (Date.now() - start > maxSeconds * 1000) throw new Error(`the server was still busy ${maxSeconds} s after the last run`);
  }
}

/** One GraphQL request to the server with a key; the answer's data, or an error naming the request's errors. */
export async function graphql<T = any>(url: string, key: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data!;
}
