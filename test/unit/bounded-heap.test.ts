/**
 * scripts/bounded-heap.sh, which `npm start` and the container's entry point run the server through: the heap limit
 * it gives Node (PATCHGRAPH_HEAP_MB, default 256 MB), an operator's own --max-old-space-size kept, bad values refused
 * before anything runs, and the server left with the shell's process id (exec). Engine-independent: sqlite project only.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ENGINE } from '../helpers/database';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'bounded-heap.sh');
const PROBE = 'console.log(JSON.stringify({ pid: process.pid, limit: require("v8").getHeapStatistics().heap_size_limit, execArgv: process.execArgv.slice(0, -2) }))';

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.NODE_OPTIONS;
  delete base.PATCHGRAPH_HEAP_MB;
  return { ...base, ...extra };
}

/** The script's shell prints its own pid first, then execs node, which prints its pid, heap limit and options. */
function run(extra: Record<string, string> = {}) {
  const res = spawnSync('sh', ['-c', `echo $$; exec sh "${SCRIPT}" "${process.execPath}" -e '${PROBE}'`], { env: env(extra), encoding: 'utf8' });
  const [shellPid, json] = res.stdout.trim().split('\n');
  return { status: res.status, stderr: res.stderr, shellPid: Number(shellPid), node: json ? (JSON.parse(json) as { pid: number; limit: number; execArgv: string[] }) : null };
}

/** Node's own heap limit for a --max-old-space-size, asked of Node rather than computed. */
function limitFor(mb: number): number {
  return Number(spawnSync(process.execPath, [`--max-old-space-size=${mb}`, '-e', 'console.log(require("v8").getHeapStatistics().heap_size_limit)'], { encoding: 'utf8' }).stdout);
}

(ENGINE === 'sqlite' ? describe : describe.skip)('scripts/bounded-heap.sh', () => {
  it('gives Node a 256 MB heap by default, on the command line, and replaces the shell (same process id)', () => {
    const { status, node, shellPid } = run();
    expect(status).toBe(0);
    expect(node!.execArgv).toEqual(['--max-old-space-size=256']);
    expect(node!.limit).toBe(limitFor(256));
    expect(node!.pid).toBe(shellPid);
  });

  it('takes PATCHGRAPH_HEAP_MB, and keeps the rest of NODE_OPTIONS', () => {
    const { status, node } = run({ PATCHGRAPH_HEAP_MB: '384', NODE_OPTIONS: '--no-warnings' });
    expect(status).toBe(0);
    expect(node!.limit).toBe(limitFor(384));
    expect(node!.execArgv).toEqual(['--max-old-space-size=384']);
  });

  it("keeps an operator's --max-old-space-size in NODE_OPTIONS and adds none", () => {
    const { status, node } = run({ NODE_OPTIONS: '--no-warnings --max-old-space-size=300' });
    expect(status).toBe(0);
    expect(node!.execArgv).toEqual([]);
    expect(node!.limit).toBe(limitFor(300));
  });

  it.each(['', 'lots', '0', '64', '127', '256MB', '1e3', '0256', '-256', '2000000', '99999999999999999999999'])(
    'refuses PATCHGRAPH_HEAP_MB=%j before running anything, naming the setting',
    (value) => {
      const { status, node, stderr } = run({ PATCHGRAPH_HEAP_MB: value });
      expect(status).toBe(64);
      expect(node).toBeNull();
      expect(stderr).toBe(`patchgraph: configuration error: PATCHGRAPH_HEAP_MB: must be a whole number of MB between 128 and 1048576, got "${value}"\n`);
    },
  );

  it('refuses PATCHGRAPH_HEAP_MB beside a --max-old-space-size in NODE_OPTIONS rather than pick one', () => {
    const { status, node, stderr } = run({ PATCHGRAPH_HEAP_MB: '512', NODE_OPTIONS: '--max-old-space-size=300' });
    expect(status).toBe(64);
    expect(node).toBeNull();
    expect(stderr).toContain("PATCHGRAPH_HEAP_MB and NODE_OPTIONS' --max-old-space-size are both set");
  });

  it('accepts the bounds', () => {
    expect(run({ PATCHGRAPH_HEAP_MB: '128' }).node!.limit).toBe(limitFor(128));
    expect(run({ PATCHGRAPH_HEAP_MB: '1048576' }).status).toBe(0);
  });
});
