import { Severity } from '../entities/enums';
import { toGlobalId } from '../graphql/types/global-id';
import { PatchTransition } from './patch-transition';

/**
 * What a patch history report covers, resolved and checked: the form recorded with every report (in its audit event)
 * and the only input regeneration needs. Ids are database keys. A list filter that is null does not filter; an empty
 * list matches nothing, as every filter of the API does.
 */
export interface PatchHistoryFilter {
  /** The tenants covered, sorted; null for every tenant (the principal saw all of them). */
  tenantIds: string[] | null;
  /** The period, [from, to), on the event's time: the vendor-reported time, else (or if later) the observed time. */
  from: Date;
  to: Date;
  /** Only events patchgraph had recorded by then: what makes the report reproducible. */
  knownAt: Date;
  siteIds: string[] | null;
  assetIds: string[] | null;
  /** Upper-case, e.g. "KB5041585". */
  kbs: string[] | null;
  /** Upper-case, e.g. "CVE-2024-38063". */
  cveIds: string[] | null;
  severities: Severity[] | null;
  transitions: PatchTransition[] | null;
  /** A policy key: adds each row's due time under the policy and keeps the updates the policy covers. */
  policy: string | null;
}

const sortedUnique = <T extends string>(values: readonly T[] | null): T[] | null => (values === null ? null : [...new Set(values)].sort());

/** The filter with its lists sorted and deduplicated, so equal filters record (and digest) alike. */
export function canonicalFilter(f: PatchHistoryFilter): PatchHistoryFilter {
  return {
    tenantIds: sortedUnique(f.tenantIds),
    from: f.from,
    to: f.to,
    knownAt: f.knownAt,
    siteIds: sortedUnique(f.siteIds),
    assetIds: sortedUnique(f.assetIds),
    kbs: sortedUnique(f.kbs),
    cveIds: sortedUnique(f.cveIds),
    severities: sortedUnique(f.severities),
    transitions: sortedUnique(f.transitions),
    policy: f.policy,
  };
}

/** The stored form: plain JSON, times as ISO text. */
export type StoredFilter = Omit<PatchHistoryFilter, 'from' | 'to' | 'knownAt'> & { from: string; to: string; knownAt: string };

export function storeFilter(f: PatchHistoryFilter): StoredFilter {
  const c = canonicalFilter(f);
  return { ...c, from: c.from.toISOString(), to: c.to.toISOString(), knownAt: c.knownAt.toISOString() };
}

export function loadFilter(s: StoredFilter): PatchHistoryFilter {
  return canonicalFilter({ ...s, from: new Date(s.from), to: new Date(s.to), knownAt: new Date(s.knownAt) });
}

const globalIds = (type: string, keys: string[] | null) => (keys === null ? null : keys.map((k) => toGlobalId(type, k)));

/** The filter as the API's clients name things (global ids), for response headers and GraphQL answers. */
export function presentFilter(f: PatchHistoryFilter): Record<string, unknown> {
  const s = storeFilter(f);
  return { ...s, tenantIds: globalIds('Tenant', s.tenantIds), siteIds: globalIds('Site', s.siteIds), assetIds: globalIds('Asset', s.assetIds) };
}
