/**
 * The catalog part of a run: updates and the vulnerabilities they fix. The catalog is shared by every tenant, so a
 * connector adds the entries it is first to report and never rewrites one: a tenant's inventory file must not be
 * able to retitle or re-date a Microsoft update, or re-score a CVE, for everyone. What it may do is complete the
 * picture: a fix link that a known update lacks is added, and the update's highest CVSS score follows.
 */
import { EntityManager, In } from 'typeorm';
import type { UpdateRecord, VulnerabilityRecord } from '../../connectors/sdk/contract';
import type { SyncCounts } from '../../connectors/sdk/testkit/engine-probe';
import { insertRows, updateRows } from '../db/insert-rows';
import { Update, UpdateVulnerability, Vulnerability } from '../entities';
import { Severity, UpdateClassification } from '../entities/enums';
import { newId } from '../util/ids';
import { findIn } from './find-in';
import { SourceRead, SyncDataError } from './read-source';

/** Writes new catalog entries and fix links; returns the id of every update key the run uses. */
export async function writeCatalog(m: EntityManager, read: SourceRead, now: Date, counts: SyncCounts): Promise<Map<string, string>> {
  const keys = [...new Set([...read.updates.map((u) => u.key), ...read.patchStates.map((s) => s.updateKey), ...read.approvals.map((a) => a.updateKey)])];
  const existing = await findIn(m, Update, 'catalogKey', keys);
  const idByKey = new Map(existing.map((u) => [u.catalogKey, u.id]));
  const created: Update[] = [];
  for (const u of read.updates) {
    if (idByKey.has(u.key)) continue;
    const row = toUpdateRow(u, now);
    idByKey.set(u.key, row.id);
    created.push(row);
  }
  await insertRows(m, Update, created);
  counts.updates.seen = read.updates.length;
  counts.updates.created = created.length;
  for (const s of read.patchStates) {
    if (!idByKey.has(s.updateKey)) throw new SyncDataError(`patch state ${s.deviceExternalId}/${s.updateKey}: the update is neither in this run nor in the catalog`);
  }
  await writeFixes(m, read.updates, idByKey, [...existing, ...created], now);
  return idByKey;
}

function toUpdateRow(u: UpdateRecord, now: Date): Update {
  return Object.assign(new Update(), {
    id: newId(),
    catalogKey: u.key.slice(0, 191),
    kb: u.kb ? normaliseKb(u.kb) : null,
    title: u.title.slice(0, 512),
    vendor: u.vendor.slice(0, 64),
    products: u.products ?? [],
    classification: (u.classification ?? 'OTHER') as UpdateClassification,
    severity: (u.severity ?? 'UNSPECIFIED') as Severity,
    maxCvssBaseScore: null,
    releasedAt: u.releasedAt,
    supersedes: (u.supersedes ?? []).map(normaliseKb),
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
    severity: (v.severity ?? 'UNSPECIFIED') as Severity,
    exploited: v.exploited === true,
    // CISA KEV and EPSS are not the update vendor's to say; the vulnerability data loader fills them.
    kevDateAdded: null,
    kevDueDate: null,
    epssScore: null,
    publishedAt: v.publishedAt ?? null,
    updatedAt: now,
  });
}

async function writeFixes(m: EntityManager, records: UpdateRecord[], idByKey: Map<string, string>, updates: Update[], now: Date): Promise<void> {
  const withFixes = records.filter((u) => u.fixes?.length);
  if (withFixes.length === 0) return;
  const cves = [...new Set(withFixes.flatMap((u) => u.fixes!.map((f) => f.cveId)))];
  const known = await findIn(m, Vulnerability, 'cveId', cves);
  const byCve = new Map(known.map((v) => [v.cveId, v]));
  const newVulns: Vulnerability[] = [];
  for (const u of withFixes) {
    for (const f of u.fixes!) {
      if (byCve.has(f.cveId)) continue;
      const row = toVulnerabilityRow(f, now);
      byCve.set(f.cveId, row);
      newVulns.push(row);
    }
  }
  await insertRows(m, Vulnerability, newVulns);

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
      newLinks.push(Object.assign(new UpdateVulnerability(), { updateId, vulnerabilityId }));
      gained.add(updateId);
    }
  }
  await insertRows(m, UpdateVulnerability, newLinks);
  await refreshMaxScores(m, updates.filter((u) => gained.has(u.id)), now);
}

/** An update's highest CVSS score is derived from its links, so it is recomputed for updates that gained one. */
async function refreshMaxScores(m: EntityManager, updates: Update[], now: Date): Promise<void> {
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
