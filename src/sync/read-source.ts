/**
 * Reads a whole run from a connector before anything is written: devices, then updates, then patch states, the
 * order the contract promises. Records are checked here so that a bad one fails the run before the transaction
 * opens; nothing a connector yields reaches the database unchecked.
 */
import {
  ApprovalRecord,
  CLASSIFICATION_VALUES,
  Connector,
  DeviceRecord,
  EVIDENCE_VALUES,
  OWNERSHIP_VALUES,
  PATCH_POSTURE_VALUES,
  PATCH_STATE_VALUES,
  PatchStateRecord,
  RunMode,
  SEVERITY_VALUES,
  StreamRequest,
  UpdateRecord,
} from '../../connectors/sdk/contract';
import { ConnectorError } from '../../connectors/sdk/errors';
import { deviceStateListOf, DeviceStateList } from '../../connectors/sdk/device-states';
import { recordsOf, type Streamed } from '../../connectors/sdk/record-batch';
import { yieldToEventLoop } from '../db/sqlite-transaction-gate';
import { RunStates } from './run-states';

export type StreamName = 'devices' | 'updates' | 'patchStates' | 'approvals';
export type Cursors = Partial<Record<StreamName, string>>;

/** A record the engine cannot accept; fails the run like a malformed vendor page. */
export class SyncDataError extends ConnectorError {
  readonly kind = 'malformed_response' as const;
}

export interface SourceRead {
  devices: DeviceRecord[];
  updates: UpdateRecord[];
  /** Held as columns (run-states.ts): a large account's states as objects would not fit in memory. */
  patchStates: RunStates;
  /** Update approvals (WSUS), for tools that report them. */
  approvals: ApprovalRecord[];
  /** True when the run read the source in full: only then may missing devices be marked stale. */
  fullDeviceRead: boolean;
  /** Cursors reported in this run; streams that reported none keep none. */
  cursors: Cursors;
}

export interface ReadProgress {
  stream: StreamName;
  records: number;
}

const isDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/** Absent, or a valid date. */
const isOptionalDate = (value: unknown): boolean => value === undefined || value === null || isDate(value);
const notADate = (what: string) => new SyncDataError(`${what} is not a valid date`);

/** `what` names the field in the refusal. */
function checkOptionalDate(value: unknown, what: string): void {
  if (!isOptionalDate(value)) throw notADate(what);
}

function checkDevice(d: DeviceRecord): void {
  if (typeof d?.externalId !== 'string' || d.externalId.trim() === '') throw new SyncDataError('a device has no externalId');
  if (d.externalId.length > 255) throw new SyncDataError(`device ${d.externalId.slice(0, 40)}…: externalId is longer than 255 characters`);
  checkOptionalDate(d.lastCheckInAt, `device ${d.externalId}: lastCheckInAt`);
  checkOptionalDate(d.enrolledAt, `device ${d.externalId}: enrolledAt`);
  if (d.macAddresses !== undefined && !Array.isArray(d.macAddresses)) throw new SyncDataError(`device ${d.externalId}: macAddresses is not a list`);
  if (d.ownership != null && !OWNERSHIP_VALUES.includes(d.ownership)) throw new SyncDataError(`device ${d.externalId}: unknown ownership "${d.ownership}"`);
  if (d.inactive !== undefined && typeof d.inactive !== 'boolean') throw new SyncDataError(`device ${d.externalId}: inactive is not true or false`);
  if (d.deleted !== undefined && typeof d.deleted !== 'boolean') throw new SyncDataError(`device ${d.externalId}: deleted is not true or false`);
  if (d.attributes !== undefined) checkAttributes(d.externalId, d.attributes);
  if (d.patchPosture != null) checkPosture(d.externalId, d.patchPosture);
}

function checkPosture(externalId: string, p: NonNullable<DeviceRecord['patchPosture']>): void {
  if (!PATCH_POSTURE_VALUES.includes(p.status)) throw new SyncDataError(`device ${externalId}: unknown patch posture "${p.status}"`);
  for (const count of ['approvedPending', 'notApproved', 'installed'] as const) {
    const n = p[count];
    if (n != null && !(Number.isInteger(n) && n >= 0 && n <= 1_000_000)) throw new SyncDataError(`device ${externalId}: patch posture ${count} must be a whole number, 0 or more`);
  }
}

const MAX_ATTRIBUTES = 32;

function checkAttributes(externalId: string, attributes: unknown): void {
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) throw new SyncDataError(`device ${externalId}: attributes is not an object`);
  const entries = Object.entries(attributes);
  if (entries.length > MAX_ATTRIBUTES) throw new SyncDataError(`device ${externalId}: more than ${MAX_ATTRIBUTES} attributes`);
  for (const [key, value] of entries) {
    const flat = value === null || ['string', 'number', 'boolean'].includes(typeof value);
    if (!flat || key.length > 64 || (typeof value === 'string' && value.length > 255)) {
      throw new SyncDataError(`device ${externalId}: attribute "${key.slice(0, 64)}" must be a short name with a flat value of at most 255 characters`);
    }
  }
}

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;

function checkFixes(u: UpdateRecord): void {
  if (u.fixes === undefined) return;
  if (!Array.isArray(u.fixes)) throw new SyncDataError(`update ${u.key}: fixes is not a list`);
  for (const f of u.fixes) {
    const what = `update ${u.key}: fix ${String(f?.cveId).slice(0, 40)}`;
    if (typeof f?.cveId !== 'string' || !CVE_ID.test(f.cveId)) throw new SyncDataError(`${what}: cveId is not a CVE id like CVE-2024-38063`);
    if (f.severity !== undefined && !SEVERITY_VALUES.includes(f.severity)) throw new SyncDataError(`${what}: unknown severity "${f.severity}"`);
    if (f.cvssBaseScore != null && !(typeof f.cvssBaseScore === 'number' && f.cvssBaseScore >= 0 && f.cvssBaseScore <= 10)) {
      throw new SyncDataError(`${what}: cvssBaseScore must be a number from 0 to 10`);
    }
    checkOptionalDate(f.publishedAt, `${what}: publishedAt`);
  }
}

function checkUpdate(u: UpdateRecord): void {
  if (typeof u?.key !== 'string' || u.key.trim() === '') throw new SyncDataError('an update has no key');
  if (!u.title || !u.vendor) throw new SyncDataError(`update ${u.key}: title and vendor are required`);
  // Optional: many RMMs give no release date, and the catalog dates the entry by first sight instead of a guess.
  checkOptionalDate(u.releasedAt, `update ${u.key}: releasedAt`);
  if (u.severity !== undefined && !SEVERITY_VALUES.includes(u.severity)) throw new SyncDataError(`update ${u.key}: unknown severity "${u.severity}"`);
  if (u.classification !== undefined && !CLASSIFICATION_VALUES.includes(u.classification)) {
    throw new SyncDataError(`update ${u.key}: unknown classification "${u.classification}"`);
  }
  checkFixes(u);
}

function checkApproval(a: ApprovalRecord): void {
  if (typeof a?.externalId !== 'string' || !a.externalId || a.externalId.length > 255) throw new SyncDataError('an approval has no usable externalId');
  if (!a.updateKey || !a.group || !a.action) throw new SyncDataError(`approval ${a.externalId}: updateKey, group and action are required`);
  checkOptionalDate(a.approvedAt, `approval ${a.externalId}: approvedAt`);
}

function checkState(s: PatchStateRecord): void {
  // Named only when refused, and nothing made for a state that passes (not even a closure): a run checks every state
  // of the fleet, a quarter of a million in a WSUS snapshot.
  if (!s?.deviceExternalId || !s.updateKey) throw new SyncDataError(`${stateName(s)}: deviceExternalId and updateKey are required`);
  if (!PATCH_STATE_VALUES.includes(s.state)) throw new SyncDataError(`${stateName(s)}: unknown state "${s.state}"`);
  if (!EVIDENCE_VALUES.includes(s.evidence)) throw new SyncDataError(`${stateName(s)}: unknown evidence "${s.evidence}"`);
  if (!isOptionalDate(s.reportedAt)) throw notADate(`${stateName(s)}: reportedAt`);
  if (!isOptionalDate(s.installedAt)) throw notADate(`${stateName(s)}: installedAt`);
}

const stateName = (s: PatchStateRecord | undefined): string => `patch state ${s?.deviceExternalId}/${s?.updateKey}`;

/** Records checked between two turns of the event loop. */
const DRAIN_TURN = 5_000;
/** Records read between two progress reports. */
const PROGRESS_EVERY = 500;

/** Remembers the keys a stream yielded; `add` is false for one already seen. */
interface SeenKeys<T> {
  add(record: T): boolean;
  describe(record: T): string;
}

function seenBy<T>(keyOf: (record: T) => string): SeenKeys<T> {
  const keys = new Set<string>();
  return {
    add(record) {
      const key = keyOf(record);
      if (keys.has(key)) return false;
      keys.add(key);
      return true;
    },
    describe: keyOf,
  };
}

/**
 * Checks each record of a stream and hands it to `keep`: an array's push, or the columns of the run's states. A
 * batch's records are taken one by one, exactly as if yielded alone. `whole`, where given, may take an item at once
 * instead (a device's state lists) and say how many records it held; undefined leaves the item to be opened.
 */
async function drain<T>(stream: StreamName, iterable: AsyncIterable<Streamed<T>>, check: (record: T) => void, keep: (record: T) => void, seen: SeenKeys<T> | null, onProgress?: (p: ReadProgress) => void, whole?: (item: Streamed<T>) => number | undefined): Promise<void> {
  let read = 0;
  let progressAt = PROGRESS_EVERY;
  let turnAt = DRAIN_TURN;
  // After each item or record: progress every PROGRESS_EVERY records, a turn of the event loop every DRAIN_TURN.
  const counted = async (n: number) => {
    read += n;
    if (read >= progressAt) {
      progressAt = (Math.floor(read / PROGRESS_EVERY) + 1) * PROGRESS_EVERY;
      onProgress?.({ stream, records: read });
    }
    // A source that yields from memory (an uploaded snapshot) never leaves the microtask queue on its own.
    if (read >= turnAt) {
      turnAt = (Math.floor(read / DRAIN_TURN) + 1) * DRAIN_TURN;
      await yieldToEventLoop();
    }
  };
  for await (const item of iterable) {
    const taken = whole?.(item);
    if (taken !== undefined) {
      await counted(taken);
      continue;
    }
    for (const record of recordsOf(item)) {
      check(record);
      // A duplicate means the source's paging moved under us or the source is inconsistent; either way the run
      // cannot say which copy is true.
      if (seen && !seen.add(record)) throw new SyncDataError(`${stream}: ${seen.describe(record)} was yielded twice in one run`);
      keep(record);
      if (++read >= progressAt || read >= turnAt) await counted(0);
    }
  }
  onProgress?.({ stream, records: read });
}

async function drainList<T>(stream: StreamName, iterable: AsyncIterable<Streamed<T>>, check: (record: T) => void, seen: SeenKeys<T>, onProgress?: (p: ReadProgress) => void): Promise<T[]> {
  const out: T[] = [];
  await drain(stream, iterable, check, (r) => out.push(r), seen, onProgress);
  return out;
}

/**
 * The states go into columns. A duplicate (device, update) pair is looked for once the stream has ended, still before
 * anything is written: checked as each state arrived, it needed a set of every pair, as large as the run.
 */
async function drainStates(iterable: AsyncIterable<Streamed<PatchStateRecord>>, onProgress?: (p: ReadProgress) => void): Promise<RunStates> {
  const collector = RunStates.collector();
  // A device's lists (deviceStates) go into the columns whole when every value passes as its record would; any
  // doubt, and they are opened into records, checked and refused exactly as those.
  const whole = (item: Streamed<PatchStateRecord>): number | undefined => {
    const list = deviceStateListOf(item);
    if (!list || !listPasses(list)) return undefined;
    collector.addList(list);
    return list.updateKeys.length;
  };
  await drain('patchStates', iterable, checkState, collector.add, null, onProgress, whole);
  const states = collector.done();
  const twice = states.firstDuplicate();
  if (twice) throw new SyncDataError(`patchStates: ${twice.deviceExternalId} × ${twice.updateKey} was yielded twice in one run`);
  return states;
}

/** Every state of the list passes checkState as a record (its times are none), by the values' own types. */
function listPasses(list: DeviceStateList): boolean {
  const { deviceExternalId, updateKeys, states } = list;
  if (typeof deviceExternalId !== 'string' || deviceExternalId === '' || !EVIDENCE_VALUES.includes(list.evidence)) return false;
  if (!Array.isArray(updateKeys) || !Array.isArray(states) || updateKeys.length !== states.length) return false;
  for (let i = 0; i < updateKeys.length; i++) {
    const key = updateKeys[i];
    if (typeof key !== 'string' || key === '' || !PATCH_STATE_VALUES.includes(states[i])) return false;
  }
  return true;
}

export async function readSource(
  connector: Connector,
  previous: Cursors,
  options: {
    /** Chosen by the engine (chooseRunMode); full by default. */
    mode?: RunMode;
    signal?: AbortSignal;
    onProgress?: (p: ReadProgress) => void;
    known?: StreamRequest['known'];
    siteImported?: StreamRequest['siteImported'];
  } = {},
): Promise<SourceRead> {
  const mode = options.mode ?? 'full';
  const cursors: Cursors = {};
  const request = (stream: StreamName): StreamRequest => ({
    mode,
    cursor: previous[stream] ?? null,
    known: options.known,
    siteImported: options.siteImported,
    setCursor: (cursor: string) => {
      if (typeof cursor !== 'string' || cursor.length > 2000) throw new SyncDataError(`${stream}: cursor must be a string of at most 2000 characters`);
      cursors[stream] = cursor;
    },
    signal: options.signal,
  });
  const devices = await drainList('devices', connector.devices(request('devices')), checkDevice, seenBy((d) => d.externalId), options.onProgress);
  const updates = await drainList('updates', connector.updates(request('updates')), checkUpdate, seenBy((u) => u.key), options.onProgress);
  const patchStates = await drainStates(connector.patchStates(request('patchStates')), options.onProgress);
  const approvals = connector.approvals
    ? await drainList('approvals', connector.approvals(request('approvals')), checkApproval, seenBy((a) => a.externalId), options.onProgress)
    : [];
  return { devices, updates, patchStates, approvals, fullDeviceRead: mode === 'full', cursors };
}
