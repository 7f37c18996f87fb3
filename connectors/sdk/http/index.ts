// The HTTP toolkit of the connector SDK. Connectors import from here, not from the individual modules, so the
// modules can be split or merged without touching every connector.
export {
  AuthError,
  ConfigError,
  ConnectorError,
  type ConnectorErrorDetails,
  type ConnectorErrorKind,
  FatalError,
  MalformedResponseError,
  RateLimitedError,
  TransientError,
  UploadRejectedError,
} from '../errors';
export { type BackoffOptions, DEFAULT_BACKOFF, fullJitterBackoff, realSleep, type Sleep } from './backoff';
export { type Classification, type ClassifyContext, classify, ERROR_TABLE, type HttpAction, type HttpOutcome } from './error-map';
export {
  encodeQuery,
  HttpClient,
  type HttpClientOptions,
  type HttpLog,
  type HttpLogEvent,
  type HttpResponse,
  parseVendorError,
  type QueryValue,
  type RequestOptions,
  type VendorErrorBody,
} from './http-client';
export {
  clientCredentialsGrant,
  dattoPasswordGrant,
  graphClientCredentials,
  type OAuth2Grant,
  OAuth2TokenProvider,
  type OAuth2TokenProviderOptions,
  sharedTokenCache,
  TokenCache,
  type TokenProvider,
} from './oauth2';
export type { HttpAttempt, HttpAttemptEnd, HttpObserver, HttpRetry } from './observer';
export { type CursorPage, cursorPaging, eachItem, followNextLink, type Page, pageMaxPaging, type PagingOptions, reapplyDropped } from './paging';
export { type LimiterRegistry, type LimiterTiming, type RateLimit, RateLimiterRegistry, RollingWindowLimiter, sharedRateLimiters, type WindowLimiter } from './rate-limiter';
export { RedisRateLimiterRegistry } from './redis-rate-limiter';
export { isSecretField, redact, REDACTED, Redactor } from './redact';
export { DEFAULT_MAX_RETRY_AFTER_MS, parseHttpDate, parseRetryAfter } from './retry-after';
export { apiKeyHeader, bearerToken, type StaticAuth } from './static-auth';
