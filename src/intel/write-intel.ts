/**
 * Stores one parsed intel file: its intel_source row, the facts per CVE (cve_intel), and those facts on the
 * catalog's vulnerabilities. Which fact wins when two files disagree:
 * - KEV, EPSS: the newer version (KEV dateReleased, EPSS score_date); an older file fills only CVEs the newer ones
 *   do not cover, and a newer KEV catalog that no longer lists a CVE takes it out of KEV.
 * - CVSS: a CVE record (CVE JSON 5; the CNA's metric, else CISA-ADP's) over Microsoft's CVRF score, then the newer
 *   record. For Microsoft's CVEs Microsoft is the CNA, so the base scores agree; the CVE record is the CVE
 *   Program's own and covers every vendor's CVEs, and CVRF repeats the score per product.
 * - Title, severity, exploitation: the newer CVRF document (src/catalog/shared-catalog.ts).
 */
import { EntityManager, IsNull, Not } from 'typeorm';
import { insertRows, updateRows } from '../db/insert-rows';
import { CveIntel, IntelSource, Vulnerability } from '../entities';
import { writeSharedCatalog } from '../catalog/shared-catalog';
import { findIn } from '../db/find-in';
import { newId } from '../util/ids';
import { applyIntel } from './apply-intel';
import type { CveRecord } from './cve-json5';
import type { CvrfDocument } from './cvrf';
import { cvrfCatalog, cvssVersionOf } from './cvrf-catalog';
import type { EpssFile } from './epss';
import type { KevCatalog } from './kev';
import { IntelKind } from './kinds';

export type Summary = Record<string, number | string>;

const order = (s: IntelSource) => (s.releasedAt ?? s.importedAt).getTime();
/** Whether `source` may replace a fact that came from `held` (same feed): it is at least as new. */
const atLeastAsNew = (source: IntelSource, held: IntelSource | undefined) => !held || order(source) >= order(held);
const CVSS_RANK: Partial<Record<IntelKind, number>> = { [IntelKind.CVE_JSON5]: 2, [IntelKind.MSRC_CVRF]: 1 };
const replacesCvss = (source: IntelSource, held: IntelSource | undefined) =>
  !held || CVSS_RANK[source.kind]! > CVSS_RANK[held.kind]! || (CVSS_RANK[source.kind] === CVSS_RANK[held.kind] && order(source) >= order(held));

function blankFact(cveId: string, now: Date): CveIntel {
  return Object.assign(new CveIntel(), {
    id: newId(), cveId, kevDateAdded: null, kevDueDate: null, kevRansomware: null, kevSourceId: null,
    epssScore: null, epssPercentile: null, epssDate: null, epssSourceId: null,
    cvssBaseScore: null, cvssVector: null, cvssVersion: null, cvssSourceId: null, updatedAt: now,
  });
}

/** The facts held for `cveIds`, and the sources they name. */
async function loadFacts(m: EntityManager, cveIds: string[], extra: CveIntel[] = []) {
  const facts = new Map((await findIn(m, CveIntel, 'cveId', cveIds)).map((f) => [f.cveId, f]));
  const ids = [...new Set([...facts.values(), ...extra].flatMap((f) => [f.kevSourceId, f.epssSourceId, f.cvssSourceId]).filter((x): x is string => !!x))];
  const sources = new Map((await findIn(m, IntelSource, 'id', ids)).map((s) => [s.id, s]));
  return { facts, sources };
}

async function saveFacts(m: EntityManager, created: CveIntel[], changed: CveIntel[], columns: Array<keyof CveIntel & string>) {
  await insertRows(m, CveIntel, created);
  await updateRows(m, CveIntel, changed, [...columns, 'updatedAt']);
}

async function inCatalog(m: EntityManager, cveIds: string[]): Promise<number> {
  return (await findIn(m, Vulnerability, 'cveId', cveIds)).length;
}

export async function writeKev(m: EntityManager, kev: KevCatalog, source: IntelSource, now: Date): Promise<Summary> {
  const cves = kev.entries.map((e) => e.cveId);
  const listed = new Set(cves);
  const stillHeld = (await m.getRepository(CveIntel).findBy({ kevDateAdded: Not(IsNull()) })).filter((f) => !listed.has(f.cveId));
  const { facts, sources } = await loadFacts(m, cves, stillHeld);
  const s = { entries: kev.entries.length, new: 0, dueDatesChanged: 0, datesAddedChanged: 0, ransomwareChanged: 0, removed: 0, keptNewer: 0, notInCatalog: 0 };
  const created: CveIntel[] = [];
  const changed: CveIntel[] = [];
  for (const e of kev.entries) {
    const known = facts.get(e.cveId);
    const f = known ?? blankFact(e.cveId, now);
    if (known?.kevSourceId && !atLeastAsNew(source, sources.get(known.kevSourceId))) {
      s.keptNewer++;
      continue;
    }
    if (f.kevDateAdded === null) s.new++;
    else {
      if (f.kevDueDate !== e.dueDate) s.dueDatesChanged++;
      if (f.kevDateAdded !== e.dateAdded) s.datesAddedChanged++;
      if (f.kevRansomware !== e.ransomware) s.ransomwareChanged++;
    }
    Object.assign(f, { kevDateAdded: e.dateAdded, kevDueDate: e.dueDate, kevRansomware: e.ransomware, kevSourceId: source.id, updatedAt: now });
    (known ? changed : created).push(f);
  }
  // CISA removes an entry now and then; a newer catalog without it means it is no longer in KEV.
  for (const f of stillHeld) {
    if (!atLeastAsNew(source, f.kevSourceId ? sources.get(f.kevSourceId) : undefined)) continue;
    Object.assign(f, { kevDateAdded: null, kevDueDate: null, kevRansomware: null, kevSourceId: source.id, updatedAt: now });
    changed.push(f);
    s.removed++;
  }
  await saveFacts(m, created, changed, ['kevDateAdded', 'kevDueDate', 'kevRansomware', 'kevSourceId']);
  await applyIntel(m, [...created, ...changed].map((f) => f.cveId), now);
  s.notInCatalog = cves.length - (await inCatalog(m, cves));
  return s;
}

export async function writeEpss(m: EntityManager, epss: EpssFile, source: IntelSource, now: Date): Promise<Summary> {
  const cves = epss.rows.map((r) => r.cveId);
  const { facts, sources } = await loadFacts(m, cves);
  const s = { rows: epss.rows.length, new: 0, changed: 0, keptNewer: 0, notInCatalog: 0 };
  const created: CveIntel[] = [];
  const changed: CveIntel[] = [];
  for (const r of epss.rows) {
    const known = facts.get(r.cveId);
    const f = known ?? blankFact(r.cveId, now);
    if (known?.epssSourceId && !atLeastAsNew(source, sources.get(known.epssSourceId))) {
      s.keptNewer++;
      continue;
    }
    if (f.epssScore === null) s.new++;
    else if (f.epssScore !== r.score || f.epssPercentile !== r.percentile) s.changed++;
    Object.assign(f, { epssScore: r.score, epssPercentile: r.percentile, epssDate: epss.scoreDate, epssSourceId: source.id, updatedAt: now });
    (known ? changed : created).push(f);
  }
  await saveFacts(m, created, changed, ['epssScore', 'epssPercentile', 'epssDate', 'epssSourceId']);
  await applyIntel(m, [...created, ...changed].map((f) => f.cveId), now);
  s.notInCatalog = cves.length - (await inCatalog(m, cves));
  return s;
}

export async function writeCveRecord(m: EntityManager, cve: CveRecord, source: IntelSource, now: Date): Promise<Summary> {
  const s: Summary = { cvss: 'none', inCatalog: 0 };
  if (cve.state === 'REJECTED') s.cvss = 'rejected record';
  else if (cve.cvss) {
    const { facts, sources } = await loadFacts(m, [cve.cveId]);
    const known = facts.get(cve.cveId);
    const f = known ?? blankFact(cve.cveId, now);
    if (known?.cvssSourceId && !replacesCvss(source, sources.get(known.cvssSourceId))) s.cvss = 'kept newer';
    else {
      const same = f.cvssBaseScore === cve.cvss.baseScore && f.cvssVector === cve.cvss.vectorString;
      s.cvss = f.cvssBaseScore === null ? 'new' : same ? 'same' : 'changed';
      s.score = `${cve.cvss.baseScore} (CVSS ${cve.cvss.version}, ${cve.cvss.provider})`;
      Object.assign(f, { cvssBaseScore: cve.cvss.baseScore, cvssVector: cve.cvss.vectorString, cvssVersion: cve.cvss.version, cvssSourceId: source.id, updatedAt: now });
      await saveFacts(m, known ? [] : [f], known ? [f] : [], ['cvssBaseScore', 'cvssVector', 'cvssVersion', 'cvssSourceId']);
      await applyIntel(m, [cve.cveId], now);
    }
  }
  s.inCatalog = await inCatalog(m, [cve.cveId]);
  return s;
}

export async function writeCvrf(m: EntityManager, doc: CvrfDocument, source: IntelSource, now: Date): Promise<Summary> {
  const catalog = cvrfCatalog(doc);
  const newerDocs = (await m.getRepository(IntelSource).findBy({ kind: IntelKind.MSRC_CVRF })).filter((x) => x.id !== source.id && order(x) > order(source));
  const written = await writeSharedCatalog(m, catalog, now, {
    refresh: true, vendorSourceId: source.id, linkOnly: catalog.otherFixes, keepVendorFactsOf: new Set(newerDocs.map((x) => x.id)),
  });
  const scored = catalog.vulnerabilities.filter((v) => v.cvssBaseScore !== null);
  const { facts, sources } = await loadFacts(m, scored.map((v) => v.cveId));
  const created: CveIntel[] = [];
  const changed: CveIntel[] = [];
  let keptFromCveRecords = 0;
  for (const v of scored) {
    const known = facts.get(v.cveId);
    const f = known ?? blankFact(v.cveId, now);
    if (known?.cvssSourceId && !replacesCvss(source, sources.get(known.cvssSourceId))) {
      keptFromCveRecords++;
      continue;
    }
    Object.assign(f, { cvssBaseScore: v.cvssBaseScore, cvssVector: v.cvssVector?.slice(0, 160) ?? null, cvssVersion: cvssVersionOf(v.cvssVector), cvssSourceId: source.id, updatedAt: now });
    (known ? changed : created).push(f);
  }
  await saveFacts(m, created, changed, ['cvssBaseScore', 'cvssVector', 'cvssVersion', 'cvssSourceId']);
  await applyIntel(m, catalog.vulnerabilities.map((v) => v.cveId), now);
  return {
    vulnerabilities: doc.vulnerabilities.length,
    updates: catalog.updates.length, updatesCreated: written.updatesCreated, updatesRefreshed: written.updatesRefreshed,
    cves: written.vulnerabilities, cvesCreated: written.vulnerabilitiesCreated, cvesRefreshed: written.vulnerabilitiesRefreshed,
    linksAdded: written.linksAdded, cvssScores: scored.length - keptFromCveRecords, cvssKept: keptFromCveRecords,
  };
}
