/**
 * `patchgraph intel import`: each file is read, recognised by its content, parsed whole (a malformed file is refused
 * before anything is written) and stored in one transaction with its intel_source row. A file imported before
 * (same SHA-256) is "unchanged" and nothing is written.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource, MoreThanOrEqual } from 'typeorm';
import { appendAudit } from '../audit/audit-log';
import { inTransaction } from '../db/transaction';
import { IntelSource } from '../entities';
import { newId } from '../util/ids';
import { ParsedIntel, parseIntel } from './detect';
import { IntelFormatError } from './intel-error';
import { IntelKind } from './kinds';
import { readIntelFile } from './read-intel-file';
import { Summary, writeCveRecord, writeCvrf, writeEpss, writeKev } from './write-intel';

export interface ImportOutcome {
  file: string;
  kind: IntelKind;
  version: string;
  status: 'imported' | 'unchanged' | 'newer-held';
  /** One line for the operator: what the file is and what changed. */
  message: string;
  summary: Summary;
}

export interface ImportOptions {
  /** Who imports, for the audit trail: `cli:<os user>`, or `patchgraph:<why>` when the server does (default). */
  actor?: string;
  /** Skip a file when a version of its feed at least as new is held already (the baseline at start-up). */
  skipIfNewerHeld?: boolean;
}

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : 'undated');

/** Name, version and the date newer versions are ordered by, as the feed gives them. */
function describe(p: ParsedIntel): { label: string; version: string; releasedAt: Date | null; records: number } {
  switch (p.kind) {
    case IntelKind.KEV:
      return { label: `KEV ${p.kev.catalogVersion}`, version: p.kev.catalogVersion, releasedAt: p.kev.dateReleased, records: p.kev.entries.length };
    case IntelKind.EPSS: {
      const date = p.epss.scoreDate ? new Date(`${p.epss.scoreDate}T00:00:00Z`) : null;
      const model = p.epss.modelVersion ? ` model ${p.epss.modelVersion}` : '';
      return { label: `EPSS ${p.epss.scoreDate ?? 'undated'}${model}`, version: `${p.epss.modelVersion ?? 'model unknown'} ${p.epss.scoreDate ?? 'date unknown'}`, releasedAt: date, records: p.epss.rows.length };
    }
    case IntelKind.CVE_JSON5:
      return { label: `CVE record ${p.cve.cveId} (updated ${day(p.cve.dateUpdated)})`, version: `${p.cve.cveId} ${p.cve.dateUpdated.toISOString()}`, releasedAt: p.cve.dateUpdated, records: 1 };
    case IntelKind.MSRC_CVRF:
      return {
        label: `MSRC CVRF ${p.cvrf.documentId} (revised ${day(p.cvrf.currentReleaseDate)})`,
        version: `${p.cvrf.documentId} ${p.cvrf.currentReleaseDate.toISOString()}`,
        releasedAt: p.cvrf.currentReleaseDate,
        records: p.cvrf.vulnerabilities.length,
      };
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What changed, in words: "1674 entries, 12 new, 3 due dates changed, 40 CVEs not in the catalog kept for later". */
export function describeChanges(kind: IntelKind, s: Summary): string {
  const n = (k: string) => Number(s[k] ?? 0);
  const parts: string[] = [];
  const opt = (k: string, text: string) => n(k) && parts.push(text);
  switch (kind) {
    case IntelKind.KEV:
      parts.push(plural(n('entries'), 'entry', 'entries'), `${n('new')} new`, `${plural(n('dueDatesChanged'), 'due date')} changed`);
      opt('datesAddedChanged', `${plural(n('datesAddedChanged'), 'date added', 'dates added')} changed`);
      opt('ransomwareChanged', `${n('ransomwareChanged')} ransomware use changed`);
      opt('removed', `${n('removed')} no longer listed`);
      opt('keptNewer', `${n('keptNewer')} kept from a newer catalog`);
      parts.push(`${plural(n('notInCatalog'), 'CVE')} not in the catalog kept for later`);
      break;
    case IntelKind.EPSS:
      parts.push(plural(n('rows'), 'score'), `${n('new')} new`, `${n('changed')} changed`);
      opt('keptNewer', `${n('keptNewer')} kept from newer scores`);
      parts.push(`${plural(n('notInCatalog'), 'CVE')} not in the catalog kept for later`);
      break;
    case IntelKind.CVE_JSON5: {
      const cvss = String(s.cvss);
      parts.push(
        cvss === 'none' ? 'no CVSS score'
          : cvss === 'rejected record' ? 'rejected record, no facts'
          : cvss === 'kept newer' ? 'CVSS kept from a newer record'
          : `CVSS ${s.score}${cvss === 'new' ? ', new' : cvss === 'changed' ? ', changed' : ''}`,
        n('inCatalog') ? 'in the catalog' : 'not in the catalog, kept for later',
      );
      break;
    }
    case IntelKind.MSRC_CVRF:
      parts.push(
        plural(n('vulnerabilities'), 'vulnerability', 'vulnerabilities'),
        `${plural(n('updates'), 'update')} (${n('updatesCreated')} new, ${n('updatesRefreshed')} refreshed)`,
        `${plural(n('cves'), 'CVE')} fixed (${n('cvesCreated')} new, ${n('cvesRefreshed')} refreshed)`,
        `${plural(n('linksAdded'), 'fix link')} added`,
        `${plural(n('cvssScores'), 'CVSS score')} from this document`,
      );
      opt('cvssKept', `${n('cvssKept')} kept from CVE records`);
      break;
  }
  return parts.join(', ');
}

/** Imports one file; null when it is not an intel file at all (so a directory walk can skip it). */
export async function importIntelFile(dataSource: DataSource, path: string, now: Date, options: ImportOptions = {}): Promise<ImportOutcome | null> {
  const content = readIntelFile(path);
  const parsed = parseIntel(content.text, content.label);
  if (!parsed) return null;
  const d = describe(parsed);
  const base = { file: path, kind: parsed.kind, version: d.version };
  const repo = dataSource.getRepository(IntelSource);
  const same = await repo.findOneBy({ sha256: content.sha256 });
  if (same) return { ...base, status: 'unchanged', message: `${d.label}: unchanged (imported ${same.importedAt.toISOString()})`, summary: {} };
  if (options.skipIfNewerHeld && d.releasedAt) {
    const newer = parsed.kind === IntelKind.CVE_JSON5
      ? await repo.findOneBy({ kind: parsed.kind, version: d.version })
      : await repo.findOne({ where: { kind: parsed.kind, releasedAt: MoreThanOrEqual(d.releasedAt) }, order: { releasedAt: 'DESC' } });
    if (newer) return { ...base, status: 'newer-held', message: `${d.label}: skipped, ${newer.version} is held`, summary: {} };
  }
  const summary = await inTransaction(dataSource, async (m) => {
    const source = Object.assign(new IntelSource(), {
      id: newId(), kind: parsed.kind, version: d.version.slice(0, 191), releasedAt: d.releasedAt, sha256: content.sha256, fileName: content.fileName,
      importedAt: now, records: d.records, summary: {},
    });
    await m.getRepository(IntelSource).insert(source);
    const s =
      parsed.kind === IntelKind.KEV ? await writeKev(m, parsed.kev, source, now)
        : parsed.kind === IntelKind.EPSS ? await writeEpss(m, parsed.epss, source, now)
        : parsed.kind === IntelKind.CVE_JSON5 ? await writeCveRecord(m, parsed.cve, source, now)
        : await writeCvrf(m, parsed.cvrf, source, now);
    await m.getRepository(IntelSource).update({ id: source.id }, { summary: s });
    // Intel changes what every tenant's compliance says: recorded on the MSP-wide chain with the file's digest.
    await appendAudit(m, {
      tenantId: null, actor: options.actor ?? 'patchgraph:intel-import', action: 'intel.imported', targetType: 'IntelSource', targetId: source.id,
      data: { kind: source.kind, version: source.version, fileName: source.fileName, sha256: source.sha256, records: source.records, changes: s }, occurredAt: now,
    });
    return s;
  });
  return { ...base, status: 'imported', message: `${d.label}: ${describeChanges(parsed.kind, summary)}`, summary };
}

/** Files named on the command line, directories walked (sorted, hidden files and notes left out). */
export function expandPaths(paths: string[]): Array<{ path: string; fromDirectory: boolean }> {
  const out: Array<{ path: string; fromDirectory: boolean }> = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && !/\.(md|txt)$/i.test(entry.name) && !/^(LICENSE|NOTICE)/i.test(entry.name)) out.push({ path, fromDirectory: true });
    }
  };
  for (const p of paths) {
    let stat;
    try {
      stat = statSync(p);
    } catch {
      throw new IntelFormatError(p, null, 'no such file or directory');
    }
    if (stat.isDirectory()) walk(p);
    else out.push({ path: p, fromDirectory: false });
  }
  return out;
}
