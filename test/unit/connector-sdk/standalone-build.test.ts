/**
 * The connector SDK compiles on its own, as it would be published: connectors/sdk/tsconfig.json makes the folder the
 * root of the build, so one import reaching the core or a connector fails it (TS6059, "not under rootDir").
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SDK_VERSION } from '../../../connectors/sdk';
import { ENGINE } from '../../helpers/database';

const ROOT = join(__dirname, '..', '..', '..');

// The source is the same whichever engine the project tests: compiled once, in the SQLite project.
(ENGINE === 'sqlite' ? describe : describe.skip)('the connector SDK on its own', () => {
  it('compiles with only its own folder as the root', () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    // Throws with tsc's diagnostics if any file of the SDK imports from outside it.
    const out = execFileSync(process.execPath, [tsc, '-p', join('connectors', 'sdk', 'tsconfig.json'), '--noEmit', '--listFiles'], { cwd: ROOT, encoding: 'utf8' });
    const ours = out.split('\n').filter((f) => f && !f.includes('/node_modules/')).map((f) => f.slice(ROOT.length + 1));
    expect(ours.length).toBeGreaterThan(20);
    expect(ours.filter((f) => !f.startsWith('connectors/sdk/'))).toEqual([]);
  }, 120_000);

  it('has a semantic version', () => {
    expect(SDK_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
