import { EvidencePackData } from './gather';

/**
 * The pack's CSV files: RFC 4180 (CRLF, quoted when needed), UTF-8 without a byte order mark, times in ISO 8601 UTC.
 * Text that a spreadsheet would run as a formula is prefixed with an apostrophe, as the patch history CSV does
 * (formats/csv.ts): host names, titles and reasons come from vendors' tools and people, and auditors open these in Excel.
 */
type Cell = string | number | boolean | Date | null;

function field(value: Cell): string {
  if (value === null) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csv(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): Buffer {
  const lines = [header, ...rows].map((r) => `${r.map(field).join(',')}\r\n`);
  return Buffer.from(lines.join(''), 'utf8');
}

export function complianceAssetsCsv(d: EvidencePackData): Buffer {
  return csv(['hostname', 'site', 'status', 'reasons', 'findings', 'assetId'],
    d.assets.map((a) => [a.hostname, a.site, a.status, a.reasons.join('; '), d.findings.filter((f) => f.assetId === a.key).length, a.assetId]));
}

export function findingsCsv(d: EvidencePackData): Buffer {
  return csv(['asset', 'kb', 'update', 'severity', 'cves', 'maxCvss', 'kevCves', 'rule', 'status', 'state', 'clockStartAt', 'clockStartFirstSeen', 'dueAt', 'overdueHours', 'evidence', 'exception'],
    d.findings.map((f) => {
      const scores = f.cves.map((c) => c.cvss).filter((s): s is number => s !== null);
      return [
        f.hostname, f.kb, f.updateTitle, f.severity, f.cves.map((c) => c.cveId).join('; '), scores.length ? Math.max(...scores).toFixed(1) : null,
        f.cves.filter((c) => c.kev).map((c) => c.cveId).join('; '), f.ruleId, f.status, f.state, f.clockStartAt, f.clockStartFirstSeen, f.dueAt, f.overdueHours, f.evidence,
        f.exceptionId,
      ];
    }));
}

export function exceptionsCsv(d: EvidencePackData): Buffer {
  return csv(['exception', 'site', 'asset', 'kb', 'cve', 'policy', 'owner', 'reason', 'compensatingControl', 'validFrom', 'expiresAt', 'createdAt', 'createdBy', 'findingsCovered'],
    d.exceptions.map((e) => [e.id, e.site, e.hostname, e.kb, e.cveId, e.policyKey, e.owner, e.reason, e.compensatingControl, e.validFrom, e.expiresAt, e.createdAt, e.createdBy, e.findingsCovered]));
}

export function changeRecordsCsv(d: EvidencePackData): Buffer {
  return csv(['reference', 'type', 'state', 'title', 'risk', 'updates', 'plannedStart', 'plannedEnd', 'startedAt', 'finishedAt', 'requestedBy', 'approvedBy', 'createdAt'],
    d.changes.map((c) => [c.reference, c.type, c.state, c.title, c.risk, c.kbs.join('; '), c.plannedStart, c.plannedEnd, c.startedAt, c.finishedAt, c.requestedBy, c.approvedBy.join('; '), c.createdAt]));
}

/** The chain verification as JSON: its breaks are a list, each with its reason and message. */
export function chainVerificationJson(d: EvidencePackData): Buffer {
  const c = d.chain;
  return Buffer.from(`${JSON.stringify({
    chainKey: c.chainKey, from: c.from.toISOString(), to: c.to.toISOString(), ok: c.ok, auditEventsChecked: c.auditEventsChecked, runsChecked: c.runsChecked,
    eventsChecked: c.eventsChecked, unsealedEvents: c.unsealedEvents,
    headAtKnownAt: c.headAtKnownAt && { seq: c.headAtKnownAt.seq, hash: c.headAtKnownAt.hash, occurredAt: c.headAtKnownAt.occurredAt.toISOString() },
    breaks: c.breaks,
  }, null, 2)}\n`, 'utf8');
}
