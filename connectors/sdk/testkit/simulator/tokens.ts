/**
 * Bearer tokens a simulated token endpoint issues, with their lifetime on the injected clock, and the endpoint
 * itself for the two grants connectors meet: OAuth2 client credentials (RFC 6749 §4.4) and the resource owner
 * password grant (§4.3, Datto's). Refusals are RFC 6749 §5.2 error bodies unless the vendor says otherwise.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Clock, systemClock } from '../../clock';
import type { Handler, SimRequest, SimResponse } from './server';
import type { SimulatorTraffic } from './traffic';

export type TokenCheck = 'valid' | 'missing' | 'expired' | 'unknown';

export interface IssuedToken {
  value: string;
  /** A unique id per token (a JWT's jti). */
  id: string;
  expiresAtMs: number;
  lifetimeS: number;
  /** The scope it was issued for: its audience, which a resource may check. */
  scope?: string;
}

export interface TokenIssuerOptions {
  /** Default lifetime of a token, in seconds. */
  lifetimeS: number;
  /** Time source of expiry; default the system clock. */
  clock?: Clock;
  /** The token's text; default 32 random bytes in base64url. A vendor with JWT-shaped tokens builds one here. */
  mint?: (token: { id: string; expiresAtMs: number }) => string;
}

export class TokenIssuer {
  private readonly issued = new Map<string, IssuedToken>();
  private readonly clock: Clock;

  constructor(private readonly options: TokenIssuerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  issue(options: { scope?: string; lifetimeS?: number } = {}): IssuedToken {
    const lifetimeS = options.lifetimeS ?? this.options.lifetimeS;
    const id = randomUUID();
    const expiresAtMs = this.clock.now().getTime() + lifetimeS * 1000;
    const value = this.options.mint?.({ id, expiresAtMs }) ?? randomBytes(32).toString('base64url');
    const token: IssuedToken = { value, id, expiresAtMs, lifetimeS, scope: options.scope };
    this.issued.set(value, token);
    return token;
  }

  check(value: string | undefined): TokenCheck {
    if (value === undefined) return 'missing';
    const token = this.issued.get(value);
    if (!token) return 'unknown';
    return token.expiresAtMs > this.clock.now().getTime() ? 'valid' : 'expired';
  }

  /** The token as issued (its scope), or undefined for one this issuer never issued. */
  get(value: string | undefined): IssuedToken | undefined {
    return value === undefined ? undefined : this.issued.get(value);
  }

  /** Every token issued so far stops working (the expire-token fault); they stay known, so a check says 'expired'. */
  expireAll(): void {
    for (const token of this.issued.values()) token.expiresAtMs = -Infinity;
  }
}

/** The token of an `Authorization: Bearer …` header, or undefined. */
export function bearerOf(req: SimRequest): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
}

export interface TokenRequest {
  /** The form body's parameters (and the query's, when read with `fromQuery`). */
  params: URLSearchParams;
  grantType: string | null;
  clientId: string | null;
  clientSecret: string | null;
  /** Whether the client authenticated with HTTP Basic (client_secret_basic) rather than in the form. */
  basic: boolean;
}

/**
 * A token request's grant and client credentials. HTTP Basic credentials win over form ones and are form-decoded,
 * as RFC 6749 §2.3.1 has clients encode them.
 */
export function readTokenRequest(req: SimRequest, options: { fromQuery?: boolean } = {}): TokenRequest {
  const params = new URLSearchParams(options.fromQuery ? req.query : undefined);
  for (const [name, value] of req.form()) params.append(name, value);
  let clientId = params.get('client_id');
  let clientSecret = params.get('client_secret');
  const basic = /^Basic\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  if (basic !== undefined) {
    const [id, ...secret] = Buffer.from(basic, 'base64').toString().split(':');
    clientId = formDecode(id);
    clientSecret = secret.length === 0 ? null : formDecode(secret.join(':'));
  }
  return { params, grantType: params.get('grant_type'), clientId, clientSecret, basic: basic !== undefined };
}

/** Why a token request was refused; `error` and `status` are RFC 6749 §5.2's. */
export interface TokenRefusal {
  reason: 'client-auth-missing' | 'bad-client' | 'grant-missing' | 'grant-unsupported' | 'bad-user' | 'bad-scope';
  status: 400 | 401;
  error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_grant' | 'invalid_scope';
  description: string;
  request: TokenRequest;
}

export interface TokenEndpointOptions {
  tokens: TokenIssuer;
  /** Counts every request to the endpoint as a token request. */
  traffic?: SimulatorTraffic;
  grant: 'client_credentials' | 'password';
  /** The one client allowed; a public client (Datto's "public-client") has a known secret too. */
  client: { id: string; secret: string };
  /** 'basic': the client must authenticate with HTTP Basic; 'either' (default): Basic or the form. */
  clientAuth?: 'basic' | 'either';
  /** The password grant's resource owner: an API key and secret as username and password, for instance. */
  user?: { username: string; password: string };
  /** Read the grant's parameters from the query string too (Spring does). */
  fromQuery?: boolean;
  /** Check the grant type before the client's credentials (default: the client first, as RFC 6749 servers do). */
  grantFirst?: boolean;
  /** Which scopes to issue tokens for; default any (or none). */
  scopeAllowed?: (scope: string | null) => boolean;
  /** The success body; default `{ access_token, token_type: 'Bearer', expires_in }`. */
  grantBody?: (token: IssuedToken, request: TokenRequest) => unknown;
  /** The vendor's refusal; default the RFC 6749 body `{ error, error_description }` with `refusal.status`. */
  refuse?: (refusal: TokenRefusal, req: SimRequest) => SimResponse;
  /** Headers on every answer; default Cache-Control: no-store and Pragma: no-cache (RFC 6749 §5.1). */
  headers?: Record<string, string>;
}

const defaultRefusal = (refusal: TokenRefusal): SimResponse => ({
  status: refusal.status,
  body: { error: refusal.error, error_description: refusal.description },
  headers: refusal.status === 401 && refusal.request.basic ? { 'www-authenticate': 'Basic realm="token"' } : {},
});

/** A token endpoint handler: route it at the vendor's token path (usually POST only). */
export function tokenEndpoint(options: TokenEndpointOptions): Handler {
  const headers = options.headers ?? { 'cache-control': 'no-store', pragma: 'no-cache' };
  const refuse = options.refuse ?? defaultRefusal;
  return (req) => {
    options.traffic?.countTokenRequest();
    const request = readTokenRequest(req, { fromQuery: options.fromQuery });
    const refusal = refusalOf(request, options);
    const answer: SimResponse = refusal
      ? refuse(refusal, req)
      : { status: 200, body: (options.grantBody ?? defaultGrantBody)(options.tokens.issue({ scope: request.params.get('scope') ?? undefined }), request) };
    return { ...answer, headers: { ...headers, ...answer.headers } };
  };
}

const defaultGrantBody = (token: IssuedToken): unknown => ({ access_token: token.value, token_type: 'Bearer', expires_in: token.lifetimeS });

function refusalOf(request: TokenRequest, options: TokenEndpointOptions): TokenRefusal | null {
  const refusal = (reason: TokenRefusal['reason'], status: 400 | 401, error: TokenRefusal['error'], description: string): TokenRefusal => ({ reason, status, error, description, request });
  const client = (): TokenRefusal | null => {
    if (options.clientAuth === 'basic' && !request.basic) return refusal('client-auth-missing', 401, 'invalid_client', 'Client authentication with HTTP Basic is required.');
    if (request.clientId !== options.client.id || request.clientSecret !== options.client.secret) {
      return refusal('bad-client', 401, 'invalid_client', 'Client authentication failed: unknown client or wrong secret.');
    }
    return null;
  };
  const grant = (): TokenRefusal | null => {
    if (!request.grantType) return refusal('grant-missing', 400, 'invalid_request', 'The grant_type parameter is missing.');
    if (request.grantType !== options.grant) return refusal('grant-unsupported', 400, 'unsupported_grant_type', `Only grant_type=${options.grant} is supported.`);
    return null;
  };
  const first = options.grantFirst ? grant() ?? client() : client() ?? grant();
  if (first) return first;
  const { user } = options;
  if (user && (request.params.get('username') !== user.username || request.params.get('password') !== user.password)) {
    // One answer for a wrong username and a wrong password, so the endpoint does not tell which users exist.
    return refusal('bad-user', 400, 'invalid_grant', 'Bad credentials.');
  }
  if (options.scopeAllowed && !options.scopeAllowed(request.params.get('scope'))) {
    return refusal('bad-scope', 400, 'invalid_scope', `The scope ${JSON.stringify(request.params.get('scope'))} is not valid.`);
  }
  return null;
}

function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
