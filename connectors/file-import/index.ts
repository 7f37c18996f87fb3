import { parseConfig } from '../sdk/config';
import type { ConnectorDefinition } from '../sdk/contract';
import { FileImportConfig } from './config';
import { createFileImportConnector } from './connector';

export { FileImportConfig } from './config';
export { COLUMNS, STREAMS, type StreamName } from './format';
export { INVENTORY_FORMAT, INVENTORY_VERSION } from './inventory-json';

export const fileImportConnector: ConnectorDefinition<FileImportConfig> = {
  kind: 'file-import',
  displayName: 'Inventory import (CSV/JSON)',
  description: 'Reads devices, updates and patch states from a CSV or JSON inventory file, or from an HTTP feed in the same format, for tools without a connector of their own.',
  configClass: FileImportConfig,
  // Rows with a modification time are read "since" the newest one seen; a file without them is read whole.
  capabilities: { incremental: true },
  // Validated again here: the rules across fields (path or url, tokenUrl with its client) must hold whoever calls.
  create: (config, context) => createFileImportConnector(parseFileImportConfig({ ...config }), context),
};

/** Raw settings to a checked configuration; throws ConfigError naming the field. */
export function parseFileImportConfig(raw: unknown): FileImportConfig {
  return parseConfig(fileImportConnector, raw);
}
