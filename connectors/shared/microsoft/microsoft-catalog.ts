/**
 * The bundled catalog of real Windows cumulative updates and the CVEs they fix (MSRC, CISA KEV and EPSS data; see
 * data/README.md for provenance). The demo loads it into the database; the Intune connector derives patch states
 * from its fixed builds when the tenant's own Windows update catalog cannot be read.
 */
import catalog from './data/microsoft-catalog.json';

export interface CatalogUpdate {
  kb: string;
  title: string;
  products: string[];
  classification: string;
  severity: string;
  releasedAt: string;
  /** Product name → the build ("10.0.22631.4169") that contains the fix. */
  fixedBuilds: Record<string, string>;
  supersedes: string[];
  cves: string[];
}

export interface CatalogVulnerability {
  cveId: string;
  title: string | null;
  cvssBaseScore: number | null;
  cvssVector: string | null;
  severity: string;
  exploited: boolean;
  publishedAt: string | null;
  kev: { dateAdded: string; dueDate: string; knownRansomwareCampaignUse?: string } | null;
  epss: { score: number; percentile?: number } | null;
}

export interface MicrosoftCatalog {
  updates: CatalogUpdate[];
  vulnerabilities: CatalogVulnerability[];
}

export const MICROSOFT_CATALOG = catalog as unknown as MicrosoftCatalog;
