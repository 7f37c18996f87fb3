import { Writable } from 'node:stream';
import { GraphQLSchema } from 'graphql';
import { createApiKey } from '../../src/auth/api-keys';
import { configureFileImport } from '../../connectors/file-import/policy';
import { Config, loadConfig } from '../../src/config/config';
import { Role } from '../../src/entities/enums';
import { SecretBox } from '../../src/secrets/secret-box';
import { RunningApp, startApp } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { Clock, fixedClock } from '../../src/util/clock';
import { SyncEngine } from '../../src/sync/sync-engine';
import type { SyncQueue } from '../../src/sync/sync-queue';
import { Metrics } from '../../src/observability/metrics';
import { TestDatabase } from './database';
import { SUITE_FILE_IMPORT } from './inventory';
import { ephemeralSecretBox, recordingSleep } from './sync';

/** SUITE_FILE_IMPORT (temp files, loopback simulators) as the environment variables an operator would set. */
const suiteFileImportEnv = { PATCHGRAPH_IMPORT_DIR: SUITE_FILE_IMPORT.importDir!, PATCHGRAPH_ALLOW_PRIVATE_URLS: String(SUITE_FILE_IMPORT.allowPrivateUrls) };
/**
 * Rate limits far above what any test sends, so that a test of something else (a corpus of bad keys, a series of
 * uploads) is not refused with 429; test/e2e/hardening.test.ts sets small ones to test the limits themselves.
 */
const suiteRateLimitEnv = { PATCHGRAPH_RATE_LIMIT_PER_MINUTE: '1000000', PATCHGRAPH_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '1000000', PATCHGRAPH_INGEST_RATE_LIMIT_PER_MINUTE: '10000' };

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }> };
}

export interface TestServer {
  app: RunningApp;
  sync: SyncEngine;
  config: Config;
  clock: Clock;
  /** The box the server encrypts connector secrets with: data loaded beside the server (the demo) must use it too. */
  secrets: SecretBox;
  adminKey: string;
  /** Every log line the server wrote, parsed. */
  logs: Array<Record<string, any>>;
  gql<T = any>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<GraphQLResponse<T>>;
  /** Creates an API key limited to some tenants (tenant keys, not global ids). */
  keyFor(role: Role, tenantIds: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** A real Apollo server over HTTP on a random port, on the test's database, with a fixed clock unless given one. */
export async function startTestServer(
  db: TestDatabase, env: Record<string, string> = {}, options: { clock?: Clock; schema?: GraphQLSchema; syncQueue?: SyncQueue } = {},
): Promise<TestServer> {
  const config = loadConfig({ LOG_LEVEL: 'info', PORT: '0', NODE_ENV: 'production', PATCHGRAPH_DEMO: 'false', ...suiteFileImportEnv, ...suiteRateLimitEnv, ...env });
  // As the CLI does at start: the file-import policy is the process's, read from its configuration.
  configureFileImport(config.fileImport);
  const clock = options.clock ?? fixedClock('2026-11-02T10:00:00.000Z');
  const logs: Array<Record<string, any>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger(config, sink);
  const { key: adminKey } = await createApiKey(db.dataSource, clock, { name: 'test-admin', role: Role.MSP_ADMIN, allTenants: true, tenantIds: [] });
  const secrets = ephemeralSecretBox();
  const { sleep } = recordingSleep();
  // As serve does: the engine counts into the series this server exports at /metrics.
  const metrics = new Metrics();
  const sync = new SyncEngine({ dataSource: db.dataSource, secrets, clock, logger, metrics, connectorContext: { sleep } });
  const app = await startApp({ config, dataSource: db.dataSource, clock, logger, secrets, sync, schema: options.schema, syncQueue: options.syncQueue, metrics });

  async function gql<T>(query: string, variables?: Record<string, unknown>, key: string | null = adminKey): Promise<GraphQLResponse<T>> {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse<T>['body'] };
  }

  return {
    app,
    sync,
    config,
    clock,
    secrets,
    adminKey,
    logs,
    gql,
    async keyFor(role, tenantIds) {
      const { key } = await createApiKey(db.dataSource, clock, { name: `test-${role}`, role, allTenants: false, tenantIds });
      return key;
    },
    // The app closes the data source on stop; the database itself is dropped by the test's TestDatabase.
    stop: () => app.stop(),
  };
}
