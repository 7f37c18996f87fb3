/**
 * The local source: a JSON inventory file, or a directory of three CSV files. Files are read afresh by each
 * connector instance (one per sync run) and each file once per instance, so the three streams of a run see one
 * version of a JSON file even if it is replaced halfway through.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError, MalformedResponseError } from '../sdk/errors';
import { readCsv } from './csv';
import { identityOf, parseRow, Row, RowLocation, rowError, shown, StreamName, StreamRecords, STREAMS } from './format';
import { openInImportDir, resolveInImportDir } from './import-dir';
import { parseInventoryDocument } from './inventory-json';
import { fileImportPolicy } from './policy';

export const CSV_FILES: Record<StreamName, string> = { devices: 'devices.csv', updates: 'updates.csv', patchStates: 'patch-states.csv' };

interface RawRow {
  at: RowLocation;
  /** How a later duplicate refers to this row: "row 5", "devices[4]". */
  label: string;
  raw: unknown;
}

export class LocalInventory {
  private document?: Promise<Record<StreamName, unknown[]>>;

  constructor(readonly path: string) {}

  get isJson(): boolean {
    return /\.json$/i.test(this.path);
  }

  /** Every row of the stream, parsed and checked; the first bad row throws. */
  async rows<S extends StreamName>(stream: S): Promise<Array<Row<StreamRecords[S]>>> {
    const raw = this.isJson ? await this.jsonRows(stream) : await this.csvRows(stream);
    const seen = new Map<string, string>();
    return raw.map(({ at, label, raw: values }) => {
      const row = parseRow(stream, values, at);
      const id = identityOf(stream, row.record);
      const first = seen.get(id.value);
      if (first !== undefined) throw rowError(at, id.column, `${shown(id.value)} appears again (first at ${first})`);
      seen.set(id.value, label);
      return row;
    });
  }

  /** Counts per stream, for testConnection; reads and checks everything. */
  async counts(): Promise<Record<StreamName, number>> {
    const counts = {} as Record<StreamName, number>;
    for (const stream of STREAMS) counts[stream] = (await this.rows(stream)).length;
    return counts;
  }

  private async jsonRows(stream: StreamName): Promise<RawRow[]> {
    this.document ??= this.read(this.path).then((text) => parseInventoryDocument(text, basename(this.path)));
    const items = (await this.document)[stream];
    return items.map((raw, i) => ({ at: { where: `${basename(this.path)} ${stream}[${i}]`, noun: 'field' }, label: `${stream}[${i}]`, raw }));
  }

  private async csvRows(stream: StreamName): Promise<RawRow[]> {
    const file = CSV_FILES[stream];
    const text = await this.read(join(this.path, file));
    return readCsv(text, file, stream).map(({ row, values }) => ({ at: { where: `${file} row ${row}`, noun: 'column' }, label: `row ${row}`, raw: values }));
  }

  /** Reads `file` through the import directory's check, made again now: the file may have changed since it was saved. */
  private async read(file: string): Promise<string> {
    let bytes: Buffer;
    try {
      const handle = await openInImportDir(file, fileImportPolicy().importDir);
      try {
        bytes = await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw this.unreadable(file, err as NodeJS.ErrnoException);
    }
    return decodeUtf8(bytes, basename(file));
  }

  /** A missing or unreadable file is the operator's to fix, so it is a configuration error against `path`. */
  private unreadable(file: string, err: NodeJS.ErrnoException): ConfigError {
    // The directory holds no such file, or `path` is a file that is not .json (ENOTDIR below it).
    if (err.code === 'ENOTDIR' && file !== this.path) {
      return new ConfigError('path', `${this.path} must be a .json file or a directory holding ${Object.values(CSV_FILES).join(', ')}`, { cause: err });
    }
    const importDir = fileImportPolicy().importDir;
    if (err.code === 'ENOENT' && file !== this.path && importDir !== null && existsSync(resolveInImportDir(this.path, importDir))) {
      return new ConfigError('path', `${this.path} has no ${basename(file)}; the directory needs ${Object.values(CSV_FILES).join(', ')}`, { cause: err });
    }
    const shown = err.code === 'ENOENT' ? this.path : file;
    const reason = err.code === 'ENOENT' ? 'does not exist' : err.code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${err.code ?? err.message})`;
    return new ConfigError('path', `${shown} ${reason}`, { cause: err });
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict UTF-8. Excel's plain "CSV" is Windows-1252 and its "Unicode text" is UTF-16; read as UTF-8 they would turn
 * "Zürich" into "Z\uFFFDrich" without a word, so both are refused with the way out.
 */
function decodeUtf8(bytes: Buffer, file: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new MalformedResponseError(`${file} is UTF-16 text; save it as UTF-8 (Excel: "CSV UTF-8")`);
  }
  try {
    return UTF8.decode(bytes);
  } catch (err) {
    throw new MalformedResponseError(`${file} is not UTF-8 text; save it as UTF-8 (Excel: "CSV UTF-8", not "CSV")`, { cause: err });
  }
}
