import type { NextFunction, Request, Response } from 'express';
import { Metrics } from './metrics';

/**
 * Times every HTTP request into patchgraph_http_request_duration_seconds. The route label is the route's pattern
 * (/reports/:kind), never the path a client sent, and "unmatched" for anything no route answered: labels stay few.
 */
export function httpMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe({ method: methodLabel(req.method), route: routeLabel(req, res), status: String(res.statusCode) }, seconds);
    });
    next();
  };
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}

function routeLabel(req: Request, res: Response): string {
  // Set by the routers as they answer; a mounted middleware (Apollo at /graphql) leaves its mount path in baseUrl.
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') return `${req.baseUrl}${route}`;
  if (req.baseUrl) return req.baseUrl;
  return res.locals.metricsRoute ?? 'unmatched';
}
