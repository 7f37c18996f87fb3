/**
 * The tenant's Windows quality-update catalog as Intune's beta `windowsUpdateCatalogItems` serves it, built from
 * the bundled Microsoft catalog (real KBs, fixed builds and CVEs), so what the simulator reports about an update
 * agrees with what the core knows about it.
 */
import { createHash } from 'node:crypto';
import { CatalogUpdate, MICROSOFT_CATALOG, MicrosoftCatalog } from '../../../src/catalog/microsoft-catalog';
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
  /** Digits only, e.g. "5043076"; the "KB" form is in each revision's knowledgeBaseArticle. */
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

/** The same KB always gets the same id, so items keep their identity across simulator restarts. */
function itemId(kb: string): string {
  const h = createHash('sha1').update(`windowsQualityUpdateCatalogItem:${kb}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function catalogItem(update: CatalogUpdate, catalog: MicrosoftCatalog): GraphQualityUpdateCatalogItem | null {
  const released = Date.parse(update.releasedAt);
  const digits = update.kb.replace(/^KB/i, '');
  const revisions: GraphProductRevision[] = [];
  for (const product of update.products) {
    const client = clientProduct(product);
    const build = update.fixedBuilds[product]?.split('.').map(Number);
    if (!client || !build || build.length !== 4) continue;
    const [major, minor, buildNumber, ubr] = build;
    revisions.push({
      displayName: `${client.productName}, version ${client.versionName}, build ${buildNumber}.${ubr}`,
      releaseDateTime: graphDate(released),
      versionName: client.versionName,
      productName: client.productName,
      osBuild: { majorVersionNumber: major, minorVersionNumber: minor, buildNumber, updateBuildRevision: ubr },
      knowledgeBaseArticle: { articleId: `KB${digits}`, articleUrl: `https://support.microsoft.com/help/${digits}` },
    });
  }
  if (revisions.length === 0) return null;

  const vulnerabilities = catalog.vulnerabilities.filter((v) => update.cves.includes(v.cveId));
  const scores = vulnerabilities.map((v) => v.cvssBaseScore).filter((s): s is number => s !== null);
  const severity = update.severity.toLowerCase();
  const month = new Date(released);
  const endOfSupport = new Date(released);
  endOfSupport.setUTCFullYear(endOfSupport.getUTCFullYear() + 1);
  return {
    '@odata.type': '#microsoft.graph.windowsQualityUpdateCatalogItem',
    id: itemId(update.kb),
    displayName: `${month.getUTCFullYear()}.${String(month.getUTCMonth() + 1).padStart(2, '0')} B SecurityUpdate for Windows 10 and later`,
    releaseDateTime: graphDate(released),
    endOfSupportDate: graphDate(endOfSupport.getTime()),
    kbArticleId: digits,
    classification: update.classification === 'SECURITY' ? 'security' : 'nonSecurity',
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

/** One item per bundled KB that has a Windows 10/11 product, oldest release first. */
export function bundledCatalogItems(catalog: MicrosoftCatalog = MICROSOFT_CATALOG): GraphQualityUpdateCatalogItem[] {
  return [...catalog.updates]
    .sort((a, b) => a.releasedAt.localeCompare(b.releasedAt) || a.kb.localeCompare(b.kb))
    .map((u) => catalogItem(u, catalog))
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
