/**
 * The cumulative-update catalog patch states are derived from: for each Windows cumulative update, the revision of
 * each release's build that contains it, and the CVEs it fixes. Two sources, merged by KB:
 * - the tenant's Windows update catalog in Graph (beta `windowsUpdateCatalogItems`): current every month, but it
 *   names only the CVEs known to be exploited;
 * - the bundled Microsoft data (src/catalog): every CVE each update fixes, with CVSS, but only the months it holds.
 *
 * One Patch Tuesday ships a different KB for each product (Windows 10 22H2, Windows 11 23H2 and 24H2 each get their
 * own), and WSUS reports each by that KB. So a build is only ever filed under the KB Microsoft names for its product:
 * never under a sibling product's KB, or a Windows 10 device would be shown missing a Windows 11 update, and one
 * release would appear under two KB numbers.
 */
import { createHash } from 'node:crypto';
import { MICROSOFT_CATALOG, MicrosoftCatalog } from '../shared/microsoft/microsoft-catalog';
import { fixesOf, severityOf } from '../shared/microsoft/microsoft-fixes';
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
  /** Release build number → the product it is, as the source names it; the merge keeps `products` true to the builds. */
  productOfBuild: Map<number, string>;
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
    const productOfBuild = new Map<number, string>();
    // fixedBuilds is keyed by product and holds only this KB's own products, so no sibling's build can creep in.
    for (const [product, build] of Object.entries(u.fixedBuilds)) {
      const parsed = parseWindowsVersion(build);
      if (!parsed) continue;
      fixedRevisions.set(parsed.build, parsed.revision);
      productOfBuild.set(parsed.build, product);
    }
    const fixes = fixesOf(u, data);
    return {
      kb: u.kb, title: u.title, releasedAt: new Date(u.releasedAt), severity: severityOf(u.severity), products: [...u.products],
      supersedes: u.supersedes, fixedRevisions, productOfBuild, fixes,
    };
  });
}

// Quality updates Graph lists besides the security releases: non-security previews and recovery packages are not
// what a patch-compliance deadline is about.
const SECURITY_CLASSIFICATIONS = new Set(['security', 'all']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Graph `windowsQualityUpdateCatalogItem`s as catalog entries. One item is one Patch Tuesday for every product, so
 * it becomes one entry per KB its product revisions name (beta `windowsQualityUpdateCatalogProductRevision`'s
 * `knowledgeBaseArticle`, a `windowsQualityUpdateProductKnowledgeBaseArticle` of `articleId` and `articleUrl`).
 * The item's own `kbArticleId` is one KB for the whole item, so it is used only for a revision that names none.
 * A shape we cannot read fails the run: a catalog silently missing a month would report devices as patched that are
 * not.
 */
export function fromGraphItems(items: unknown[]): CumulativeUpdate[] {
  const out: CumulativeUpdate[] = [];
  for (const [i, item] of items.entries()) {
    const bad = (why: string) => new MalformedResponseError(`Windows update catalog item ${i + 1}: ${why}`);
    if (!isRecord(item)) throw bad('is not an object');
    const type = item['@odata.type'];
    if (type !== undefined && type !== '#microsoft.graph.windowsQualityUpdateCatalogItem') continue;
    if (!SECURITY_CLASSIFICATIONS.has(String(item.classification))) continue;
    const itemKb = normaliseKb(item.kbArticleId);
    if (!itemKb) throw bad(`kbArticleId ${JSON.stringify(item.kbArticleId)} is not a KB number`);
    const releasedAt = new Date(String(item.releaseDateTime));
    if (Number.isNaN(releasedAt.getTime())) throw bad(`${itemKb} has no valid releaseDateTime`);
    if (!Array.isArray(item.productRevisions)) throw bad(`${itemKb} has no productRevisions list`);

    const cve = isRecord(item.cveSeverityInformation) ? item.cveSeverityInformation : {};
    const exploited = Array.isArray(cve.exploitedCves) ? cve.exploitedCves : [];
    const cveIds = exploited
      .map((e) => (isRecord(e) ? String(e.cveNumber ?? '').trim().toUpperCase() : ''))
      .filter((id) => /^CVE-\d{4}-\d{4,}$/.test(id));
    const severity = severityOf(cve.maxSeverityLevel);
    const name = typeof item.displayName === 'string' && item.displayName.trim() ? item.displayName.trim() : null;

    const byKb = new Map<string, CumulativeUpdate>();
    const entry = (kb: string): CumulativeUpdate => {
      let u = byKb.get(kb);
      if (!u) {
        u = {
          kb, title: name ? `${name} (${kb})` : `Cumulative update ${kb}`, releasedAt, severity, products: [], supersedes: [],
          fixedRevisions: new Map(), productOfBuild: new Map(),
          // Graph gives the exploited CVEs per item, not per KB: each KB of the item is taken to fix them all.
          fixes: cveIds.map((cveId): VulnerabilityRecord => ({ cveId, exploited: true })),
        };
        byKb.set(kb, u);
      }
      return u;
    };
    // An item without revisions still names its update; it just gives no builds to derive from.
    if (item.productRevisions.length === 0) entry(itemKb);

    for (const [j, revision] of item.productRevisions.entries()) {
      const where = `${itemKb} productRevisions[${j}]`;
      if (!isRecord(revision)) throw bad(`${where} is not an object`);
      const build = isRecord(revision.osBuild) ? revision.osBuild : null;
      const number = Number(build?.buildNumber);
      const ubr = Number(build?.updateBuildRevision);
      if (!Number.isInteger(number) || !Number.isInteger(ubr)) throw bad(`${itemKb} has a product revision without osBuild.buildNumber and updateBuildRevision`);
      const u = entry(revisionKb(revision, itemKb, (why) => bad(`${where}.knowledgeBaseArticle${why}`)));
      u.fixedRevisions.set(number, ubr);
      const product = [revision.productName, revision.versionName].filter((p) => typeof p === 'string' && p).join(' ');
      if (product) {
        u.productOfBuild.set(number, product);
        if (!u.products.includes(product)) u.products.push(product);
      }
    }
    out.push(...byKb.values());
  }
  return out;
}

/**
 * The KB a product revision names, or `itemKb` when it names none (no knowledgeBaseArticle, or one without an
 * articleId). A value that is there but is not a KB is refused, not replaced: guessing would file the build under
 * another product's KB.
 */
function revisionKb(revision: Record<string, unknown>, itemKb: string, bad: (why: string) => Error): string {
  const article = revision.knowledgeBaseArticle;
  if (article === undefined || article === null) return itemKb;
  if (!isRecord(article)) throw bad(` is not an object`);
  if (article.articleUrl !== undefined && article.articleUrl !== null && typeof article.articleUrl !== 'string') {
    throw bad(`.articleUrl ${JSON.stringify(article.articleUrl).slice(0, 60)} is not a string`);
  }
  const id = article.articleId;
  if (id === undefined || id === null) return itemKb;
  const kb = typeof id === 'string' ? normaliseKb(id) : null;
  if (!kb) throw bad(`.articleId ${JSON.stringify(id).slice(0, 60)} is not a KB number`);
  return kb;
}

/**
 * One entry per KB. Builds from both sources are kept (Graph's win where they differ: it is the tenant's own
 * view); the bundled entry's title, products, supersedence and full CVE list are richer and win for the rest. A
 * build Graph adds brings its own product name along, so an update's products always cover every build filed under it.
 */
export function mergeCatalogs(graph: CumulativeUpdate[], bundled: CumulativeUpdate[]): CumulativeUpdate[] {
  const copy = (u: CumulativeUpdate): CumulativeUpdate => ({
    ...u, products: [...u.products], fixedRevisions: new Map(u.fixedRevisions), productOfBuild: new Map(u.productOfBuild), fixes: [...u.fixes],
  });
  const byKb = new Map<string, CumulativeUpdate>(bundled.map((u) => [u.kb, copy(u)]));
  for (const g of graph) {
    const b = byKb.get(g.kb);
    if (!b) {
      byKb.set(g.kb, copy(g));
      continue;
    }
    for (const [build, revision] of g.fixedRevisions) {
      const product = g.productOfBuild.get(build);
      if (!b.fixedRevisions.has(build) && product) {
        b.productOfBuild.set(build, product);
        if (!b.products.includes(product)) b.products.push(product);
      }
      b.fixedRevisions.set(build, revision);
    }
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
