/**
 * An intel file that cannot be accepted. `where` is a line ("line 12") or a path into the document
 * ("vulnerabilities[3].dueDate"), so the message points at the fault: "kev.json: vulnerabilities[3].dueDate: …".
 */
export class IntelFormatError extends Error {
  constructor(readonly file: string, readonly where: string | null, readonly reason: string) {
    super(where ? `${file}: ${where}: ${reason}` : `${file}: ${reason}`);
    this.name = 'IntelFormatError';
  }
}

/** Limits per file, so a wrong or hostile file fails fast instead of filling memory or the database. */
export const INTEL_LIMITS = {
  /** Bytes read from disk (compressed size for .gz). The whole CVRF month is about 8 MB; KEV about 1.6 MB. */
  fileBytes: 64 * 1024 * 1024,
  /** Bytes a .gz file may expand to: FIRST's daily EPSS file is about 12 MB uncompressed. */
  inflatedBytes: 128 * 1024 * 1024,
  kevEntries: 100_000,
  epssRows: 2_000_000,
  cvrfVulnerabilities: 20_000,
  cvrfProducts: 50_000,
  /** One CVE record; the largest in cvelistV5 are a few hundred kB. */
  cveRecordBytes: 8 * 1024 * 1024,
} as const;

export const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A YYYY-MM-DD that is a real calendar date. */
export function isDate(value: unknown): value is string {
  if (typeof value !== 'string' || !DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** An ISO 8601 date-time; one without a zone is UTC (MSRC writes them so). */
export function parseDateTime(value: unknown): Date | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) return null;
  const text = value.trim();
  const withZone = /T/.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? `${text}Z` : text;
  const d = new Date(withZone);
  return Number.isNaN(d.getTime()) ? null : d;
}
