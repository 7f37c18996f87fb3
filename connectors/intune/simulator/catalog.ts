/**
 * The tenant's Windows quality-update catalog as Intune's beta `windowsUpdateCatalogItems` serves it, built from
 * the bundled Microsoft catalog (real KBs, fixed builds and CVEs), so what the simulator reports about an update
 * agrees with what the core knows about it.
 *
 * Like Intune's, one item is one Patch Tuesday ("2024.09 B SecurityUpdate for Windows 10 and later") for every
 * client product, and each product revision carries the KB Microsoft ships for that product that month: Windows 10
 * 22H2, Windows 11 23H2 and 24H2 revisions of one item name different KBs. A client that files every build under
 * the item's single kbArticleId gets visibly wrong answers here, as it would against Graph.
 */
import { createHash } from 'node:crypto';
import { CatalogUpdate, MICROSOFT_CATALOG, MicrosoftCatalog } from '../../shared/microsoft/microsoft-catalog';
import { graphDate } from './dates';

export interface GraphOsBuild {
  majorVersionNumber: number;
  minorVersionNumber: number;
  buildNumber: number;
  updateBuildRevision: number;
}

export interface GraphProductRevision {
  /** "Windows 11, version 23H2, build 22631.4169" */
  displayName: string;
  releaseDateTime: string;
  /** "23H2" */
  versionName: string;
  /** "Windows 11" */
  productName: string;
  osBuild: GraphOsBuild;
  knowledgeBaseArticle: { articleId: string; articleUrl: string };
}

export interface GraphCveDetail {
  cveNumber: string;
  cveInformationUrl: string;
}

export interface GraphCveSeverityInformation {
  maxSeverityLevel: 'critical' | 'important' | 'moderate' | 'unknownFutureValue' | null;
  maxBaseScore: number | null;
  exploitedCves: GraphCveDetail[];
}

/** microsoft.graph.windowsQualityUpdateCatalogItem (beta), as the list call returns it. */
export interface GraphQualityUpdateCatalogItem {
  '@odata.type': '#microsoft.graph.windowsQualityUpdateCatalogItem';
  id: string;
  displayName: string;
  releaseDateTime: string;
  endOfSupportDate: string;
  /**
   * One KB for the whole item, digits only, e.g. "5043080". Each revision's own KB is in its knowledgeBaseArticle;
   * this one names only one of the products.
   */
  kbArticleId: string;
  classification: 'all' | 'security' | 'nonSecurity' | 'quickMachineRecovery' | 'unknownFutureValue';
  qualityUpdateCadence: 'monthly' | 'outOfBand' | 'unknownFutureValue';
  isExpeditable: boolean;
  productRevisions: GraphProductRevision[];
  cveSeverityInformation: GraphCveSeverityInformation | null;
}

// Only client products: Intune's catalog serves Windows 10 and 11, not Windows Server.
const CLIENT_PRODUCT = /^(Windows 1[01]) Version (\w+) for /;

/** "Windows 11 Version 23H2 for x64-based Systems" → { productName: "Windows 11", versionName: "23H2" }; a server → null. */
export function clientProduct(product: string): { productName: string; versionName: string } | null {
  const m = CLIENT_PRODUCT.exec(product);
  return m ? { productName: m[1], versionName: m[2] } : null;
}

/** The same Patch Tuesday always gets the same id, so items keep their identity across simulator restarts. */
function itemId(releasedAt: string): string {
  const h = createHash('sha1').update(`windowsQualityUpdateCatalogItem:${releasedAt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const SEVERITY_RANK = ['LOW', 'MODERATE', 'IMPORTANT', 'CRITICAL'];

/** One release's revisions: every client product of every update released together, each with its own update's KB. */
function catalogItem(updates: CatalogUpdate[], catalog: MicrosoftCatalog): GraphQualityUpdateCatalogItem | null {
  const released = Date.parse(updates[0].releasedAt);
  const revisions: GraphProductRevision[] = [];
  const shipped: CatalogUpdate[] = [];
  for (const update of updates) {
    const digits = update.kb.replace(/^KB/i, '');
    let client = false;
    for (const product of update.products) {
      const name = clientProduct(product);
      const build = update.fixedBuilds[product]?.split('.').map(Number);
      if (!name || !build || build.length !== 4) continue;
      const [major, minor, buildNumber, ubr] = build;
      client = true;
      revisions.push({
        displayName: `${name.productName}, version ${name.versionName}, build ${buildNumber}.${ubr}`,
        releaseDateTime: graphDate(released),
        versionName: name.versionName,
        productName: name.productName,
        osBuild: { majorVersionNumber: major, minorVersionNumber: minor, buildNumber, updateBuildRevision: ubr },
        knowledgeBaseArticle: { articleId: `KB${digits}`, articleUrl: `https://support.microsoft.com/help/${digits}` },
      });
    }
    if (client) shipped.push(update);
  }
  if (revisions.length === 0) return null;
  // Newest release first. The item's own kbArticleId is then that release's KB: Graph gives an item one KB although
  // its revisions name several (which one it picks is not documented; any one shows the difference).
  revisions.sort((a, b) => b.osBuild.buildNumber - a.osBuild.buildNumber);

  // The item's CVE summary covers the whole release, as Graph's does: every client KB's CVEs together.
  const cves = new Set(shipped.flatMap((u) => u.cves));
  const vulnerabilities = catalog.vulnerabilities.filter((v) => cves.has(v.cveId));
  const scores = vulnerabilities.map((v) => v.cvssBaseScore).filter((s): s is number => s !== null);
  const severity = shipped.map((u) => u.severity.toUpperCase()).reduce((a, b) => (SEVERITY_RANK.indexOf(b) > SEVERITY_RANK.indexOf(a) ? b : a)).toLowerCase();
  const month = new Date(released);
  const endOfSupport = new Date(released);
  endOfSupport.setUTCFullYear(endOfSupport.getUTCFullYear() + 1);
  return {
    '@odata.type': '#microsoft.graph.windowsQualityUpdateCatalogItem',
    id: itemId(updates[0].releasedAt),
    displayName: `${month.getUTCFullYear()}.${String(month.getUTCMonth() + 1).padStart(2, '0')} B SecurityUpdate for Windows 10 and later`,
    releaseDateTime: graphDate(released),
    endOfSupportDate: graphDate(endOfSupport.getTime()),
    kbArticleId: revisions[0].knowledgeBaseArticle.articleId.replace(/^KB/i, ''),
    classification: shipped.every((u) => u.classification === 'SECURITY') ? 'security' : 'nonSecurity',
    qualityUpdateCadence: 'monthly',
    isExpeditable: true,
    productRevisions: revisions,
    cveSeverityInformation: {
      maxSeverityLevel: severity === 'critical' || severity === 'important' || severity === 'moderate' ? severity : null,
      maxBaseScore: scores.length ? Math.max(...scores) : null,
      exploitedCves: vulnerabilities
        .filter((v) => v.exploited)
        .map((v) => ({ cveNumber: v.cveId, cveInformationUrl: `https://msrc.microsoft.com/update-guide/vulnerability/${v.cveId}` })),
    },
  };
}

/** One item per release date of the bundled catalog that has a Windows 10/11 update, oldest first. */
export function bundledCatalogItems(catalog: MicrosoftCatalog = MICROSOFT_CATALOG): GraphQualityUpdateCatalogItem[] {
  const byRelease = new Map<string, CatalogUpdate[]>();
  for (const u of [...catalog.updates].sort((a, b) => a.releasedAt.localeCompare(b.releasedAt) || a.kb.localeCompare(b.kb))) {
    byRelease.set(u.releasedAt, [...(byRelease.get(u.releasedAt) ?? []), u]);
  }
  return [...byRelease.values()]
    .map((updates) => catalogItem(updates, catalog))
    .filter((item): item is GraphQualityUpdateCatalogItem => item !== null);
}

/** Release build number (22631) → the update build revisions the catalog brings it to, ascending. */
export function fixedRevisions(items: readonly GraphQualityUpdateCatalogItem[]): Map<number, number[]> {
  const byBuild = new Map<number, Set<number>>();
  for (const item of items) {
    for (const { osBuild } of item.productRevisions) {
      const set = byBuild.get(osBuild.buildNumber) ?? new Set<number>();
      set.add(osBuild.updateBuildRevision);
      byBuild.set(osBuild.buildNumber, set);
    }
  }
  return new Map([...byBuild].sort(([a], [b]) => a - b).map(([build, ubrs]) => [build, [...ubrs].sort((a, b) => a - b)]));
}
