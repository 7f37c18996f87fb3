import type { ConnectorErrorKind } from '../errors';

/**
 * What the HTTP client does with one answer (or non-answer) from a vendor. Every decision lives in the one table
 * below, so "what happens on a 403?" has exactly one place to look and one place to change.
 */
export type HttpAction =
  /** 2xx: read the body. */
  | 'SUCCEED'
  /** Sleep (backoff, or Retry-After when the vendor sent one), then send again, up to the retry budget. */
  | 'RETRY'
  /** The vendor asks us to slow down: wait Retry-After (backoff when absent), then send again. */
  | 'RATE_LIMITED'
  /** Drop the cached token, get a new one and send again at once. Only once per request. */
  | 'REFRESH_TOKEN_THEN_RETRY'
  /** Throw `errorKind` now: sending the same request again will not help. */
  | 'FAIL';

/** A response status, or a request that never got one. */
export type HttpOutcome = { status: number } | { failure: 'network' | 'timeout' };

export interface ClassifyContext {
  /**
   * The token was already refreshed for this request (or there is no token to refresh). A 401 then means the
   * credentials themselves are refused, so it fails instead of looping through token refreshes.
   */
  tokenRefreshed?: boolean;
}

export interface Classification {
  action: HttpAction;
  /** The error to throw when the action is FAIL, or when retries run out; absent for SUCCEED. */
  errorKind?: Exclude<ConnectorErrorKind, 'config'>;
  /** Why, in words, for logs and error messages. */
  reason: string;
}

type Match = number | '2xx' | '3xx' | '4xx' | '5xx' | 'network' | 'timeout' | 'any';

interface Rule {
  match: readonly Match[];
  action: HttpAction;
  errorKind?: Classification['errorKind'];
  reason: string;
  /** The action applies once per request; after that the rule fails with `errorKind`. */
  once?: true;
}

/** The table. The first row that matches wins, so exact statuses come before their class. */
export const ERROR_TABLE: readonly Rule[] = [
  { match: ['2xx'], action: 'SUCCEED', reason: 'success' },
  // Tokens expire (Datto's after 100 h) or are revoked; a fresh token usually fixes it. A second 401 means the
  // credentials themselves are refused.
  { match: [401], action: 'REFRESH_TOKEN_THEN_RETRY', errorKind: 'auth', once: true, reason: 'the vendor did not accept the access token' },
  // A missing permission (Graph), or Datto's temporary IP block after ignoring 429s: neither clears by retrying now.
  { match: [403], action: 'FAIL', errorKind: 'auth', reason: 'the credentials lack permission for this request (or the vendor blocked the client)' },
  { match: [404], action: 'FAIL', errorKind: 'fatal', reason: 'the resource does not exist' },
  { match: [429], action: 'RATE_LIMITED', errorKind: 'rate_limited', reason: 'the vendor is throttling requests' },
  // 408 means the server gave up waiting for our request, so it was not processed: safe to resend after a pause.
  { match: [408], action: 'RATE_LIMITED', errorKind: 'transient', reason: 'the vendor timed out waiting for the request' },
  { match: [500, 502, 503, 504], action: 'RETRY', errorKind: 'transient', reason: 'the vendor had a temporary failure' },
  { match: ['timeout'], action: 'RETRY', errorKind: 'transient', reason: 'no response before the timeout' },
  { match: ['network'], action: 'RETRY', errorKind: 'transient', reason: 'the connection failed' },
  { match: ['4xx'], action: 'FAIL', errorKind: 'fatal', reason: 'the vendor refused the request' },
  // Other 5xx (501, 505, 507…) describe the server's abilities, not a passing state; fetch follows redirects, so a
  // 3xx reaching us is one it could not follow.
  { match: ['any'], action: 'FAIL', errorKind: 'fatal', reason: 'unexpected answer from the vendor' },
];

function matches(match: Match, outcome: HttpOutcome): boolean {
  if (match === 'any') return true;
  if ('failure' in outcome) return match === outcome.failure;
  if (typeof match === 'number') return match === outcome.status;
  if (match === 'network' || match === 'timeout') return false;
  return Math.floor(outcome.status / 100) === Number(match[0]);
}

/** Pure: the same outcome and context always give the same classification. */
export function classify(outcome: HttpOutcome, context: ClassifyContext = {}): Classification {
  const rule = ERROR_TABLE.find((row) => row.match.some((m) => matches(m, outcome)))!;
  if (rule.once && context.tokenRefreshed) {
    return { action: 'FAIL', errorKind: rule.errorKind, reason: `${rule.reason}, even after a token refresh` };
  }
  return { action: rule.action, errorKind: rule.errorKind, reason: rule.reason };
}
