import { ConfigError } from '../errors';

/**
 * Credentials that never change during a run: a personal access token or an API key. Pass it as HttpClient's
 * `auth`; the client sends the headers with every request and redacts `secrets` from every log line and error.
 * A 401 fails the request at once with AuthError: there is no token to fetch again.
 */
export interface StaticAuth {
  headers: Record<string, string>;
  /** The values that must never appear in a log or an error message. */
  secrets: string[];
}

/** `Authorization: Bearer <token>` with a token the operator issued (Tactical RMM, Atera and GitHub-style APIs). */
export function bearerToken(token: string, options: { field?: string } = {}): StaticAuth {
  const value = credential(options.field ?? 'token', token);
  return { headers: { authorization: `Bearer ${value}` }, secrets: [value] };
}

/**
 * An API key in a header of the vendor's choosing, e.g. `X-API-Key: <key>`, or with a `prefix` such as
 * `Authorization: ApiKey <key>`.
 */
export function apiKeyHeader(header: string, key: string, options: { prefix?: string; field?: string } = {}): StaticAuth {
  // A header name is an RFC 9110 token; anything else would be refused by fetch with a message naming the value.
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) throw new ConfigError('header', `"${header}" is not a valid HTTP header name`);
  const value = credential(options.field ?? 'apiKey', key);
  return { headers: { [header.toLowerCase()]: options.prefix ? `${options.prefix} ${value}` : value }, secrets: [value] };
}

function credential(field: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(field, 'is required');
  // Checked here, without the value in the message: fetch's own error for a bad header value quotes it.
  if (/[\r\n\0]/.test(value)) throw new ConfigError(field, 'must be one line');
  return value.trim();
}
