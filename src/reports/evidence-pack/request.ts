import { DataSource } from 'typeorm';
import { ResolvedPolicy } from '../../access/compliance';
import { PatchHistoryAccess } from '../../access/patch-history';
import { TenantScope } from '../../access/tenant-scope';
import { UserInputError } from '../../errors';
import { Clock } from '../../util/clock';
import { parseId, parseTime, RequestFields } from '../patch-history-request';

/** An evidence pack as resolved: one tenant, one policy as it stood at knownAt, the date asked and the period before it. */
export interface EvidencePackAsk {
  tenantId: string;
  policy: ResolvedPolicy;
  /** The instant compliance is judged at: the date asked. */
  asOf: Date;
  /** The start of the period whose change records and audit chain the pack covers (up to asOf). */
  from: Date;
  knownAt: Date;
}

/** What each parameter is called where the request came from. */
export type PackFields = Record<'tenant' | 'policy' | 'date' | 'from' | 'knownAt', string>;
export const PACK_HTTP_FIELDS: PackFields = { tenant: 'tenant', policy: 'policy', date: 'date', from: 'from', knownAt: 'knownAt' };
export const PACK_CLI_FIELDS: PackFields = { tenant: '--tenant', policy: '--policy', date: '--date', from: '--from', knownAt: '--known-at' };

export type PackParams = Partial<Record<keyof PackFields, string | string[] | undefined>>;

/** The period by default: the 30 days before the date asked. */
export const DEFAULT_PERIOD_DAYS = 30;
const DAY = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function single(field: string, v: string | string[] | undefined): string | undefined {
  if (Array.isArray(v)) {
    if (v.length > 1) throw new UserInputError(field, 'is given more than once');
    v = v[0];
  }
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/**
 * Checks a request and resolves it against the database within `scope`: the tenant must be visible (one that is not
 * is answered like one that does not exist), the policy is taken as it stood at knownAt, and knownAt follows the
 * patch history report's rules (not in the future, not after the start of a sync still being written), through the
 * same code. A date alone means the end of that day in UTC: "compliance as of 31 October" includes 31 October.
 */
export async function resolvePackRequest(dataSource: DataSource, scope: TenantScope, clock: Clock, params: PackParams, fields: PackFields): Promise<EvidencePackAsk> {
  const tenant = single(fields.tenant, params.tenant);
  const policy = single(fields.policy, params.policy);
  const date = single(fields.date, params.date);
  const from = single(fields.from, params.from);
  const knownAt = single(fields.knownAt, params.knownAt);
  if (tenant === undefined) throw new UserInputError(fields.tenant, 'is required: the tenant the pack is for');
  if (policy === undefined) throw new UserInputError(fields.policy, 'is required: a policy key such as cyber-essentials-v3.3');
  if (date === undefined) throw new UserInputError(fields.date, 'is required: the date compliance is judged at, e.g. 2026-10-24');
  const dateOnly = DATE_ONLY.test(date);
  let asOf = parseTime(fields.date, date);
  if (dateOnly) asOf = new Date(asOf.getTime() + DAY);
  const start = from === undefined ? new Date(asOf.getTime() - DEFAULT_PERIOD_DAYS * DAY) : parseTime(fields.from, from);
  if (start >= asOf) throw new UserInputError(fields.from, `must be before ${fields.date} (${start.toISOString()} is not before ${asOf.toISOString()})`);

  const tenantId = parseId('Tenant', fields.tenant, tenant);
  const historyFields: RequestFields = {
    tenant: fields.tenant, from: fields.from, to: fields.date, knownAt: fields.knownAt, policy: fields.policy,
    site: 'site', asset: 'asset', kb: 'kb', cve: 'cve', severity: 'severity', transition: 'transition',
  };
  const resolved = await new PatchHistoryAccess(dataSource, scope, clock).resolve({
    tenantId, from: start, to: asOf, knownAt: knownAt === undefined ? null : parseTime(fields.knownAt, knownAt),
    siteIds: null, assetIds: null, kbs: null, cveIds: null, severities: null, transitions: null, policy,
  }, historyFields);
  // Left out, knownAt is a millisecond before now: the pack's own report.generated event, recorded at now, must not
  // become part of "the chain's head at knownAt" when the pack is regenerated with the knownAt it recorded.
  const known = knownAt === undefined ? new Date(Math.min(resolved.filter.knownAt.getTime(), clock.now().getTime() - 1)) : resolved.filter.knownAt;
  if (known < asOf) {
    // Today's date with knownAt left out (or inside that day): the pack describes the day so far.
    if (dateOnly && known.getTime() >= asOf.getTime() - DAY) asOf = known;
    else throw new UserInputError(fields.knownAt, `is before ${fields.date} (${asOf.toISOString()}): what was recorded by ${known.toISOString()} cannot describe a later time`);
  }
  if (start >= asOf) throw new UserInputError(fields.from, `must be before ${fields.date} (${start.toISOString()} is not before ${asOf.toISOString()})`);
  return { tenantId, policy: resolved.policy!, asOf, from: start, knownAt: known };
}
