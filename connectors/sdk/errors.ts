/**
 * The errors a connector throws. The sync engine switches on `kind` to decide what happens to a run: ask the
 * operator to fix the configuration (`config`), to re-authorise (`auth`), wait and try later (`rate_limited`,
 * `transient`), or report a vendor that answered something we cannot read (`malformed_response`) or a request
 * that will never work as it stands (`fatal`).
 *
 * Messages end up in logs, in sync-run records and in the portal, so they must never contain a secret. Code that
 * builds a message from vendor text runs it through a Redactor first (see http/redact.ts).
 */
export type ConnectorErrorKind = 'config' | 'auth' | 'rate_limited' | 'transient' | 'malformed_response' | 'fatal';

export interface ConnectorErrorDetails {
  /** The HTTP status the vendor answered with, when there was an answer. */
  status?: number;
  /** The vendor's own error code, e.g. Graph's `error.code` ("TooManyRequests") or OAuth's `error` ("invalid_client"). */
  vendorCode?: string;
  /** The vendor's request id (Graph `request-id`), which their support asks for. */
  requestId?: string;
  /** The underlying failure, for debugging; never shown to users. */
  cause?: unknown;
}

export abstract class ConnectorError extends Error {
  abstract readonly kind: ConnectorErrorKind;
  readonly status?: number;
  readonly vendorCode?: string;
  readonly requestId?: string;

  constructor(message: string, details: ConnectorErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    // Each subclass's name is its class name; set once here instead of in every constructor.
    this.name = new.target.name;
    if (details.status !== undefined) this.status = details.status;
    if (details.vendorCode !== undefined) this.vendorCode = details.vendorCode;
    if (details.requestId !== undefined) this.requestId = details.requestId;
  }

  /** True when the same call may succeed later without anyone changing anything. */
  get retryable(): boolean {
    return this.kind === 'transient' || this.kind === 'rate_limited';
  }

  /** What a log line or a sync-run record stores: no stack, no cause (the cause may hold vendor internals). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, kind: this.kind, message: this.message, status: this.status, vendorCode: this.vendorCode, requestId: this.requestId };
  }
}

/** The connector's configuration is wrong; `field` names the setting, e.g. "clientSecret" or "baseUrl". */
export class ConfigError extends ConnectorError {
  readonly kind = 'config' as const;
  constructor(readonly field: string, message: string, details?: ConnectorErrorDetails) {
    super(`${field}: ${message}`, details);
  }
}

/** The vendor refused the credentials or their permissions (401 after a token refresh, 403, a refused token request). */
export class AuthError extends ConnectorError {
  readonly kind = 'auth' as const;
}

/** The vendor is throttling us and retries ran out; `retryAfterMs` is how long the vendor asked us to wait, if it said. */
export class RateLimitedError extends ConnectorError {
  readonly kind = 'rate_limited' as const;
  constructor(message: string, readonly retryAfterMs?: number, details?: ConnectorErrorDetails) {
    super(message, details);
  }

  toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}

/** A failure that may go away by itself: a 5xx, a timeout, a dropped connection. Retries ran out. */
export class TransientError extends ConnectorError {
  readonly kind = 'transient' as const;
}

/** The vendor answered, but not with what its API promises (not JSON, unparseable, a page without its array). */
export class MalformedResponseError extends ConnectorError {
  readonly kind = 'malformed_response' as const;
}

/** The request will not work however often it is sent (404, other 4xx, a refused target URL). */
export class FatalError extends ConnectorError {
  readonly kind = 'fatal' as const;
}

/**
 * A pushed upload the connector's ingest hook will not read (wrong envelope version, a schema violation). `code` is
 * what the ingest route answers, with status 422; a run given the same payload fails as a malformed response.
 */
export class UploadRejectedError extends ConnectorError {
  readonly kind = 'malformed_response' as const;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
