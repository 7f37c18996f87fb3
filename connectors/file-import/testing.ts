/** The contract kit's handle on this connector: its definition, its simulator, and configurations to break. */
import type { ContractHarness } from '../sdk/testkit/harness';
import { fileImportConnector } from './index';
import { startFileImportSimulator } from './simulator';

const without = (raw: Record<string, unknown>, key: string): Record<string, unknown> => {
  const copy = { ...raw };
  delete copy[key];
  return copy;
};

export const harness: ContractHarness = {
  definition: fileImportConnector,
  start: (options) => startFileImportSimulator(options),
  invalidConfigs: [
    { name: 'url is not a URL', mutate: (valid) => ({ ...valid, url: 'inventory feed' }), field: 'url' },
    { name: 'url is not http(s)', mutate: (valid) => ({ ...valid, url: 'ftp://127.0.0.1/inventory' }), field: 'url' },
    { name: 'neither path nor url', mutate: (valid) => without(valid, 'url'), field: 'path' },
    { name: 'both path and url', mutate: (valid) => ({ ...valid, path: '/srv/inventory.json' }), field: 'path' },
    { name: 'tokenUrl without clientSecret', mutate: (valid) => without(valid, 'clientSecret'), field: 'clientSecret' },
    { name: 'tokenUrl without clientId', mutate: (valid) => without(valid, 'clientId'), field: 'clientId' },
    { name: 'client credentials without tokenUrl', mutate: (valid) => without(valid, 'tokenUrl'), field: 'tokenUrl' },
    { name: 'pageSize 0', mutate: (valid) => ({ ...valid, pageSize: 0 }), field: 'pageSize' },
    { name: 'pageSize above 5000', mutate: (valid) => ({ ...valid, pageSize: 5001 }), field: 'pageSize' },
    { name: 'unknown setting colour', mutate: (valid) => ({ ...valid, colour: 'blue' }), field: 'colour' },
  ],
  usesTokens: true,
};
