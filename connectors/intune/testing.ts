/** The contract kit's handle on this connector: its definition, its Graph simulator, and configurations to break. */
import type { ContractHarness } from '../sdk/testkit/harness';
import { intuneConnector } from './index';
import { startIntuneSimulator } from './simulator';

const without = (raw: Record<string, unknown>, key: string): Record<string, unknown> => {
  const copy = { ...raw };
  delete copy[key];
  return copy;
};

export const harness: ContractHarness = {
  definition: intuneConnector,
  start: (options) => startIntuneSimulator(options),
  invalidConfigs: [
    { name: 'tenantId missing', mutate: (valid) => without(valid, 'tenantId'), field: 'tenantId' },
    { name: 'tenantId neither a GUID nor a domain', mutate: (valid) => ({ ...valid, tenantId: 'Contoso Ltd' }), field: 'tenantId' },
    { name: 'clientId not a GUID', mutate: (valid) => ({ ...valid, clientId: 'patchgraph-app' }), field: 'clientId' },
    { name: 'clientSecret missing', mutate: (valid) => without(valid, 'clientSecret'), field: 'clientSecret' },
    { name: 'clientSecret blank', mutate: (valid) => ({ ...valid, clientSecret: '   ' }), field: 'clientSecret' },
    { name: 'authorityHost over plain http to another host', mutate: (valid) => ({ ...valid, authorityHost: 'http://login.example.net' }), field: 'authorityHost' },
    { name: 'graphBaseUrl not a URL', mutate: (valid) => ({ ...valid, graphBaseUrl: 'graph.microsoft.com' }), field: 'graphBaseUrl' },
    { name: 'tokenScope without /.default', mutate: (valid) => ({ ...valid, tokenScope: 'https://graph.microsoft.com/DeviceManagementManagedDevices.Read.All' }), field: 'tokenScope' },
    { name: 'tokenScope with a space', mutate: (valid) => ({ ...valid, tokenScope: 'https://graph.microsoft.com/.default openid' }), field: 'tokenScope' },
    { name: 'pageSize 0', mutate: (valid) => ({ ...valid, pageSize: 0 }), field: 'pageSize' },
    { name: 'pageSize above 1000', mutate: (valid) => ({ ...valid, pageSize: 1001 }), field: 'pageSize' },
    { name: 'staleAfterDays 0', mutate: (valid) => ({ ...valid, staleAfterDays: 0 }), field: 'staleAfterDays' },
    { name: 'updateCatalog unknown', mutate: (valid) => ({ ...valid, updateCatalog: 'sometimes' }), field: 'updateCatalog' },
    { name: 'unknown setting region', mutate: (valid) => ({ ...valid, region: 'emea' }), field: 'region' },
  ],
  usesTokens: true,
};
