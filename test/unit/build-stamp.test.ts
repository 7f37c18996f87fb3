/**
 * scripts/build.js, which bin/patchgraph.js runs before every command: compile when a source changed, and only then.
 * Exercised on a small project of its own with the real compiler, so that it needs no build of this one.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build, LOCK, staleBecause } from '../../scripts/build';
import { ENGINE } from '../helpers/database';

// Nothing here touches a database: once is enough.
const describeOnSqlite = ENGINE === 'sqlite' ? describe : describe.skip;

describeOnSqlite('scripts/build.js --if-changed', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const compiled = () => readFileSync(join(root, 'dist', 'src', 'cli', 'main.js'), 'utf8');
  const log: string[] = [];
  const buildIfChanged = () => build({ root, ifChanged: true, stdio: 'pipe', log: (line) => log.push(line) });

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'patchgraph-build-'));
    write('tsconfig.json', JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', rootDir: '.', outDir: 'dist', types: [], strict: true } }));
    write('tsconfig.build.json', JSON.stringify({ extends: './tsconfig.json', include: ['src'], exclude: ['**/*.test.ts'] }));
    write('src/cli/main.ts', 'export const answer: number = 41;\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('compiles a tree that was never built, and says why', () => {
    expect(staleBecause(root)).toBe('there is no build yet');
    expect(buildIfChanged()).toBe('built');
    expect(compiled()).toContain('exports.answer = 41');
    expect(log[0]).toBe('patchgraph: compiling, because there is no build yet (npm run build)…');
    expect(log[1]).toMatch(/^patchgraph: compiled in \d+\.\d s$/);
    expect(staleBecause(root)).toBeNull();
  });

  it('does nothing when no source changed, even when one was touched', () => {
    const before = statSync(join(root, 'dist', 'src', 'cli', 'main.js')).mtimeMs;
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src', 'cli', 'main.ts'), later, later); // what a git checkout or an editor's save does
    expect(buildIfChanged()).toBe('up-to-date');
    // A test file is not part of the build.
    write('src/cli/main.test.ts', 'export {};\n');
    expect(buildIfChanged()).toBe('up-to-date');
    expect(statSync(join(root, 'dist', 'src', 'cli', 'main.js')).mtimeMs).toBe(before);
  });

  it('compiles again when a source changes or a file is added', () => {
    write('src/cli/main.ts', 'export const answer: number = 42;\n');
    expect(staleBecause(root)).toBe('the sources changed since the last build');
    expect(buildIfChanged()).toBe('built');
    expect(compiled()).toContain('exports.answer = 42');

    write('src/extra.ts', 'export const extra = 1;\n');
    expect(staleBecause(root)).toBe('the sources changed since the last build');
    expect(buildIfChanged()).toBe('built');
    expect(buildIfChanged()).toBe('up-to-date');
  });

  it('compiles once when two commands start together on a stale tree, and both run the new build', async () => {
    write('src/cli/main.ts', 'export const answer: number = 44;\n');
    // Each a process of its own, as two `npx patchgraph …` are: the lock is between processes.
    const script = `const { build } = require(${JSON.stringify(join(__dirname, '..', '..', 'scripts', 'build.js'))});
      const lines = [];
      const result = build({ root: ${JSON.stringify(root)}, ifChanged: true, stdio: 'pipe', log: (l) => lines.push(l) });
      const main = require('fs').readFileSync(${JSON.stringify(join(root, 'dist', 'src', 'cli', 'main.js'))}, 'utf8');
      process.stdout.write(JSON.stringify({ result, lines, answer: /exports.answer = (\\d+)/.exec(main)[1] }));`;
    const run = () =>
      new Promise<{ result: string; lines: string[]; answer: string }>((resolve, reject) => {
        execFile(process.execPath, ['-e', script], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))));
      });
    const both = await Promise.all([run(), run()]);
    expect(both.map((b) => b.answer)).toEqual(['44', '44']);
    expect(both.map((b) => b.result).sort()).toEqual(['built', 'up-to-date']);
    expect(both.flatMap((b) => b.lines).filter((l) => l.includes('compiling'))).toHaveLength(1);
    expect(existsSync(join(root, LOCK))).toBe(false);
  });

  it('takes over a lock whose holder died, and waits for one whose holder runs', async () => {
    write('src/cli/main.ts', 'export const answer: number = 45;\n');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(join(root, LOCK));
    writeFileSync(join(root, LOCK, 'pid'), `${dead.stdout}\n`);
    expect(buildIfChanged()).toBe('built');
    expect(compiled()).toContain('exports.answer = 45');

    // A live holder (this process): an up-to-date tree still waits until it lets go.
    mkdirSync(join(root, LOCK));
    writeFileSync(join(root, LOCK, 'pid'), `${process.pid}\n`);
    const waiter = new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(join(__dirname, '..', '..', 'scripts', 'build.js'))}).build({ root: ${JSON.stringify(root)}, ifChanged: true, stdio: 'pipe', log() {} }))`],
        (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    let settled = false;
    void waiter.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(settled).toBe(false);
    rmSync(join(root, LOCK), { recursive: true });
    expect(await waiter).toBe('up-to-date');
  });

  it('leaves the tree marked stale when the compile fails, so the next start tries again', () => {
    write('src/cli/main.ts', 'export const answer: number = "forty-three";\n');
    expect(() => buildIfChanged()).toThrow('tsc -p tsconfig.build.json failed');
    expect(staleBecause(root)).toBe('the sources changed since the last build');
  });
});
