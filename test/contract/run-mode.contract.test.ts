/**
 * The run mode is the connector's stated capability and the engine's choice, not a cursor's presence: a full-only
 * connector that never calls setCursor passes the contract kit and is always read in full; an incremental one is
 * read incrementally once a full read stored its device cursor, and is told so through `request.mode`.
 */
import { CONNECTORS } from '../../connectors/registry';
import type { Connector, ConnectorDefinition, RunMode, StreamRequest } from '../../connectors/sdk/contract';
import { describeConnectorContract } from '../../connectors/sdk/testkit/contract-suite';
import type { ContractHarness } from '../../connectors/sdk/testkit/harness';
import { harness as fileImportHarness } from '../../connectors/file-import/testing';
import { openEngineProbe } from './engine-probe';

type StreamName = 'devices' | 'updates' | 'patchStates';

/**
 * The file-import connector under another kind, recording the mode of every request. Full-only, it states no
 * capability and never reports a cursor: its source has no "changed since" filter as far as the engine can tell.
 */
function observedImport(kind: string, incremental: boolean): { definition: ConnectorDefinition<any>; modes: RunMode[][] } {
  const base = fileImportHarness.definition;
  const modes: RunMode[][] = [];
  const definition: ConnectorDefinition<any> = {
    ...base,
    kind,
    capabilities: incremental ? { incremental: true } : undefined,
    create(config, context): Connector {
      const inner = base.create(config, context);
      const run: RunMode[] = [];
      modes.push(run);
      const stream = <N extends StreamName>(name: N) => ((request: StreamRequest) => {
        run.push(request.mode);
        return inner[name](incremental ? request : { ...request, cursor: null, setCursor: () => undefined });
      }) as Connector[N];
      return { ...inner, testConnection: (o) => inner.testConnection(o), close: () => inner.close?.() ?? Promise.resolve(), devices: stream('devices'), updates: stream('updates'), patchStates: stream('patchStates') };
    },
  };
  return { definition, modes };
}

const fullOnly = observedImport('full-only-import', false);
const incremental = observedImport('incremental-import', true);
// The registry is the engine's only way to a connector kind; these two exist for this file's runs only.
(CONNECTORS as Array<ConnectorDefinition<any>>).push(fullOnly.definition, incremental.definition);

const fullOnlyHarness: ContractHarness = { ...fileImportHarness, definition: fullOnly.definition };
describeConnectorContract(fullOnlyHarness, { engine: openEngineProbe });

describe('run mode through the sync engine', () => {
  let probe: Awaited<ReturnType<typeof openEngineProbe>>;
  beforeAll(async () => {
    probe = await openEngineProbe();
  });
  afterAll(() => probe?.close());

  async function twoRuns(kind: string, modes: RunMode[][]) {
    const sim = await fileImportHarness.start({ devices: 6, pageSize: 4, seed: 3 });
    try {
      const id = await probe.createInstance(kind, sim.validConfig());
      const seenBefore = modes.length;
      const first = await probe.sync(id);
      await sim.mutate();
      const second = await probe.sync(id);
      return { runs: [first, second].map((r) => [r.status, r.mode]), requested: modes.slice(seenBefore) };
    } finally {
      await sim.close();
    }
  }

  it('a full-only connector that never calls setCursor is read in full every run', async () => {
    const { runs, requested } = await twoRuns(fullOnly.definition.kind, fullOnly.modes);
    expect(runs).toEqual([['SUCCEEDED', 'FULL'], ['SUCCEEDED', 'FULL']]);
    expect(requested).toEqual([['full', 'full', 'full'], ['full', 'full', 'full']]);
  });

  it('an incremental connector is read in full first, then incrementally, and request.mode says so', async () => {
    const { runs, requested } = await twoRuns(incremental.definition.kind, incremental.modes);
    expect(runs).toEqual([['SUCCEEDED', 'FULL'], ['SUCCEEDED', 'INCREMENTAL']]);
    expect(requested).toEqual([['full', 'full', 'full'], ['incremental', 'incremental', 'incremental']]);
  });

  it('a forced full run of an incremental connector asks for a full read', async () => {
    const sim = await fileImportHarness.start({ devices: 6, pageSize: 4, seed: 5 });
    try {
      const id = await probe.createInstance(incremental.definition.kind, sim.validConfig());
      await probe.sync(id);
      const seenBefore = incremental.modes.length;
      const forced = await probe.sync(id, { full: true });
      expect([forced.status, forced.mode]).toEqual(['SUCCEEDED', 'FULL']);
      expect(incremental.modes.slice(seenBefore)).toEqual([['full', 'full', 'full']]);
    } finally {
      await sim.close();
    }
  });
});
