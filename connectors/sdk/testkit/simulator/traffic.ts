/**
 * The counts every simulator reports through SimulatorControl.stats() and the data requests it lists in
 * `requests()`, kept in one place so the token endpoint, the auth check and the data routes count alike.
 */
import type { SimulatorStats } from '../harness';
import type { Middleware } from './server';

export class SimulatorTraffic {
  private counts: SimulatorStats = { dataRequests: 0, tokenRequests: 0, unauthorized: 0 };
  private log: string[] = [];

  /** Put first on every data route: counts the request and lists its path and query, faults and refusals included. */
  readonly data: Middleware = (req, next) => {
    this.counts.dataRequests++;
    this.log.push(req.url);
    return next();
  };

  /** Put first on the token endpoint (tokenEndpoint counts by itself when given this traffic). */
  readonly token: Middleware = (_req, next) => {
    this.countTokenRequest();
    return next();
  };

  countTokenRequest(): void {
    this.counts.tokenRequests++;
  }

  /** A data request refused for its credentials (bearerAuth and apiKeyAuth call it). */
  countUnauthorized(): void {
    this.counts.unauthorized++;
  }

  stats(): SimulatorStats {
    return { ...this.counts };
  }

  /** Path and query of each data request since the last reset, as sent. */
  requests(): string[] {
    return [...this.log];
  }

  reset(): void {
    this.counts = { dataRequests: 0, tokenRequests: 0, unauthorized: 0 };
    this.log = [];
  }
}
