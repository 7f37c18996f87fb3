import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, GraphQLSchema } from 'graphql';
import { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { DataSource } from 'typeorm';
import { Access } from '../access/access';
import { ConnectorSyncs } from '../access/connector-syncs';
import { Authenticator, TokenVerifier } from '../auth/authenticator';
import { KeyUsageRecorder } from '../auth/key-usage';
import { OidcVerifier } from '../auth/oidc';
import { Config } from '../config/config';
import { PatchgraphError } from '../errors';
import { RequestContext } from '../graphql/context';
import { createErrorFormatter } from '../graphql/errors';
import { aliasLimitRule, costLimitPlugin, depthLimitRule, documentSizeLimit } from '../graphql/limits';
import { createLoaders } from '../graphql/loaders/loaders';
import { compiledExecution } from '../graphql/compiled-execution';
import { buildPatchgraphSchema } from '../graphql/schema';
import { authorizationBackstop } from '../graphql/authorization-backstop';
import { readScope, replicaReadsForQueries } from '../graphql/replica-reads';
import { AuthorizationRecord } from '../graphql/enforce-permissions';
import { SecretBox } from '../secrets/secret-box';
import { SyncEngine } from '../sync/sync-engine';
import type { SyncQueue } from '../sync/sync-queue';
import { Clock } from '../util/clock';
import { serializeError } from './logger';
import { jsonErrorHandler, methodNotAllowed, notFound, requireJsonPost } from './http-errors';
import { graphiqlRouter } from './graphiql';
import { addressGate, clientAddress, RateLimitRefusal, RateLimits } from './rate-limit';
import { allReady, databaseReadiness } from './readiness';
import { securityHeaders } from './security-headers';
import { ingestRouter } from './ingest-route';
import { reportRoutes } from '../reports/report-routes';
import { evidencePackRoutes } from '../reports/evidence-pack/routes';
import { reportPageRoutes } from '../reports/page/page-routes';
import { ReportSessions } from '../reports/page/report-sessions';
import { Metrics } from '../observability/metrics';
import { httpMetrics } from '../observability/http-metrics';
import { graphqlMetricsPlugin } from '../observability/graphql-metrics';
import { metricsRoute, MetricsServer, startMetricsServer } from '../observability/metrics-endpoint';
import { graphqlSpan, graphqlTracingPlugin } from '../observability/graphql-tracing';
import { ingestSizeMetrics } from '../observability/ingest-metrics';

export interface AppDeps {
  config: Config;
  dataSource: DataSource;
  clock: Clock;
  logger: Logger;
  secrets: SecretBox;
  sync: SyncEngine;
  /** With REDIS_URL, triggerSync queues here for the workers (WSUS uploads still run on `sync`). */
  syncQueue?: SyncQueue;
  /** Verifies OIDC bearer tokens; absent when OIDC is not configured. */
  oidc?: TokenVerifier;
  /** The GraphQL schema to serve; buildPatchgraphSchema() unless a test serves another. */
  schema?: GraphQLSchema;
  /** This server's Prometheus series, shared with the sync engine and scheduler that count into it; a fresh set if absent. */
  metrics?: Metrics;
  /**
   * 'graphql-js' executes every operation with graphql-js, as before compiled-execution.ts; only tests ask for it,
   * to hold the compiled answers to graphql-js's.
   */
  execution?: 'compiled' | 'graphql-js';
}

export interface RunningApp {
  url: string;
  port: number;
  httpServer: Server;
  /** Key uses and refused attempts not written yet; written every minute and by stop() (tests flush it directly). */
  keyUsage: KeyUsageRecorder;
  metrics: Metrics;
  /** /metrics on its own port (PATCHGRAPH_METRICS_PORT), when configured. */
  metricsServer?: MetricsServer;
  /** Stops taking requests, lets in-flight ones finish (up to the shutdown timeout), closes the database. */
  stop(): Promise<void>;
}

const UNAUTHENTICATED_HTTP = { status: 401, headers: new Map([['www-authenticate', 'Bearer']]) };

/** The HTTP server: GraphQL at /graphql, liveness at /healthz, readiness at /readyz. */
/** Every GraphQL answer is one principal's data: never kept by a browser or a proxy (what Apollo's cache-control plugin said). */
function noStore(_req: express.Request, res: express.Response, next: express.NextFunction): void {
  res.setHeader('cache-control', 'no-store');
  next();
}

export async function startApp(deps: AppDeps): Promise<RunningApp> {
  const { config, dataSource, logger } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const app = express();
  const httpServer = createServer(app);
  const schema = deps.schema ?? buildPatchgraphSchema();
  const replicated = 'replication' in dataSource.options && Boolean(dataSource.options.replication);
  const oidc = deps.oidc ?? (config.oidc && new OidcVerifier(config.oidc, { dataSource, clock: deps.clock, logger }));
  // Authentication only reads; this writes lastUsedAt and the failure counts once a minute instead.
  const keyUsage = new KeyUsageRecorder({ dataSource, clock: deps.clock, logger });
  keyUsage.start();
  const authenticator = new Authenticator({ dataSource, clock: deps.clock, oidc, events: keyUsage });
  let stopping = false;
  const rateLimits = await RateLimits.create({ perPrincipalPerMinute: config.rateLimitPerMinute, unauthenticatedPerMinute: config.rateLimitUnauthenticatedPerMinute, ingestPerMinute: config.ingestRateLimitPerMinute, redisUrl: config.redisUrl }, logger);

  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(securityHeaders());
  app.use(httpMetrics(metrics));
  app.use('/ingest', ingestSizeMetrics(metrics));
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      // Method, path and headers (Authorization redacted by the logger): never a body, and never the query string,
      // where a GET request carries its GraphQL variables.
      serializers: {
        err: serializeError,
        req: (req: { id?: unknown; method?: string; url?: string; headers?: unknown; remoteAddress?: string }) => ({
          id: req.id, method: req.method, url: req.url?.split('?')[0], headers: req.headers, remoteAddress: req.remoteAddress,
        }),
      },
    }),
  );

  app.use(
    ingestRouter({
      dataSource, secrets: deps.secrets, sync: deps.sync, logger, clock: deps.clock, rateLimits,
      limits: {
        maxUploadBytes: config.ingestMaxUploadMb * 1_048_576, maxSnapshotBytes: config.ingestMaxSnapshotMb * 1_048_576,
        maxJsonDepth: config.ingestMaxJsonDepth, maxJsonElements: config.ingestMaxJsonElements, maxJsonStringChars: config.ingestMaxJsonStringChars,
        maxFutureSkewMs: config.ingestMaxFutureSkewMinutes * 60_000,
      },
    }),
  );

  const checkReadiness = allReady(databaseReadiness(dataSource, logger), () => rateLimits.readiness());
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', metricsRoute(metrics, config.metrics));
  app.get('/readyz', async (_req, res) => {
    if (stopping) {
      res.status(503).json({ status: 'stopping' });
      return;
    }
    const readiness = await checkReadiness();
    if (readiness.ready) res.json({ status: 'ready', database: dataSource.options.type });
    else res.status(503).json({ status: 'unavailable', reason: readiness.reason });
  });

  const apollo = new ApolloServer<RequestContext>({
    // Apollo parses, validates and runs the plugins; query operations execute compiled (compiled-execution.ts).
    ...(deps.execution === 'graphql-js' ? { schema } : { gateway: compiledExecution(schema) }),
    validationRules: [depthLimitRule(config.maxQueryDepth), aliasLimitRule(config.maxQueryAliases)],
    // documentSizeLimit refuses an oversized document before Apollo sees it; the parser's own limit backs it up.
    parseOptions: { maxTokens: config.maxQueryTokens },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownTimeoutMs }),
      costLimitPlugin(schema, config),
      authorizationBackstop(),
      graphqlMetricsPlugin(metrics),
      graphqlTracingPlugin(),
      ...(replicated ? [replicaReadsForQueries()] : []),
      // Apollo's landing page loads from a CDN; the local GraphiQL at /graphiql (PATCHGRAPH_GRAPHIQL) replaces it.
      ApolloServerPluginLandingPageDisabled(),
      // No answer is cacheable (each is one principal's), and the cache-control plugin wraps every field's resolver
      // to read hints the schema never gives: a sixth of a nested page's time. The header is set below instead.
      ApolloServerPluginCacheControlDisabled(),
    ],
    // Apollo would decide from NODE_ENV, which is unset in the README's default deployment: the config decides.
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    logger: logger.child({ component: 'apollo' }),
    // The CLI owns SIGTERM/SIGINT and stops the whole app (HTTP, Apollo, database) in order.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter({
      maskInternalErrors: config.production,
      onInternalError: (err) => logger.error({ err }, 'unexpected error while handling a GraphQL request'),
    }),
  });
  await apollo.start();

  app.use(
    '/graphql',
    graphqlSpan(),
    addressGate(rateLimits),
    requireJsonPost(),
    noStore,
    express.json({ limit: '1mb' }),
    documentSizeLimit({ maxTokens: config.maxQueryTokens, maxAliases: config.maxQueryAliases, maxDirectives: config.maxQueryDirectives }),
    // Directly before Apollo, so that everything Apollo does for the request runs in the scope. Only with replicas:
    // a scope per request switches on Node's promise hooks, a twentieth of a nested page's time, for nothing.
    ...(replicated ? [readScope()] : []),
    expressMiddleware(apollo, {
      context: async ({ req }) => buildContext(req, deps, keyUsage, authenticator, rateLimits),
    }),
  );
  // The report downloads: the same keys, limits and scope as /graphql, or the auditor's page session cookie.
  const reportSessions = new ReportSessions({ dataSource, clock: deps.clock, secrets: deps.secrets, events: keyUsage });
  app.use(reportRoutes({ dataSource, clock: deps.clock, authenticator, rateLimits, logger, sessions: reportSessions }));
  app.use(evidencePackRoutes({ dataSource, clock: deps.clock, authenticator, rateLimits, logger, sessions: reportSessions, maxRows: config.evidencePackMaxRows }));
  app.use(reportPageRoutes({ dataSource, clock: deps.clock, authenticator, rateLimits, sessions: reportSessions, logger }));
  if (config.graphiql) app.use(graphiqlRouter());
  app.all(['/healthz', '/readyz'], methodNotAllowed('GET'));
  app.use(notFound());
  app.use(jsonErrorHandler(logger, { development: config.development }));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  const metricsServer = config.metrics.port !== undefined ? await startMetricsServer(metrics, { ...config.metrics, port: config.metrics.port }, logger) : undefined;
  logger.info({ url, database: dataSource.options.type, rateLimitStore: rateLimits.store, graphiql: config.graphiql ? `${url}/graphiql` : false }, 'patchgraph is listening');

  return {
    url,
    port,
    httpServer,
    keyUsage,
    metrics,
    metricsServer,
    async stop() {
      if (stopping) return;
      stopping = true;
      logger.info('shutting down: finishing in-flight requests');
      await apollo.stop();
      await metricsServer?.close();
      // After the last request, before the database closes: what is written now is complete.
      await keyUsage.stop();
      await rateLimits.close();
      if (dataSource.isInitialized) await dataSource.destroy();
      logger.info('shut down');
    },
  };
}

async function buildContext(req: IncomingMessage & { id?: unknown; log?: Logger }, deps: AppDeps, keyUsage: KeyUsageRecorder, authenticator: Authenticator, rateLimits: RateLimits): Promise<RequestContext> {
  let principal;
  try {
    principal = await authenticator.authenticate(req.headers.authorization);
  } catch (err) {
    if (err instanceof PatchgraphError) {
      // Counted per address so that guessing keys is throttled; the failure that crosses the limit answers 429.
      await rateLimits.authenticationFailed(clientAddress(req)).catch(refusedAsGraphQL);
      throw new GraphQLError(err.message, { extensions: { code: err.code, http: UNAUTHENTICATED_HTTP } });
    }
    throw err;
  }
  await rateLimits.admitPrincipal(principal).catch(refusedAsGraphQL);
  const limits = { defaultPageSize: deps.config.defaultPageSize, maxPageSize: deps.config.maxPageSize };
  const access = new Access(deps.dataSource, principal.scope, limits, deps.clock, { label: principal.label }, deps.secrets, keyUsage);
  const logger = (req.log ?? deps.logger).child({ principal: principal.label });
  return {
    requestId: String(req.id ?? randomUUID()),
    principal,
    authz: new AuthorizationRecord(),
    access,
    loaders: createLoaders(access),
    logger,
    clock: deps.clock,
    config: deps.config,
    connectorSyncs: new ConnectorSyncs(access.connectorInstances, deps.sync, deps.syncQueue, principal.label, logger),
  };
}

function refusedAsGraphQL(err: unknown): never {
  throw err instanceof RateLimitRefusal ? err.toGraphQLError() : err;
}
