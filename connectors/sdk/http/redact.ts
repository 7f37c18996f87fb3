/**
 * Keeps secrets out of logs and error messages. Two nets, because either alone leaks:
 *  - by value: the connector knows its secrets (client secret, API key and secret, the current access token) and
 *    every occurrence is replaced, including URL- and JSON-encoded forms, wherever a vendor echoes them;
 *  - by name: values of fields and headers named like secrets (Authorization, client_secret, password,
 *    access_token, refresh_token…) are replaced even when we never knew the value, e.g. a token in a response.
 */
export const REDACTED = '[redacted]';

// Compared after lower-casing and dropping "-" and "_", so client_secret, clientSecret and Client-Secret all match.
const SECRET_FIELDS = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'clientsecret',
  'clientassertion',
  'password',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'apisecret',
]);

export function isSecretField(name: string): boolean {
  return SECRET_FIELDS.has(name.toLowerCase().replace(/[-_]/g, ''));
}

const FIELD_NAMES = '(?:client_?secret|client_?assertion|password|access_?token|refresh_?token|id_?token)';
// name=value in a form body or a query string.
const FORM_FIELD = new RegExp(`(^|[?&;\\s])(${FIELD_NAMES})=[^&\\s"']*`, 'gi');
// "name": "value" in JSON text (a response body quoted in a message).
const JSON_FIELD = new RegExp(`("(?:${FIELD_NAMES}|authorization)"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');
// Credentials after an auth scheme; at least 8 characters so prose like "Basic auth" is left alone.
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]{8,}=*/gi;
// An Authorization header written out as text, whatever its scheme.
const AUTH_HEADER_LINE = /\b((?:proxy-)?authorization\s*:\s*)[^\r\n"',}]+/gi;

const MAX_DEPTH = 20;

export class Redactor {
  /** Every form a secret may take in text, longest first so a secret containing another is replaced whole. */
  private readonly needles: string[];
  private readonly secrets: string[];

  constructor(secrets: Iterable<string | null | undefined> = []) {
    // Empty strings would match everywhere; they are not secrets.
    this.secrets = [...secrets].filter((s): s is string => typeof s === 'string' && s.length > 0);
    const forms = new Set<string>();
    for (const secret of this.secrets) {
      forms.add(secret);
      forms.add(encodeURIComponent(secret));
      forms.add(new URLSearchParams({ s: secret }).toString().slice(2));
      forms.add(JSON.stringify(secret).slice(1, -1));
    }
    this.needles = [...forms].filter(Boolean).sort((a, b) => b.length - a.length);
  }

  /** A redactor that also knows `more`, e.g. the access token of the moment. */
  with(more: Iterable<string | null | undefined>): Redactor {
    return new Redactor([...this.secrets, ...more]);
  }

  string(text: string): string {
    let out = text;
    for (const needle of this.needles) out = out.split(needle).join(REDACTED);
    return out
      .replace(FORM_FIELD, `$1$2=${REDACTED}`)
      .replace(JSON_FIELD, `$1"${REDACTED}"`)
      .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
      .replace(AUTH_HEADER_LINE, `$1${REDACTED}`);
  }

  /** A redacted deep copy: strings are redacted, fields named like secrets are replaced whole. */
  value<T>(value: T): T {
    return this.walk(value, new WeakSet(), 0) as T;
  }

  private walk(value: unknown, seen: WeakSet<object>, depth: number): unknown {
    if (typeof value === 'string') return this.string(value);
    if (value === null || typeof value !== 'object') {
      return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
    }
    if (seen.has(value)) return '[circular]';
    if (depth >= MAX_DEPTH) return '[too deep]';
    seen.add(value);
    try {
      if (value instanceof Date) return new Date(value.getTime());
      if (value instanceof URL || value instanceof URLSearchParams) return this.string(value.toString());
      if (Array.isArray(value)) return value.map((item) => this.walk(item, seen, depth + 1));
      if (value instanceof Headers || value instanceof Map) {
        return this.fields(value.entries() as Iterable<[unknown, unknown]>, seen, depth);
      }
      if (value instanceof Error) {
        // name and message are not enumerable; the stack repeats the message and is not worth the risk.
        const err = value as Error & Record<string, unknown>;
        return this.fields([['name', err.name], ['message', err.message], ...Object.entries(err)], seen, depth);
      }
      return this.fields(Object.entries(value), seen, depth);
    } finally {
      seen.delete(value);
    }
  }

  private fields(entries: Iterable<[unknown, unknown]>, seen: WeakSet<object>, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, val] of entries) {
      const name = String(key);
      out[name] = isSecretField(name) && val != null && val !== '' ? REDACTED : this.walk(val, seen, depth + 1);
    }
    return out;
  }
}

/** One-off: redact `value` (a string or anything JSON-like) against `secrets`. */
export function redact<T>(value: T, secrets: Iterable<string | null | undefined> = []): T {
  return new Redactor(secrets).value(value);
}
