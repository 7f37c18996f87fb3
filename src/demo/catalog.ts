import { EntityManager } from 'typeorm';
import { Update, UpdateVulnerability, Vulnerability } from '../entities';
import { SHARED_OWNER } from '../entities/update.entity';
import { Severity, UpdateClassification } from '../entities/enums';
import { newId } from '../util/ids';
import { insertRows } from '../db/insert-rows';
import { MICROSOFT_CATALOG } from '../catalog/microsoft-catalog';

export { MICROSOFT_CATALOG };

export interface LoadedCatalog {
  updates: Map<string, Update>;
}

/** Inserts the catalog's updates, vulnerabilities and their links. */
export async function loadCatalog(m: EntityManager, now: Date, data = MICROSOFT_CATALOG): Promise<LoadedCatalog> {
  const vulns = new Map<string, Vulnerability>();
  for (const v of data.vulnerabilities) {
    vulns.set(
      v.cveId,
      Object.assign(new Vulnerability(), {
        id: newId(),
        cveId: v.cveId,
        title: v.title,
        cvssBaseScore: v.cvssBaseScore,
        cvssVector: v.cvssVector,
        severity: v.severity as Severity,
        exploited: v.exploited,
        kevDateAdded: v.kev?.dateAdded ?? null,
        kevDueDate: v.kev?.dueDate ?? null,
        epssScore: v.epss?.score ?? null,
        publishedAt: v.publishedAt ? new Date(v.publishedAt) : null,
        updatedAt: now,
      }),
    );
  }
  const updates = new Map<string, Update>();
  const links: UpdateVulnerability[] = [];
  for (const u of data.updates) {
    const fixes = u.cves.map((cve) => vulns.get(cve)).filter((v): v is Vulnerability => !!v);
    const scores = fixes.map((v) => v.cvssBaseScore).filter((s): s is number => s !== null);
    const update = Object.assign(new Update(), {
      id: newId(),
      catalogKey: `microsoft:${u.kb}`,
      owner: SHARED_OWNER,
      kb: u.kb,
      title: u.title,
      vendor: 'Microsoft',
      products: u.products,
      classification: u.classification as UpdateClassification,
      severity: u.severity as Severity,
      maxCvssBaseScore: scores.length ? Math.max(...scores) : null,
      releasedAt: new Date(u.releasedAt),
      supersedes: u.supersedes,
      createdAt: now,
      updatedAt: now,
    });
    updates.set(u.kb, update);
    for (const v of fixes) links.push(Object.assign(new UpdateVulnerability(), { updateId: update.id, vulnerabilityId: v.id }));
  }
  await insertRows(m, Vulnerability, [...vulns.values()]);
  await insertRows(m, Update, [...updates.values()]);
  await insertRows(m, UpdateVulnerability, links);
  return { updates };
}
