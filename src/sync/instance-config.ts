/**
 * A connector instance's configuration as stored: public settings as JSON, secrets encrypted and bound to the
 * instance id. Loading validates it again, because the connector's rules may be stricter than when it was saved.
 */
import { connectorDefinition } from '../../connectors/registry';
import { parseConfig } from '../../connectors/sdk/config';
import type { ConnectorDefinition } from '../../connectors/sdk/contract';
import { ConfigError } from '../../connectors/sdk/errors';
import { ConnectorInstance } from '../entities';
import { SecretBox } from '../secrets/secret-box';

export function rawSettings(instance: ConnectorInstance, secrets: SecretBox): Record<string, unknown> {
  const pub = JSON.parse(instance.settingsJson || '{}') as Record<string, unknown>;
  const secret = instance.secretsCiphertext ? secrets.decrypt(instance.secretsCiphertext, instance.id) : {};
  return { ...pub, ...secret };
}

export function loadInstanceConfig(instance: ConnectorInstance, secrets: SecretBox): { definition: ConnectorDefinition<any>; config: object } {
  const definition = connectorDefinition(instance.kind);
  if (!definition) throw new ConfigError('kind', `no connector of kind "${instance.kind}" is installed`);
  return { definition, config: parseConfig(definition, rawSettings(instance, secrets)) };
}
