/**
 * The WSUS snapshot envelope (envelope.schema.json): what the collector uploads and what the SUSDB reader builds.
 * Checked here against the schema, so a malformed upload is refused with the path of its first problems before
 * anything reads it.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import schema from './envelope.schema.json';
import { ConnectorError } from '../sdk/errors';

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

/** Why an upload is not a snapshot patchgraph can read; `code` is what the ingest endpoint answers. */
export class EnvelopeError extends ConnectorError {
  // A malformed snapshot fails its sync run like a malformed vendor page.
  readonly kind = 'malformed_response' as const;
  constructor(
    readonly code: 'UNKNOWN_ENVELOPE_VERSION' | 'SCHEMA_VIOLATION',
    message: string,
  ) {
    super(message);
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
  return value as unknown as WsusEnvelope;
}
