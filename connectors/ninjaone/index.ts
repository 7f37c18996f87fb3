import type { ConnectorDefinition } from '../sdk';
import { NinjaOneConfig } from './config';
import { createNinjaOneConnector } from './connector';

export const ninjaOneConnector: ConnectorDefinition<NinjaOneConfig> = {
  kind: 'ninjaone',
  displayName: 'NinjaOne',
  description:
    'Reads devices of every NinjaOne organization (organizations as tenants, locations as sites) and their Windows patches from the OS patch and patch install reports.',
  configClass: NinjaOneConfig,
  // NinjaOne's device list has no "changed since" filter, so every run reads everything.
  create: (config, context) => createNinjaOneConnector(config, context),
};
