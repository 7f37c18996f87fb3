/** The contract kit's handle on this connector: its definition, its Datto simulator, and configurations to break. */
import type { ContractHarness } from '../sdk/testkit/harness';
import { dattoRmmConnector } from './index';
import { startDattoSimulator } from './simulator';

const without = (raw: Record<string, unknown>, key: string): Record<string, unknown> => {
  const copy = { ...raw };
  delete copy[key];
  return copy;
};

export const harness: ContractHarness = {
  definition: dattoRmmConnector,
  start: (options) => startDattoSimulator(options),
  invalidConfigs: [
    { name: 'apiUrl missing', mutate: (valid) => without(valid, 'apiUrl'), field: 'apiUrl' },
    { name: 'apiUrl over plain http to another host', mutate: (valid) => ({ ...valid, apiUrl: 'http://merlot-api.centrastage.net' }), field: 'apiUrl' },
    { name: 'apiKey with spaces', mutate: (valid) => ({ ...valid, apiKey: 'my api key' }), field: 'apiKey' },
    { name: 'apiSecret missing', mutate: (valid) => without(valid, 'apiSecret'), field: 'apiSecret' },
    { name: 'pageSize above 250', mutate: (valid) => ({ ...valid, pageSize: 251 }), field: 'pageSize' },
    { name: 'readsPerMinute above 600', mutate: (valid) => ({ ...valid, readsPerMinute: 601 }), field: 'readsPerMinute' },
    { name: 'backoffOn429Seconds 0', mutate: (valid) => ({ ...valid, backoffOn429Seconds: 0 }), field: 'backoffOn429Seconds' },
    { name: 'staleAfterDays 0', mutate: (valid) => ({ ...valid, staleAfterDays: 0 }), field: 'staleAfterDays' },
    { name: 'unknown setting platform', mutate: (valid) => ({ ...valid, platform: 'merlot' }), field: 'platform' },
  ],
  usesTokens: true,
  // Datto's API has no per-update data: each device carries a patch posture instead.
  reportsUpdates: false,
};
