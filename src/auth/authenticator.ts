import { DataSource } from 'typeorm';
import { UnauthenticatedError } from '../errors';
import { Clock } from '../util/clock';
import { authenticateApiKey, KeyRefusedError } from './api-keys';
import { AuthEvents, AuthFailureReason } from './key-usage';
import { Principal } from './principal';

/** Verifies an OIDC bearer token (a JWT) and maps its claims to a principal. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

export interface AuthenticatorDeps {
  dataSource: DataSource;
  clock: Clock;
  /** Present when OIDC is configured; without it a JWT is refused like an unknown key. */
  oidc?: TokenVerifier;
  /**
   * Told of every key use and every refusal (key-usage.ts remembers them and writes them later). It is the one
   * hook for counting failures, OIDC ones included, so verifiers need not count their own.
   */
  events?: AuthEvents;
}

/**
 * The one place a request's credentials become a principal: `Authorization: Bearer <token>`, where the token is
 * an API key (`pgk_…`) or, when OIDC is configured, a JWT from the identity provider. Every failure is
 * UNAUTHENTICATED; the token itself never reaches an error message or a log.
 */
export class Authenticator {
  constructor(private readonly deps: AuthenticatorDeps) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw this.refuse('missingHeader', new UnauthenticatedError());
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw this.refuse('badHeader', new UnauthenticatedError('The Authorization header must be "Bearer <API key or token>"'));
    const token = match[1];
    // An API key never has a JWT's shape (keys are base64url without dots), so the shape decides.
    if (this.deps.oidc && looksLikeJwt(token)) {
      try {
        return await this.deps.oidc.verify(token);
      } catch (err) {
        throw this.refuse('oidc', err);
      }
    }
    try {
      return await authenticateApiKey(this.deps.dataSource, this.deps.clock, token, this.deps.events);
    } catch (err) {
      // A database fault is not a refused credential: it is not counted, and surfaces as the fault it is.
      if (err instanceof KeyRefusedError) throw this.refuse(err.reason, err);
      throw err;
    }
  }

  private refuse(reason: AuthFailureReason, err: unknown): unknown {
    this.deps.events?.refused(reason);
    return err;
  }
}

/** Three base64url segments: a JWS in compact form. */
function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]*\.[\w-]*$/.test(token);
}
