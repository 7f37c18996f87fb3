/**
 * Dependencies run one way: the core depends on the connector SDK and connectors, never the reverse; the SDK stands
 * alone; no connector reaches into another. The rules, with their reasons, are .dependency-cruiser.cjs; this runs
 * dependency-cruiser over src/ and connectors/ and lists any import that breaks one.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ENGINE } from '../helpers/database';

const ROOT = join(__dirname, '..', '..');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

// The source tree is the same whichever engine the project tests: checked once, in the SQLite project.
(ENGINE === 'sqlite' ? describe : describe.skip)('dependency direction', () => {
  it('no import breaks the rules of .dependency-cruiser.cjs', () => {
    const cli = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
    const out = execFileSync(process.execPath, [cli, 'src', 'connectors', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
      cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
    });
    const result = JSON.parse(out) as { summary: { violations: Violation[]; totalCruised: number; ruleSetUsed: { forbidden: Array<{ name: string }> } } };
    expect(result.summary.ruleSetUsed.forbidden.map((r) => r.name)).toEqual(
      ['sdk-stands-alone', 'connectors-not-core', 'connectors-independent', 'core-through-sdk-and-registry', 'entities-below-graphql', 'graphql-through-access', 'no-circular-sdk'],
    );
    // The whole tree was read, not an empty selection.
    expect(result.summary.totalCruised).toBeGreaterThan(400);
    expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  }, 120_000);
});
