import { parseConfig } from '../sdk/config';
import type { ConnectorDefinition } from '../sdk/contract';
import { WsusConfig } from './config';
import { createWsusConnector } from './connector';
import { wsusDemo } from './demo';
import { wsusIngest } from './ingest';

export { WsusConfig } from './config';
export { checkEnvelope, EnvelopeError, ENVELOPE_FORMAT, ENVELOPE_VERSION, type WsusEnvelope } from './envelope';
export { StaleSnapshotError } from './connector';

export const wsusConnector: ConnectorDefinition<WsusConfig> = {
  kind: 'wsus',
  displayName: 'WSUS (collector or SUSDB)',
  description:
    "Receives snapshots of a WSUS server's SUSDB from the collector script on the WSUS host (or reads SUSDB on a full SQL Server): computers, target groups, updates, per-update installation states and approvals.",
  configClass: WsusConfig,
  create: (config, context) => createWsusConnector(parseConfig(wsusConnector, { ...config }), context),
  pushOnly: (config) => (config.source ?? 'collector') === 'collector',
  ingest: wsusIngest,
  demo: wsusDemo,
};
