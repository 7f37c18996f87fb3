import { Severity } from '../entities/enums';
import { UserInputError } from '../errors';
import { decodeGlobalId } from '../graphql/types/global-id';
import { PatchTransition, TRANSITIONS } from './patch-transition';

/**
 * A patch history report as asked for, before it is checked against the database: ids are keys, times are parsed.
 * GraphQL arguments, the HTTP query string and the CLI's flags all come to this, so all three refuse the same things
 * with the same messages, each naming the field the way its caller wrote it.
 */
export interface PatchHistoryRequest {
  tenantId: string | null;
  from: Date;
  to: Date;
  knownAt: Date | null;
  siteIds: string[] | null;
  assetIds: string[] | null;
  kbs: string[] | null;
  cveIds: string[] | null;
  severities: Severity[] | null;
  transitions: PatchTransition[] | null;
  policy: string | null;
}

/** What each field is called where the request came from, e.g. "filter.from", "from" or "--from". */
export type RequestFields = Record<'tenant' | 'from' | 'to' | 'knownAt' | 'site' | 'asset' | 'kb' | 'cve' | 'severity' | 'transition' | 'policy', string>;

export const HTTP_FIELDS: RequestFields = {
  tenant: 'tenant', from: 'from', to: 'to', knownAt: 'knownAt', site: 'site', asset: 'asset', kb: 'kb', cve: 'cve', severity: 'severity', transition: 'transition', policy: 'policy',
};

export const CLI_FIELDS: RequestFields = {
  tenant: '--tenant', from: '--from', to: '--to', knownAt: '--known-at', site: '--site', asset: '--asset', kb: '--kb', cve: '--cve', severity: '--severity',
  transition: '--transition', policy: '--policy',
};

/** Most values one list filter takes. */
export const MAX_LIST = 500;
const KB = /^(?:KB)?(\d{6,8})$/i;
const CVE = /^CVE-\d{4}-\d{4,7}$/i;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A time given as text: an ISO 8601 date-time with its zone, or a date alone, meaning its first instant in UTC
 * ("--from 2026-10-01 --to 2026-11-01" is October). A time without a zone is refused rather than guessed.
 */
export function parseTime(field: string, text: string): Date {
  const value = text.trim();
  const at = DATE_ONLY.test(value) ? new Date(`${value}T00:00:00.000Z`) : DATE_TIME.test(value) ? new Date(value) : null;
  if (!at || Number.isNaN(at.getTime()) || (DATE_ONLY.test(value) && at.toISOString().slice(0, 10) !== value)) {
    throw new UserInputError(field, `must be a date (2026-10-01, meaning its start in UTC) or an ISO 8601 date-time with a zone (2026-10-01T09:00:00Z), got "${text}"`);
  }
  return at;
}

/** A tenant, site or asset id: the API's global id, or the database key (a UUID) the CLI lists. */
export function parseId(type: string, field: string, text: string): string {
  const value = text.trim();
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return value.toLowerCase();
  const decoded = decodeGlobalId(value, field);
  if (decoded.type !== type) throw new UserInputError(field, `expected a ${type} id but got a ${decoded.type} id`);
  return decoded.key;
}

function checkList<T>(field: string, values: T[] | null): T[] | null {
  if (values !== null && values.length > MAX_LIST) throw new UserInputError(field, `takes at most ${MAX_LIST} values`);
  return values;
}

function oneOf<T extends string>(field: string, allowed: readonly T[], values: readonly string[]): T[] {
  return values.map((v) => {
    const found = allowed.find((a) => a === v.trim().toUpperCase());
    if (!found) throw new UserInputError(field, `"${v}" is not one of ${allowed.join(', ')}`);
    return found;
  });
}

/** The checks every caller shares: list sizes, KB and CVE forms, enum values, and from before to. */
export function checkRequest(r: PatchHistoryRequest, fields: RequestFields): PatchHistoryRequest {
  if (r.from.getTime() >= r.to.getTime()) throw new UserInputError(fields.from, `must be before ${fields.to} (${r.from.toISOString()} is not before ${r.to.toISOString()})`);
  const kbs = checkList(fields.kb, r.kbs)?.map((kb) => {
    const m = KB.exec(kb.trim());
    if (!m) throw new UserInputError(fields.kb, `"${kb}" is not a KB number such as KB5041585`);
    return `KB${m[1]}`;
  }) ?? null;
  const cveIds = checkList(fields.cve, r.cveIds)?.map((cve) => {
    if (!CVE.test(cve.trim())) throw new UserInputError(fields.cve, `"${cve}" is not a CVE id such as CVE-2024-38063`);
    return cve.trim().toUpperCase();
  }) ?? null;
  const policy = r.policy === null ? null : r.policy.trim();
  if (policy === '') throw new UserInputError(fields.policy, 'is empty; give a policy key such as cyber-essentials-v3.3, or leave it out');
  return {
    ...r,
    siteIds: checkList(fields.site, r.siteIds),
    assetIds: checkList(fields.asset, r.assetIds),
    kbs,
    cveIds,
    severities: checkList(fields.severity, r.severities && oneOf(fields.severity, Object.values(Severity), r.severities)),
    transitions: checkList(fields.transition, r.transitions && oneOf(fields.transition, TRANSITIONS, r.transitions)),
    policy,
  };
}

/** Text parameters (a query string, CLI flags): each list given repeated or comma-separated. */
export type TextParams = Partial<Record<keyof RequestFields, string | string[] | undefined>>;

const listOf = (v: string | string[] | undefined): string[] | null =>
  v === undefined ? null : (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');

function single(field: string, v: string | string[] | undefined): string | undefined {
  if (Array.isArray(v)) {
    if (v.length > 1) throw new UserInputError(field, 'is given more than once');
    return v[0];
  }
  return v;
}

/** A request from text parameters; from and to are required. */
export function parseTextRequest(params: TextParams, fields: RequestFields): PatchHistoryRequest {
  const from = single(fields.from, params.from);
  const to = single(fields.to, params.to);
  if (from === undefined) throw new UserInputError(fields.from, 'is required: the start of the period, e.g. 2026-10-01');
  if (to === undefined) throw new UserInputError(fields.to, 'is required: the end of the period (not included), e.g. 2026-11-01');
  const tenant = single(fields.tenant, params.tenant);
  const knownAt = single(fields.knownAt, params.knownAt);
  const policy = single(fields.policy, params.policy);
  return checkRequest({
    tenantId: tenant === undefined || tenant === '' ? null : parseId('Tenant', fields.tenant, tenant),
    from: parseTime(fields.from, from),
    to: parseTime(fields.to, to),
    knownAt: knownAt === undefined || knownAt === '' ? null : parseTime(fields.knownAt, knownAt),
    siteIds: listOf(params.site)?.map((id) => parseId('Site', fields.site, id)) ?? null,
    assetIds: listOf(params.asset)?.map((id) => parseId('Asset', fields.asset, id)) ?? null,
    kbs: listOf(params.kb),
    cveIds: listOf(params.cve),
    severities: listOf(params.severity) as Severity[] | null,
    transitions: listOf(params.transition) as PatchTransition[] | null,
    policy: policy ?? null,
  }, fields);
}
