/**
 * Writes Microsoft's catalog data (the bundled catalog, or an imported CVRF document in the same shape) as SHARED
 * catalog entries: updates every tenant sees, the vulnerabilities they fix, and the links between them.
 *
 * - A missing update or vulnerability is created from the data.
 * - With `refresh` (a CVRF import), an existing shared update gains the data's products, fixed builds and
 *   superseded KBs and keeps the higher severity; its title and release date stay as first written, since a later
 *   document can name the same KB for a re-released CVE. An existing vulnerability takes the data's title,
 *   severity, exploitation and publication date and records the document (vendorSourceId).
 * - A tenant's own entry for one of the data's KBs (its source reported it first) takes Microsoft's release date.
 * - Links are only ever added.
 * - Intel facts already held for a CVE (KEV, EPSS, a CVE record's CVSS score) are applied to every row written.
 */
import { EntityManager } from 'typeorm';
import { insertRows, updateRows } from '../db/insert-rows';
import { Update, UpdateVulnerability, Vulnerability } from '../entities';
import { ReleaseDateSource, Severity, UpdateClassification } from '../entities/enums';
import { SHARED_OWNER } from '../entities/update.entity';
import { applyIntel } from '../intel/apply-intel';
import { cvssVersionOf } from '../intel/cvrf-catalog';
import { findIn } from '../db/find-in';
import { applyMicrosoftDates } from './release-dates';
import { recordVulnerabilityFacts } from './vulnerability-history';
import { refreshMaxScores } from '../sync/write-catalog';
import { newId } from '../util/ids';
import { MicrosoftCatalog } from '../../connectors/shared/microsoft/microsoft-catalog';

export interface SharedCatalogOptions {
  refresh: boolean;
  /** The intel_source of a CVRF import; null for the bundled catalog. */
  vendorSourceId: string | null;
  /** KB → CVEs to link when that update is already in the catalog (another month's KB). */
  linkOnly?: Map<string, string[]>;
  /** CVRF sources newer than this one: vulnerabilities whose facts came from one of them keep those facts. */
  keepVendorFactsOf?: Set<string>;
}

export interface SharedCatalogResult {
  /** KB → the shared entry, for every update in the data. */
  updates: Map<string, Update>;
  updatesCreated: number;
  updatesRefreshed: number;
  /** CVEs the data links to an update in the catalog. */
  vulnerabilities: number;
  vulnerabilitiesCreated: number;
  vulnerabilitiesRefreshed: number;
  linksAdded: number;
}

const SEVERITY_RANK = [Severity.UNSPECIFIED, Severity.LOW, Severity.MODERATE, Severity.IMPORTANT, Severity.CRITICAL];
const severityOf = (value: string): Severity => (SEVERITY_RANK.includes(value as Severity) ? (value as Severity) : Severity.UNSPECIFIED);
const classificationOf = (value: string): UpdateClassification =>
  Object.values(UpdateClassification).includes(value as UpdateClassification) ? (value as UpdateClassification) : UpdateClassification.OTHER;
const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export async function writeSharedCatalog(m: EntityManager, data: MicrosoftCatalog, now: Date, options: SharedCatalogOptions): Promise<SharedCatalogResult> {
  const result: SharedCatalogResult = { updates: new Map(), updatesCreated: 0, updatesRefreshed: 0, vulnerabilities: 0, vulnerabilitiesCreated: 0, vulnerabilitiesRefreshed: 0, linksAdded: 0 };

  const keys = [...new Set([...data.updates.map((u) => u.kb), ...(options.linkOnly?.keys() ?? [])])].map((kb) => `microsoft:${kb}`);
  const existing = new Map((await findIn(m, Update, 'catalogKey', keys, { owner: SHARED_OWNER })).map((u) => [u.catalogKey, u]));
  // A CVE only another month's KB fixes is written only when that update is in the catalog to link it to.
  const needed = new Set([
    ...data.updates.flatMap((u) => u.cves),
    ...[...(options.linkOnly ?? [])].flatMap(([kb, linked]) => (existing.has(`microsoft:${kb}`) ? linked : [])),
  ]);
  const cves = data.vulnerabilities.map((v) => v.cveId).filter((c) => needed.has(c));
  result.vulnerabilities = cves.length;
  const byCve = new Map((await findIn(m, Vulnerability, 'cveId', cves)).map((v) => [v.cveId, v]));
  const newVulns: Vulnerability[] = [];
  const refreshedVulns: Vulnerability[] = [];
  for (const v of data.vulnerabilities) {
    if (!needed.has(v.cveId)) continue;
    const vendor = {
      title: v.title ? v.title.slice(0, 512) : null,
      severity: severityOf(v.severity),
      exploited: v.exploited,
      publishedAt: v.publishedAt ? new Date(v.publishedAt) : null,
    };
    const known = byCve.get(v.cveId);
    if (!known) {
      const row = Object.assign(new Vulnerability(), {
        id: newId(), cveId: v.cveId, ...vendor,
        cvssBaseScore: v.cvssBaseScore, cvssVector: v.cvssVector ? v.cvssVector.slice(0, 160) : null, cvssVersion: cvssVersionOf(v.cvssVector), cvssSourceId: null,
        vendorSourceId: options.vendorSourceId,
        kevDateAdded: v.kev?.dateAdded ?? null, kevDueDate: v.kev?.dueDate ?? null,
        kevRansomware: v.kev ? v.kev.knownRansomwareCampaignUse === 'Known' : null, kevSourceId: null,
        epssScore: v.epss?.score ?? null, epssPercentile: v.epss?.percentile ?? null, epssDate: null, epssSourceId: null,
        updatedAt: now,
      });
      byCve.set(v.cveId, row);
      newVulns.push(row);
      continue;
    }
    if (!options.refresh || (known.vendorSourceId && options.keepVendorFactsOf?.has(known.vendorSourceId))) continue;
    const changed =
      known.title !== vendor.title || known.severity !== vendor.severity || known.exploited !== vendor.exploited ||
      (known.publishedAt?.getTime() ?? null) !== (vendor.publishedAt?.getTime() ?? null) || known.vendorSourceId !== options.vendorSourceId;
    if (!changed) continue;
    // Which document a fact came from changes when a newer revision is imported, even with the same facts.
    Object.assign(known, vendor, { vendorSourceId: options.vendorSourceId, updatedAt: now });
    refreshedVulns.push(known);
  }
  await insertRows(m, Vulnerability, newVulns);
  await updateRows(m, Vulnerability, refreshedVulns, ['title', 'severity', 'exploited', 'publishedAt', 'vendorSourceId', 'updatedAt']);
  await recordVulnerabilityFacts(m, [...newVulns, ...refreshedVulns], now);
  result.vulnerabilitiesCreated = newVulns.length;
  result.vulnerabilitiesRefreshed = refreshedVulns.length;

  const newUpdates: Update[] = [];
  const refreshedUpdates: Update[] = [];
  for (const u of data.updates) {
    const known = existing.get(`microsoft:${u.kb}`);
    if (!known) {
      const scores = u.cves.map((c) => byCve.get(c)?.cvssBaseScore).filter((s): s is number => s !== null && s !== undefined);
      const row = Object.assign(new Update(), {
        id: newId(), catalogKey: `microsoft:${u.kb}`, owner: SHARED_OWNER, kb: u.kb, title: u.title.slice(0, 512), vendor: 'Microsoft',
        products: u.products, classification: classificationOf(u.classification), severity: severityOf(u.severity),
        maxCvssBaseScore: scores.length ? Math.max(...scores) : null, releasedAt: new Date(u.releasedAt),
        releasedAtSource: ReleaseDateSource.MICROSOFT, fixedBuilds: u.fixedBuilds ?? null,
        supersedes: u.supersedes, createdAt: now, updatedAt: now,
      });
      newUpdates.push(row);
      result.updates.set(u.kb, row);
      continue;
    }
    result.updates.set(u.kb, known);
    if (!options.refresh) continue;
    const products = [...new Set([...known.products, ...u.products])];
    const fixedBuilds = { ...(known.fixedBuilds ?? {}), ...(u.fixedBuilds ?? {}) };
    const supersedes = [...new Set([...known.supersedes, ...u.supersedes])].sort();
    const severity = SEVERITY_RANK.indexOf(severityOf(u.severity)) > SEVERITY_RANK.indexOf(known.severity) ? severityOf(u.severity) : known.severity;
    if (sameJson(products, known.products) && sameJson(fixedBuilds, known.fixedBuilds ?? {}) && sameJson(supersedes, known.supersedes) && severity === known.severity) continue;
    Object.assign(known, { products, fixedBuilds, supersedes, severity, updatedAt: now });
    refreshedUpdates.push(known);
  }
  await insertRows(m, Update, newUpdates);
  await updateRows(m, Update, refreshedUpdates, ['products', 'fixedBuilds', 'supersedes', 'severity', 'updatedAt']);
  await applyMicrosoftDates(m, new Map(data.updates.map((u) => [`microsoft:${u.kb}`, new Date(u.releasedAt)])), now);
  result.updatesCreated = newUpdates.length;
  result.updatesRefreshed = refreshedUpdates.length;

  const wanted: Array<[Update, string]> = data.updates.flatMap((u) => u.cves.map((c): [Update, string] => [result.updates.get(u.kb)!, c]));
  for (const [kb, linked] of options.linkOnly ?? []) {
    const update = existing.get(`microsoft:${kb}`);
    if (update) for (const c of linked) wanted.push([update, c]);
  }
  const updateIds = [...new Set(wanted.map(([u]) => u.id))];
  const have = new Set((await findIn(m, UpdateVulnerability, 'updateId', updateIds)).map((l) => `${l.updateId}\u0000${l.vulnerabilityId}`));
  const links: UpdateVulnerability[] = [];
  const gained = new Map<string, Update>();
  for (const [update, cve] of wanted) {
    const vuln = byCve.get(cve);
    if (!vuln) continue;
    const key = `${update.id}\u0000${vuln.id}`;
    if (have.has(key)) continue;
    have.add(key);
    links.push(Object.assign(new UpdateVulnerability(), { updateId: update.id, vulnerabilityId: vuln.id, createdAt: now }));
    if (!newUpdates.includes(update)) gained.set(update.id, update);
  }
  await insertRows(m, UpdateVulnerability, links);
  result.linksAdded = links.length;
  await refreshMaxScores(m, [...gained.values()], now);
  // Facts imported before these CVEs entered the catalog (KEV, EPSS, a CVE record's score) apply now.
  await applyIntel(m, newVulns.map((v) => v.cveId), now);
  return result;
}
