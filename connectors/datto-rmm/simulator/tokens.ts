/**
 * Datto's OAuth token endpoint: the password grant with the API key and secret as username and password, from the
 * public client "public-client:public" given as HTTP Basic. Tokens are JWT-shaped, as Datto's are, but a client must
 * treat them as opaque; their expiry runs on the simulator's clock.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { OAuthError, oauthError } from './errors';

const PUBLIC_CLIENT = 'public-client:public';

export type TokenCheck = 'valid' | 'missing' | 'expired' | 'unknown';

export class TokenStore {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  issue(lifetimeS: number): { token: string; jti: string } {
    const jti = randomUUID();
    const expiry = this.now() + lifetimeS * 1000;
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { scope: ['default'], exp: Math.floor(expiry / 1000), authorities: ['ROLE_API_ACCESS'], jti, client_id: 'public-client' };
    const token = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.${randomBytes(64).toString('base64url')}`;
    this.expiries.set(token, expiry);
    return { token, jti };
  }

  check(token: string | undefined): TokenCheck {
    if (token === undefined) return 'missing';
    const expiry = this.expiries.get(token);
    if (expiry === undefined) return 'unknown';
    return expiry > this.now() ? 'valid' : 'expired';
  }

  /** Every token issued so far stops working (the `expire-token` fault); they stay known, so the 401 says "expired". */
  expireAll(): void {
    for (const token of this.expiries.keys()) this.expiries.set(token, -Infinity);
  }
}

export interface TokenEndpoint {
  apiKey: string;
  apiSecret: string;
  lifetimeS: number;
  tokens: TokenStore;
}

export interface TokenAnswer {
  status: number;
  body: object;
  headers: Record<string, string>;
}

export interface TokenGrant {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope: 'default';
  jti: string;
}

/**
 * Answers `POST /auth/oauth/token`. `params` are the form body and query string together: Spring reads the grant's
 * parameters from either.
 */
export function answerTokenRequest(authorization: string | undefined, params: URLSearchParams, endpoint: TokenEndpoint): TokenAnswer {
  const headers = { 'cache-control': 'no-store', pragma: 'no-cache' };
  const fail = (status: number, body: OAuthError, extra: Record<string, string> = {}): TokenAnswer => ({ status, body, headers: { ...headers, ...extra } });

  const basic = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (basic === undefined) {
    return fail(401, oauthError('unauthorized', 'Full authentication is required to access this resource'), { 'www-authenticate': 'Basic realm="oauth2/client"' });
  }
  if (Buffer.from(basic, 'base64').toString() !== PUBLIC_CLIENT) {
    return fail(401, oauthError('unauthorized', 'Bad credentials'), { 'www-authenticate': 'Basic realm="oauth2/client"' });
  }
  const grant = params.get('grant_type');
  if (!grant) return fail(400, oauthError('invalid_request', 'Missing grant type'));
  if (grant !== 'password') return fail(400, oauthError('unsupported_grant_type', `Unsupported grant type: ${grant}`));
  // One answer for a wrong key and a wrong secret, so the endpoint does not tell which keys exist.
  if (params.get('username') !== endpoint.apiKey || params.get('password') !== endpoint.apiSecret) {
    return fail(400, oauthError('invalid_grant', 'Bad credentials'));
  }
  const { token, jti } = endpoint.tokens.issue(endpoint.lifetimeS);
  // Spring reports the seconds left, which a moment after issue is one less than the lifetime.
  const body: TokenGrant = { access_token: token, token_type: 'bearer', expires_in: endpoint.lifetimeS - 1, scope: 'default', jti };
  return { status: 200, body, headers };
}
