import { CveFact, PatchHistoryRow } from '../patch-history-row';

/**
 * The CSV form of the report: RFC 4180 (CRLF line ends, fields with a comma, quote or line break quoted, quotes
 * doubled), UTF-8 without a byte order mark, one header line, then one line per row.
 *
 * Written here rather than with csv-stringify, which costs 15-27 µs a row on these 26 columns (it merges its
 * options and scans for separators per field): a fifth of the throughput the export must reach. Only the columns
 * that can hold text a source tool supplied are escaped; the rest (ids, enums, times, numbers) never need it.
 * Text that a spreadsheet would run as a formula (starting with = + - @, tab or return) is prefixed with an
 * apostrophe, as OWASP advises for CSV exports: a host name or title comes from a vendor's tool, and the auditor
 * opens the file in Excel.
 */

interface CsvColumn {
  header: string;
  value(r: PatchHistoryRow): string | null;
  /** Can hold text a source supplied: escaped and defused. */
  text?: true;
}

const max = (values: Array<number | null>): number | null => values.reduce<number | null>((m, v) => (v !== null && (m === null || v > m) ? v : m), null);

interface CveCells {
  ids: string;
  maxCvss: string | null;
  kev: string;
  maxEpss: string | null;
}

// An update's CVE list is one shared array for every row that names the update (see ReportLookups): its four cells are
// written once, not once per row (a cumulative update fixes forty CVEs or more).
const cveCellsOf = new WeakMap<CveFact[], CveCells>();

export function cveCells(cves: CveFact[]): CveCells {
  let cells = cveCellsOf.get(cves);
  if (!cells) {
    const cvss = max(cves.map((c) => c.cvss));
    const epss = max(cves.map((c) => c.epss));
    cells = {
      ids: escapeText(cves.map((c) => c.cveId).join('; ')),
      maxCvss: cvss === null ? null : cvss.toFixed(1),
      kev: escapeText(cves.filter((c) => c.kevDateAdded).map((c) => c.cveId).join('; ')),
      maxEpss: epss === null ? null : String(epss),
    };
    cveCellsOf.set(cves, cells);
  }
  return cells;
}

/** The columns in file order. The CVE facts are flattened: their ids, the highest CVSS and EPSS, and those in KEV. */
export const CSV_COLUMNS: readonly CsvColumn[] = [
  { header: 'eventId', value: (r) => r.eventId },
  { header: 'tenant', value: (r) => r.tenant, text: true },
  { header: 'site', value: (r) => r.site, text: true },
  { header: 'assetId', value: (r) => r.assetId },
  { header: 'hostname', value: (r) => r.hostname, text: true },
  { header: 'serialNumber', value: (r) => r.serialNumber, text: true },
  { header: 'kb', value: (r) => r.kb, text: true },
  { header: 'updateTitle', value: (r) => r.updateTitle, text: true },
  { header: 'classification', value: (r) => r.classification },
  { header: 'severity', value: (r) => r.severity },
  { header: 'cves', value: (r) => cveCells(r.cves).ids },
  { header: 'maxCvss', value: (r) => cveCells(r.cves).maxCvss },
  { header: 'kevCves', value: (r) => cveCells(r.cves).kev },
  { header: 'maxEpss', value: (r) => cveCells(r.cves).maxEpss },
  { header: 'transition', value: (r) => r.transition },
  { header: 'fromState', value: (r) => r.fromState },
  { header: 'toState', value: (r) => r.toState },
  { header: 'reportedAt', value: (r) => r.reportedAt },
  { header: 'observedAt', value: (r) => r.observedAt },
  { header: 'sourceTool', value: (r) => r.sourceTool, text: true },
  { header: 'connectorName', value: (r) => r.connectorName, text: true },
  { header: 'syncRunId', value: (r) => r.syncRunId },
  { header: 'evidence', value: (r) => r.evidence },
  { header: 'changeRecord', value: (r) => r.changeRecord, text: true },
  { header: 'policyDueAt', value: (r) => r.policyDueAt },
  { header: 'policyDueMet', value: (r) => (r.policyDueMet === null ? null : String(r.policyDueMet)) },
];

const SPECIAL = /[",\r\n]|^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const FORMULA = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const QUOTE = /[",\r\n]/;

export function escapeText(value: string): string {
  if (!SPECIAL.test(value)) return value;
  const defused = FORMULA.test(value) ? `'${value}` : value;
  return QUOTE.test(defused) ? `"${defused.replaceAll('"', '""')}"` : defused;
}

export const CSV_HEADER = `${CSV_COLUMNS.map((c) => c.header).join(',')}\r\n`;

/** One row as one CSV line, CRLF included. */
export function csvLine(r: PatchHistoryRow): string {
  let line = '';
  for (let i = 0; i < CSV_COLUMNS.length; i++) {
    const column = CSV_COLUMNS[i];
    const v = column.value(r);
    if (i > 0) line += ',';
    if (v !== null && v !== '') line += column.text ? escapeText(v) : v;
  }
  return `${line}\r\n`;
}
