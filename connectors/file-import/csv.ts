/**
 * CSV in and out. Reading is csv-parse's (RFC 4180 quoting, a BOM, CRLF or LF); this module adds what a
 * spreadsheet user needs: row numbers as the spreadsheet shows them (the header is row 1), a refused unknown or
 * repeated header, and no row silently dropped or cut short.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { MalformedResponseError } from '../sdk/errors';
import { COLUMNS, rowError, StreamName, unknownColumnProblem } from './format';

export interface CsvRow {
  /** As a spreadsheet numbers it: the header is row 1. */
  row: number;
  values: Record<string, string>;
}

export function readCsv(text: string | Buffer, file: string, stream: StreamName): CsvRow[] {
  let records: string[][];
  try {
    // relax_column_count: a short or long row is reported below with its row number, not as a parser error.
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: false });
  } catch (err) {
    if (err instanceof CsvError) throw new MalformedResponseError(`${file}: ${err.message}`, { cause: err });
    throw err;
  }
  if (records.length === 0) throw new MalformedResponseError(`${file} is empty; it needs at least its header row`);
  const header = readHeader(records[0], file, stream);
  const rows: CsvRow[] = [];
  for (let i = 1; i < records.length; i++) {
    const cells = records[i];
    const row = i + 1;
    // A blank line is no row at all; skipping it drops nothing.
    if (cells.every((cell) => cell.trim() === '')) continue;
    if (cells.length !== header.length) {
      throw rowError({ where: `${file} row ${row}`, noun: 'column' }, null, `has ${cells.length} values but the header has ${header.length} columns (an unquoted comma in a value?)`);
    }
    rows.push({ row, values: Object.fromEntries(header.map((name, c) => [name, cells[c]])) });
  }
  return rows;
}

function readHeader(cells: string[], file: string, stream: StreamName): string[] {
  const at = { where: `${file} row 1`, noun: 'column' as const };
  const header = cells.map((cell) => cell.trim());
  if (header.length === 1 && header[0].includes(';')) {
    throw rowError(at, null, 'the header has one column holding ";" — the file is semicolon-separated; save it as comma-separated CSV');
  }
  const known = new Set(COLUMNS[stream].map((c) => c.name));
  header.forEach((name, i) => {
    if (name === '') throw rowError(at, null, `header cell ${i + 1} is empty (a trailing comma?)`);
    if (!known.has(name)) throw rowError(at, `"${name}"`, unknownColumnProblem(stream, name, 'column'));
    if (header.indexOf(name) !== i) throw rowError(at, name, 'appears twice in the header');
  });
  for (const column of COLUMNS[stream]) {
    if (column.required && !header.includes(column.name)) throw rowError(at, null, `has no ${column.name} column, which is required`);
  }
  return header;
}

/** One CSV field, quoted when RFC 4180 needs it (and when spaces at either end would be trimmed on reading). */
function field(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (Array.isArray(value)) text = value.join(';');
  else if (value instanceof Date) text = value.toISOString();
  else text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Writes rows of `stream` with every column of the format, in its order; CRLF line ends as RFC 4180 says. */
export function writeCsv(stream: StreamName, rows: ReadonlyArray<Record<string, unknown>>): string {
  const names = COLUMNS[stream].map((c) => c.name);
  const lines = [names.join(','), ...rows.map((row) => names.map((name) => field(row[name])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
