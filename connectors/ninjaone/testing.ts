import type { ContractHarness } from '../sdk/testkit/harness';
import { ninjaOneConnector } from './index';
import { startNinjaOneSimulator } from './simulator/server';

export const harness: ContractHarness = {
  definition: ninjaOneConnector,
  start: (options) => startNinjaOneSimulator(options),
  invalidConfigs: [
    { name: 'instance URL is not a URL', mutate: (v) => ({ ...v, apiUrl: 'eu.ninjarmm' }), field: 'apiUrl' },
    { name: 'instance URL is plain http to a remote host', mutate: (v) => ({ ...v, apiUrl: 'http://eu.ninjarmm.com' }), field: 'apiUrl' },
    { name: 'client id is missing', mutate: ({ clientId: _, ...v }) => v, field: 'clientId' },
    { name: 'client secret is empty', mutate: (v) => ({ ...v, clientSecret: '' }), field: 'clientSecret' },
    { name: 'inactive-after days is not a whole number', mutate: (v) => ({ ...v, staleAfterDays: 2.5 }), field: 'staleAfterDays' },
  ],
  usesTokens: true,
};
