import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { MetricsConfig } from '../config/metrics-config';
import { Metrics } from './metrics';

/**
 * /metrics on the API's port: answered only to `Authorization: Bearer <PATCHGRAPH_METRICS_TOKEN>`, and not at all
 * (404, as if there were no such path) when no token is configured. Fail closed: nothing is open by default.
 */
export function metricsRoute(metrics: Metrics, config: MetricsConfig) {
  const expected = config.token ? digest(config.token) : null;
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (!expected) {
      next(); // on to the 404 handler, like any unknown path
      return;
    }
    res.setHeader('cache-control', 'no-store');
    const given = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    // Compared as fixed-length digests, so neither the comparison nor its length check says how much was right.
    if (!given || !timingSafeEqual(digest(given), expected)) {
      res.setHeader('www-authenticate', 'Bearer realm="metrics"');
      res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'send the scrape token (PATCHGRAPH_METRICS_TOKEN) as Authorization: Bearer <token>' } });
      return;
    }
    await answer(metrics, res);
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

async function answer(metrics: Metrics, res: { setHeader(name: string, value: string): unknown; end(body: string): unknown; statusCode: number }): Promise<void> {
  const { contentType, body } = await metrics.exposition();
  res.statusCode = 200;
  res.setHeader('content-type', contentType);
  res.setHeader('cache-control', 'no-store');
  res.end(body);
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * /metrics on a port of its own (PATCHGRAPH_METRICS_PORT, on PATCHGRAPH_METRICS_HOST, default 127.0.0.1): no token,
 * since who can reach the port is the protection; nothing else is served there.
 */
export async function startMetricsServer(metrics: Metrics, config: Required<Pick<MetricsConfig, 'port'>> & MetricsConfig, logger?: Logger): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.statusCode = 404;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'only /metrics is served on this port' } }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('allow', 'GET');
      res.end();
      return;
    }
    answer(metrics, res).catch((err) => {
      logger?.error({ err }, 'could not collect metrics');
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/metrics`;
  logger?.info({ url }, 'serving Prometheus metrics');
  return {
    url,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
