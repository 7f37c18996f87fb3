/**
 * The contract kit's handle on this connector: a push source. The seeded WSUS server plays the collector: each
 * upload is its snapshot of the moment, handed to the run as its payload.
 */
import type { ContractHarness, Fault, SimulatorControl, SimulatorOptions, SimulatorStats } from '../sdk/testkit/harness';
import { wsusConnector } from './index';
import { WsusSimulator } from './simulator';

/** Not a real key; long and odd enough to search logs and errors for. */
export const SIMULATOR_INGEST_KEY = 'sim~WsusIngest.4Qz_9vK2xP8Lm1Rt6Yb3Nw';

export function wsusSimulatorControl(options: SimulatorOptions & { now?: Date }): SimulatorControl & { server: WsusSimulator } {
  const server = new WsusSimulator({ computers: options.devices, seed: options.seed, now: options.now });
  let stats: SimulatorStats = { dataRequests: 0, tokenRequests: 0, unauthorized: 0 };
  // Malformed uploads scheduled by upload number (counted from injection), as the kit's faults count requests.
  let broken: Array<{ from: number; to: number }> = [];
  let uploads = 0;
  return {
    server,
    validConfig: () => ({ ingestKey: SIMULATOR_INGEST_KEY }),
    badCredentialsConfig: () => ({ ingestKey: `${SIMULATOR_INGEST_KEY}-wrong` }),
    inject(fault: Fault) {
      // Status codes and token expiry are the ingest endpoint's concern; only a broken upload reaches a connector.
      if (fault.type === 'malformed') broken.push({ from: uploads + fault.onRequest, to: uploads + fault.onRequest + (fault.times ?? 1) - 1 });
    },
    async mutate() {
      return { changedDeviceIds: server.advance(3_600_000).changedComputerIds };
    },
    async removeDevice() {
      return server.removeComputer();
    },
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats = { dataRequests: 0, tokenRequests: 0, unauthorized: 0 };
    },
    async close() {},
    payload() {
      uploads++;
      stats.dataRequests++;
      const snapshot = server.snapshot();
      broken = broken.filter((b) => b.to >= uploads);
      if (broken.some((b) => uploads >= b.from && uploads <= b.to)) {
        // What a truncated or hand-edited upload looks like once parsed: a required row set is missing.
        const { installations: _dropped, ...rows } = snapshot.rows;
        void _dropped;
        return { ...snapshot, rows };
      }
      return snapshot;
    },
  };
}

export const harness: ContractHarness = {
  definition: wsusConnector,
  start: async (options) => wsusSimulatorControl(options),
  invalidConfigs: [
    { name: 'ingestKey missing', mutate: () => ({}), field: 'ingestKey' },
    { name: 'ingestKey too short', mutate: () => ({ ingestKey: 'short-key' }), field: 'ingestKey' },
    { name: 'source unknown', mutate: (valid) => ({ ...valid, source: 'soap' }), field: 'source' },
    { name: 'sqlserver without sqlServer', mutate: () => ({ source: 'sqlserver', sqlUser: 'patchgraph', sqlPassword: 'p@ss-W0rd-long' }), field: 'sqlServer' },
    { name: 'sqlserver with an ingest key', mutate: (valid) => ({ ...valid, source: 'sqlserver', sqlServer: 'sql01', sqlUser: 'patchgraph', sqlPassword: 'p@ss-W0rd-long' }), field: 'ingestKey' },
    { name: 'targetGroups unknown', mutate: (valid) => ({ ...valid, targetGroups: 'tenants' }), field: 'targetGroups' },
    { name: 'unknown setting url', mutate: (valid) => ({ ...valid, url: 'https://wsus01:8531' }), field: 'url' },
  ],
  usesTokens: false,
  transport: 'push',
};
