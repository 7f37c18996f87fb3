import { parseConfig } from '../sdk/config';
import type { ConnectorDefinition } from '../sdk/contract';
import { IntuneConfig } from './config';
import { createIntuneConnector } from './connector';
import { intuneDemo } from './demo';

export { IntuneConfig } from './config';

export const intuneConnector: ConnectorDefinition<IntuneConfig> = {
  kind: 'intune',
  displayName: 'Microsoft Intune (Microsoft Graph)',
  description:
    "Reads one client tenant's Intune managed devices through Microsoft Graph and derives each Windows device's cumulative-update state from its OS build.",
  configClass: IntuneConfig,
  // Graph filters managed devices by lastSyncDateTime.
  capabilities: { incremental: true },
  create: (config, context) => createIntuneConnector(parseConfig(intuneConnector, { ...config }), context),
  demo: intuneDemo,
};
