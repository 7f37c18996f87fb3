import { isIP } from 'node:net';
import { ConfigError } from './config';

/**
 * Who may read /metrics. A scrape reveals the fleet's shape (instances, sync outcomes, traffic), so it is never open:
 * with neither a token nor a port of its own, /metrics answers 404.
 */
export interface MetricsConfig {
  /** PATCHGRAPH_METRICS_TOKEN: the scraper sends `Authorization: Bearer <token>` to /metrics on the API's port. */
  token?: string;
  /** PATCHGRAPH_METRICS_PORT: /metrics is served here, without a token, and not on the API's port. */
  port?: number;
  /** PATCHGRAPH_METRICS_HOST: where that port listens; default 127.0.0.1, so only the machine (or its sidecar) scrapes. */
  host: string;
}

export const METRICS_TOKEN_VAR = 'PATCHGRAPH_METRICS_TOKEN';
export const METRICS_PORT_VAR = 'PATCHGRAPH_METRICS_PORT';
export const METRICS_HOST_VAR = 'PATCHGRAPH_METRICS_HOST';

export function metricsVars(env: NodeJS.ProcessEnv): MetricsConfig {
  const token = env[METRICS_TOKEN_VAR] || undefined;
  // Long enough that guessing it is hopeless; printable ASCII without spaces, so it fits a Bearer header as is.
  if (token !== undefined && (token.length < 24 || !/^[\x21-\x7e]+$/.test(token))) {
    throw new ConfigError(METRICS_TOKEN_VAR, 'must be at least 24 printable characters without spaces; generate one with: openssl rand -hex 24');
  }
  const rawPort = env[METRICS_PORT_VAR];
  let port: number | undefined;
  if (rawPort !== undefined && rawPort !== '') {
    port = Number(rawPort);
    // 0 would pick a random port nobody could configure a scraper for (tests give a port of their own choosing).
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(METRICS_PORT_VAR, `must be a port number between 0 and 65535, got "${rawPort}"`);
    if (port !== 0 && port === Number(env.PORT || 4000)) throw new ConfigError(METRICS_PORT_VAR, 'must differ from PORT: the API port serves /metrics only with PATCHGRAPH_METRICS_TOKEN');
  }
  const host = env[METRICS_HOST_VAR] || '127.0.0.1';
  if (!isIP(host) && !/^[A-Za-z0-9.-]{1,253}$/.test(host)) throw new ConfigError(METRICS_HOST_VAR, `must be an address or a host name, got "${host}"`);
  if (env[METRICS_HOST_VAR] && port === undefined) throw new ConfigError(METRICS_HOST_VAR, `only applies with ${METRICS_PORT_VAR}; set the port too, or leave it unset`);
  return { token, port, host };
}
