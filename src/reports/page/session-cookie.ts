/**
 * The auditor's page session cookie: `<apiKeyId>.<expiry in epoch seconds>.<HMAC-SHA256>`. It names the key but
 * never holds it; the MAC is keyed with a key derived from the server's secret key and also covers the key's
 * current secret hash (which is not in the cookie), so rotating the key ends its sessions as revoking it does.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SecretBox } from '../../secrets/secret-box';

export const SESSION_COOKIE = 'patchgraph_report_session';
export const SESSION_PATH = '/reports';
export const SESSION_LIFETIME_MS = 8 * 60 * 60 * 1000;

/** What a cookie says before it is checked: which key, until when, and its MAC. */
export interface SessionClaims {
  keyId: string;
  expiresAt: Date;
  mac: Buffer;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COOKIE_VALUE = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export class SessionSigner {
  private constructor(private readonly macKey: Buffer) {}

  static fromSecrets(secrets: SecretBox): SessionSigner {
    return new SessionSigner(secrets.derivedKey('report-page-session-v1'));
  }

  sign(keyId: string, expiresAt: Date, keySecretHash: string): string {
    const expiry = Math.floor(expiresAt.getTime() / 1000);
    return `${keyId}.${expiry}.${this.mac(keyId, expiry, keySecretHash).toString('base64url')}`;
  }

  /** The claims of a well-formed cookie value, unverified; null for anything else. */
  parse(value: string): SessionClaims | null {
    const m = COOKIE_VALUE.exec(value);
    if (!m || !UUID.test(m[1])) return null;
    return { keyId: m[1], expiresAt: new Date(Number(m[2]) * 1000), mac: Buffer.from(m[3], 'base64url') };
  }

  /** Whether the claims were signed by this server for the key as it is now (its current secret). */
  verifies(claims: SessionClaims, keySecretHash: string): boolean {
    const expected = this.mac(claims.keyId, Math.floor(claims.expiresAt.getTime() / 1000), keySecretHash);
    return claims.mac.length === expected.length && timingSafeEqual(claims.mac, expected);
  }

  private mac(keyId: string, expiry: number, keySecretHash: string): Buffer {
    return createHmac('sha256', this.macKey).update(`${keyId}.${expiry}.${keySecretHash}`).digest();
  }
}

/** One cookie's value from a Cookie header, or undefined; the last one wins if a client sends it twice. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  let found: string | undefined;
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    found = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return found;
}
