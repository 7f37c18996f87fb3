/**
 * Sessions of the auditor's page. Signing in takes an API key once, through the Authenticator like any request;
 * afterwards the browser holds only the signed cookie (session-cookie.ts), and every request looks the key up
 * again, so a key revoked, expired or rotated ends its sessions at once, and a changed role or tenant list applies
 * at once.
 */
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { KeyRefusedError, principalOf } from '../../auth/api-keys';
import { AuthEvents } from '../../auth/key-usage';
import { Principal } from '../../auth/principal';
import { ApiKey } from '../../entities';
import { SecretBox } from '../../secrets/secret-box';
import { Clock } from '../../util/clock';
import { cookieValue, SESSION_COOKIE, SESSION_LIFETIME_MS, SessionSigner } from './session-cookie';

export interface ReportSessionDeps {
  dataSource: DataSource;
  clock: Clock;
  secrets: SecretBox;
  events?: AuthEvents;
}

export interface ReportSession {
  principal: Principal;
  expiresAt: Date;
}

export class ReportSessions {
  private readonly signer: SessionSigner;

  constructor(private readonly deps: ReportSessionDeps) {
    this.signer = SessionSigner.fromSecrets(deps.secrets);
  }

  /** A new session for an API-key principal that has just authenticated: the cookie's value and its expiry. */
  async issue(principal: Principal): Promise<{ value: string; expiresAt: Date }> {
    const record = await this.deps.dataSource.getRepository(ApiKey).findOneByOrFail({ id: principal.id });
    const expiresAt = new Date(this.deps.clock.now().getTime() + SESSION_LIFETIME_MS);
    return { value: this.signer.sign(record.id, expiresAt, record.secretHash), expiresAt };
  }

  /** The request's session cookie, if it sent one. */
  cookieOf(req: Request): string | undefined {
    return cookieValue(req.headers.cookie, SESSION_COOKIE);
  }

  /**
   * The session a cookie value stands for, or a KeyRefusedError (UNAUTHENTICATED) that says why not; every refusal
   * is counted with the other authentication failures, and every use is a use of the key.
   */
  async check(value: string): Promise<ReportSession> {
    const claims = this.signer.parse(value);
    if (!claims) throw this.refuse('badSession', 'The session is not valid; sign in again');
    const now = this.deps.clock.now();
    const record = await this.deps.dataSource.getRepository(ApiKey).findOneBy({ id: claims.keyId });
    // Unknown key and bad MAC answer alike, so a forged cookie cannot probe which key ids exist.
    if (!record || !this.signer.verifies(claims, record.secretHash)) throw this.refuse('badSession', 'The session is not valid; sign in again');
    if (claims.expiresAt.getTime() <= now.getTime()) throw this.refuse('badSession', 'The session has expired; sign in again');
    if (record.revokedAt) throw this.refuse('revokedKey', 'The API key of this session has been revoked');
    if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) {
      this.deps.events?.keyUsedAfterExpiry(record.id, record.name);
      throw this.refuse('expiredKey', 'The API key of this session has expired');
    }
    this.deps.events?.keyUsed(record.id, now);
    return { principal: principalOf(record), expiresAt: claims.expiresAt };
  }

  /**
   * For the report downloads: the principal of the session cookie when the request has no Authorization header
   * (a header always wins and is checked as before), null when it has neither.
   */
  async principalFromCookie(req: Request): Promise<Principal | null> {
    if (req.headers.authorization !== undefined) return null;
    const value = this.cookieOf(req);
    return value === undefined ? null : (await this.check(value)).principal;
  }

  private refuse(reason: KeyRefusedError['reason'], message: string): KeyRefusedError {
    this.deps.events?.refused(reason);
    return new KeyRefusedError(reason, message);
  }
}
