/**
 * The foreign fingerprints: every value a foreign row holds that A could not have learnt any other way. Ids (raw keys
 * and the global ids of Node types), and every distinctive string (names, host names, serials, MACs, titles, error
 * messages, settings), plus connector secrets decrypted from their ciphertext and the plain values of foreign API
 * keys. A string is distinctive when it is not part of anything A may legitimately read: A's own rows, the neutral
 * ones, and the server's static text (the schema, the connector kinds).
 */
import { GraphQLSchema, isObjectType, printSchema } from 'graphql';
import { toGlobalId } from '../../../src/graphql/types/global-id';
import { SecretBox } from '../../../src/secrets/secret-box';
import { OwnedRow, stringsOf } from './ownership';

export interface Fingerprint {
  value: string;
  /** Where it comes from, for the report: "tenant.name (3f2a…)". */
  origin: string;
  kind: 'id' | 'text' | 'secret';
}

export interface FingerprintSet {
  /** Ids and other single tokens: matched as whole tokens of a response. */
  tokens: Map<string, Fingerprint>;
  /** Text with spaces or punctuation: matched as substrings. */
  texts: Fingerprint[];
  /** The texts by their first PREFIX characters, so a response is scanned once, not once per text. */
  byPrefix: Map<string, Fingerprint[]>;
}

const PREFIX = 6;

const NOT_DISTINCTIVE = /^[\d\s.,:+\-TZ/]*$/;
const TOKEN = /^[A-Za-z0-9_-]+$/;

export function nodeTypeNames(schema: GraphQLSchema): Set<string> {
  return new Set(Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && t.getInterfaces().some((i) => i.name === 'Node')).map((t) => t.name));
}

export function collectFingerprints(
  rows: OwnedRow[], schema: GraphQLSchema, options: { secrets: SecretBox; staticText: string[]; extraSecrets: string[] },
): FingerprintSet {
  const nodeTypes = nodeTypeNames(schema);
  // Bookkeeping rows nobody reads (an audit chain's head) may hold a foreign key: it stays a fingerprint.
  const foreignKeys = new Set(rows.filter((r) => r.owner === 'foreign').map((r) => r.key));
  const legit = [
    ...rows.filter((r) => r.owner !== 'foreign').flatMap((r) => Object.values(r.row).flatMap((v) => stringsOf(v)).filter((v) => !foreignKeys.has(v))),
    printSchema(schema), ...options.staticText,
  ].join('\u0000');
  const tokens = new Map<string, Fingerprint>();
  const texts = new Map<string, Fingerprint>();
  const add = (fp: Fingerprint) => {
    const value = fp.value.trim();
    if (value.length < 6 || NOT_DISTINCTIVE.test(value) || legit.includes(value)) return;
    const entry = { ...fp, value };
    if (TOKEN.test(value)) tokens.set(value, tokens.get(value) ?? entry);
    else texts.set(value, texts.get(value) ?? entry);
  };
  for (const r of rows) {
    if (r.owner !== 'foreign') continue;
    const where = (column: string) => `${r.table}.${column} (${r.key.slice(0, 8)}…)`;
    for (const [column, value] of Object.entries(r.row)) {
      if (column === 'id' && nodeTypes.has(r.entity)) add({ value: toGlobalId(r.entity, String(value)), origin: `${r.entity} global id (${r.key.slice(0, 8)}…)`, kind: 'id' });
      const kind = column === 'id' || column.endsWith('Id') ? 'id' : 'text';
      for (const s of stringsOf(value)) add({ value: s, origin: where(column), kind });
    }
    if (typeof r.row.secretsCiphertext === 'string') {
      for (const [name, secret] of Object.entries(options.secrets.decrypt(r.row.secretsCiphertext, String(r.row.id)))) {
        add({ value: String(secret), origin: `${where('secretsCiphertext')} secret ${name}`, kind: 'secret' });
      }
    }
  }
  for (const s of options.extraSecrets) add({ value: s, origin: 'plain value of a foreign API key', kind: 'secret' });
  const byPrefix = new Map<string, Fingerprint[]>();
  for (const fp of texts.values()) byPrefix.set(fp.value.slice(0, PREFIX), [...(byPrefix.get(fp.value.slice(0, PREFIX)) ?? []), fp]);
  return { tokens, texts: [...texts.values()], byPrefix };
}

export interface Sighting {
  fingerprint: Fingerprint;
  /** The response text it was seen in (cut). */
  seenIn: string;
}

/**
 * Where any fingerprint shows in a response: in a string value or an object key, as a whole token or, for text,
 * as a substring; tokens that decode as base64url (cursors, global ids) are decoded and searched too. Values the
 * caller sent itself (`sent`) are removed first: an error may quote the id it was given without telling anything.
 */
export function findFingerprints(response: unknown, fps: FingerprintSet, sent: readonly string[] = []): Sighting[] {
  const strings = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') strings.add(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) {
      strings.add(k);
      walk(x);
    }
  };
  walk(response);
  const found = new Map<string, Sighting>();
  const scan = (text: string, depth: number) => {
    let s = text;
    for (const value of sent) if (value) s = s.split(value).join('\u2400');
    for (const token of s.split(/[^A-Za-z0-9_-]+/)) {
      const hit = fps.tokens.get(token);
      if (hit) found.set(hit.value, { fingerprint: hit, seenIn: text.slice(0, 200) });
      if (depth === 0 && token.length >= 16) {
        const decoded = Buffer.from(token, 'base64url').toString('utf8');
        // Only text that looks like text: a cursor or global id, not an accidental decode of an ordinary word.
        if (/^[\x20-\x7e]+$/.test(decoded)) scan(decoded, 1);
      }
    }
    for (let i = 0; i + PREFIX <= s.length; i++) {
      for (const fp of fps.byPrefix.get(s.slice(i, i + PREFIX)) ?? []) {
        if (s.startsWith(fp.value, i)) found.set(fp.value, { fingerprint: fp, seenIn: text.slice(0, 200) });
      }
    }
  };
  for (const s of strings) scan(s, 0);
  return [...found.values()];
}
