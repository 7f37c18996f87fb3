/**
 * Every connector under connectors/ passes the same contract, on every database engine. Connectors are found, not
 * listed: a new connector folder is tested from the moment it has an index.ts, and one without a test harness
 * fails here by name instead of going untested.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeConnectorContract } from '../../connectors/sdk/testkit/contract-suite';
import type { ContractHarness } from '../../connectors/sdk/testkit/harness';
import { openEngineProbe } from './engine-probe';

const CONNECTORS_DIR = join(__dirname, '..', '..', 'connectors');

/** Connector folders: every directory but the SDK that has an index.ts. */
function connectorFolders(): string[] {
  return readdirSync(CONNECTORS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'sdk' && existsSync(join(CONNECTORS_DIR, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
}

/** The folder's harness, or why there is none. */
function loadHarness(folder: string): { harness: ContractHarness } | { problem: string } {
  const file = join(CONNECTORS_DIR, folder, 'testing.ts');
  if (!existsSync(file)) return { problem: `connectors/${folder} has no testing.ts exporting \`harness\`` };
  const harness = (require(file) as { harness?: ContractHarness }).harness;
  if (!harness || typeof harness !== 'object' || typeof harness.start !== 'function' || !harness.definition) {
    return { problem: `connectors/${folder}/testing.ts does not export a ContractHarness named \`harness\`` };
  }
  return { harness };
}

/**
 * PATCHGRAPH_CONNECTOR=<kind>[,<kind>…] runs only those connectors' kits (connectors/README.md, "Run one
 * connector's kit"). A name that is no connector folder fails rather than quietly running nothing.
 */
const only = (process.env.PATCHGRAPH_CONNECTOR ?? '').split(',').map((k) => k.trim()).filter(Boolean);
const found = connectorFolders();
const folders = only.length ? found.filter((f) => only.includes(f)) : found;

it('finds at least one connector folder under connectors/', () => {
  expect(folders).not.toEqual([]);
});

if (only.length) {
  it(`PATCHGRAPH_CONNECTOR names connector folders (${only.join(', ')})`, () => {
    expect(only.filter((k) => !found.includes(k))).toEqual([]);
  });
}

for (const folder of folders) {
  const loaded = loadHarness(folder);
  if ('problem' in loaded) {
    it(`connectors/${folder} provides a contract harness`, () => {
      throw new Error(loaded.problem);
    });
    continue;
  }
  // The instance kind is stored forever and the folder is where people look for it; they must agree.
  it(`connectors/${folder}: the definition's kind is the folder name`, () => {
    expect(loaded.harness.definition.kind).toBe(folder);
  });
  describeConnectorContract(loaded.harness, { engine: openEngineProbe });
}
