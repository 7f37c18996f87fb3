/**
 * Datto's OAuth token endpoint: the password grant with the API key and secret as username and password, from the
 * public client "public-client:public" given as HTTP Basic. Tokens are JWT-shaped, as Datto's are, but a client must
 * treat them as opaque; their expiry runs on the simulator's clock. The toolkit's tokenEndpoint runs the grant; what
 * is here is Datto's: its token's shape, its grant body and Spring's refusals.
 */
import { randomBytes } from 'node:crypto';
import type { IssuedToken, TokenRefusal } from '../../sdk/testkit/simulator';
import { oauthError } from './errors';

export const PUBLIC_CLIENT = { id: 'public-client', secret: 'public' };

export interface TokenGrant {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope: 'default';
  jti: string;
}

export function mintDattoToken({ id, expiresAtMs }: { id: string; expiresAtMs: number }): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { scope: ['default'], exp: Math.floor(expiresAtMs / 1000), authorities: ['ROLE_API_ACCESS'], jti: id, client_id: 'public-client' };
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.${randomBytes(64).toString('base64url')}`;
}

/** Spring reports the seconds left, which a moment after issue is one less than the lifetime. */
export const dattoGrant = (token: IssuedToken): TokenGrant => ({ access_token: token.value, token_type: 'bearer', expires_in: token.lifetimeS - 1, scope: 'default', jti: token.id });

/** Spring Security's answers: the client's Basic authentication fails with 401 before the grant is looked at. */
export function springTokenRefusal(refusal: TokenRefusal): { status: number; body: object; headers?: Record<string, string> } {
  const challenge = { 'www-authenticate': 'Basic realm="oauth2/client"' };
  switch (refusal.reason) {
    case 'client-auth-missing':
      return { status: 401, body: oauthError('unauthorized', 'Full authentication is required to access this resource'), headers: challenge };
    case 'bad-client':
      return { status: 401, body: oauthError('unauthorized', 'Bad credentials'), headers: challenge };
    case 'grant-missing':
      return { status: 400, body: oauthError('invalid_request', 'Missing grant type') };
    case 'grant-unsupported':
      return { status: 400, body: oauthError('unsupported_grant_type', `Unsupported grant type: ${refusal.request.grantType}`) };
    default:
      // One answer for a wrong key and a wrong secret, so the endpoint does not tell which keys exist.
      return { status: 400, body: oauthError('invalid_grant', 'Bad credentials') };
  }
}
