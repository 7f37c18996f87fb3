/**
 * The catalog part of a run: updates and the vulnerabilities they fix. Trust is split:
 * - an update Microsoft's data knows (src/catalog/trusted-updates.ts) is one entry shared by every tenant, written
 *   from that data: a tenant's collector or inventory file cannot retitle, re-date or re-score it;
 * - any other update is the reporting tenant's own entry, seen by that tenant alone, so what one client's tools
 *   report (a driver title, an inventory file's "hotfix") never shows to another client. Among the tenant's own
 *   sources the first to report an entry wins; later runs only complete it.
 * Completing means: a fix link that a known update lacks is added, and the update's highest CVSS score follows, and
 * an entry dated only by when it was first seen takes the first date a source gives (src/catalog/release-dates.ts).
 */
import { EntityManager, In } from 'typeorm';
import type { UpdateRecord, VulnerabilityRecord } from '../../connectors/sdk/contract';
import type { SyncCounts } from '../../connectors/sdk/sync-counts';
import { RELEASE_DATE_COLUMNS, releaseDateOf, strengthenReleaseDate } from '../catalog/release-dates';
import { TRUSTED_UPDATES } from '../catalog/trusted-updates';
import { recordVulnerabilityFacts } from '../catalog/vulnerability-history';
import { insertRows, updateRows } from '../db/insert-rows';
import { applyIntel } from '../intel/apply-intel';
import { cvssVersionOf } from '../intel/cvrf-catalog';
import { Update, UpdateVulnerability, Vulnerability } from '../entities';
import { SHARED_OWNER } from '../entities/update.entity';
import { Severity, UpdateClassification } from '../entities/enums';
import { newId } from '../util/ids';
import { findIn } from '../db/find-in';
import { SourceRead, SyncDataError } from './read-source';

/** Writes new catalog entries and fix links for `tenantId`'s part of a run; returns the entry id of every key it uses. */
export async function writeCatalog(m: EntityManager, read: SourceRead, now: Date, counts: SyncCounts, tenantId: string): Promise<Map<string, string>> {
  const stateKeys = read.patchStates.updateKeys();
  const keys = [...new Set([...read.updates.map((u) => u.key), ...stateKeys, ...read.approvals.map((a) => a.updateKey)])];
  const existing = await findIn(m, Update, 'catalogKey', keys, { owner: In([SHARED_OWNER, tenantId]) });
  // A shared entry wins over the tenant's own one for the same key (trusted data learnt of it later).
  const ordered = [...existing].sort((a, b) => Number(a.owner === SHARED_OWNER) - Number(b.owner === SHARED_OWNER));
  const idByKey = new Map(ordered.map((u) => [u.catalogKey, u.id]));
  const reported = new Map(read.updates.map((u) => [u.key, u]));
  const created: Update[] = [];
  const written: UpdateRecord[] = [];
  for (const key of keys) {
    if (idByKey.has(key)) continue;
    const trusted = TRUSTED_UPDATES.get(key);
    const record = trusted ?? reported.get(key);
    if (!record) continue;
    const row = toUpdateRow(record, !!trusted, trusted ? SHARED_OWNER : tenantId, now);
    idByKey.set(key, row.id);
    created.push(row);
    written.push(record);
  }
  await insertRows(m, Update, created);
  counts.updates.seen = read.updates.length;
  counts.updates.created = created.length;
  if (!stateKeys.every((key) => idByKey.has(key))) {
    // Named by the first state in the run that uses an unknown key.
    for (const s of read.patchStates) {
      if (!idByKey.has(s.updateKey)) throw new SyncDataError(`patch state ${s.deviceExternalId}/${s.updateKey}: the update is neither in this run nor in the catalog`);
    }
  }
  // Fix links of a shared entry come only from trusted data, written when the entry is created.
  const own = new Set([...existing, ...created].filter((u) => u.owner !== SHARED_OWNER).map((u) => u.id));
  const completing = read.updates.filter((u) => own.has(idByKey.get(u.key) ?? ''));
  await completeReleaseDates(m, completing, existing, idByKey, now);
  const withFixes = [...written.filter((r) => !completing.includes(r)), ...completing];
  await writeFixes(m, withFixes, idByKey, [...existing, ...created], now);
  return idByKey;
}

/** A tenant's entry dated by first sight takes the date a later record gives; shared entries carry Microsoft's. */
async function completeReleaseDates(m: EntityManager, records: UpdateRecord[], existing: Update[], idByKey: Map<string, string>, now: Date): Promise<void> {
  const byId = new Map(existing.map((u) => [u.id, u]));
  const changed = new Set<Update>();
  for (const r of records) {
    const entry = byId.get(idByKey.get(r.key) ?? '');
    if (entry && strengthenReleaseDate(entry, releaseDateOf(r, false, now), now)) changed.add(entry);
  }
  await updateRows(m, Update, [...changed], [...RELEASE_DATE_COLUMNS]);
}

function toUpdateRow(u: UpdateRecord, trusted: boolean, owner: string, now: Date): Update {
  return Object.assign(new Update(), {
    id: newId(),
    catalogKey: u.key.slice(0, 191),
    owner,
    kb: u.kb ? normaliseKb(u.kb) : null,
    title: u.title.slice(0, 512),
    vendor: u.vendor.slice(0, 64),
    products: u.products ?? [],
    classification: (u.classification ?? 'OTHER') as UpdateClassification,
    severity: (u.severity ?? 'UNSPECIFIED') as Severity,
    maxCvssBaseScore: null,
    ...releaseDateOf(u, trusted, now),
    supersedes: (u.supersedes ?? []).map(normaliseKb),
    fixedBuilds: null,
    createdAt: now,
    updatedAt: now,
  });
}

function normaliseKb(kb: string): string {
  const digits = kb.trim().replace(/^kb/i, '');
  return /^\d+$/.test(digits) ? `KB${digits}` : kb.trim();
}

function toVulnerabilityRow(v: VulnerabilityRecord, now: Date): Vulnerability {
  return Object.assign(new Vulnerability(), {
    id: newId(),
    cveId: v.cveId,
    title: v.title ? v.title.slice(0, 512) : null,
    cvssBaseScore: v.cvssBaseScore ?? null,
    cvssVector: v.cvssVector ? v.cvssVector.slice(0, 160) : null,
    cvssVersion: cvssVersionOf(v.cvssVector ?? null),
    cvssSourceId: null,
    vendorSourceId: null,
    severity: (v.severity ?? 'UNSPECIFIED') as Severity,
    exploited: v.exploited === true,
    // CISA KEV and EPSS are not the update vendor's to say; `patchgraph intel import` fills them (applyIntel).
    kevDateAdded: null,
    kevDueDate: null,
    kevRansomware: null,
    kevSourceId: null,
    epssScore: null,
    epssPercentile: null,
    epssDate: null,
    epssSourceId: null,
    publishedAt: v.publishedAt ?? null,
    updatedAt: now,
  });
}

/** What an update's vendor says of a CVE; KEV and EPSS come from their own feeds and are left alone. */
const SCORE_FACTS = ['cvssBaseScore', 'cvssVector', 'cvssVersion'] as const;
const DESCRIPTIVE_FACTS = ['title', 'severity', 'exploited', 'publishedAt'] as const;
const VENDOR_FACTS = [...DESCRIPTIVE_FACTS, ...SCORE_FACTS] as const;

/**
 * The bundled catalog corrects what a tenant's source said of a CVE, but not what an imported intel file said: a
 * newer CVRF document (vendorSourceId) or a CVE record's score (cvssSourceId) stays until newer intel replaces it.
 */
function correctFacts(row: Vulnerability, f: VulnerabilityRecord, now: Date): boolean {
  const want = toVulnerabilityRow(f, now);
  const same = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : (a ?? null) === (b ?? null));
  const facts = [...(row.vendorSourceId ? [] : DESCRIPTIVE_FACTS), ...(row.cvssSourceId ? [] : SCORE_FACTS)];
  if (facts.every((k) => same(row[k], want[k]))) return false;
  for (const k of facts) Object.assign(row, { [k]: want[k] });
  row.updatedAt = now;
  return true;
}

async function writeFixes(m: EntityManager, records: UpdateRecord[], idByKey: Map<string, string>, updates: Update[], now: Date): Promise<void> {
  const withFixes = records.filter((u) => u.fixes?.length);
  if (withFixes.length === 0) return;
  const cves = [...new Set(withFixes.flatMap((u) => u.fixes!.map((f) => f.cveId)))];
  const known = await findIn(m, Vulnerability, 'cveId', cves);
  const byCve = new Map(known.map((v) => [v.cveId, v]));
  const newVulns: Vulnerability[] = [];
  const corrected: Vulnerability[] = [];
  for (const u of withFixes) {
    const trusted = TRUSTED_UPDATES.get(u.key) === u;
    for (const f of u.fixes!) {
      const known = byCve.get(f.cveId);
      if (known) {
        // A tenant's source may have named the CVE first; Microsoft's facts replace what it said.
        if (trusted && correctFacts(known, f, now)) corrected.push(known);
        continue;
      }
      const row = toVulnerabilityRow(f, now);
      byCve.set(f.cveId, row);
      newVulns.push(row);
    }
  }
  await insertRows(m, Vulnerability, newVulns);
  await updateRows(m, Vulnerability, [...new Set(corrected)], [...VENDOR_FACTS, 'updatedAt']);
  await recordVulnerabilityFacts(m, [...newVulns, ...corrected], now);
  // KEV, EPSS and CVE-record facts imported before the CVE was first reported.
  await applyIntel(m, newVulns.map((v) => v.cveId), now);

  const updateIds = [...new Set(withFixes.map((u) => idByKey.get(u.key)!))];
  const links = await findIn(m, UpdateVulnerability, 'updateId', updateIds);
  const linked = new Set(links.map((l) => `${l.updateId}\u0000${l.vulnerabilityId}`));
  const newLinks: UpdateVulnerability[] = [];
  const gained = new Set<string>();
  for (const u of withFixes) {
    const updateId = idByKey.get(u.key)!;
    for (const f of u.fixes!) {
      const vulnerabilityId = byCve.get(f.cveId)!.id;
      const key = `${updateId}\u0000${vulnerabilityId}`;
      if (linked.has(key)) continue;
      linked.add(key);
      newLinks.push(Object.assign(new UpdateVulnerability(), { updateId, vulnerabilityId, createdAt: now }));
      gained.add(updateId);
    }
  }
  await insertRows(m, UpdateVulnerability, newLinks);
  await refreshMaxScores(m, updates.filter((u) => gained.has(u.id)), now);
}

/** An update's highest CVSS score is derived from its links, so it is recomputed for updates that gained one. */
export async function refreshMaxScores(m: EntityManager, updates: Update[], now: Date): Promise<void> {
  if (updates.length === 0) return;
  const rows: Array<{ updateId: string; score: number | string | null }> = await m
    .getRepository(UpdateVulnerability)
    .createQueryBuilder('uv')
    .innerJoin(Vulnerability, 'v', 'v.id = uv.vulnerabilityId')
    .select('uv.updateId', 'updateId')
    .addSelect('MAX(v.cvssBaseScore)', 'score')
    .where({ updateId: In(updates.map((u) => u.id)) })
    .groupBy('uv.updateId')
    .getRawMany();
  const scoreOf = new Map(rows.map((r) => [r.updateId, r.score === null ? null : Number(r.score)]));
  const changed = updates.filter((u) => (scoreOf.get(u.id) ?? null) !== u.maxCvssBaseScore);
  for (const u of changed) Object.assign(u, { maxCvssBaseScore: scoreOf.get(u.id) ?? null, updatedAt: now });
  await updateRows(m, Update, changed, ['maxCvssBaseScore', 'updatedAt']);
}
