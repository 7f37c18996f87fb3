/**
 * The three error shapes a Datto client meets: Spring's OAuth errors from the token endpoint and the resource
 * server (`{ error, error_description }`), Spring Boot's default error page as JSON for everything the API itself
 * refuses (`{ timestamp, status, error, path }`), and the rate limiter's `{ message }`.
 */

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface SpringError {
  timestamp: string;
  status: number;
  error: string;
  path: string;
}

/** Spring Boot leaves the exception's message out (server.error.include-message defaults to never). */
export function springError(status: number, path: string, at: Date): SpringError {
  return { timestamp: at.toISOString().replace(/Z$/, '+00:00'), status, error: REASONS[status] ?? 'Error', path };
}

export interface OAuthError {
  error: string;
  error_description: string;
}

export const oauthError = (error: string, description: string): OAuthError => ({ error, error_description: description });

/** A read over the account's limit. Datto sends no Retry-After with it. */
export const RATE_LIMITED = { message: 'API rate limit exceeded, please try again later' };

/** Every request from an address that kept reading after being told to stop. */
export const IP_BLOCKED = {
  message: 'Your IP address has been blocked for repeatedly exceeding the API rate limit. Try again in a few minutes.',
};
