/**
 * A hook for whoever runs connectors to watch their HTTP traffic (metrics, traces) without the SDK knowing about
 * either: the SDK only calls these functions, and a failing observer never fails the request it watches.
 */

/** One attempt of one request, as it is sent. */
export interface HttpAttempt {
  vendor: string;
  method: string;
  /** The URL without its query string or user info: queries may carry filters or keys that do not belong in telemetry. */
  url: string;
  /** 1 for the first send of a request, 2 for the second… */
  attempt: number;
}

/** How an attempt ended: with a response (any status), or with no response at all. */
export interface HttpAttemptEnd {
  status?: number;
  failure?: 'network' | 'timeout';
  /** The vendor's id for the exchange (Graph's request-id, others' x-request-id…), to quote in a support case. */
  requestId?: string;
  durationMs: number;
}

/** A retry about to wait: after a 429 (`status` 429), a 5xx, a timeout or a failed token request. */
export interface HttpRetry {
  vendor: string;
  status?: number;
  delayMs: number;
}

export interface HttpObserver {
  /** Called as an attempt is sent; the function it returns (if any) is called once with the attempt's end. */
  attempt?(attempt: HttpAttempt): ((end: HttpAttemptEnd) => void) | void;
  retry?(retry: HttpRetry): void;
}

/** Response headers vendors put their request id in, most specific first. */
const REQUEST_ID_HEADERS = ['request-id', 'client-request-id', 'x-ms-request-id', 'x-request-id', 'x-correlation-id', 'x-amzn-requestid'];

export function vendorRequestId(headers: Headers): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    // Bounded: a request id is an opaque token, and a header is whatever the vendor (or a proxy) sent.
    if (value) return value.slice(0, 128);
  }
  return undefined;
}

/** The URL as telemetry may show it: origin and path only. */
export function telemetryUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url.split('?')[0];
  }
}

/** Calls an observer hook; an observer's failure is its own problem, never the request's. */
export function safely<T>(call: () => T): T | undefined {
  try {
    return call();
  } catch {
    return undefined;
  }
}
