import { parseConfig } from '../sdk/config';
import type { ConnectorDefinition } from '../sdk/contract';
import { DattoRmmConfig } from './config';
import { createDattoRmmConnector } from './connector';
import { dattoRmmDemo } from './demo';

export { DattoRmmConfig } from './config';

export const dattoRmmConnector: ConnectorDefinition<DattoRmmConfig> = {
  kind: 'datto-rmm',
  displayName: 'Datto RMM (API v2)',
  description:
    "Reads a Datto RMM account's sites and devices, with serials and MACs from device audits and each device's patch posture; usually MSP-wide, its sites mapped to tenants.",
  configClass: DattoRmmConfig,
  // Datto lists every device each run; an incremental run skips the audits and records of unchanged devices.
  capabilities: { incremental: true },
  create: (config, context) => createDattoRmmConnector(parseConfig(dattoRmmConnector, { ...config }), context),
  demo: dattoRmmDemo,
};
