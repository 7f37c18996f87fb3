import { Clock, systemClock } from '../clock';
import {
  AuthError,
  ConfigError,
  ConnectorError,
  ConnectorErrorDetails,
  FatalError,
  MalformedResponseError,
  RateLimitedError,
  TransientError,
} from '../errors';
import { BackoffOptions, fullJitterBackoff, realSleep, Sleep } from './backoff';
import { Classification, classify } from './error-map';
import type { TokenProvider } from './oauth2';
import { HttpObserver, safely, telemetryUrl, vendorRequestId } from './observer';
import { LimiterRegistry, RateLimit, sharedRateLimiters, WindowLimiter } from './rate-limiter';
import { Redactor } from './redact';
import type { StaticAuth } from './static-auth';
import { DEFAULT_MAX_RETRY_AFTER_MS, parseRetryAfter } from './retry-after';

/**
 * The one way connectors talk HTTP. It owns everything a connector should not have to get right by itself:
 * timeouts, retries with backoff, Retry-After, one token refresh on 401, the account's rate limit, JSON parsing,
 * vendor error bodies turned into typed errors, and logs that never carry a secret.
 */

/** A structured log event. Every event passes through the client's Redactor before the hook sees it. */
export interface HttpLogEvent {
  event: 'http.request' | 'http.response' | 'http.retry' | 'http.token_refresh' | 'http.error' | 'token.request' | 'token.acquired' | 'token.error';
  level: 'debug' | 'info' | 'warn' | 'error';
  vendor?: string;
  method?: string;
  url?: string;
  /** 1 for the first send of a request, 2 for the second… */
  attempt?: number;
  status?: number;
  durationMs?: number;
  delayMs?: number;
  reason?: string;
  error?: Record<string, unknown>;
  expiresInS?: number;
}

export type HttpLog = (event: HttpLogEvent) => void;

/** Sends a log event, redacted; a failing log hook must never fail the request it describes. */
export function emitLog(log: HttpLog | undefined, redactor: Redactor, event: HttpLogEvent): void {
  if (!log) return;
  try {
    log(redactor.value(event));
  } catch {
    // Logging is best effort.
  }
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

export type SendOutcome = { ok: true; response: RawResponse } | { ok: false; failure: 'network' | 'timeout'; cause: unknown };

/**
 * One HTTP exchange under a timeout, with the body read in full. Failures come back as values so the caller can
 * classify them; only the caller's own abort is thrown, because a cancelled request must not be retried.
 */
export async function sendOnce(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal, send: typeof fetch = fetch): Promise<SendOutcome> {
  signal?.throwIfAborted();
  const controller = new AbortController();
  const timedOut = new Error(`no response within ${timeoutMs} ms`);
  const timer = setTimeout(() => controller.abort(timedOut), timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await send(url, { ...init, signal: controller.signal });
    // The body is read under the same timeout: a vendor that sends headers and then stalls is still a timeout.
    const text = await res.text();
    return { ok: true, response: { status: res.status, headers: res.headers, text } };
  } catch (cause) {
    if (signal?.aborted) throw signal.reason;
    // A `send` that refuses the request itself (file-import's guard against private addresses) says why with a
    // typed error: that is no network failure, and retrying cannot change the answer.
    if (cause instanceof ConnectorError) throw cause;
    if (controller.signal.reason === timedOut) return { ok: false, failure: 'timeout', cause };
    return { ok: false, failure: 'network', cause };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

export interface VendorErrorBody {
  code?: string;
  message?: string;
  requestId?: string;
}

/**
 * The vendor's own words about a failure, from the shapes we know: Graph `{error:{code,message,innerError}}`,
 * OAuth `{error, error_description}`, and a generic `{code?, message}`. Anything else gives nothing.
 */
export function parseVendorError(text: string): VendorErrorBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isRecord(body)) return {};
  const error = body.error;
  if (isRecord(error)) {
    const inner = isRecord(error.innerError) ? error.innerError : isRecord(error.innererror) ? error.innererror : {};
    return { code: str(error.code), message: str(error.message), requestId: str(inner['request-id']) ?? str(inner.requestId) };
  }
  if (typeof error === 'string') return { code: error, message: str(body.error_description) ?? str(body.message) };
  return { code: str(body.code), message: str(body.message) ?? str(body.detail) ?? str(body.title) };
}

/** Builds the error class for a classification's kind. */
export function errorOfKind(kind: Classification['errorKind'], message: string, details: ConnectorErrorDetails, retryAfterMs?: number): ConnectorError {
  switch (kind) {
    case 'auth':
      return new AuthError(message, details);
    case 'rate_limited':
      return new RateLimitedError(message, retryAfterMs, details);
    case 'transient':
      return new TransientError(message, details);
    case 'malformed_response':
      return new MalformedResponseError(message, details);
    default:
      return new FatalError(message, details);
  }
}

export type QueryValue = string | number | boolean | null | undefined;

export interface HttpClientOptions {
  /** e.g. https://graph.microsoft.com/v1.0 or https://merlot-api.centrastage.net/api */
  baseUrl: string;
  /** Named in error messages and logs, e.g. "Microsoft Graph". Default: the base URL's host. */
  vendor?: string;
  /** Adds `Authorization: Bearer …`; refreshed once per request on 401. */
  tokenProvider?: TokenProvider;
  /** A static token or API key (bearerToken, apiKeyHeader): its headers go with every request, its secrets are redacted. */
  auth?: StaticAuth;
  /** Per attempt, body included. Default 30 s. */
  timeoutMs?: number;
  /** Retries after the first attempt (a token refresh on 401 does not count). Default 4. */
  maxRetries?: number;
  /** Backoff between retries of failures (5xx, timeouts, network). */
  backoff?: BackoffOptions;
  /** Backoff for 408/429 without Retry-After: throttling needs longer pauses than a blip. Default 2 s base, 60 s max. */
  rateLimitBackoff?: BackoffOptions;
  /** Longest Retry-After honoured; longer requests are clamped to it. Default 120 s. */
  maxRetryAfterMs?: number;
  /** Client-side limit shared by every client with the same key (the vendor account). */
  rateLimit?: RateLimit & { key: string; registry?: LimiterRegistry };
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** More values to keep out of logs and errors (the token provider's secrets are added automatically). */
  secrets?: Iterable<string>;
  /** Origins besides the base URL's that absolute URLs may point at. Credentials are sent to every request. */
  allowedOrigins?: string[];
  /** Sends each request. Default: the global fetch; file-import passes one that refuses internal addresses. */
  fetch?: typeof fetch;
  log?: HttpLog;
  /** Watches each attempt and retry (metrics, traces); see observer.ts. */
  observer?: HttpObserver;
  clock?: Clock;
  sleep?: Sleep;
}

export interface RequestOptions {
  method?: string;
  /** Appended to the URL; null and undefined values are left out. */
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
  /**
   * Whether sending the request twice is harmless. Default: true for GET, HEAD, OPTIONS, PUT and DELETE. A POST
   * that failed with a 5xx or a timeout may have been carried out, so it is only retried when this says so; 401,
   * 408 and 429 mean the vendor did not act on it and are retried for every method.
   */
  idempotent?: boolean;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined for 204 and empty bodies. */
  data: T;
  url: string;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export class HttpClient {
  readonly baseUrl: string;
  readonly vendor: string;
  private readonly origins: Set<string>;
  private readonly tokenProvider?: TokenProvider;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoff: BackoffOptions;
  private readonly rateLimitBackoff: BackoffOptions;
  private readonly maxRetryAfterMs: number;
  private readonly limiter?: WindowLimiter;
  private readonly headers: Record<string, string>;
  private readonly baseRedactor: Redactor;
  private redactor: Redactor;
  /** The last tokens used, so they are redacted too (a vendor may echo one back in an error). */
  private recentTokens: string[] = [];
  private readonly log?: HttpLog;
  private readonly observer?: HttpObserver;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly send: typeof fetch;

  constructor(options: HttpClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new ConfigError('baseUrl', 'must be an absolute http(s) URL');
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new ConfigError('baseUrl', 'must be an http(s) URL');
    // Paths are appended to the base, not resolved against it: new URL('/x', 'https://h/v1.0') would drop /v1.0.
    this.baseUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    this.vendor = options.vendor ?? base.host;
    this.origins = new Set([base.origin]);
    for (const origin of options.allowedOrigins ?? []) {
      try {
        this.origins.add(new URL(origin).origin);
      } catch {
        throw new ConfigError('allowedOrigins', `"${origin}" is not a URL`);
      }
    }
    this.timeoutMs = positive('timeoutMs', options.timeoutMs ?? 30_000);
    this.maxRetries = options.maxRetries ?? 4;
    if (!Number.isInteger(this.maxRetries) || this.maxRetries < 0) throw new ConfigError('maxRetries', 'must be a whole number, 0 or more');
    this.backoff = options.backoff ?? {};
    this.rateLimitBackoff = options.rateLimitBackoff ?? { baseMs: 2_000, maxMs: 60_000, random: options.backoff?.random };
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    this.tokenProvider = options.tokenProvider;
    if (options.rateLimit) {
      const { key, registry, ...limit } = options.rateLimit;
      this.limiter = (registry ?? sharedRateLimiters).limiterFor(key, limit);
    }
    this.headers = { accept: 'application/json', ...options.headers, ...options.auth?.headers };
    this.baseRedactor = new Redactor([...(options.secrets ?? []), ...(options.tokenProvider?.secrets ?? []), ...(options.auth?.secrets ?? [])]);
    this.redactor = this.baseRedactor;
    this.log = options.log;
    this.observer = options.observer;
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? realSleep;
    this.send = options.fetch ?? fetch;
  }

  /** GET and return the parsed JSON body. */
  async get<T = unknown>(target: string, options: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<T> {
    return (await this.request<T>(target, { ...options, method: 'GET' })).data;
  }

  /** POST a JSON body and return the parsed JSON answer. */
  async post<T = unknown>(target: string, body: unknown, options: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<T> {
    return (await this.request<T>(target, { ...options, method: 'POST', body })).data;
  }

  /**
   * Sends a request. `target` is a path under the base URL, or an absolute URL (a vendor's next-page link), which
   * is sent verbatim but only to the base URL's origin or `allowedOrigins`: the access token goes with it.
   */
  async request<T = unknown>(target: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    const method = (options.method ?? 'GET').toUpperCase();
    const url = this.resolve(target, options.query);
    const idempotent = options.idempotent ?? IDEMPOTENT_METHODS.has(method);
    const what = `${this.vendor} ${method} ${pathOf(url)}`;
    const headers: Record<string, string> = { ...this.headers, ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }

    let retries = 0;
    let attempt = 0;
    let tokenRefreshed = false;
    const fail = (error: ConnectorError): never => {
      emitLog(this.log, this.redactor, { event: 'http.error', level: 'error', vendor: this.vendor, method, url, attempt, error: error.toJSON() });
      throw error;
    };
    // Waits before the next retry, or gives up with `error` when the budget is spent or retrying is unsafe.
    const retryOrFail = async (error: ConnectorError, delayMs: number, reason: string, allowed: boolean): Promise<void> => {
      if (!allowed || retries >= this.maxRetries) fail(error);
      emitLog(this.log, this.redactor, { event: 'http.retry', level: 'warn', vendor: this.vendor, method, url, attempt, status: error.status, delayMs, reason });
      if (this.observer?.retry) safely(() => this.observer!.retry!({ vendor: this.vendor, status: error.status, delayMs }));
      retries++;
      await this.sleep(delayMs, options.signal);
    };

    for (;;) {
      attempt++;
      let token: string | undefined;
      if (this.tokenProvider) {
        try {
          token = await this.tokenProvider.getToken();
        } catch (err) {
          if (!(err instanceof ConnectorError)) throw err;
          // The token endpoint being throttled or down is as transient as the API being so: same retry budget.
          const delayMs = err instanceof RateLimitedError && err.retryAfterMs !== undefined ? err.retryAfterMs : fullJitterBackoff(retries, this.backoff);
          await retryOrFail(err, delayMs, `token request failed: ${err.kind}`, err.retryable);
          continue;
        }
        this.rememberToken(token);
      }

      await this.limiter?.acquire(options.signal);
      emitLog(this.log, this.redactor, { event: 'http.request', level: 'debug', vendor: this.vendor, method, url, attempt });
      const started = performance.now();
      const observed = this.observer?.attempt ? safely(() => this.observer!.attempt!({ vendor: this.vendor, method, url: telemetryUrl(url), attempt })) : undefined;
      let outcome: SendOutcome;
      try {
        outcome = await sendOnce(
          url,
          { method, headers: token ? { ...headers, authorization: `Bearer ${token}` } : headers, body },
          this.timeoutMs,
          options.signal,
          this.send,
        );
      } catch (err) {
        // Cancelled, or refused before sending: the attempt still ends, with no response.
        if (observed) safely(() => observed({ failure: 'network', durationMs: performance.now() - started }));
        throw err;
      }
      const durationMs = Math.round(performance.now() - started);
      if (observed) {
        const end = outcome.ok
          ? { status: outcome.response.status, requestId: vendorRequestId(outcome.response.headers), durationMs: performance.now() - started }
          : { failure: outcome.failure, durationMs: performance.now() - started };
        safely(() => observed(end));
      }

      if (!outcome.ok) {
        const c = classify({ failure: outcome.failure });
        const detail = outcome.failure === 'timeout' ? `no response within ${this.timeoutMs} ms` : `connection failed (${networkCode(outcome.cause)})`;
        const error = errorOfKind(c.errorKind, this.redactor.string(`${what}: ${detail} after ${attempt} attempt(s)`), { cause: outcome.cause });
        await retryOrFail(error, fullJitterBackoff(retries, this.backoff), c.reason, idempotent);
        continue;
      }

      const res = outcome.response;
      emitLog(this.log, this.redactor, { event: 'http.response', level: 'debug', vendor: this.vendor, method, url, attempt, status: res.status, durationMs });
      const c = classify({ status: res.status }, { tokenRefreshed: tokenRefreshed || !this.tokenProvider });
      if (c.action === 'SUCCEED') {
        return { status: res.status, headers: res.headers, data: this.parseBody<T>(res, what, fail), url };
      }

      const vendorError = parseVendorError(res.text);
      const details: ConnectorErrorDetails = {
        status: res.status,
        vendorCode: vendorError.code,
        requestId: vendorError.requestId ?? res.headers.get('request-id') ?? undefined,
      };
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.clock, this.maxRetryAfterMs);
      const message = this.redactor.string(
        `${what} failed with HTTP ${res.status}${vendorError.code ? ` (${vendorError.code})` : ''}: ` +
          `${truncate(vendorError.message ?? c.reason, 500)}${c.action === 'FAIL' ? '' : ` after ${attempt} attempt(s)`}`,
      );
      const error = errorOfKind(c.errorKind, message, details, retryAfterMs);

      switch (c.action) {
        case 'REFRESH_TOKEN_THEN_RETRY':
          // Only the token that was refused is dropped: another request may already have fetched a fresh one.
          tokenRefreshed = true;
          this.tokenProvider?.invalidate(token);
          emitLog(this.log, this.redactor, { event: 'http.token_refresh', level: 'info', vendor: this.vendor, method, url, attempt, status: res.status });
          continue;
        case 'RATE_LIMITED':
          // The vendor did not act on the request, so resending is safe whatever the method.
          await retryOrFail(error, retryAfterMs ?? fullJitterBackoff(retries, this.rateLimitBackoff), c.reason, true);
          continue;
        case 'RETRY':
          await retryOrFail(error, retryAfterMs ?? fullJitterBackoff(retries, this.backoff), c.reason, idempotent);
          continue;
        default:
          fail(error);
      }
    }
  }

  private parseBody<T>(res: RawResponse, what: string, fail: (error: ConnectorError) => never): T {
    if (res.status === 204 || res.status === 205 || res.text.trim() === '') return undefined as T;
    const type = res.headers.get('content-type');
    // Redact before cutting: a secret cut in half no longer matches.
    const snippet = () => truncate(this.redactor.string(res.text).replace(/\s+/g, ' '), 120);
    if (type && !/[/+]json\b/i.test(type)) {
      fail(new MalformedResponseError(this.redactor.string(`${what} answered HTTP ${res.status} with ${type}, not JSON: "${snippet()}"`), { status: res.status }));
    }
    try {
      return JSON.parse(res.text) as T;
    } catch (cause) {
      return fail(new MalformedResponseError(this.redactor.string(`${what} answered HTTP ${res.status} with invalid JSON: "${snippet()}"`), { status: res.status, cause }));
    }
  }

  private resolve(target: string, query?: Record<string, QueryValue>): string {
    let url: string;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
      let parsed: URL;
      try {
        parsed = new URL(target);
      } catch {
        throw new MalformedResponseError(this.redactor.string(`${this.vendor}: "${truncate(target, 200)}" is not a valid URL`));
      }
      if (!this.origins.has(parsed.origin)) {
        throw new FatalError(`${this.vendor}: refusing to send credentials to ${parsed.origin}; only ${[...this.origins].join(', ')} is allowed`);
      }
      url = target;
    } else {
      url = `${this.baseUrl}/${target.replace(/^\/+/, '')}`;
    }
    const qs = encodeQuery(query);
    return qs ? `${url}${url.includes('?') ? '&' : '?'}${qs}` : url;
  }

  private rememberToken(token: string): void {
    if (this.recentTokens.includes(token)) return;
    this.recentTokens = [token, ...this.recentTokens].slice(0, 2);
    this.redactor = this.baseRedactor.with(this.recentTokens);
  }
}

/**
 * Query strings with %20 for spaces (OData reads "+" literally) and a readable "$" in OData's system options
 * ($filter, $select, $top).
 */
export function encodeQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  return Object.entries(query)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined && entry[1] !== null)
    .map(([key, value]) => `${encodeURIComponent(key).replace(/^%24/, '$')}=${encodeURIComponent(String(value))}`)
    .join('&');
}

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(field, `must be a positive number, got ${value}`);
  return value;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** undici wraps the socket error: TypeError("fetch failed") with cause { code: "ECONNREFUSED" }. */
function networkCode(cause: unknown): string {
  const inner = isRecord(cause) && isRecord(cause.cause) ? cause.cause : cause;
  if (isRecord(inner) && typeof inner.code === 'string') return inner.code;
  return cause instanceof Error ? cause.message : 'unknown error';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
