/**
 * The front door: the real `patchgraph serve` on an empty database, as `npm start` runs it, with stdout and stderr in
 * one file the way a terminal interleaves them. The one-time admin key must be the last thing before the "serving"
 * line, not buried under the start-up's log lines; off a terminal those lines stay JSON. The executable compiles the
 * project first when a source changed, as it does for a newcomer, hence the long timeout.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINE } from '../helpers/database';

const ROOT = join(__dirname, '..', '..');
const describeOnSqlite = ENGINE === 'sqlite' ? describe : describe.skip;

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describeOnSqlite('first start of `patchgraph serve`', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-first-start-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the new admin key last, just above the serving line, after JSON log lines; the key works', async () => {
    const output = join(dir, 'terminal.txt');
    const fd = openSync(output, 'a');
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'pg.db')}`, PORT: '0', PATCHGRAPH_SCHEDULER: 'false', LOG_LEVEL: 'info' };
    for (const name of ['PATCHGRAPH_ADMIN_KEY', 'PATCHGRAPH_DEMO', 'PATCHGRAPH_SECRET_KEY', 'PATCHGRAPH_DATA_DIR', 'LOG_FORMAT']) delete env[name];
    const server = spawn(process.execPath, [join(ROOT, 'bin', 'patchgraph.js'), 'serve'], { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    try {
      const url = await waitFor('the serving line', () => /patchgraph is serving GraphQL at (\S+)\n/.exec(readFileSync(output, 'utf8'))?.[1], 200_000);
      const lines = readFileSync(output, 'utf8').split('\n');
      const serving = lines.findIndex((l) => l.includes('patchgraph is serving GraphQL at'));
      const banner = lines.findIndex((l) => l.includes('First start: created an admin API key'));
      expect(banner).toBeGreaterThan(0);
      // Between the banner and the serving line: only the key and blank lines.
      expect(lines.slice(banner + 1, serving).filter((l) => l.trim() !== '')).toEqual([expect.stringMatching(/^ {4}export PATCHGRAPH_KEY=pgk_[\w-]{43}$/)]);
      // Before it, the start-up's log lines, JSON off a terminal (after the compiler's own lines, if it ran).
      const logLines = lines.slice(0, banner).filter((l) => l.trim() !== '' && !l.startsWith('patchgraph: compil'));
      expect(logLines.length).toBeGreaterThan(10); // migrations, the demo's syncs, listening
      for (const line of logLines) expect(() => JSON.parse(line)).not.toThrow();
      expect(logLines.map((l) => JSON.parse(l).msg)).toContain('patchgraph is listening');

      const key = /export PATCHGRAPH_KEY=(\S+)/.exec(lines.slice(banner).join('\n'))![1];
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query: '{ viewer { name role } tenants { totalCount } }' }) });
      expect(await res.json()).toEqual({ data: { viewer: { name: 'admin', role: 'MSP_ADMIN' }, tenants: { totalCount: 3 } } });
    } finally {
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
      closeSync(fd);
    }
    expect(readFileSync(output, 'utf8')).toContain('"msg":"shut down"');
  }, 240_000);
});
