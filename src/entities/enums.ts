/** Domain enumerations. Stored as short strings so both engines use the same portable column type. */

export enum PatchStateValue {
  MISSING = 'MISSING',
  INSTALLED = 'INSTALLED',
  FAILED = 'FAILED',
  PENDING_REBOOT = 'PENDING_REBOOT',
  NOT_APPLICABLE = 'NOT_APPLICABLE',
  UNKNOWN = 'UNKNOWN',
}

/** States in which the fix is not yet in effect on the device: what "missing" means in filters and counts. */
export const NOT_REMEDIATED_STATES: readonly PatchStateValue[] = [
  PatchStateValue.MISSING,
  PatchStateValue.FAILED,
  PatchStateValue.PENDING_REBOOT,
];

/** How a patch state is known: reported per update by an agent (WSUS), or derived (Intune build number). */
export enum EvidenceKind {
  REPORTED = 'REPORTED',
  DERIVED = 'DERIVED',
}

/**
 * Where a catalog entry's release date comes from, strongest first. A stronger date replaces a weaker one; a date
 * of the same kind is never replaced, so a later run's guess cannot move a due date.
 */
export enum ReleaseDateSource {
  MICROSOFT = 'MICROSOFT',
  SOURCE = 'SOURCE',
  FIRST_SEEN = 'FIRST_SEEN',
}

export enum Severity {
  CRITICAL = 'CRITICAL',
  IMPORTANT = 'IMPORTANT',
  MODERATE = 'MODERATE',
  LOW = 'LOW',
  UNSPECIFIED = 'UNSPECIFIED',
}

export enum UpdateClassification {
  SECURITY = 'SECURITY',
  CRITICAL = 'CRITICAL',
  UPDATE_ROLLUP = 'UPDATE_ROLLUP',
  FEATURE_PACK = 'FEATURE_PACK',
  SERVICE_PACK = 'SERVICE_PACK',
  DEFINITION = 'DEFINITION',
  DRIVER = 'DRIVER',
  UPDATE = 'UPDATE',
  OTHER = 'OTHER',
}

/** Who owns a device, as its source says. */
export enum DeviceOwnership {
  COMPANY = 'COMPANY',
  PERSONAL = 'PERSONAL',
  UNKNOWN = 'UNKNOWN',
}

/** A device's patch posture as a whole (see PatchPostureValue in the connector contract). */
export enum PatchPostureStatus {
  NO_POLICY = 'NO_POLICY',
  NO_DATA = 'NO_DATA',
  REBOOT_REQUIRED = 'REBOOT_REQUIRED',
  INSTALL_ERROR = 'INSTALL_ERROR',
  APPROVED_PENDING = 'APPROVED_PENDING',
  FULLY_PATCHED = 'FULLY_PATCHED',
}

/** Why a record a source returned is not, or no longer, a current source of an asset. */
export enum UnattachedReason {
  DELETED_IN_SOURCE = 'DELETED_IN_SOURCE',
  UNMAPPED_SITE = 'UNMAPPED_SITE',
  IGNORED_SITE = 'IGNORED_SITE',
  STALE = 'STALE',
}

export enum AssetStatus {
  ACTIVE = 'ACTIVE',
  STALE = 'STALE',
}

export enum SyncRunStatus {
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

export enum SyncMode {
  FULL = 'FULL',
  INCREMENTAL = 'INCREMENTAL',
}

export enum SyncTrigger {
  SCHEDULE = 'SCHEDULE',
  API = 'API',
  CLI = 'CLI',
  DEMO = 'DEMO',
  /** A source pushed data (the WSUS collector uploaded a snapshot). */
  PUSH = 'PUSH',
}

export enum Role {
  MSP_ADMIN = 'MSP_ADMIN',
  TECHNICIAN = 'TECHNICIAN',
  CLIENT_ADMIN = 'CLIENT_ADMIN',
  AUDITOR = 'AUDITOR',
}
