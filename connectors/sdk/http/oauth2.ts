import { createHash } from 'node:crypto';
import { Clock, systemClock } from '../clock';
import { AuthError, ConfigError, ConnectorError, MalformedResponseError, TransientError } from '../errors';
import { classify } from './error-map';
import { emitLog, errorOfKind, HttpLog, parseVendorError, sendOnce } from './http-client';
import { HttpObserver, safely, telemetryUrl, vendorRequestId } from './observer';
import { Redactor } from './redact';
import { parseRetryAfter } from './retry-after';

/**
 * Access tokens for HttpClient. One provider per set of credentials; it caches the token until shortly before it
 * expires, so a sync run asks the token endpoint once an hour (Graph) or once in 100 hours (Datto), not once per
 * request.
 */
export interface TokenProvider {
  /** A token that is valid now. Concurrent callers share one token request. */
  getToken(): Promise<string>;
  /**
   * The vendor refused a token (401): forget it, so the next getToken fetches a new one. With the refused token
   * as argument, a newer token that another request already fetched is kept.
   */
  invalidate(rejectedToken?: string): void;
  /** Credentials that must never appear in a log or an error message. */
  readonly secrets: readonly string[];
}

/**
 * A token request: the form fields, plus optional client credentials sent as HTTP Basic (RFC 6749 §2.3.1).
 * `secretFields` names the fields that are secrets.
 */
export interface OAuth2Grant {
  tokenUrl: string;
  form: Record<string, string>;
  basicAuth?: { username: string; password: string };
  secretFields: string[];
}

/**
 * The generic OAuth2 client-credentials grant (RFC 6749 §4.4): client id and secret in the form body, which is
 * what most vendor APIs (NinjaOne, an inventory feed) accept. The secret is in `secretFields`, so the provider
 * keeps it out of every log line and error message.
 */
export function clientCredentialsGrant(options: {
  /** The token endpoint, e.g. https://app.ninjarmm.com/ws/oauth/token */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes, when the vendor wants them (NinjaOne: "monitoring"). */
  scope?: string;
}): OAuth2Grant {
  required('tokenUrl', options.tokenUrl);
  required('clientId', options.clientId);
  required('clientSecret', options.clientSecret);
  const form: Record<string, string> = { grant_type: 'client_credentials', client_id: options.clientId, client_secret: options.clientSecret };
  if (options.scope) form.scope = options.scope;
  return { tokenUrl: options.tokenUrl, form, secretFields: ['client_secret'] };
}

/** Microsoft identity platform, client-credentials flow, for Microsoft Graph. */
export function graphClientCredentials(options: {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Default https://login.microsoftonline.com; national clouds have their own. */
  authorityUrl?: string;
  /** Default https://graph.microsoft.com/.default (the app's granted application permissions). */
  scope?: string;
}): OAuth2Grant {
  required('tenantId', options.tenantId);
  required('clientId', options.clientId);
  required('clientSecret', options.clientSecret);
  const authority = (options.authorityUrl ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  return {
    tokenUrl: `${authority}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`,
    form: {
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: options.clientSecret,
      scope: options.scope ?? 'https://graph.microsoft.com/.default',
    },
    secretFields: ['client_secret'],
  };
}

/**
 * Datto RMM v2: the resource-owner password grant with the API key and secret as username and password. The
 * Basic client credentials `public-client:public` are the same for every Datto customer; they are not a secret.
 */
export function dattoPasswordGrant(options: {
  /** The platform's API URL, e.g. https://merlot-api.centrastage.net */
  apiUrl: string;
  apiKey: string;
  apiSecret: string;
}): OAuth2Grant {
  required('apiUrl', options.apiUrl);
  required('apiKey', options.apiKey);
  required('apiSecret', options.apiSecret);
  return {
    tokenUrl: `${options.apiUrl.replace(/\/+$/, '')}/auth/oauth/token`,
    form: { grant_type: 'password', username: options.apiKey, password: options.apiSecret },
    basicAuth: { username: 'public-client', password: 'public' },
    // Datto's API key is half of the credential pair, so it is kept out of logs too.
    secretFields: ['username', 'password'],
  };
}

export interface OAuth2TokenProviderOptions {
  grant: OAuth2Grant;
  /** Named in error messages, e.g. "Microsoft Entra ID". Default: the token URL's host. */
  vendor?: string;
  /**
   * Refresh this long before the token expires, so a token does not run out between getToken and the vendor
   * checking it. Capped at half the token's lifetime. Default 60 s.
   */
  refreshBeforeExpiryMs?: number;
  /** Default 30 s. */
  timeoutMs?: number;
  /** Sends the token request. Default: the global fetch. */
  fetch?: typeof fetch;
  log?: HttpLog;
  /** Watches each token request as HttpClient's observer watches API requests (throttling, traces). */
  observer?: HttpObserver;
  clock?: Clock;
  /**
   * Where the token is kept. By default the provider keeps its own, so it lives as long as the provider (one sync
   * run). Pass a shared cache (ConnectorContext.tokens) to reuse a long-lived token across runs, as Datto's
   * 100-hour tokens should be.
   */
  cache?: TokenCache;
}

/**
 * Tokens in memory, shared by every provider with the same grant (token URL and form, secrets included, so a
 * changed secret never gets an old token). Never written anywhere.
 */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  get(key: string): CachedToken | undefined {
    return this.tokens.get(key);
  }

  set(key: string, token: CachedToken | undefined): void {
    if (token) this.tokens.set(key, token);
    else this.tokens.delete(key);
  }
}

/** The process's token cache: what the sync engine hands every connector. */
export const sharedTokenCache = new TokenCache();

interface CachedToken {
  value: string;
  refreshAt: number;
}

/** Assumed when a token response has no usable `expires_in`: short, so a wrong guess costs one extra token request. */
const FALLBACK_LIFETIME_S = 300;

export class OAuth2TokenProvider implements TokenProvider {
  readonly secrets: readonly string[];
  private readonly grant: OAuth2Grant;
  private readonly vendor: string;
  private readonly refreshBeforeExpiryMs: number;
  private readonly timeoutMs: number;
  private readonly log?: HttpLog;
  private readonly observer?: HttpObserver;
  private readonly clock: Clock;
  private redactor: Redactor;
  private readonly cache: TokenCache;
  private readonly cacheKey: string;
  private readonly send: typeof fetch;
  private pending?: Promise<string>;

  constructor(options: OAuth2TokenProviderOptions) {
    const { grant } = options;
    let url: URL;
    try {
      url = new URL(grant.tokenUrl);
    } catch {
      throw new ConfigError('tokenUrl', 'must be an absolute http(s) URL');
    }
    this.grant = grant;
    this.vendor = options.vendor ?? url.host;
    this.secrets = grant.secretFields.map((field) => grant.form[field]).filter((value): value is string => !!value);
    this.redactor = new Redactor(this.secrets);
    this.refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.log = options.log;
    this.observer = options.observer;
    this.clock = options.clock ?? systemClock;
    this.cache = options.cache ?? new TokenCache();
    this.send = options.fetch ?? fetch;
    this.cacheKey = createHash('sha256').update(JSON.stringify([grant.tokenUrl, grant.form, grant.basicAuth ?? null])).digest('hex');
  }

  private get cached(): CachedToken | undefined {
    return this.cache.get(this.cacheKey);
  }

  private set cached(token: CachedToken | undefined) {
    this.cache.set(this.cacheKey, token);
  }

  getToken(): Promise<string> {
    const cached = this.cached;
    if (cached && this.clock.now().getTime() < cached.refreshAt) return Promise.resolve(cached.value);
    // Single flight: twenty requests finding the token expired make one token request, not twenty.
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  invalidate(rejectedToken?: string): void {
    if (rejectedToken === undefined || this.cached?.value === rejectedToken) this.cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    const { grant } = this;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (grant.basicAuth) {
      headers.authorization = `Basic ${Buffer.from(`${grant.basicAuth.username}:${grant.basicAuth.password}`).toString('base64')}`;
    }
    const what = `${this.vendor} token request`;
    emitLog(this.log, this.redactor, { event: 'token.request', level: 'info', vendor: this.vendor, method: 'POST', url: grant.tokenUrl });

    const started = performance.now();
    const observed = this.observer?.attempt ? safely(() => this.observer!.attempt!({ vendor: this.vendor, method: 'POST', url: telemetryUrl(grant.tokenUrl), attempt: 1 })) : undefined;
    let outcome: Awaited<ReturnType<typeof sendOnce>>;
    try {
      outcome = await sendOnce(grant.tokenUrl, { method: 'POST', headers, body: new URLSearchParams(grant.form).toString() }, this.timeoutMs, undefined, this.send);
    } catch (err) {
      if (observed) safely(() => observed({ failure: 'network', durationMs: performance.now() - started }));
      throw err;
    }
    if (observed) {
      const end = outcome.ok
        ? { status: outcome.response.status, requestId: vendorRequestId(outcome.response.headers), durationMs: performance.now() - started }
        : { failure: outcome.failure, durationMs: performance.now() - started };
      safely(() => observed(end));
    }
    if (!outcome.ok) {
      const detail = outcome.failure === 'timeout' ? `no response within ${this.timeoutMs} ms` : 'the connection failed';
      throw this.failed(new TransientError(this.safe(`${what} failed: ${detail}`), { cause: outcome.cause }));
    }

    const res = outcome.response;
    if (res.status >= 200 && res.status < 300) {
      let body: unknown;
      try {
        body = JSON.parse(res.text);
      } catch {
        throw this.failed(new MalformedResponseError(this.safe(`${what} answered HTTP ${res.status} with a body that is not JSON`), { status: res.status }));
      }
      const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
      const token = record.access_token;
      if (typeof token !== 'string' || token === '') {
        throw this.failed(new MalformedResponseError(this.safe(`${what} answered HTTP ${res.status} without an access_token`), { status: res.status }));
      }
      const lifetimeS = expiresIn(record.expires_in) ?? FALLBACK_LIFETIME_S;
      const lifetimeMs = lifetimeS * 1000;
      this.cached = { value: token, refreshAt: this.clock.now().getTime() + lifetimeMs - Math.min(this.refreshBeforeExpiryMs, lifetimeMs / 2) };
      // The new token joins the secrets this provider's own log events are redacted against.
      this.redactor = new Redactor([...this.secrets, token]);
      emitLog(this.log, this.redactor, { event: 'token.acquired', level: 'info', vendor: this.vendor, expiresInS: lifetimeS });
      return token;
    }

    // The vendor's error description says what is wrong ("AADSTS7000215: Invalid client secret provided", "Bad
    // credentials"); it is kept, redacted, because "401" alone sends the operator hunting.
    const vendorError = parseVendorError(res.text);
    const details = { status: res.status, vendorCode: vendorError.code, requestId: vendorError.requestId };
    const description = vendorError.message ?? vendorError.code ?? 'no description';
    if (res.status === 400 || res.status === 401) {
      throw this.failed(new AuthError(this.safe(`${what} was refused with HTTP ${res.status}${vendorError.code ? ` (${vendorError.code})` : ''}: ${description}`), details));
    }
    const c = classify({ status: res.status }, { tokenRefreshed: true });
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.clock);
    throw this.failed(errorOfKind(c.errorKind, this.safe(`${what} failed with HTTP ${res.status}: ${description}`), details, retryAfterMs));
  }

  /**
   * Redacts text that goes into an error message, before the error exists: the stack captures the message at
   * construction. Vendors echo what they were sent, credentials included.
   */
  private safe(text: string): string {
    return this.redactor.string(text);
  }

  private failed(error: ConnectorError): ConnectorError {
    emitLog(this.log, this.redactor, { event: 'token.error', level: 'error', vendor: this.vendor, url: this.grant.tokenUrl, error: error.toJSON() });
    return error;
  }
}

/** expires_in is a number of seconds; some Microsoft endpoints send it as a string ("3599"). */
function expiresIn(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

function required(field: string, value: string | undefined): void {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(field, 'is required');
}
