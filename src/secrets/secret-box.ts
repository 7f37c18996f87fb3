/**
 * Encryption at rest for connector secrets: AES-256-GCM with a random 96-bit nonce per value. The ciphertext is
 * bound to its row (the connector instance id is the additional authenticated data), so a secret copied onto
 * another instance's row fails to decrypt instead of silently authenticating as the wrong account.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const VERSION = 'v1';
export const KEY_BYTES = 32;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** From 32 bytes given as base64 or 64 hex digits. */
  static fromEncodedKey(encoded: string, source = 'PATCHGRAPH_SECRET_KEY'): SecretBox {
    const text = encoded.trim();
    const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    if (key.length !== KEY_BYTES) throw new SecretKeyError(`${source} must be 32 bytes, as base64 or 64 hex digits`);
    return new SecretBox(key);
  }

  /** A fresh random key. */
  static generate(): SecretBox {
    return new SecretBox(randomBytes(KEY_BYTES));
  }

  /**
   * The first 8 hex digits of the key's SHA-256: enough to tell keys apart in an audit event or a message, and
   * nothing an attacker can use (guessing a 256-bit key from 32 bits of its hash is no easier than without).
   */
  fingerprint(): string {
    return createHash('sha256').update(this.key).digest('hex').slice(0, 8);
  }

  sameKeyAs(other: SecretBox): boolean {
    return timingSafeEqual(this.key, other.key);
  }

  /**
   * A 32-byte key for one other purpose (HKDF-SHA256, `purpose` as its info), e.g. signing the auditor's page
   * sessions: each use has its own key, and none of them reveals the one that encrypts connector secrets.
   */
  derivedKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `patchgraph:${purpose}`, KEY_BYTES));
  }

  /** The key as a key file holds it. Only for writing that file: it must never reach a log or the terminal. */
  encodedKey(): string {
    return this.key.toString('base64');
  }

  /**
   * Reads the key file, creating it (mode 0600) with a fresh random key on first use. Losing the file makes the
   * stored secrets unreadable; operators re-enter them, nothing else is lost.
   */
  static fromKeyFile(path: string): { box: SecretBox; created: boolean } {
    if (existsSync(path)) return { box: SecretBox.fromEncodedKey(readFileSync(path, 'utf8'), path), created: false };
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, randomBytes(KEY_BYTES).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    return { box: SecretBox.fromEncodedKey(readFileSync(path, 'utf8'), path), created: true };
  }

  encrypt(values: Record<string, unknown>, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const data = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  decrypt(ciphertext: string, boundTo: string): Record<string, unknown> {
    const [version, iv, tag, data] = ciphertext.split(':');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new SecretKeyError('stored secrets are in an unknown format');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(boundTo, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      const text = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Never echo the cause: it may contain key or plaintext material.
      throw new SecretKeyError('stored secrets cannot be decrypted with this key (was PATCHGRAPH_SECRET_KEY changed?)');
    }
  }
}

/** The server's box: PATCHGRAPH_SECRET_KEY when set, else the key file (created on first start). */
export function openSecretBox(config: { secretKey?: string; secretKeyFile: string }): { box: SecretBox; createdFile: string | null } {
  if (config.secretKey) return { box: SecretBox.fromEncodedKey(config.secretKey), createdFile: null };
  const { box, created } = SecretBox.fromKeyFile(config.secretKeyFile);
  return { box, createdFile: created ? config.secretKeyFile : null };
}
