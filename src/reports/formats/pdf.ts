import { ComplianceStatusName } from '../../compliance/evaluation';
import { PatchHistoryRow } from '../patch-history-row';
import { PatchHistorySummary } from '../patch-history-summary';

/** The lines a report's PDF opens with: what it covers, in words (never when or by whom it was generated). */
export interface PdfHeading {
  title: string;
  tenants: string[];
  period: { from: Date; to: Date };
  knownAt: Date;
  /** The filters other than tenant and period, as "name: value" lines. */
  filters: string[];
  /** "cyber-essentials-v3.3 (builtin): Cyber Essentials …", when a policy is given. */
  policy: string | null;
}

export interface PolicyCompliance {
  policyKey: string;
  policyName: string;
  counts: Array<{ status: ComplianceStatusName; count: number }>;
}

export interface PdfInput {
  heading: PdfHeading;
  /** The report's rows; read twice (summary, then detail), each time from the start. */
  rows(): AsyncIterable<PatchHistoryRow>;
  /** Compliance of the report's tenants under each policy assigned to them, as of `asOf`. */
  compliance(): Promise<{ asOf: Date; policies: PolicyCompliance[] }>;
  /** Rows to draw between hand-overs of the finished bytes: bounds what is held in memory. */
  flushEvery?: number;
}

export const PAGE = { size: 'A4', layout: 'landscape' as const, margin: 36 };
export const FONT = 'Helvetica';
export const BOLD = 'Helvetica-Bold';
export const INK = '#1f2933';
export const MUTED = '#52606d';
export const RULE = '#cbd2d9';
export const STRIPE = '#f0f4f8';
const BAR = '#2f6f9f';
export const ROW_HEIGHT = 11;
export const STATUSES: ComplianceStatusName[] = ['COMPLIANT', 'EXEMPT', 'DUE_SOON', 'UNVERIFIED', 'NON_COMPLIANT'];

/**
 * The standard PDF fonts cover Windows-1252 only; other characters (a Cyrillic host name) are shown as "?" here.
 * The CSV and JSON Lines forms carry every character.
 */
export const printable = (text: string) => text.replace(/[^\x20-\x7e\xa0-\xff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac]/g, '?');
export const minute = (iso: string | null) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : '');
export const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export interface PdfColumn {
  header: string;
  width: number;
  /** Takes the width the fixed columns leave. */
  flex?: true;
  align?: 'right';
  cell(r: PatchHistoryRow): string;
}

function cveCell(r: PatchHistoryRow): string {
  if (r.cves.length === 0) return '';
  const scores = r.cves.map((c) => c.cvss).filter((s): s is number => s !== null);
  const parts = [r.cves.length === 1 ? r.cves[0].cveId : `${r.cves.length} CVEs`];
  if (scores.length) parts.push(`CVSS ${Math.max(...scores).toFixed(1)}`);
  if (r.cves.some((c) => c.kevDateAdded)) parts.push('KEV');
  return parts.join(', ');
}

/** The detail table's columns: the tenant only when the report covers several, the due date only with a policy. */
export function pdfColumns(options: { tenants: boolean; policy: boolean }): PdfColumn[] {
  return [
    ...(options.tenants ? [{ header: 'Tenant', width: 70, cell: (r: PatchHistoryRow) => r.tenant }] : []),
    { header: 'Reported (UTC)', width: 60, cell: (r) => minute(r.reportedAt) },
    { header: 'Observed (UTC)', width: 60, cell: (r) => minute(r.observedAt) },
    { header: 'Host', width: 70, cell: (r) => r.hostname ?? '' },
    { header: 'Site', width: 58, cell: (r) => r.site ?? '' },
    { header: 'KB', width: 44, cell: (r) => r.kb ?? '' },
    { header: 'Update', width: 0, flex: true, cell: (r) => r.updateTitle },
    { header: 'Severity', width: 44, cell: (r) => r.severity },
    { header: 'CVEs', width: 82, cell: cveCell },
    { header: 'Transition', width: 98, cell: (r) => r.transition },
    { header: 'Tool', width: 44, cell: (r) => r.sourceTool },
    { header: 'Evidence', width: 40, cell: (r) => r.evidence },
    ...(options.policy
      ? [
        { header: 'Due (UTC)', width: 60, cell: (r: PatchHistoryRow) => minute(r.policyDueAt) },
        { header: 'Met', width: 22, cell: (r: PatchHistoryRow) => (r.policyDueMet === null ? '' : r.policyDueMet ? 'yes' : 'no') },
      ]
      : []),
  ];
}

/**
 * A pdfkit document. pdfkit is loaded on the first PDF, not with the server: it brings fontkit, brotli and the Unicode
 * tables (about 2 MB of modules) that the server, every CLI command and every test file would otherwise load for
 * nothing.
 */
export function newPdfDocument(options: PDFKit.PDFDocumentOptions): PDFKit.PDFDocument {
  const PDFDocument = require('pdfkit') as typeof import('pdfkit');
  return new PDFDocument(options);
}

/**
 * The PDF form: a summary page (what the report covers, rows by transition and severity, compliance by assigned
 * policy at the period's end, installs over time as a bar chart), then the detail table, one line per row.
 *
 * The bytes depend only on the rows and the heading: CreationDate (and the file ID pdfkit derives from the info
 * dictionary) is knownAt, nothing is dated by the clock, and streams are not compressed, so the output does not
 * change with the zlib build of the Node.js that runs it. Pages are handed over as they are finished, a batch of rows
 * at a time, so a long report is never held whole.
 */
export async function* renderPdf(input: PdfInput): AsyncGenerator<Buffer> {
  const { heading } = input;
  const doc = newPdfDocument({
    size: PAGE.size, layout: PAGE.layout, margin: PAGE.margin, compress: false, autoFirstPage: true, bufferPages: false,
    info: {
      Title: heading.title, Author: 'patchgraph', Creator: 'patchgraph', Producer: 'patchgraph (PDFKit)',
      Subject: `${heading.tenants.join(', ')}, ${utc(heading.period.from)} to ${utc(heading.period.to)}, known at ${utc(heading.knownAt)}`,
      CreationDate: heading.knownAt, ModDate: heading.knownAt,
    },
  });
  const drain = (): Buffer[] => {
    const out: Buffer[] = [];
    for (let chunk = doc.read() as Buffer | null; chunk !== null; chunk = doc.read() as Buffer | null) out.push(chunk);
    return out;
  };

  let page = 1;
  const footer = () => {
    const { margins } = doc.page;
    const bottom = margins.bottom;
    doc.page.margins.bottom = 0;
    const y = doc.page.height - 24;
    const text = printable(`Patch history, ${heading.tenants.join(', ')}, ${utc(heading.period.from)} to ${utc(heading.period.to)}, known at ${utc(heading.knownAt)}`);
    doc.font(FONT).fontSize(7).fillColor(MUTED);
    doc.text(fit(doc, text, 600), PAGE.margin, y, { lineBreak: false });
    doc.text(`Page ${page}`, doc.page.width - PAGE.margin - 60, y, { width: 60, align: 'right', lineBreak: false });
    doc.page.margins.bottom = bottom;
    doc.fillColor(INK);
  };

  const summary = new PatchHistorySummary(heading.period.from, heading.period.to);
  for await (const r of input.rows()) summary.add(r);
  const compliance = await input.compliance();
  drawSummary(doc, heading, summary, compliance);
  footer();
  yield* drain();

  const columns = pdfColumns({ tenants: heading.tenants.length > 1, policy: heading.policy !== null });
  const fixed = columns.reduce((sum, c) => sum + c.width, 0);
  const usable = doc.page.width - 2 * PAGE.margin;
  for (const c of columns) if (c.flex) c.width = Math.max(60, usable - fixed);

  const bottom = () => doc.page.height - PAGE.margin - 14;
  let y = 0;
  const newPage = (first: boolean) => {
    if (!first) footer();
    doc.addPage();
    page += 1;
    doc.font(BOLD).fontSize(10).fillColor(INK).text(first ? 'Detail: one line per event' : 'Detail (continued)', PAGE.margin, PAGE.margin, { lineBreak: false });
    y = PAGE.margin + 18;
    tableHeader(doc, columns, y);
    y += ROW_HEIGHT + 3;
  };
  newPage(true);
  let drawn = 0;
  for await (const r of input.rows()) {
    if (y + ROW_HEIGHT > bottom()) newPage(false);
    if (drawn % 2 === 1) doc.rect(PAGE.margin, y - 1.5, usable, ROW_HEIGHT).fill(STRIPE);
    let x = PAGE.margin;
    doc.font(FONT).fontSize(6.5).fillColor(INK);
    for (const c of columns) {
      doc.text(fit(doc, printable(c.cell(r)), c.width - 4), x + 2, y, { lineBreak: false, width: c.width - 4, align: c.align ?? 'left' });
      x += c.width;
    }
    y += ROW_HEIGHT;
    drawn += 1;
    if (drawn % (input.flushEvery ?? 200) === 0) yield* drain();
  }
  if (drawn === 0) doc.font(FONT).fontSize(8).fillColor(MUTED).text('No events match the report\'s filters.', PAGE.margin, y + 4, { lineBreak: false });
  footer();
  const ended = new Promise<void>((resolve) => doc.once('end', resolve));
  doc.end();
  yield* drain();
  // end is emitted once everything has been read.
  doc.resume();
  await ended;
}

/** `text` cut to `width` points at the current font, with an ellipsis when cut. */
export function fit(doc: PDFKit.PDFDocument, text: string, width: number): string {
  if (doc.widthOfString(text) <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (doc.widthOfString(`${text.slice(0, mid)}…`) <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo).trimEnd()}…`;
}

export function tableHeader(doc: PDFKit.PDFDocument, columns: ReadonlyArray<Pick<PdfColumn, 'header' | 'width' | 'align'>>, y: number): void {
  let x = PAGE.margin;
  doc.font(BOLD).fontSize(6.5).fillColor(INK);
  for (const c of columns) {
    doc.text(fit(doc, c.header, c.width - 4), x + 2, y, { lineBreak: false, width: c.width - 4, align: c.align ?? 'left' });
    x += c.width;
  }
  doc.moveTo(PAGE.margin, y + ROW_HEIGHT).lineTo(x, y + ROW_HEIGHT).lineWidth(0.6).strokeColor(RULE).stroke();
}

/** A small two-column table of counts; returns the y below it. */
export function countTable(doc: PDFKit.PDFDocument, title: string, rows: Array<[string, number]>, x: number, y: number, width: number): number {
  doc.font(BOLD).fontSize(9).fillColor(INK).text(title, x, y, { lineBreak: false });
  y += 14;
  doc.font(FONT).fontSize(8);
  for (const [label, n] of rows) {
    doc.fillColor(n === 0 ? MUTED : INK).text(label, x, y, { lineBreak: false });
    doc.text(String(n), x + width - 50, y, { width: 50, align: 'right', lineBreak: false });
    y += 11;
  }
  doc.moveTo(x, y + 1).lineTo(x + width, y + 1).lineWidth(0.5).strokeColor(RULE).stroke();
  return y + 6;
}

function drawSummary(doc: PDFKit.PDFDocument, h: PdfHeading, s: PatchHistorySummary, c: { asOf: Date; policies: PolicyCompliance[] }): void {
  const left = PAGE.margin;
  doc.font(BOLD).fontSize(18).fillColor(INK).text(printable(h.title), left, PAGE.margin, { lineBreak: false });
  let y = PAGE.margin + 26;
  const line = (label: string, value: string) => {
    doc.font(BOLD).fontSize(9).fillColor(MUTED).text(label, left, y, { lineBreak: false });
    doc.font(FONT).fillColor(INK).text(fit(doc, printable(value), 640), left + 90, y, { lineBreak: false });
    y += 13;
  };
  line(h.tenants.length === 1 ? 'Tenant' : 'Tenants', h.tenants.length ? h.tenants.join(', ') : '(none)');
  line('Period', `${utc(h.period.from)} to ${utc(h.period.to)} (events from the first instant, up to but not including the second)`);
  line('Known at', `${utc(h.knownAt)}: only events patchgraph had recorded by then; regenerating with this time gives the same report`);
  if (h.policy) line('Policy', h.policy);
  for (const f of h.filters) line('Filter', f);
  line('Events', String(s.rows));
  y += 8;

  const colWidth = 180;
  const gap = 30;
  const transitions = countTable(doc, 'Events by transition', [...s.byTransition], left, y, colWidth);
  const severities = countTable(doc, 'Events by update severity', [...s.bySeverity], left + colWidth + gap, y, colWidth);
  y = Math.max(transitions, severities) + 10;
  y = drawCompliance(doc, c, left, y, 2 * colWidth + gap + 200) + 12;
  drawInstalls(doc, s, left, y, doc.page.width - 2 * PAGE.margin, Math.min(220, doc.page.height - PAGE.margin - 24 - y));
}

function drawCompliance(doc: PDFKit.PDFDocument, c: { asOf: Date; policies: PolicyCompliance[] }, x: number, y: number, width: number): number {
  doc.font(BOLD).fontSize(9).fillColor(INK).text('Compliance by assigned policy', x, y, { lineBreak: false });
  doc.font(FONT).fontSize(7).fillColor(MUTED).text(`Assets by status as of ${utc(c.asOf)} (the period's end, or knownAt if earlier)`, x, y + 12, { lineBreak: false });
  y += 26;
  if (c.policies.length === 0) {
    doc.font(FONT).fontSize(8).fillColor(MUTED).text('No policy was assigned to these tenants then.', x, y, { lineBreak: false });
    return y + 12;
  }
  const labels = ['Compliant', 'Exempt', 'Due soon', 'Unverified', 'Non-compliant'];
  const numWidth = 54;
  doc.font(BOLD).fontSize(6.5).fillColor(INK);
  labels.forEach((l, i) => doc.text(l, x + width - numWidth * (labels.length - i), y, { width: numWidth, align: 'right', lineBreak: false }));
  y += 10;
  for (const p of c.policies) {
    doc.font(FONT).fontSize(7).fillColor(INK).text(fit(doc, printable(p.policyName), width - numWidth * labels.length - 4), x, y, { lineBreak: false });
    STATUSES.forEach((status, i) => {
      const n = p.counts.find((k) => k.status === status)?.count ?? 0;
      doc.text(String(n), x + width - numWidth * (labels.length - i), y, { width: numWidth, align: 'right', lineBreak: false });
    });
    y += 11;
  }
  doc.moveTo(x, y + 1).lineTo(x + width, y + 1).lineWidth(0.5).strokeColor(RULE).stroke();
  return y + 6;
}

function drawInstalls(doc: PDFKit.PDFDocument, s: PatchHistorySummary, x: number, y: number, width: number, height: number): void {
  const total = s.buckets.reduce((sum, b) => sum + b.installs, 0);
  doc.font(BOLD).fontSize(9).fillColor(INK).text(`Installs per ${s.size} (INSTALLED events): ${total} in the period`, x, y, { lineBreak: false });
  const top = y + 18;
  const axis = 28;
  const chartHeight = Math.max(40, height - 40);
  const base = top + chartHeight;
  const peak = Math.max(1, ...s.buckets.map((b) => b.installs));
  const slot = (width - axis) / Math.max(1, s.buckets.length);
  doc.font(FONT).fontSize(6.5).fillColor(MUTED);
  doc.text(String(peak), x, top - 3, { width: axis - 4, align: 'right', lineBreak: false });
  doc.text('0', x, base - 4, { width: axis - 4, align: 'right', lineBreak: false });
  doc.moveTo(x + axis, top).lineTo(x + axis, base).lineTo(x + width, base).lineWidth(0.6).strokeColor(RULE).stroke();
  if (total === 0) doc.font(FONT).fontSize(8).fillColor(MUTED).text('No update was installed in the period (events first seen installed are not installs patchgraph saw happen).', x + axis + 12, top + chartHeight / 2, { lineBreak: false });
  // Label about eight buckets, evenly, so the dates never overlap.
  const labelEvery = Math.max(1, Math.ceil(s.buckets.length / 8));
  s.buckets.forEach((b, i) => {
    const bx = x + axis + i * slot;
    if (b.installs > 0) {
      const bh = (b.installs / peak) * chartHeight;
      doc.rect(bx + slot * 0.15, base - bh, Math.max(1, slot * 0.7), bh).fill(BAR);
      // With room for it, each bar carries its count.
      if (slot >= 14) doc.font(FONT).fontSize(6).fillColor(INK).text(String(b.installs), bx, base - bh - 8, { width: slot, align: 'center', lineBreak: false });
    }
    if (i % labelEvery === 0) doc.font(FONT).fontSize(6.5).fillColor(MUTED).text(b.label, bx, base + 3, { lineBreak: false });
  });
}
