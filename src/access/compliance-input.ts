/**
 * The checks compliance management applies to what a caller sends: identifiers (policy keys, CVE ids, KB numbers),
 * free text, advisory URLs and exception windows. Each refusal is BAD_USER_INPUT naming the field, so the API and
 * any later CLI answer the same inputs the same way.
 */
import { UserInputError } from '../errors';
import { cleanName } from '../util/names';

/** Lower-case letters, digits, dots and hyphens, 64 at most, as the presets' keys ("cyber-essentials-v3.3"). */
const POLICY_KEY = /^[a-z0-9](?:[a-z0-9.-]{0,62}[a-z0-9])?$/;
/** MITRE's form: CVE-YYYY-NNNN with four or more digits in the sequence number. */
const CVE_ID = /^CVE-(19|20)\d{2}-\d{4,19}$/;
const KB_NUMBER = /^(?:KB)?(\d{6,8})$/;
/** Control characters other than tab and line breaks, which multi-line reasons may hold. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

export const MAX_TEXT_LENGTH = 4000;
export const MAX_ADVISORY_IDS = 500;
/** An accepted risk is reviewed at least yearly: a longer acceptance is a new exception. */
export const MAX_EXCEPTION_YEARS = 1;
/** A notice is not recorded ahead of its time; five minutes covers a client clock running fast. */
const NOTICE_SKEW_MS = 5 * 60_000;

export function policyKey(field: string, raw: string): string {
  const key = raw.trim();
  if (!POLICY_KEY.test(key)) {
    throw new UserInputError(field, `"${raw}" is not a policy key: 1 to 64 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit`);
  }
  return key;
}

export function cveId(field: string, raw: string): string {
  const id = raw.trim().toUpperCase();
  if (!CVE_ID.test(id)) throw new UserInputError(field, `"${raw}" is not a CVE id (CVE-YYYY-NNNN, four or more digits after the year)`);
  return id;
}

export function kbNumber(field: string, raw: string): string {
  const m = KB_NUMBER.exec(raw.trim().toUpperCase());
  if (!m) throw new UserInputError(field, `"${raw}" is not a KB number (KB and 6 to 8 digits, e.g. KB5075912)`);
  return `KB${m[1]}`;
}

/** Ids of a list, normalised, duplicates dropped, each named by its index when refused. */
export function idList(field: string, raw: readonly string[], check: (f: string, v: string) => string): string[] {
  if (raw.length > MAX_ADVISORY_IDS) throw new UserInputError(field, `must hold at most ${MAX_ADVISORY_IDS} items, got ${raw.length}`);
  return [...new Set(raw.map((v, i) => check(`${field}[${i}]`, v)))];
}

/** A short label (an owner, an authority, a reference, a title): display-name rules, at most `max` characters. */
export function label(field: string, raw: string, max: number): string {
  const value = cleanName(field, raw);
  if ([...value].length > max) throw new UserInputError(field, `must be at most ${max} characters`);
  return value;
}

/** Free text such as a reason: trimmed, not empty, at most 4000 characters, no control or bidi-override characters. */
export function text(field: string, raw: string): string {
  const value = raw.normalize('NFC').trim();
  if (value.length === 0) throw new UserInputError(field, 'must not be empty or only white space');
  if ([...value].length > MAX_TEXT_LENGTH) throw new UserInputError(field, `must be at most ${MAX_TEXT_LENGTH} characters`);
  const bad = CONTROL.exec(value);
  if (bad) throw new UserInputError(field, `must not contain control or direction-override characters (U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`);
  return value;
}

export function optionalText(field: string, raw: string | null | undefined): string | null {
  return raw == null || raw.trim() === '' ? null : text(field, raw);
}

/**
 * An advisory's link: https only (it is shown to clients and auditors as the authority's page), and never with
 * credentials in it, since the URL is stored, returned to every role and written to the audit trail.
 */
export function advisoryUrl(field: string, raw: string | null | undefined): string | null {
  if (raw == null || raw.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UserInputError(field, 'is not a URL');
  }
  if (url.protocol !== 'https:') throw new UserInputError(field, `must be an https URL, got ${url.protocol.replace(/:$/, '')}`);
  if (url.username || url.password) throw new UserInputError(field, 'must not contain a user name or password');
  const value = url.toString();
  if (value.length > 2000) throw new UserInputError(field, 'must be at most 2000 characters');
  return value;
}

export function noticeTime(field: string, at: Date, now: Date): Date {
  if (at.getTime() > now.getTime() + NOTICE_SKEW_MS) throw new UserInputError(field, 'must not be in the future');
  return at;
}

/**
 * When an exception is in force: from `validFrom` (default now; earlier records an acceptance agreed before it was
 * entered) until `expiresAt`, which must be later than both and at most a year from now.
 */
export function exceptionWindow(validFrom: Date | null | undefined, expiresAt: Date, now: Date): { validFrom: Date; expiresAt: Date } {
  const from = validFrom ?? now;
  if (expiresAt.getTime() <= from.getTime()) throw new UserInputError('input.expiresAt', 'must be after validFrom');
  if (expiresAt.getTime() <= now.getTime()) throw new UserInputError('input.expiresAt', 'must be in the future: an exception that has already expired would exempt nothing');
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() + MAX_EXCEPTION_YEARS);
  if (expiresAt.getTime() > limit.getTime()) {
    throw new UserInputError('input.expiresAt', `must be at most ${MAX_EXCEPTION_YEARS} year ahead (${limit.toISOString()}); review the risk and record a new exception then`);
  }
  return { validFrom: from, expiresAt };
}
