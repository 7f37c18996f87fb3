/**
 * The cumulative-update catalog patch states are derived from: for each Windows cumulative update, the revision of
 * each release's build that contains it, and the CVEs it fixes. Two sources, merged by KB:
 * - the tenant's Windows update catalog in Graph (beta `windowsUpdateCatalogItems`): current every month, but it
 *   names only the CVEs known to be exploited;
 * - the bundled Microsoft data (src/catalog): every CVE each update fixes, with CVSS, but only the months it holds.
 */
import { createHash } from 'node:crypto';
import { MICROSOFT_CATALOG, MicrosoftCatalog } from '../../src/catalog/microsoft-catalog';
import { fixesOf, severityOf } from '../../src/catalog/microsoft-fixes';
import type { SeverityValue, UpdateRecord, VulnerabilityRecord } from '../sdk/contract';
import { MalformedResponseError } from '../sdk/errors';
import { parseWindowsVersion } from '../sdk/windows-builds';

export interface CumulativeUpdate {
  /** "KB5043076" */
  kb: string;
  title: string;
  releasedAt: Date;
  severity: SeverityValue;
  products: string[];
  supersedes: string[];
  /** Release build number → the first revision that contains this update, e.g. 22631 → 4169. */
  fixedRevisions: Map<number, number>;
  fixes: VulnerabilityRecord[];
}

export const updateKey = (kb: string): string => `microsoft:${kb}`;

export function normaliseKb(value: unknown): string | null {
  const digits = String(value ?? '').trim().replace(/^kb/i, '');
  return /^\d{6,8}$/.test(digits) ? `KB${digits}` : null;
}

/** The bundled Microsoft data as catalog entries. */
export function bundledCatalog(data: MicrosoftCatalog = MICROSOFT_CATALOG): CumulativeUpdate[] {
  return data.updates.map((u) => {
    const fixedRevisions = new Map<number, number>();
    for (const build of Object.values(u.fixedBuilds)) {
      const parsed = parseWindowsVersion(build);
      if (parsed) fixedRevisions.set(parsed.build, parsed.revision);
    }
    const fixes = fixesOf(u, data);
    return {
      kb: u.kb, title: u.title, releasedAt: new Date(u.releasedAt), severity: severityOf(u.severity), products: u.products,
      supersedes: u.supersedes, fixedRevisions, fixes,
    };
  });
}

// Quality updates Graph lists besides the security releases: non-security previews and recovery packages are not
// what a patch-compliance deadline is about.
const SECURITY_CLASSIFICATIONS = new Set(['security', 'all']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Graph `windowsQualityUpdateCatalogItem`s as catalog entries. A shape we cannot read fails the run: a catalog
 * silently missing a month would report devices as patched that are not.
 */
export function fromGraphItems(items: unknown[]): CumulativeUpdate[] {
  const out: CumulativeUpdate[] = [];
  for (const [i, item] of items.entries()) {
    const bad = (why: string) => new MalformedResponseError(`Windows update catalog item ${i + 1}: ${why}`);
    if (!isRecord(item)) throw bad('is not an object');
    const type = item['@odata.type'];
    if (type !== undefined && type !== '#microsoft.graph.windowsQualityUpdateCatalogItem') continue;
    if (!SECURITY_CLASSIFICATIONS.has(String(item.classification))) continue;
    const kb = normaliseKb(item.kbArticleId);
    if (!kb) throw bad(`kbArticleId ${JSON.stringify(item.kbArticleId)} is not a KB number`);
    const releasedAt = new Date(String(item.releaseDateTime));
    if (Number.isNaN(releasedAt.getTime())) throw bad(`${kb} has no valid releaseDateTime`);
    if (!Array.isArray(item.productRevisions)) throw bad(`${kb} has no productRevisions list`);
    const fixedRevisions = new Map<number, number>();
    const products = new Set<string>();
    for (const revision of item.productRevisions) {
      const build = isRecord(revision) && isRecord(revision.osBuild) ? revision.osBuild : null;
      const number = Number(build?.buildNumber);
      const ubr = Number(build?.updateBuildRevision);
      if (!Number.isInteger(number) || !Number.isInteger(ubr)) throw bad(`${kb} has a product revision without osBuild.buildNumber and updateBuildRevision`);
      fixedRevisions.set(number, ubr);
      const name = [revision.productName, revision.versionName].filter((p) => typeof p === 'string' && p).join(' ');
      if (name) products.add(name);
    }
    const cve = isRecord(item.cveSeverityInformation) ? item.cveSeverityInformation : {};
    const exploited = Array.isArray(cve.exploitedCves) ? cve.exploitedCves : [];
    const fixes = exploited
      .map((e) => (isRecord(e) ? String(e.cveNumber ?? '').trim().toUpperCase() : ''))
      .filter((id) => /^CVE-\d{4}-\d{4,}$/.test(id))
      .map((cveId): VulnerabilityRecord => ({ cveId, exploited: true }));
    out.push({
      kb,
      title: typeof item.displayName === 'string' && item.displayName.trim() ? `${item.displayName.trim()} (${kb})` : `Cumulative update ${kb}`,
      releasedAt, severity: severityOf(cve.maxSeverityLevel), products: [...products], supersedes: [], fixedRevisions, fixes,
    });
  }
  return out;
}

/**
 * One entry per KB. Builds from both sources are kept (Graph's win where they differ: it is the tenant's own
 * view); the bundled entry's title, products, supersedence and full CVE list are richer and win for the rest.
 */
export function mergeCatalogs(graph: CumulativeUpdate[], bundled: CumulativeUpdate[]): CumulativeUpdate[] {
  const byKb = new Map<string, CumulativeUpdate>(bundled.map((u) => [u.kb, { ...u, fixedRevisions: new Map(u.fixedRevisions), fixes: [...u.fixes] }]));
  for (const g of graph) {
    const b = byKb.get(g.kb);
    if (!b) {
      byKb.set(g.kb, g);
      continue;
    }
    for (const [build, revision] of g.fixedRevisions) b.fixedRevisions.set(build, revision);
    const known = new Set(b.fixes.map((f) => f.cveId));
    for (const f of g.fixes) if (!known.has(f.cveId)) b.fixes.push(f);
  }
  return [...byKb.values()].sort((a, b) => a.releasedAt.getTime() - b.releasedAt.getTime() || (a.kb < b.kb ? -1 : 1));
}

/** Changes whenever a build's set of updates changes: every device must then be derived again. */
export function catalogFingerprint(catalog: CumulativeUpdate[]): string {
  const lines = catalog.flatMap((u) => [...u.fixedRevisions].map(([build, rev]) => `${u.kb}:${build}.${rev}`)).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

export function toUpdateRecord(u: CumulativeUpdate): UpdateRecord {
  return {
    key: updateKey(u.kb), kb: u.kb, title: u.title, vendor: 'Microsoft', products: u.products, classification: 'SECURITY',
    severity: u.severity, releasedAt: u.releasedAt, supersedes: u.supersedes, fixes: u.fixes,
  };
}
