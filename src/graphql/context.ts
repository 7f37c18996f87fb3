import { Logger } from 'pino';
import { Access } from '../access/access';
import { Principal } from '../auth/principal';
import { Config } from '../config/config';
import { SecretBox } from '../secrets/secret-box';
import { SyncEngine } from '../sync/sync-engine';
import type { SyncQueue } from '../sync/sync-queue';
import { Clock } from '../util/clock';
import { AuthorizationRecord } from './enforce-permissions';
import { Loaders } from './loaders/loaders';

/** Built once per request. Holds the tenant-scoped access layer, never the raw DataSource. */
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
  /** Starts syncs (triggerSync) and tests connections. */
  sync: SyncEngine;
  /** With REDIS_URL, where triggerSync queues its run for the workers; absent, it runs in this process. */
  syncQueue?: SyncQueue;
  /** Reads which secrets an instance has set, never their values. */
  secrets: SecretBox;
}
