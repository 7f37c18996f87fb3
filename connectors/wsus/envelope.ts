/**
 * The WSUS snapshot envelope (envelope.schema.json): what the collector uploads and what the SUSDB reader builds.
 * Checked here against the schema, so a malformed upload is refused with the path of its first problems before
 * anything reads it.
 */
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import schema from './envelope.schema.json';
import { UploadRejectedError } from '../sdk/errors';
import { forEachSliced, timeSlicer, TimeSlicer } from '../sdk/time-slices';
import { caseFolded, InstallationColumns, installationColumnsOf, InstallationRows } from './installation-columns';

export const ENVELOPE_FORMAT = 'patchgraph-wsus-snapshot';
export const ENVELOPE_VERSION = 1;

export type SusdbTime = string | null;

export interface ComputerTargetRow {
  ComputerTargetId: string;
  Name: string;
  IPAddress?: string | null;
  LastSyncResult?: number | null;
  LastSyncTime?: SusdbTime;
  LastReportedStatusTime?: SusdbTime;
  ClientVersion?: string | null;
  OSArchitecture?: string | null;
  Make?: string | null;
  Model?: string | null;
  BiosName?: string | null;
  BiosVersion?: string | null;
  OSMajorVersion?: number | null;
  OSMinorVersion?: number | null;
  OSBuildNumber?: number | null;
  OSServicePackMajorNumber?: number | null;
  OSDefaultUILanguage?: string | null;
}

export interface TargetGroupRow {
  ComputerTargetGroupId: string;
  ParentTargetGroupId?: string | null;
  Name: string;
}

export interface GroupMembershipRow {
  ComputerTargetId: string;
  ComputerTargetGroupId: string;
  IsExplicitMember?: boolean | number | null;
}

export interface UpdateRow {
  UpdateId: string;
  RevisionNumber?: number | null;
  DefaultTitle: string;
  KnowledgebaseArticle?: string | null;
  SecurityBulletin?: string | null;
  MsrcSeverity?: string | null;
  CreationDate?: SusdbTime;
  ArrivalDate?: SusdbTime;
  IsDeclined?: boolean | number;
  ClassificationTitle?: string | null;
  ProductTitles?: string[] | null;
}

/** [ComputerTargetId, UpdateId, State] from vUpdateInstallationInfoBasic. */
export type InstallationTriple = [string, string, number];

export interface ApprovalRow {
  UpdateApprovalId: string;
  UpdateId: string;
  ComputerTargetGroupId: string;
  Action: string;
  CreationDate?: SusdbTime;
  AdministratorName?: string | null;
}

export interface WsusRows {
  computerTargets: ComputerTargetRow[];
  targetGroups: TargetGroupRow[];
  groupMemberships: GroupMembershipRow[];
  updates: UpdateRow[];
  /**
   * As sent. An upload through the ingest route has an InstallationColumns here instead (see
   * {@link collectInstallations}): read the rows with {@link installationsOf}, which gives either form.
   */
  installations: InstallationTriple[];
  approvals: ApprovalRow[];
}

export interface WsusEnvelope {
  format: typeof ENVELOPE_FORMAT;
  version: number;
  server: { id: string; name: string; version?: string | null };
  generatedAt: string;
  collector?: Record<string, unknown>;
  rows: WsusRows;
}

/** Why an upload is not a snapshot patchgraph can read; `code` is what the ingest route answers. */
export class EnvelopeError extends UploadRejectedError {
  declare readonly code: 'UNKNOWN_ENVELOPE_VERSION' | 'SCHEMA_VIOLATION';
  constructor(code: 'UNKNOWN_ENVELOPE_VERSION' | 'SCHEMA_VIOLATION', message: string) {
    super(code, message);
  }
}

const ajv = new Ajv({ allErrors: false, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

/** The row sets, in the order checkReferences reads them. */
const ROW_SETS = ['computerTargets', 'targetGroups', 'groupMemberships', 'updates', 'installations', 'approvals'] as const;
type RowSet = (typeof ROW_SETS)[number];

/** One row of each set against the schema's own subschema for it (the same compiled rules, only smaller bites). */
const validateRow = Object.fromEntries(
  ROW_SETS.map((name) => [name, ajv.getSchema(`${schema.$id}#/properties/rows/properties/${name}/items`)!]),
) as Record<RowSet, ValidateFunction>;

/**
 * The columns the ingest route's parser filled (wsusIngest.collectArrays). Module-private and weak, like `checked`:
 * columns the check trusts are only ones made here, whose rows were each checked against the row rules as they came.
 */
const collectedHere = new WeakSet<InstallationColumns>();

/** Where an upload's `$.rows.installations` rows go as they are parsed: columns, each row checked against the schema's row rules. */
export function collectInstallations(): InstallationColumns {
  const columns = new InstallationColumns((row) => validateRow.installations(row));
  collectedHere.add(columns);
  return columns;
}

const collectedColumns = (value: unknown): value is InstallationColumns => value instanceof InstallationColumns && collectedHere.has(value);

/** A checked envelope's installation rows, in whichever form it holds them. */
export function installationsOf(rows: WsusRows): InstallationRows {
  return rows.installations as InstallationRows;
}

export interface CheckOptions {
  /** When to give the event loop a turn; by default every SLICE_BUDGET_MS of work. */
  slicer?: TimeSlicer;
}

/**
 * The envelopes checkEnvelope passed and returned. Module-private and weak: nothing outside can add to it, so being in
 * it proves the check was made, and it keeps no envelope alive.
 */
const checked = new WeakSet<object>();

/**
 * Checks an already-parsed upload; resolves to it typed, or rejects with EnvelopeError naming where it is wrong.
 * A full snapshot has some 365,000 rows: they are checked in slices with turns of the event loop between them, and
 * the refusal is the one a single pass of the schema gives (same message, same path, same first problem).
 *
 * The very object a check returned passes again at once: the ingest endpoint checks an upload and the connector
 * checks its payload again (the engine never trusts its caller), and at 2,000 × 300 the second check cost as much
 * as the first. Any other value, however like a checked one, is checked in full. A checked envelope is not to be
 * changed: nothing between the endpoint and the run does.
 */
export async function checkEnvelope(value: unknown, options: CheckOptions = {}): Promise<WsusEnvelope> {
  if (typeof value === 'object' && value !== null && checked.has(value)) return value as WsusEnvelope;
  const slicer = options.slicer ?? timeSlicer();
  const head = value as { format?: unknown; version?: unknown } | null;
  if (head && typeof head === 'object' && head.format === ENVELOPE_FORMAT && head.version !== ENVELOPE_VERSION) {
    throw new EnvelopeError('UNKNOWN_ENVELOPE_VERSION', `envelope version ${JSON.stringify(head.version)} is not one this server reads (it reads version ${ENVELOPE_VERSION})`);
  }
  await checkSchema(value, slicer);
  const envelope = value as unknown as WsusEnvelope;
  await checkReferences(envelope.rows, slicer);
  checked.add(envelope);
  return envelope;
}

function schemaViolation(errors: ErrorObject[] | null | undefined): EnvelopeError {
  const first = errors?.[0];
  const where = first?.instancePath ? first.instancePath : '(the envelope)';
  return new EnvelopeError('SCHEMA_VIOLATION', `${where} ${first?.message ?? 'is invalid'}${first?.params && 'allowedValue' in first.params ? ` (${JSON.stringify(first.params.allowedValue)})` : ''}`);
}

/**
 * The schema is the envelope's shape (every row set empty) and each row against its set's item rules: valid both
 * ways, it is valid whole. When something fails, the whole schema is run once more on the envelope with each row set
 * cut to its first bad row (and the others emptied), so Ajv itself picks which problem comes first, exactly as a
 * single pass over the whole upload would; only that row's index is put back into the path.
 */
async function checkSchema(value: unknown, slicer: TimeSlicer): Promise<void> {
  const rows = (value as { rows?: unknown } | null)?.rows;
  if (!value || typeof value !== 'object' || Array.isArray(value) || !rows || typeof rows !== 'object' || Array.isArray(rows)) {
    if (!validate(value)) throw schemaViolation(validate.errors);
    return;
  }
  const sets = rows as Record<string, unknown>;
  const firstBad = new Map<RowSet, { index: number; row: unknown }>();
  const cut: Record<string, unknown> = { ...sets };
  for (const name of ROW_SETS) {
    const list = sets[name];
    if (collectedColumns(list)) {
      // Its rows were checked by the same rule as they were parsed, and the first bad one kept.
      if (list.firstBad) firstBad.set(name, list.firstBad);
      cut[name] = list.firstBad ? [list.firstBad.row] : [];
      continue;
    }
    if (!Array.isArray(list)) continue;
    const check = validateRow[name];
    for (let i = 0; i < list.length; i++) {
      if (!check(list[i])) {
        firstBad.set(name, { index: i, row: list[i] });
        break;
      }
      if (slicer.due()) await slicer.turn();
    }
    cut[name] = firstBad.has(name) ? [firstBad.get(name)!.row] : [];
  }
  if (validate({ ...value, rows: cut })) {
    if (firstBad.size === 0) return;
    // Unreachable while the row rules are the schema's own; refused rather than trusted if they ever drift apart.
    throw new EnvelopeError('SCHEMA_VIOLATION', '(the envelope) is invalid');
  }
  const errors = validate.errors?.map((e) => {
    const m = /^\/rows\/(\w+)\/0(?=\/|$)/.exec(e.instancePath);
    const bad = m ? firstBad.get(m[1] as RowSet)?.index : undefined;
    return bad === undefined ? e : { ...e, instancePath: `/rows/${m![1]}/${bad}${e.instancePath.slice(m![0].length)}` };
  });
  throw schemaViolation(errors);
}

/**
 * What the schema cannot say: every row naming a computer or update names one the snapshot lists, once. A loose
 * reference would otherwise be dropped quietly (an approval) or decided by row order (two states for one pair),
 * and the graph would disagree with the WSUS console without anyone being told.
 */
async function checkReferences(rows: WsusRows, slicer: TimeSlicer): Promise<void> {
  const refuse = (message: string): never => {
    throw new EnvelopeError('SCHEMA_VIOLATION', message);
  };
  const computers = new Set<string>();
  await forEachSliced(rows.computerTargets, slicer, (c, i) => {
    const id = c.ComputerTargetId.toLowerCase();
    if (computers.has(id)) refuse(`/rows/computerTargets/${i}/ComputerTargetId ${c.ComputerTargetId} is listed twice`);
    computers.add(id);
  });
  const updates = new Set<string>();
  await forEachSliced(rows.updates, slicer, (u, i) => {
    const id = u.UpdateId.toLowerCase();
    if (updates.has(id)) refuse(`/rows/updates/${i}/UpdateId ${u.UpdateId} is listed twice`);
    updates.add(id);
  });
  await forEachSliced(rows.groupMemberships, slicer, (m, i) => {
    if (!computers.has(m.ComputerTargetId.toLowerCase())) refuse(`/rows/groupMemberships/${i}/ComputerTargetId names computer ${m.ComputerTargetId}, which is not in computerTargets`);
  });
  await checkInstallations(await installationColumnsOf(installationsOf(rows), slicer), computers, updates, slicer, refuse);
  await forEachSliced(rows.approvals, slicer, (a, i) => {
    if (!updates.has(a.UpdateId.toLowerCase())) refuse(`/rows/approvals/${i}/UpdateId names update ${a.UpdateId}, which is not in updates`);
  });
}

/**
 * Every installation row names a listed computer and update, and no two rows give one computer two states of one
 * update; the refusal is the one a single pass in row order gives: the first row that names an unlisted id (its
 * computer before its update), or gives a pair another state than an earlier row, whichever comes first.
 *
 * Read as numbers: each distinct id is lowercased and looked up once, and the pairs are compared computer by computer
 * (the rows put in computer order by a counting sort that keeps each computer's rows in their order) against one
 * array over the updates, so 365,000 rows cost no string, map entry or object each.
 */
async function checkInstallations(columns: InstallationColumns, computers: ReadonlySet<string>, updates: ReadonlySet<string>, slicer: TimeSlicer, refuse: (message: string) => never): Promise<void> {
  const rowCount = columns.length;
  const computerOf = columns.computerPlaces;
  const updateOf = columns.updatePlaces;
  const stateOf = columns.stateCodes;
  const computerNames = caseFolded(columns.computerIds);
  const updateNames = caseFolded(columns.updateIds);
  const computerListed = computerNames.names.map((name) => computers.has(name));
  const updateListed = updateNames.names.map((name) => updates.has(name));

  let firstUnlisted = rowCount;
  for (let i = 0; i < rowCount; i++) {
    if (!computerListed[computerNames.fold[computerOf[i]]] || !updateListed[updateNames.fold[updateOf[i]]]) {
      firstUnlisted = i;
      break;
    }
    if (slicer.due()) await slicer.turn();
  }

  // The rows of each computer together, each computer's in row order.
  const computerCount = computerNames.names.length;
  const start = new Int32Array(computerCount + 1);
  for (let i = 0; i < firstUnlisted; i++) start[computerNames.fold[computerOf[i]] + 1]++;
  for (let c = 0; c < computerCount; c++) start[c + 1] += start[c];
  const next = start.slice(0, computerCount);
  const byComputer = new Int32Array(firstUnlisted);
  for (let i = 0; i < firstUnlisted; i++) byComputer[next[computerNames.fold[computerOf[i]]]++] = i;
  if (slicer.due(firstUnlisted)) await slicer.turn();

  // The first row of each computer that contradicts one before it; the earliest of them is the refusal.
  let contradiction = rowCount;
  let earlierState = 0;
  const seenFor = new Int32Array(updateNames.names.length).fill(-1);
  const stateSeen = new Uint8Array(updateNames.names.length);
  for (let c = 0; c < computerCount; c++) {
    for (let k = start[c]; k < start[c + 1]; k++) {
      const row = byComputer[k];
      const update = updateNames.fold[updateOf[row]];
      if (seenFor[update] !== c) {
        seenFor[update] = c;
        stateSeen[update] = stateOf[row];
      } else if (stateSeen[update] !== stateOf[row]) {
        if (row < contradiction) {
          contradiction = row;
          earlierState = stateSeen[update];
        }
        break;
      }
    }
    if (slicer.due(start[c + 1] - start[c])) await slicer.turn();
  }

  // Every row sorted is before the first unlisted one, so a contradiction found comes first.
  const i = Math.min(firstUnlisted, contradiction);
  if (i === rowCount) return;
  const computerId = columns.computerId(i);
  const updateId = columns.updateId(i);
  if (contradiction < firstUnlisted) refuse(`/rows/installations/${i} gives computer ${computerId} state ${columns.state(i)} for update ${updateId}, which an earlier row gives state ${earlierState}`);
  if (!computerListed[computerNames.fold[computerOf[i]]]) refuse(`/rows/installations/${i} names computer ${computerId}, which is not in computerTargets`);
  refuse(`/rows/installations/${i} names update ${updateId}, which is not in updates`);
}
