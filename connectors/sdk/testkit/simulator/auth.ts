/**
 * The resource server's half of authentication: a data route refuses a request without a valid bearer token or API
 * key before anything else is read, answering 401 in the vendor's body shape.
 */
import { bearerOf, TokenCheck, TokenIssuer } from './tokens';
import type { Middleware, SimRequest, SimResponse } from './server';
import type { SimulatorTraffic } from './traffic';

/** Why a bearer token was refused: no token, expired, never issued, or issued for another audience. */
export type BearerRefusal = Exclude<TokenCheck, 'valid'> | 'wrong-audience';

export interface BearerAuthOptions {
  tokens: TokenIssuer;
  /** Counts each refusal as unauthorized. */
  traffic?: SimulatorTraffic;
  /** Accept only tokens issued for this scope (a resource checking a token's audience). */
  audience?: string;
  /** The vendor's 401; default RFC 6750's `{ error: 'invalid_token', error_description }` with its WWW-Authenticate. */
  refuse?: (why: BearerRefusal, token: string | undefined, req: SimRequest) => SimResponse;
}

const defaultBearerRefusal = (why: BearerRefusal): SimResponse => ({
  status: 401,
  body: { error: 'invalid_token', error_description: why === 'missing' ? 'The access token is missing.' : `The access token is ${why === 'expired' ? 'expired' : 'not valid'}.` },
  headers: { 'www-authenticate': why === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"' },
});

export function bearerAuth(options: BearerAuthOptions): Middleware {
  const refuse = options.refuse ?? defaultBearerRefusal;
  return (req, next) => {
    const token = bearerOf(req);
    const check = options.tokens.check(token);
    const why: BearerRefusal | null =
      check !== 'valid' ? check : options.audience !== undefined && options.tokens.get(token)?.scope !== options.audience ? 'wrong-audience' : null;
    if (why === null) return next();
    options.traffic?.countUnauthorized();
    return refuse(why, token, req);
  };
}

export interface ApiKeyAuthOptions {
  /** The header carrying the key, e.g. 'x-api-key'. */
  header: string;
  keys: readonly string[];
  traffic?: SimulatorTraffic;
  /** The vendor's 401; default `{ error: 'unauthorized', message }`. */
  refuse?: (key: string | undefined, req: SimRequest) => SimResponse;
}

export function apiKeyAuth(options: ApiKeyAuthOptions): Middleware {
  const name = options.header.toLowerCase();
  const refuse =
    options.refuse ??
    ((key: string | undefined): SimResponse => ({ status: 401, body: { error: 'unauthorized', message: key === undefined ? `The ${options.header} header is missing.` : `The ${options.header} is not valid.` } }));
  return (req, next) => {
    const sent = req.headers[name];
    const key = Array.isArray(sent) ? sent[0] : sent;
    if (key !== undefined && options.keys.includes(key)) return next();
    options.traffic?.countUnauthorized();
    return refuse(key, req);
  };
}
