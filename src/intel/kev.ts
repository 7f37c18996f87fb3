/**
 * CISA's Known Exploited Vulnerabilities catalog (https://www.cisa.gov/known-exploited-vulnerabilities-catalog),
 * as the JSON feed publishes it: { catalogVersion, dateReleased, count, vulnerabilities: [...] }.
 */
import { CVE_ID, INTEL_LIMITS, IntelFormatError, isDate, parseDateTime } from './intel-error';

export interface KevEntry {
  cveId: string;
  vendorProject: string;
  product: string;
  vulnerabilityName: string;
  dateAdded: string;
  dueDate: string;
  /** knownRansomwareCampaignUse: 'Known' → true, 'Unknown' → false. */
  ransomware: boolean;
}

export interface KevCatalog {
  catalogVersion: string;
  dateReleased: Date;
  entries: KevEntry[];
}

/** True when `doc` has the catalog's shape, whatever the file is called. */
export function looksLikeKev(doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && 'catalogVersion' in doc && Array.isArray((doc as { vulnerabilities?: unknown }).vulnerabilities);
}

export function parseKev(doc: unknown, file: string): KevCatalog {
  const fail = (where: string | null, reason: string): never => {
    throw new IntelFormatError(file, where, reason);
  };
  if (!looksLikeKev(doc)) fail(null, 'not a KEV catalog (no catalogVersion and vulnerabilities[])');
  const d = doc as Record<string, unknown>;
  const catalogVersion = d.catalogVersion;
  if (typeof catalogVersion !== 'string' || !/^\d{4}\.\d{2}\.\d{2}$/.test(catalogVersion)) fail('catalogVersion', `expected "YYYY.MM.DD", got ${JSON.stringify(catalogVersion)}`);
  const dateReleased = parseDateTime(d.dateReleased);
  if (!dateReleased) fail('dateReleased', `expected an ISO 8601 date-time, got ${JSON.stringify(d.dateReleased)}`);
  const list = d.vulnerabilities as unknown[];
  if (list.length > INTEL_LIMITS.kevEntries) fail('vulnerabilities', `${list.length} entries; at most ${INTEL_LIMITS.kevEntries} are accepted`);
  if (d.count !== undefined && d.count !== list.length) fail('count', `says ${JSON.stringify(d.count)} but vulnerabilities[] holds ${list.length}`);
  const seen = new Set<string>();
  const entries = list.map((raw, i): KevEntry => {
    const at = (field: string) => `vulnerabilities[${i}].${field}`;
    if (typeof raw !== 'object' || raw === null) fail(`vulnerabilities[${i}]`, 'not an object');
    const v = raw as Record<string, unknown>;
    const text = (field: string): string => {
      const value = v[field];
      if (typeof value !== 'string') fail(at(field), `expected a string, got ${JSON.stringify(value)}`);
      return value as string;
    };
    const cveId = text('cveID');
    if (!CVE_ID.test(cveId)) fail(at('cveID'), `not a CVE id: ${JSON.stringify(cveId)}`);
    if (seen.has(cveId)) fail(at('cveID'), `${cveId} is listed twice`);
    seen.add(cveId);
    for (const field of ['dateAdded', 'dueDate']) if (!isDate(v[field])) fail(at(field), `expected YYYY-MM-DD, got ${JSON.stringify(v[field])}`);
    const use = v.knownRansomwareCampaignUse;
    if (use !== 'Known' && use !== 'Unknown') fail(at('knownRansomwareCampaignUse'), `expected "Known" or "Unknown", got ${JSON.stringify(use)}`);
    return {
      cveId, vendorProject: text('vendorProject'), product: text('product'), vulnerabilityName: text('vulnerabilityName'),
      dateAdded: v.dateAdded as string, dueDate: v.dueDate as string, ransomware: use === 'Known',
    };
  });
  return { catalogVersion: catalogVersion as string, dateReleased: dateReleased as Date, entries };
}
