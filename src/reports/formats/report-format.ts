import { PatchHistoryRow } from '../patch-history-row';
import { CSV_HEADER, csvLine } from './csv';
import { jsonLine } from './jsonl';

export const REPORT_FORMATS = ['csv', 'jsonl', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  jsonl: 'application/jsonl; charset=utf-8',
  pdf: 'application/pdf',
};

/** Text is handed over in pieces of about this many bytes: large enough that per-write costs vanish. */
const CHUNK_CHARS = 64 * 1024;

/** A text format's bytes: `head` (a CSV header), then one line per row, in chunks. */
async function* lines(head: string, rows: AsyncIterable<PatchHistoryRow>, line: (r: PatchHistoryRow) => string): AsyncGenerator<Buffer> {
  let text = head;
  for await (const r of rows) {
    text += line(r);
    if (text.length >= CHUNK_CHARS) {
      yield Buffer.from(text, 'utf8');
      text = '';
    }
  }
  if (text) yield Buffer.from(text, 'utf8');
}

export const csvChunks = (rows: AsyncIterable<PatchHistoryRow>) => lines(CSV_HEADER, rows, csvLine);
export const jsonlChunks = (rows: AsyncIterable<PatchHistoryRow>) => lines('', rows, jsonLine);
