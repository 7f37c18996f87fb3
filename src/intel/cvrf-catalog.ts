/**
 * A CVRF document as catalog entries, in the bundled catalog's shape (connectors/shared/microsoft/microsoft-catalog.ts), so one
 * writer (src/catalog/shared-catalog.ts) stores both.
 *
 * Which KBs a month's document releases: for each product, the KB whose Vendor Fixes name the most CVEs for it
 * (hotpatch KBs aside) is that product's update of the month, as scripts/extract-microsoft-catalog.js chose the
 * bundled ones. Other KBs a document names belong to other months (a re-released CVE points at July's or
 * September's KB): they are not created from this document, which would date them wrongly, but their CVE links
 * are added when the update is already in the catalog.
 */
import type { CatalogUpdate, CatalogVulnerability, MicrosoftCatalog } from '../../connectors/shared/microsoft/microsoft-catalog';
import type { CvrfDocument, CvrfFix, CvrfVulnerability } from './cvrf';

const SEVERITY_ORDER = ['low', 'moderate', 'important', 'critical'];
const rank = (s: string | null) => (s === null ? -1 : SEVERITY_ORDER.indexOf(s.trim().toLowerCase()));

function maxSeverity(values: Iterable<string>): string {
  let best: string | null = null;
  for (const v of values) if (rank(v) > rank(best)) best = v;
  return best === null || rank(best) < 0 ? 'UNSPECIFIED' : best.trim().toUpperCase();
}

const isHotpatch = (fix: CvrfFix) => /hot\s*patch/i.test(fix.subType ?? '');

function compareCve(a: string, b: string): number {
  const [, ya, na] = a.split('-').map(Number);
  const [, yb, nb] = b.split('-').map(Number);
  return ya - yb || na - nb;
}

export interface CvrfCatalog extends MicrosoftCatalog {
  /** KB → CVEs the document ties to a KB of another month: linked only if that update is in the catalog. */
  otherFixes: Map<string, string[]>;
}

export function cvrfCatalog(doc: CvrfDocument): CvrfCatalog {
  const month = doc.initialReleaseDate.toISOString().slice(0, 7);
  // Product id → KB → CVEs it fixes there.
  const perProduct = new Map<string, Map<string, Set<string>>>();
  for (const v of doc.vulnerabilities) {
    for (const f of v.fixes) {
      if (isHotpatch(f)) continue;
      for (const p of f.productIds) {
        const kbs = perProduct.get(p) ?? new Map<string, Set<string>>();
        perProduct.set(p, kbs);
        const cves = kbs.get(f.kb) ?? new Set<string>();
        kbs.set(f.kb, cves);
        cves.add(v.cveId);
      }
    }
  }
  const own = new Set<string>();
  for (const kbs of perProduct.values()) {
    const top = Math.max(...[...kbs.values()].map((s) => s.size));
    for (const [kb, cves] of kbs) if (cves.size === top) own.add(kb);
  }

  const updates = new Map<string, { fixes: Array<{ v: CvrfVulnerability; f: CvrfFix }> }>();
  const otherFixes = new Map<string, string[]>();
  for (const v of doc.vulnerabilities) {
    for (const f of v.fixes) {
      if (own.has(f.kb)) {
        const u = updates.get(f.kb) ?? { fixes: [] };
        updates.set(f.kb, u);
        u.fixes.push({ v, f });
      } else {
        otherFixes.set(f.kb, [...new Set([...(otherFixes.get(f.kb) ?? []), v.cveId])]);
      }
    }
  }

  const catalogUpdates: CatalogUpdate[] = [...updates].map(([kb, { fixes }]) => {
    const productIds = new Set(fixes.flatMap(({ f }) => f.productIds));
    const products = [...new Set([...productIds].map((id) => doc.products.get(id) ?? `product ${id}`))].sort();
    const builds = new Map<string, Map<string, number>>();
    for (const { f } of fixes) {
      if (!f.fixedBuild) continue;
      for (const id of f.productIds) {
        const name = doc.products.get(id) ?? `product ${id}`;
        const counts = builds.get(name) ?? new Map<string, number>();
        builds.set(name, counts);
        counts.set(f.fixedBuild, (counts.get(f.fixedBuild) ?? 0) + 1);
      }
    }
    const fixedBuilds = Object.fromEntries([...builds].map(([name, counts]) => [name, [...counts].sort((a, b) => b[1] - a[1])[0][0]]));
    const severities = fixes.flatMap(({ v, f }) => v.severities.filter((s) => s.productIds.some((id) => f.productIds.includes(id))).map((s) => s.severity));
    const subType = fixes.find(({ f }) => f.subType)?.f.subType ?? 'Security Update';
    const label = subType === 'Security Update' && Object.keys(fixedBuilds).length ? 'Cumulative Update' : subType;
    const named = products.length <= 2 ? products.join(' and ') : `${products[0]}, ${products[1]} and ${products.length - 2} more`;
    return {
      kb,
      title: `${month} ${label} for ${named} (${kb})`.slice(0, 512),
      products,
      classification: 'SECURITY',
      severity: maxSeverity(severities),
      releasedAt: doc.initialReleaseDate.toISOString(),
      fixedBuilds,
      supersedes: [...new Set(fixes.flatMap(({ f }) => f.supersedes))].sort(),
      cves: [...new Set(fixes.map(({ v }) => v.cveId))].sort(compareCve),
    };
  });

  const fixed = new Set([...catalogUpdates.flatMap((u) => u.cves), ...[...otherFixes.values()].flat()]);
  const vulnerabilities: CatalogVulnerability[] = doc.vulnerabilities
    .filter((v) => fixed.has(v.cveId))
    .map((v) => {
      const best = v.scoreSets.reduce<CvrfVulnerability['scoreSets'][number] | null>((a, s) => (a === null || s.baseScore > a.baseScore ? s : a), null);
      const published = v.revisionDates.length ? new Date(Math.min(...v.revisionDates.map((d) => d.getTime()))) : doc.initialReleaseDate;
      return {
        cveId: v.cveId,
        title: v.title,
        cvssBaseScore: best?.baseScore ?? null,
        cvssVector: best?.vector ?? null,
        severity: maxSeverity(v.severities.map((s) => s.severity)),
        exploited: v.exploited,
        publishedAt: published.toISOString(),
        kev: null,
        epss: null,
      };
    });
  return { updates: catalogUpdates, vulnerabilities, otherFixes };
}

/** "CVSS:3.1/…" → "3.1". */
export function cvssVersionOf(vector: string | null): string | null {
  return /^CVSS:(\d\.\d)\//.exec(vector ?? '')?.[1] ?? null;
}
