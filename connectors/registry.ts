/**
 * Every connector kind patchgraph ships. Adding a connector is one folder under connectors/ and one import and one entry here
 * (see connectors/README.md); the contract test kit finds the folder by itself.
 */
import type { ConnectorDefinition } from './sdk/contract';
import { dattoRmmConnector } from './datto-rmm';
import { fileImportConnector } from './file-import';
import { intuneConnector } from './intune';
import { ninjaOneConnector } from './ninjaone';
import { wsusConnector } from './wsus';

export const CONNECTORS: ReadonlyArray<ConnectorDefinition<any>> = [
  fileImportConnector,
  intuneConnector,
  dattoRmmConnector,
  wsusConnector,
  ninjaOneConnector,
];

export function connectorDefinition(kind: string): ConnectorDefinition<any> | undefined {
  return CONNECTORS.find((c) => c.kind === kind);
}
