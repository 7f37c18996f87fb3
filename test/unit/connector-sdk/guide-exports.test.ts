/**
 * connectors/README.md is the integrator's only map of the SDK: its table "Every SDK helper" must name exactly the
 * helpers connectors/sdk exports, so the guide cannot promise a helper that is private to one connector, nor keep
 * quiet about one that exists. The contract's records and constants are documented by section 3, not the table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sdk from '../../../connectors/sdk';
import * as contract from '../../../connectors/sdk/contract';

const GUIDE = readFileSync(join(__dirname, '../../../connectors/README.md'), 'utf8');

/** The backticked names in the first column of the table under "### Every SDK helper". */
function helpersInGuide(): string[] {
  const start = GUIDE.indexOf('\n### Every SDK helper\n');
  expect(start).toBeGreaterThan(-1);
  const section = GUIDE.slice(start + 1).split(/\n#{2,3} /)[0];
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]));
}

const runtimeExports = (module: object) => Object.keys(module).filter((name) => name !== '__esModule');

describe('connectors/README.md and the SDK exports', () => {
  it('every helper the guide\'s table names is exported by connectors/sdk', () => {
    const named = helpersInGuide();
    expect(named.length).toBeGreaterThan(30);
    expect(named.filter((name) => !(name in sdk))).toEqual([]);
  });

  it('every helper connectors/sdk exports is named in the table', () => {
    const named = new Set(helpersInGuide());
    const contractValues = new Set(runtimeExports(contract));
    expect(runtimeExports(sdk).filter((name) => !contractValues.has(name) && !named.has(name)).sort()).toEqual([]);
  });

  it('names no helper private to a connector', () => {
    // @Rule(httpUrl) was file-import's own and the guide used it; the SDK's replacement is HttpUrl/httpUrlProblem.
    expect(GUIDE).not.toMatch(/@Rule\(httpUrl\)/);
    expect('HttpUrl' in sdk && 'clientCredentialsGrant' in sdk && 'bearerToken' in sdk && 'apiKeyHeader' in sdk).toBe(true);
  });

  it('links only to files inside the repository', () => {
    const links = [...GUIDE.matchAll(/\]\(([^)]+)\)|\[`([^`\]]+)`\](?!\()/g)].map((m) => m[1] ?? m[2]).filter((target) => !/^https?:/.test(target));
    const outside = links.filter((target) => {
      const resolved = join(__dirname, '../../../connectors', target.split('#')[0]);
      return !resolved.startsWith(join(__dirname, '../../../')) || !existsSafe(resolved);
    });
    expect(outside).toEqual([]);
  });
});

const REPO = join(__dirname, '../../..');

/** The rows of the table under `heading`: the backticked names of the first column and the module of the second. */
function helperRows(heading: string): Array<{ names: string[]; module: string }> {
  const start = GUIDE.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThan(-1);
  const section = GUIDE.slice(start + 1).split(/\n#{2,3} /)[0];
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((row) => {
      const cells = row.split('|');
      return { names: [...cells[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]), module: /`([^`]+)`/.exec(cells[2])?.[1] ?? '' };
    });
}

/** Each row's names that the module it gives does not export (or why the module cannot be loaded). */
function missingExports(rows: Array<{ names: string[]; module: string }>): string[] {
  return rows.flatMap(({ names, module }) => {
    let loaded: Record<string, unknown>;
    try {
      loaded = require(join(REPO, module)) as Record<string, unknown>;
    } catch (error) {
      return [`${module}: ${(error as Error).message.split('\n')[0]}`];
    }
    return names.filter((name) => !(name in loaded)).map((name) => `${name} from ${module}`);
  });
}

describe("connectors/README.md's tables of test helpers", () => {
  const TESTKIT = "### The testkit's helpers for your own tests";
  const ENGINE_TEST = '### An engine test of your own';

  it('every testkit helper is exported by the module its row names', () => {
    const rows = helperRows(TESTKIT);
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.every((row) => row.module.startsWith('connectors/sdk/testkit/'))).toBe(true);
    expect(missingExports(rows)).toEqual([]);
  });

  it('every runtime export of those testkit modules is named in the table', () => {
    const rows = helperRows(TESTKIT);
    const named = new Set(rows.flatMap((row) => row.names));
    const unnamed = [...new Set(rows.map((row) => row.module))].flatMap((module) =>
      runtimeExports(require(join(REPO, module)) as object)
        .filter((name) => !named.has(name))
        .map((name) => `${name} from ${module}`),
    );
    expect(unnamed).toEqual([]);
  });

  it('every core test helper is exported by the module its row names', () => {
    const rows = helperRows(ENGINE_TEST);
    expect(rows.length).toBeGreaterThan(4);
    expect(missingExports(rows)).toEqual([]);
  });
});

function existsSafe(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EISDIR';
  }
}
