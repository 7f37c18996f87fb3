/**
 * The snapshot envelope (../envelope.schema.json, version 1) as the collector uploads it: SUSDB's PUBLIC_VIEWS rows
 * under their own column names, times as SUSDB holds them (UTC, no offset), installations as compact triples.
 */
export const SNAPSHOT_FORMAT = 'patchgraph-wsus-snapshot';
export const SNAPSHOT_VERSION = 1;

/** SUSDB time: "2026-11-02T03:14:07.123" (UTC, no offset), null, or "1753-01-01T00:00:00" for never. */
export type SusdbTime = string | null;

/** PUBLIC_VIEWS.vComputerTarget */
export interface WsusComputerTargetRow {
  ComputerTargetId: string;
  Name: string;
  IPAddress: string | null;
  /** 0 unknown, 1 succeeded, 2 failed */
  LastSyncResult: number | null;
  LastSyncTime: SusdbTime;
  LastReportedStatusTime: SusdbTime;
  ClientVersion: string | null;
  OSArchitecture: string | null;
  Make: string | null;
  Model: string | null;
  BiosName: string | null;
  BiosVersion: string | null;
  OSMajorVersion: number | null;
  OSMinorVersion: number | null;
  OSBuildNumber: number | null;
  OSServicePackMajorNumber: number | null;
  OSDefaultUILanguage: string | null;
}

/** PUBLIC_VIEWS.vComputerTargetGroup */
export interface WsusTargetGroupRow {
  ComputerTargetGroupId: string;
  ParentTargetGroupId: string | null;
  Name: string;
}

/** PUBLIC_VIEWS.vComputerGroupMembership */
export interface WsusGroupMembershipRow {
  ComputerTargetId: string;
  ComputerTargetGroupId: string;
  IsExplicitMember: boolean | number | null;
}

/** PUBLIC_VIEWS.vUpdate with its classification's and products' titles. */
export interface WsusUpdateRow {
  UpdateId: string;
  RevisionNumber: number | null;
  DefaultTitle: string;
  /** Digits, with or without "KB"; null for what has none (Edge, drivers). */
  KnowledgebaseArticle: string | null;
  SecurityBulletin: string | null;
  MsrcSeverity: string | null;
  CreationDate: SusdbTime;
  ArrivalDate: SusdbTime;
  IsDeclined: boolean | number;
  ClassificationTitle: string | null;
  ProductTitles: string[] | null;
}

/** PUBLIC_VIEWS.vUpdateInstallationInfoBasic as the view returns a row. */
export interface WsusInstallationRow {
  ComputerTargetId: string;
  UpdateId: string;
  /** 0 unknown, 1 not applicable, 2 not installed, 3 downloaded, 4 installed, 5 failed, 6 installed, pending reboot */
  State: number;
}

/** [ComputerTargetId, UpdateId, State], the envelope's compact form of a vUpdateInstallationInfoBasic row. */
export type WsusInstallationTriple = [string, string, number];

/** PUBLIC_VIEWS.vUpdateApproval */
export interface WsusApprovalRow {
  UpdateApprovalId: string;
  UpdateId: string;
  ComputerTargetGroupId: string;
  /** "Install", "Uninstall", "NotApproved" */
  Action: string;
  CreationDate: SusdbTime;
  AdministratorName: string | null;
}

export interface WsusSnapshotRows {
  computerTargets: WsusComputerTargetRow[];
  targetGroups: WsusTargetGroupRow[];
  groupMemberships: WsusGroupMembershipRow[];
  updates: WsusUpdateRow[];
  installations: WsusInstallationTriple[];
  approvals: WsusApprovalRow[];
}

export interface WsusSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
  server: { id: string; name: string; version: string | null };
  /** When the collector read SUSDB: ISO 8601 with offset. */
  generatedAt: string;
  collector: { name: string; version: string; includesNotApplicable: boolean };
  rows: WsusSnapshotRows;
}
