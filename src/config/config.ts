import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { FileImportSettings, policyFromSettings } from '../../connectors/file-import/policy';
import { MetricsConfig, metricsVars } from './metrics-config';
import { OidcConfig, oidcVars } from './oidc-config';

/** Everything patchgraph reads from the environment, read and validated once. */
export interface Config {
  /** Parsed DATABASE_URL, with the read replicas of PATCHGRAPH_DATABASE_READ_URLS. */
  database: DatabaseConfig;
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `auto`: human-readable lines when stdout is a terminal, JSON otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  /**
   * Development mode, opted into with PATCHGRAPH_DEV=1 or NODE_ENV=development: the messages of unexpected errors,
   * and the defaults of introspection and GraphiQL. Anything else, NODE_ENV unset included, is the safe mode.
   */
  development: boolean;
  /** The safe mode: unexpected errors are masked, introspection is refused. Stack traces never leave the server in either mode. */
  production: boolean;
  /** Schema introspection (PATCHGRAPH_INTROSPECTION); on in development mode unless set. */
  introspection: boolean;
  /** The local GraphiQL page at /graphiql (PATCHGRAPH_GRAPHIQL); on in development mode unless set. */
  graphiql: boolean;
  /** Requests to /graphql one principal may make in a minute. */
  rateLimitPerMinute: number;
  /** Failed authentications one client address may make in a minute before it is blocked for a while. */
  rateLimitUnauthenticatedPerMinute: number;
  /** WSUS snapshot uploads one connector instance may make in a minute. */
  ingestRateLimitPerMinute: number;
  /**
   * Where rate-limit counters, vendor rate limits and the sync job queue are kept so that several processes share
   * them; in-process when unset.
   */
  redisUrl?: string;
  /** Sync jobs through Redis (src/sync/sync-queue.ts); absent without REDIS_URL, when syncs run in this process. */
  syncQueue?: SyncQueueConfig;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For decides a client's address (false: the TCP peer). */
  trustProxy: boolean | number | string;
  maxPageSize: number;
  defaultPageSize: number;
  maxQueryDepth: number;
  maxQueryCost: number;
  /** Lexical tokens in one GraphQL document; checked before it is parsed, so it bounds everything done after. */
  maxQueryTokens: number;
  /** Aliased fields in one document, and in one operation with each fragment counted where it is spread. */
  maxQueryAliases: number;
  /** Directives (`@include`, `@skip`, …) in one document. */
  maxQueryDirectives: number;
  /** When set, this key is created as the admin key on first start instead of a random one. */
  bootstrapAdminKey?: string;
  /** Load the demo data set into an empty database at start. */
  demo: boolean;
  shutdownTimeoutMs: number;
  /** Key that encrypts connector secrets at rest (PATCHGRAPH_SECRET_KEY), or the file holding it. */
  secretKey?: string;
  secretKeyFile: string;
  /** Run scheduled syncs in this process. */
  scheduler: boolean;
  /** How often the scheduler looks for instances that are due. */
  schedulerTickSeconds: number;
  /** Largest WSUS snapshot upload accepted, compressed, in MB. */
  ingestMaxUploadMb: number;
  /** Largest WSUS snapshot accepted once decompressed, in MB. */
  ingestMaxSnapshotMb: number;
  /** Deepest nesting of arrays and objects in a WSUS snapshot. */
  ingestMaxJsonDepth: number;
  /** Most JSON values and keys in a WSUS snapshot. */
  ingestMaxJsonElements: number;
  /** Longest string or number in a WSUS snapshot, in characters. */
  ingestMaxJsonStringChars: number;
  /** How many minutes past the server's clock a WSUS snapshot's generatedAt may be. */
  ingestMaxFutureSkewMinutes: number;
  /** A scheduled run is full (and may mark devices stale) once the last successful full run is this old. */
  fullSyncHours: number;
  /** Most rows (assets, findings, exceptions, change records) one evidence pack gathers before it is refused (PATCHGRAPH_EVIDENCE_PACK_MAX_ROWS). */
  evidencePackMaxRows: number;
  /** Approvals a NORMAL change request needs, each from someone other than its requester (PATCHGRAPH_CHANGE_APPROVALS). */
  changeApprovals: number;
  /** Where the demo writes its inventory files. */
  dataDir: string;
  /** What file-import instances may read and reach: the import directory and internal addresses allowed. */
  fileImport: FileImportSettings;
  /** OIDC bearer tokens from an identity provider (Entra ID); absent unless PATCHGRAPH_OIDC_ISSUER is set. */
  oidc?: OidcConfig;
  /** Who may scrape /metrics (a token, or a port of its own); with neither, /metrics answers 404. */
  metrics: MetricsConfig;
}

export interface SyncQueueConfig {
  redisUrl: string;
  /** Prefix of the queue's Redis keys (PATCHGRAPH_QUEUE_PREFIX), so deployments can share one Redis. */
  prefix: string;
  /** `inline` (the default): `serve` also consumes the queue, as a worker does (PATCHGRAPH_WORKER); `off`: only workers do. */
  serverWorker: 'inline' | 'off';
  /** Jobs one worker process runs at a time (PATCHGRAPH_WORKER_CONCURRENCY). */
  concurrency: number;
  /** How long a worker's silence passes before its job is given to another worker (PATCHGRAPH_WORKER_STALL_SECONDS). */
  stallMs: number;
  /** How long triggerSync waits for a worker to start the run it queued (PATCHGRAPH_TRIGGER_TIMEOUT_SECONDS). */
  triggerTimeoutMs: number;
}

/** One MySQL/MariaDB server and database, as a mysql:// URL names it. */
export interface MysqlServer {
  url: string;
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
}

export type DatabaseConfig =
  | { engine: 'sqlite'; path: string; url: string }
  | ({ engine: 'mysql'; readReplicas?: MysqlServer[] } & MysqlServer);

/** Read replicas that portal queries may read from (src/db/read-routing.ts); writes always go to DATABASE_URL. */
export const DATABASE_READ_URLS_VAR = 'PATCHGRAPH_DATABASE_READ_URLS';

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/patchgraph.db';

export function parseDatabaseUrl(raw: string, cwd = process.cwd()): DatabaseConfig {
  if (raw.startsWith('sqlite:')) {
    const rest = raw.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!rest) throw new ConfigError('DATABASE_URL', 'sqlite URL needs a file path, e.g. sqlite:./data/patchgraph.db');
    return { engine: 'sqlite', path: rest === ':memory:' ? ':memory:' : resolve(cwd, rest), url: raw };
  }
  return { engine: 'mysql', ...parseMysqlUrl(raw, 'DATABASE_URL', 'expected sqlite:<path> or mysql://user:password@host:port/database', 'use sqlite: or mysql://') };
}

/** `which` says which of several URLs in one variable is wrong, e.g. "entry 2 of 3: ". */
function parseMysqlUrl(raw: string, variable: string, notUrl: string, badScheme: string, which = ''): MysqlServer {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(variable, `${which}not a URL: ${notUrl}`);
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new ConfigError(variable, `${which}unsupported scheme "${url.protocol}"; ${badScheme}`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new ConfigError(variable, `${which}mysql URL needs a database name, e.g. mysql://root@127.0.0.1:3306/patchgraph`);
  return {
    url: raw,
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 3306,
    username: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password || ''),
    database,
  };
}

/**
 * PATCHGRAPH_DATABASE_READ_URLS: comma-separated mysql:// URLs of read replicas of the DATABASE_URL primary. Each
 * entry is named by its position, never echoed, since it may hold a password.
 */
export function parseReadUrls(raw: string | undefined, primary: DatabaseConfig): MysqlServer[] | undefined {
  const entries = (raw ?? '').split(',').map((entry) => entry.trim());
  if (entries.every((entry) => entry === '')) return undefined;
  if (primary.engine !== 'mysql') {
    throw new ConfigError(DATABASE_READ_URLS_VAR, 'read replicas need a MySQL or MariaDB DATABASE_URL; SQLite is one file on one machine, with nothing to replicate to');
  }
  return entries.map((entry, i) => {
    const which = `entry ${i + 1} of ${entries.length}`;
    if (entry === '') throw new ConfigError(DATABASE_READ_URLS_VAR, `${which} is empty; separate the replicas' URLs with single commas`);
    return parseMysqlUrl(entry, DATABASE_READ_URLS_VAR, 'expected mysql://user:password@host:port/database', 'read replicas are mysql:// or mariadb:// URLs', `${which}: `);
  });
}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function boolVar(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

/** PATCHGRAPH_IMPORT_DIR, PATCHGRAPH_ALLOW_PRIVATE_URLS and PATCHGRAPH_PRIVATE_URL_ALLOW_LIST, checked. */
function fileImportVars(env: NodeJS.ProcessEnv): FileImportSettings {
  const list = (env.PATCHGRAPH_PRIVATE_URL_ALLOW_LIST ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  const settings = { importDir: env.PATCHGRAPH_IMPORT_DIR || null, allowPrivateUrls: boolVar(env, 'PATCHGRAPH_ALLOW_PRIVATE_URLS', false), privateUrlAllowList: list };
  try {
    const policy = policyFromSettings({ ...settings, privateUrlAllowList: [] });
    settings.importDir = policy.importDir ?? null;
  } catch (err) {
    throw new ConfigError('PATCHGRAPH_IMPORT_DIR', (err as Error).message);
  }
  try {
    policyFromSettings({ ...settings, importDir: null });
  } catch (err) {
    throw new ConfigError('PATCHGRAPH_PRIVATE_URL_ALLOW_LIST', (err as Error).message);
  }
  return settings;
}

/** REDIS_URL, checked for its scheme so that a typo fails at start rather than on the first request. */
function redisUrlVar(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.REDIS_URL;
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('REDIS_URL', 'not a URL: expected redis://[user:password@]host:port[/db] or rediss://…');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError('REDIS_URL', `unsupported scheme "${url.protocol}"; use redis:// or rediss://`);
  if (!url.hostname) throw new ConfigError('REDIS_URL', 'needs a host, e.g. redis://127.0.0.1:6379');
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)) throw new ConfigError('REDIS_URL', 'the path, if any, is a database number');
  return raw;
}

/** The sync queue's settings; PATCHGRAPH_WORKER=inline without REDIS_URL is refused, since there is no queue to consume. */
function syncQueueVars(env: NodeJS.ProcessEnv, redisUrl: string | undefined): SyncQueueConfig | undefined {
  // With Redis, the server runs queued syncs itself unless told not to: a deployment that set REDIS_URL for the
  // shared rate limits before there was a queue keeps syncing after an upgrade, and adds workers when it wants.
  const serverWorker = (env.PATCHGRAPH_WORKER || (redisUrl ? 'inline' : 'off')).toLowerCase();
  if (serverWorker !== 'inline' && serverWorker !== 'off') throw new ConfigError('PATCHGRAPH_WORKER', `must be inline or off, got "${env.PATCHGRAPH_WORKER}"`);
  if (!redisUrl) {
    if (serverWorker === 'inline') throw new ConfigError('PATCHGRAPH_WORKER', 'inline needs REDIS_URL: without it the server runs every sync itself already');
    return undefined;
  }
  const prefix = env.PATCHGRAPH_QUEUE_PREFIX || 'patchgraph';
  // BullMQ joins key parts with colons; braces would change the Redis Cluster hash slot.
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) throw new ConfigError('PATCHGRAPH_QUEUE_PREFIX', 'letters, digits, _ . - only, at most 64');
  return {
    redisUrl,
    prefix,
    serverWorker,
    concurrency: intVar(env, 'PATCHGRAPH_WORKER_CONCURRENCY', 1, 1, 64),
    stallMs: intVar(env, 'PATCHGRAPH_WORKER_STALL_SECONDS', 30, 1, 3600) * 1000,
    triggerTimeoutMs: intVar(env, 'PATCHGRAPH_TRIGGER_TIMEOUT_SECONDS', 30, 1, 3600) * 1000,
  };
}

/**
 * PATCHGRAPH_TRUST_PROXY: unset or false for none, a number of proxy hops, or a comma-separated list of proxy
 * addresses, CIDR subnets and the names loopback, linklocal and uniquelocal (Express's `trust proxy` forms).
 */
function trustProxyVar(env: NodeJS.ProcessEnv): boolean | number | string {
  const raw = (env.PATCHGRAPH_TRUST_PROXY ?? '').trim();
  if (raw === '' || /^(0|false|no|off)$/i.test(raw)) return false;
  // `true` would trust any X-Forwarded-For, so any client could pick the address it is limited by.
  if (/^(true|yes|on)$/i.test(raw)) throw new ConfigError('PATCHGRAPH_TRUST_PROXY', 'name the proxies (addresses, CIDRs, loopback) or give the number of hops; trusting every sender would let clients choose their address');
  if (/^\d+$/.test(raw)) return intVar(env, 'PATCHGRAPH_TRUST_PROXY', 0, 0, 10);
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) continue;
    const [address, bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 4 ? 32 : 128;
    if (!family || rest.length > 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
      throw new ConfigError('PATCHGRAPH_TRUST_PROXY', `"${entry}" is not an address, a CIDR subnet or one of loopback, linklocal, uniquelocal`);
    }
  }
  return entries.join(', ');
}

/** The evidence pack's size limit (reports/evidence-pack/pack-limit.ts), named in its refusal. */
export const EVIDENCE_PACK_MAX_ROWS_VAR = 'PATCHGRAPH_EVIDENCE_PACK_MAX_ROWS';
/**
 * Rows of assets, findings, exceptions in force and change records together: room for a 2,000-asset tenant with 100
 * findings on every asset, far past what an auditor reads, while bounding what one pack holds in memory.
 */
export const DEFAULT_EVIDENCE_PACK_MAX_ROWS = 200_000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const logFormat = (env.LOG_FORMAT || 'auto') as Config['logFormat'];
  if (!LOG_FORMATS.includes(logFormat)) {
    throw new ConfigError('LOG_FORMAT', `must be one of ${LOG_FORMATS.join(', ')}, got "${env.LOG_FORMAT}"`);
  }
  const maxPageSize = intVar(env, 'MAX_PAGE_SIZE', 500, 1, 10_000);
  const bootstrapAdminKey = env.PATCHGRAPH_ADMIN_KEY || undefined;
  if (bootstrapAdminKey !== undefined && bootstrapAdminKey.length < 24) {
    throw new ConfigError('PATCHGRAPH_ADMIN_KEY', 'must be at least 24 characters long');
  }
  const primary = parseDatabaseUrl(env.DATABASE_URL || DEFAULT_DATABASE_URL);
  const readReplicas = parseReadUrls(env[DATABASE_READ_URLS_VAR], primary);
  const database: DatabaseConfig = primary.engine === 'mysql' && readReplicas ? { ...primary, readReplicas } : primary;
  // Data files live next to the SQLite database, or in ./data for a server database.
  const dataDir = resolve(env.PATCHGRAPH_DATA_DIR || (database.engine === 'sqlite' && database.path !== ':memory:' ? dirname(database.path) : './data'));
  const secretKey = env.PATCHGRAPH_SECRET_KEY || undefined;
  if (secretKey !== undefined && !/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/.test(secretKey.trim())) {
    throw new ConfigError('PATCHGRAPH_SECRET_KEY', 'must be 32 bytes as base64 (44 characters) or 64 hex digits; generate one with: openssl rand -base64 32');
  }
  // Opt-in only: a deployment that sets nothing, or NODE_ENV=test/staging/…, gets the safe mode.
  const development = boolVar(env, 'PATCHGRAPH_DEV', false) || env.NODE_ENV === 'development';
  const redisUrl = redisUrlVar(env);
  return {
    database,
    host: env.HOST || '127.0.0.1',
    port: intVar(env, 'PORT', 4000, 0, 65_535),
    logLevel,
    logFormat,
    development,
    production: !development,
    introspection: boolVar(env, 'PATCHGRAPH_INTROSPECTION', development),
    graphiql: boolVar(env, 'PATCHGRAPH_GRAPHIQL', development),
    // A portal's dashboard fans out into a few dozen queries per page view: 600 a minute leaves room for several.
    rateLimitPerMinute: intVar(env, 'PATCHGRAPH_RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    rateLimitUnauthenticatedPerMinute: intVar(env, 'PATCHGRAPH_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE', 60, 1, 1_000_000),
    // A collector uploads once per scheduled run; a few a minute allows its retries and nothing like a flood.
    ingestRateLimitPerMinute: intVar(env, 'PATCHGRAPH_INGEST_RATE_LIMIT_PER_MINUTE', 6, 1, 10_000),
    redisUrl,
    syncQueue: syncQueueVars(env, redisUrl),
    trustProxy: trustProxyVar(env),
    maxPageSize,
    defaultPageSize: Math.min(intVar(env, 'DEFAULT_PAGE_SIZE', 50, 1, 10_000), maxPageSize),
    maxQueryDepth: intVar(env, 'MAX_QUERY_DEPTH', 12, 2, 100),
    maxQueryCost: intVar(env, 'MAX_QUERY_COST', 1_000_000, 1, 100_000_000),
    maxQueryTokens: intVar(env, 'MAX_QUERY_TOKENS', 5_000, 100, 1_000_000),
    maxQueryAliases: intVar(env, 'MAX_QUERY_ALIASES', 30, 0, 100_000),
    maxQueryDirectives: intVar(env, 'MAX_QUERY_DIRECTIVES', 50, 0, 100_000),
    bootstrapAdminKey,
    demo: boolVar(env, 'PATCHGRAPH_DEMO', true),
    shutdownTimeoutMs: intVar(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    secretKey,
    secretKeyFile: resolve(env.PATCHGRAPH_SECRET_KEY_FILE || resolve(dataDir, 'secret.key')),
    scheduler: boolVar(env, 'PATCHGRAPH_SCHEDULER', true),
    schedulerTickSeconds: intVar(env, 'SCHEDULER_TICK_SECONDS', 30, 1, 3600),
    fullSyncHours: intVar(env, 'PATCHGRAPH_FULL_SYNC_HOURS', 24, 1, 8760),
    ingestMaxUploadMb: intVar(env, 'PATCHGRAPH_INGEST_MAX_UPLOAD_MB', 64, 1, 4096),
    // A 2,000-computer × 300-update snapshot is 32 MB of JSON holding about 1.6 million values and keys: the
    // defaults leave four times that, and bound what a hostile upload can make the parser hold.
    ingestMaxSnapshotMb: intVar(env, 'PATCHGRAPH_INGEST_MAX_SNAPSHOT_MB', 128, 1, 8192),
    ingestMaxJsonDepth: intVar(env, 'PATCHGRAPH_INGEST_MAX_JSON_DEPTH', 32, 8, 1000),
    ingestMaxJsonElements: intVar(env, 'PATCHGRAPH_INGEST_MAX_JSON_ELEMENTS', 6_000_000, 1000, 1_000_000_000),
    ingestMaxJsonStringChars: intVar(env, 'PATCHGRAPH_INGEST_MAX_JSON_STRING_CHARS', 65_536, 1024, 100_000_000),
    ingestMaxFutureSkewMinutes: intVar(env, 'PATCHGRAPH_INGEST_MAX_FUTURE_SKEW_MINUTES', 10, 0, 10_080),
    changeApprovals: intVar(env, 'PATCHGRAPH_CHANGE_APPROVALS', 1, 1, 10),
    evidencePackMaxRows: intVar(env, EVIDENCE_PACK_MAX_ROWS_VAR, DEFAULT_EVIDENCE_PACK_MAX_ROWS, 1, 100_000_000),
    dataDir,
    fileImport: fileImportVars(env),
    oidc: oidcVars(env),
    metrics: metricsVars(env),
  };
}
