/**
 * scripts/build.js, which bin/patchgraph.js runs before every command: compile when a source changed, and only then.
 * Exercised on a small project of its own with the real compiler, so that it needs no build of this one.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build, staleBecause } from '../../scripts/build';
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

  it('leaves the tree marked stale when the compile fails, so the next start tries again', () => {
    write('src/cli/main.ts', 'export const answer: number = "forty-three";\n');
    expect(() => buildIfChanged()).toThrow('tsc -p tsconfig.build.json failed');
    expect(staleBecause(root)).toBe('the sources changed since the last build');
  });
});
