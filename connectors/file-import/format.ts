/**
 * The inventory record format, shared by CSV files, the JSON file and the HTTP feed: which columns each stream
 * has, and how one row (a CSV line, a JSON object) becomes a record. Every problem is a MalformedResponseError
 * naming where it is and which column, because the person fixing it has the file open in a spreadsheet.
 */
import {
  CLASSIFICATION_ALIASES,
  CLASSIFICATION_VALUES,
  ClassificationValue,
  DeviceRecord,
  DeviceSite,
  Evidence,
  EVIDENCE_VALUES,
  PATCH_STATE_VALUES,
  PatchStateRecord,
  PatchStateValue,
  SEVERITY_VALUES,
  SeverityValue,
  UpdateRecord,
} from '../sdk/contract';
import { MalformedResponseError } from '../sdk/errors';
import { parseIsoDate } from './iso-date';

export type StreamName = 'devices' | 'updates' | 'patchStates';
export const STREAMS: readonly StreamName[] = ['devices', 'updates', 'patchStates'];

export interface StreamRecords {
  devices: DeviceRecord;
  updates: UpdateRecord;
  patchStates: PatchStateRecord;
}

/** A parsed row: the record, plus the source's own change time, which drives incremental reads. */
export interface Row<R> {
  record: R;
  modifiedAt: Date | null;
}

export interface Column {
  name: string;
  required: boolean;
}

const col = (name: string, required = false): Column => ({ name, required });

export const COLUMNS: Record<StreamName, readonly Column[]> = {
  devices: [
    col('externalId', true), col('hostname'), col('fqdn'), col('serialNumber'), col('azureAdDeviceId'), col('smbiosUuid'),
    col('macAddresses'), col('osName'), col('osVersion'), col('osBuild'), col('lastCheckInAt'), col('tenantKey'), col('tenantName'), col('siteId'), col('siteName'),
    col('vendorSite'), col('vendorSiteId'), col('manufacturer'), col('model'),
    col('modifiedAt'),
  ],
  updates: [
    col('key', true), col('kb'), col('title', true), col('vendor', true), col('products'), col('classification'), col('severity'),
    col('releasedAt'), col('supersedes'), col('modifiedAt'),
  ],
  patchStates: [
    col('deviceExternalId', true), col('updateKey', true), col('state', true), col('evidence'), col('reportedAt'), col('installedAt'),
    col('modifiedAt'),
  ],
};

/**
 * Where a row is, as its reader will look for it: "devices.csv row 14" with its "column"s, or
 * "inventory.json devices[13]" with its "field"s.
 */
export interface RowLocation {
  where: string;
  noun: 'column' | 'field';
}

export function rowError(at: RowLocation, column: string | null, problem: string): MalformedResponseError {
  return new MalformedResponseError(column === null ? `${at.where}: ${problem}` : `${at.where}, ${at.noun} ${column}: ${problem}`);
}

/** A value quoted for a message; long values are cut so one bad cell cannot flood a log line. */
export function shown(value: unknown): string {
  const cut = (text: string) => (text.length > 80 ? `${text.slice(0, 79)}…` : text);
  return typeof value === 'string' ? JSON.stringify(cut(value)) : cut(JSON.stringify(value) ?? String(value));
}

/**
 * A name that is not a column of the stream: refused, because a misspelt header ("hostame") would otherwise
 * leave a whole column of data unread without anyone noticing.
 */
export function unknownColumnProblem(stream: StreamName, name: string, noun: RowLocation['noun']): string {
  const known = COLUMNS[stream].map((c) => c.name);
  const near = known.find((k) => k.toLowerCase() === name.trim().toLowerCase());
  const hint = near ? ` (did you mean "${near}"?)` : '';
  return `unknown ${noun}${hint}; the ${noun}s are ${known.join(', ')}`;
}

const ENUM_SEPARATORS = /[\s-]+/g;

/** Reads one raw row (CSV strings or JSON values) field by field, throwing at the first problem. */
class RowReader {
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly at: RowLocation,
  ) {}

  fail(column: string, problem: string): never {
    throw rowError(this.at, column, problem);
  }

  /** Trimmed text; empty and null are "no value". */
  text(column: string): string | null {
    const value = this.raw[column];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') this.fail(column, `must be text, not ${describeType(value)} ${shown(value)}`);
    const trimmed = value.trim();
    return trimmed === '' ? null : trimmed;
  }

  required(column: string): string {
    return this.text(column) ?? this.fail(column, 'a value is required');
  }

  date(column: string): Date | null {
    const text = this.text(column);
    if (text === null) return null;
    const parsed = parseIsoDate(text);
    return parsed instanceof Date ? parsed : this.fail(column, `${shown(text)} ${parsed}`);
  }

  requiredDate(column: string): Date {
    return this.date(column) ?? this.fail(column, 'a value is required');
  }

  /** A JSON array of strings, or one string split at `separator` (CSV has no arrays). */
  list(column: string, separator: RegExp): string[] {
    const value = this.raw[column];
    if (Array.isArray(value)) {
      return value.map((item) => {
        if (typeof item !== 'string') this.fail(column, `list items must be text, not ${describeType(item)} ${shown(item)}`);
        return item.trim();
      }).filter((item) => item !== '');
    }
    const text = this.text(column);
    return text === null ? [] : text.split(separator).map((item) => item.trim()).filter((item) => item !== '');
  }

  /** Case-insensitive; spaces and hyphens count as underscores, so "pending reboot" is PENDING_REBOOT. */
  enumValue<T extends string>(column: string, values: readonly T[], aliases: Record<string, T> = {}): T | undefined {
    const text = this.text(column);
    if (text === null) return undefined;
    const key = text.toUpperCase().replace(ENUM_SEPARATORS, '_');
    const found = values.find((v) => v === key) ?? aliases[key];
    return found ?? this.fail(column, `${shown(text)} is not one of ${values.join(', ')}`);
  }
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const MAC = /^[0-9a-f]{12}$/i;
const KB = /^(?:KB)?(\d{4,8})$/i;
/** "microsoft:KB5041585": a vendor prefix, a colon, then the vendor's own id. */
const UPDATE_KEY = /^[a-z0-9][a-z0-9._-]*:\S+$/i;

function macAddresses(r: RowReader, column: string): string[] {
  const macs = r.list(column, /[;\s]+/);
  for (const mac of macs) {
    if (!MAC.test(mac.replace(/[:.-]/g, ''))) r.fail(column, `${shown(mac)} is not a MAC address such as 00:1A:2B:3C:4D:5E`);
  }
  return macs;
}

/** "5041585", "kb5041585" and "KB5041585" are one article; it is stored as "KB5041585". */
function kbNumber(r: RowReader, column: string, text: string): string {
  const m = KB.exec(text);
  return m ? `KB${m[1]}` : r.fail(column, `${shown(text)} is not a KB number such as KB5041585`);
}

function updateKey(r: RowReader, column: string): string {
  const key = r.required(column);
  return UPDATE_KEY.test(key) ? key : r.fail(column, `${shown(key)} is not a vendor-prefixed key such as microsoft:KB5041585`);
}


function readDevice(r: RowReader): DeviceRecord {
  return {
    externalId: r.required('externalId'),
    hostname: r.text('hostname'),
    fqdn: r.text('fqdn'),
    serialNumber: r.text('serialNumber'),
    azureAdDeviceId: r.text('azureAdDeviceId'),
    smbiosUuid: r.text('smbiosUuid'),
    macAddresses: macAddresses(r, 'macAddresses'),
    osName: r.text('osName'),
    osVersion: r.text('osVersion'),
    osBuild: r.text('osBuild'),
    lastCheckInAt: r.date('lastCheckInAt'),
    tenantKey: r.text('tenantKey'),
    tenantName: r.text('tenantName'),
    // Left out when the row names no site: a site given (even as null) overrides the deprecated vendorSite columns.
    ...siteOf(r),
    vendorSite: r.text('vendorSite'),
    vendorSiteId: r.text('vendorSiteId'),
    manufacturer: r.text('manufacturer'),
    model: r.text('model'),
  };
}

function siteOf(r: RowReader): { site?: DeviceSite } {
  const id = r.text('siteId');
  const name = r.text('siteName');
  return id === null && name === null ? {} : { site: { id, name } };
}

function readUpdate(r: RowReader): UpdateRecord {
  const kb = r.text('kb');
  const record: UpdateRecord = {
    key: updateKey(r, 'key'),
    kb: kb === null ? null : kbNumber(r, 'kb', kb),
    title: r.required('title'),
    vendor: r.required('vendor'),
    products: r.list('products', /;/),
    releasedAt: r.date('releasedAt'),
    supersedes: r.list('supersedes', /[;\s]+/).map((s) => kbNumber(r, 'supersedes', s)),
  };
  const classification = r.enumValue<ClassificationValue>('classification', CLASSIFICATION_VALUES, CLASSIFICATION_ALIASES);
  const severity = r.enumValue<SeverityValue>('severity', SEVERITY_VALUES);
  // The contract's enums are optional, not nullable: an absent value is left out rather than set to undefined.
  if (classification) record.classification = classification;
  if (severity) record.severity = severity;
  return record;
}

function readPatchState(r: RowReader): PatchStateRecord {
  return {
    deviceExternalId: r.required('deviceExternalId'),
    updateKey: updateKey(r, 'updateKey'),
    state: r.enumValue<PatchStateValue>('state', PATCH_STATE_VALUES) ?? r.fail('state', 'a value is required'),
    evidence: r.enumValue<Evidence>('evidence', EVIDENCE_VALUES) ?? 'REPORTED',
    reportedAt: r.date('reportedAt'),
    installedAt: r.date('installedAt'),
  };
}

const READERS: { [S in StreamName]: (r: RowReader) => StreamRecords[S] } = {
  devices: readDevice,
  updates: readUpdate,
  patchStates: readPatchState,
};

/**
 * Parses one row of `stream`. Keys that are not columns are refused here too (a JSON item's misspelt field is the
 * same mistake as a CSV file's misspelt header).
 */
export function parseRow<S extends StreamName>(stream: S, raw: unknown, at: RowLocation): Row<StreamRecords[S]> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw rowError(at, null, `must be an object, not ${describeType(raw)}`);
  const names = new Set(COLUMNS[stream].map((c) => c.name));
  for (const key of Object.keys(raw)) {
    if (!names.has(key)) throw rowError(at, `"${key}"`, unknownColumnProblem(stream, key, at.noun));
  }
  const reader = new RowReader(raw as Record<string, unknown>, at);
  const record = READERS[stream](reader);
  return { record, modifiedAt: reader.date('modifiedAt') };
}

/** What makes two rows of a stream the same thing; a file that lists one twice is refused. */
export function identityOf<S extends StreamName>(stream: S, record: StreamRecords[S]): { column: string; value: string } {
  switch (stream) {
    case 'devices':
      return { column: 'externalId', value: (record as DeviceRecord).externalId };
    case 'updates':
      return { column: 'key', value: (record as UpdateRecord).key };
    default: {
      const s = record as PatchStateRecord;
      return { column: 'updateKey', value: `${s.deviceExternalId} / ${s.updateKey}` };
    }
  }
}
