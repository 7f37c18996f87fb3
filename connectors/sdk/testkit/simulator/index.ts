// The vendor-simulator toolkit: connectors/README.md section 5 shows a complete simulator built from it.
export { compose, type Handler, type Middleware, type Route, router, safeDecode, type SimRequest, type SimResponse, startVendorSimulator, type VendorSimulatorOptions, type VendorSimulatorServer } from './server';
export { SimulatorTraffic } from './traffic';
export { bearerOf, type IssuedToken, readTokenRequest, type TokenCheck, tokenEndpoint, type TokenEndpointOptions, TokenIssuer, type TokenIssuerOptions, type TokenRefusal, type TokenRequest } from './tokens';
export { apiKeyAuth, type ApiKeyAuthOptions, bearerAuth, type BearerAuthOptions, type BearerRefusal } from './auth';
export { compareKeys, type KeysetPage, keysetPage, type NumberedPage, numberedPage, OpaqueCursors, type PageKey, pageSize, type PageSizeOptions, PagingError, refusePagingErrors, wholeNumber } from './paging';
export { FaultInjector, type FaultInjectorOptions, type Malform, truncatedJson } from './faults';
export { type Admission, rateLimit, type RateLimitOptions, RollingWindow } from './rate-limit';
export { SeededRandom } from '../seeded-random';
export type { Fault, SimulatorControl, SimulatorOptions, SimulatorStats } from '../harness';
