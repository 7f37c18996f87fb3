/**
 * Copies the intel facts held for CVEs (cve_intel) onto the catalog's vulnerabilities, with the source of each, so
 * compliance reads them from the vulnerability alone. A fact patchgraph has no intel for is left as the catalog
 * wrote it (the bundled catalog's KEV and EPSS values, Microsoft's score).
 */
import { EntityManager } from 'typeorm';
import { updateRows } from '../db/insert-rows';
import { CveIntel, Update, UpdateVulnerability, Vulnerability } from '../entities';
import { findIn } from '../db/find-in';
import { refreshMaxScores } from '../sync/write-catalog';
import { recordVulnerabilityFacts } from '../catalog/vulnerability-history';

const KEV = ['kevDateAdded', 'kevDueDate', 'kevRansomware', 'kevSourceId'] as const;
const EPSS = ['epssScore', 'epssPercentile', 'epssDate', 'epssSourceId'] as const;
const CVSS = ['cvssBaseScore', 'cvssVector', 'cvssVersion', 'cvssSourceId'] as const;

/** Applies the facts for `cveIds`; returns how many vulnerabilities changed. */
export async function applyIntel(m: EntityManager, cveIds: string[], now: Date): Promise<number> {
  if (cveIds.length === 0) return 0;
  const facts = new Map((await findIn(m, CveIntel, 'cveId', cveIds)).map((f) => [f.cveId, f]));
  if (facts.size === 0) return 0;
  const vulns = await findIn(m, Vulnerability, 'cveId', [...facts.keys()]);
  const changed: Vulnerability[] = [];
  const rescored: string[] = [];
  for (const v of vulns) {
    const f = facts.get(v.cveId)!;
    let dirty = false;
    const copy = (fields: readonly string[], when: boolean) => {
      if (!when) return false;
      let any = false;
      for (const k of fields) {
        const want = (f as unknown as Record<string, unknown>)[k] ?? null;
        if (((v as unknown as Record<string, unknown>)[k] ?? null) !== want) {
          (v as unknown as Record<string, unknown>)[k] = want;
          any = true;
        }
      }
      dirty ||= any;
      return any;
    };
    copy(KEV, f.kevSourceId !== null);
    copy(EPSS, f.epssSourceId !== null);
    if (copy(CVSS, f.cvssSourceId !== null)) rescored.push(v.id);
    if (dirty) {
      v.updatedAt = now;
      changed.push(v);
    }
  }
  await updateRows(m, Vulnerability, changed, [...KEV, ...EPSS, ...CVSS, 'updatedAt']);
  await recordVulnerabilityFacts(m, changed, now);
  if (rescored.length) {
    const links = await findIn(m, UpdateVulnerability, 'vulnerabilityId', rescored);
    const updateIds = [...new Set(links.map((l) => l.updateId))];
    await refreshMaxScores(m, await findIn(m, Update, 'id', updateIds), now);
  }
  return changed.length;
}
