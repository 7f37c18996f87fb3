import { Logger } from 'pino';
import { Access } from '../access/access';
import { Principal } from '../auth/principal';
import { Config } from '../config/config';
import { Clock } from '../util/clock';
import { Loaders } from './loaders/loaders';

/** Built once per request. Holds the tenant-scoped access layer, never the raw DataSource. */
export interface RequestContext {
  requestId: string;
  principal: Principal;
  access: Access;
  loaders: Loaders;
  logger: Logger;
  clock: Clock;
  config: Config;
}
