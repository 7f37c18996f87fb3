import { Logger } from 'pino';
import { Access } from '../access/access';
import { ConnectorSyncs } from '../access/connector-syncs';
import { Principal } from '../auth/principal';
import { Config } from '../config/config';
import { Clock } from '../util/clock';
import { AuthorizationRecord } from './enforce-permissions';
import { Loaders } from './loaders/loaders';

/** Built once per request. Holds tenant-scoped services only: never the DataSource, the sync engine or the secret box. */
export interface RequestContext {
  requestId: string;
  principal: Principal;
  /** Counts the permission checks this request ran (see authorization-backstop.ts). */
  authz: AuthorizationRecord;
  access: Access;
  loaders: Loaders;
  logger: Logger;
  clock: Clock;
  config: Config;
  /** Tests connections and starts syncs of the instances the caller may see (in process, or queued for workers with REDIS_URL). */
  connectorSyncs: ConnectorSyncs;
}
