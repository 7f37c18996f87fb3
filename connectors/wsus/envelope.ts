/**
 * The WSUS snapshot envelope (envelope.schema.json): what the collector uploads and what the SUSDB reader builds.
 * Checked here against the schema, so a malformed upload is refused with the path of its first problems before
 * anything reads it.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import schema from './envelope.schema.json';
import { UploadRejectedError } from '../sdk/errors';

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

/** Checks an already-parsed upload; returns it typed, or throws EnvelopeError naming where it is wrong. */
export function checkEnvelope(value: unknown): WsusEnvelope {
  const head = value as { format?: unknown; version?: unknown } | null;
  if (head && typeof head === 'object' && head.format === ENVELOPE_FORMAT && head.version !== ENVELOPE_VERSION) {
    throw new EnvelopeError('UNKNOWN_ENVELOPE_VERSION', `envelope version ${JSON.stringify(head.version)} is not one this server reads (it reads version ${ENVELOPE_VERSION})`);
  }
  if (!validate(value)) {
    const first = validate.errors?.[0];
    const where = first?.instancePath ? first.instancePath : '(the envelope)';
    throw new EnvelopeError('SCHEMA_VIOLATION', `${where} ${first?.message ?? 'is invalid'}${first?.params && 'allowedValue' in first.params ? ` (${JSON.stringify(first.params.allowedValue)})` : ''}`);
  }
  const envelope = value as unknown as WsusEnvelope;
  checkReferences(envelope.rows);
  return envelope;
}

/**
 * What the schema cannot say: every row naming a computer or update names one the snapshot lists, once. A loose
 * reference would otherwise be dropped quietly (an approval) or decided by row order (two states for one pair),
 * and the graph would disagree with the WSUS console without anyone being told.
 */
function checkReferences(rows: WsusRows): void {
  const refuse = (message: string): never => {
    throw new EnvelopeError('SCHEMA_VIOLATION', message);
  };
  const computers = new Set<string>();
  rows.computerTargets.forEach((c, i) => {
    const id = c.ComputerTargetId.toLowerCase();
    if (computers.has(id)) refuse(`/rows/computerTargets/${i}/ComputerTargetId ${c.ComputerTargetId} is listed twice`);
    computers.add(id);
  });
  const updates = new Set<string>();
  rows.updates.forEach((u, i) => {
    const id = u.UpdateId.toLowerCase();
    if (updates.has(id)) refuse(`/rows/updates/${i}/UpdateId ${u.UpdateId} is listed twice`);
    updates.add(id);
  });
  rows.groupMemberships.forEach((m, i) => {
    if (!computers.has(m.ComputerTargetId.toLowerCase())) refuse(`/rows/groupMemberships/${i}/ComputerTargetId names computer ${m.ComputerTargetId}, which is not in computerTargets`);
  });
  const stateOf = new Map<string, number>();
  rows.installations.forEach(([computerId, updateId, state], i) => {
    const computer = computerId.toLowerCase();
    const update = updateId.toLowerCase();
    if (!computers.has(computer)) refuse(`/rows/installations/${i} names computer ${computerId}, which is not in computerTargets`);
    if (!updates.has(update)) refuse(`/rows/installations/${i} names update ${updateId}, which is not in updates`);
    const pair = `${computer} ${update}`;
    const earlier = stateOf.get(pair);
    if (earlier !== undefined && earlier !== state) refuse(`/rows/installations/${i} gives computer ${computerId} state ${state} for update ${updateId}, which an earlier row gives state ${earlier}`);
    stateOf.set(pair, state);
  });
  rows.approvals.forEach((a, i) => {
    if (!updates.has(a.UpdateId.toLowerCase())) refuse(`/rows/approvals/${i}/UpdateId names update ${a.UpdateId}, which is not in updates`);
  });
}
