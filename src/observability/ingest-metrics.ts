import type { NextFunction, Request, Response } from 'express';
import { Metrics } from './metrics';

/**
 * The size of each accepted snapshot upload, as its Content-Length declares it (the ingest route refuses a body
 * longer than declared). Observed only for accepted uploads: a refused one is counted by its status in the HTTP
 * series. The states in a snapshot are counted by the sync engine, which reads them.
 */
export function ingestSizeMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const declared = Number(req.headers['content-length']);
    if (req.method === 'POST' && Number.isFinite(declared) && declared > 0) {
      res.once('finish', () => {
        if (res.statusCode === 200) metrics.ingestBytes.observe(declared);
      });
    }
    next();
  };
}
