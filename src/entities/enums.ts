/**
 * Domain enumerations. Stored as short strings so both engines use the same portable column type.
 *
 * The values a connector sends (patch state, evidence, severity, classification, ownership, posture) are defined
 * once, in the connector contract (connectors/sdk/contract.ts); here they become enum-like objects with the same
 * name as their type (`PatchStateValue.MISSING`), and the GraphQL enums register these objects. A value added to
 * the contract is a value of the entity and of the API, with nothing else to edit.
 */
import {
  CLASSIFICATION_VALUES, EVIDENCE_VALUES, OWNERSHIP_VALUES, PATCH_POSTURE_VALUES, PATCH_STATE_VALUES, SEVERITY_VALUES,
  type ClassificationValue, type Evidence, type OwnershipValue, type PatchPostureValue, type PatchStateValue as PatchStateWireValue,
  type SeverityValue,
} from '../../connectors/sdk/contract';

/** An object whose keys and values are the given strings: what a TypeScript string enum is, built from a list. */
function enumOf<V extends string>(values: readonly V[]): { readonly [K in V]: K } {
  return Object.freeze(Object.fromEntries(values.map((v) => [v, v]))) as { readonly [K in V]: K };
}

export const PatchStateValue = enumOf(PATCH_STATE_VALUES);
export type PatchStateValue = PatchStateWireValue;

/** States in which the fix is not yet in effect on the device: what "missing" means in filters and counts. */
export const NOT_REMEDIATED_STATES: readonly PatchStateValue[] = [
  PatchStateValue.MISSING,
  PatchStateValue.FAILED,
  PatchStateValue.PENDING_REBOOT,
];

/** How a patch state is known: reported per update by an agent (WSUS), or derived (Intune build number). */
export const EvidenceKind = enumOf(EVIDENCE_VALUES);
export type EvidenceKind = Evidence;

/**
 * Where a catalog entry's release date comes from, strongest first. A stronger date replaces a weaker one; a date
 * of the same kind is never replaced, so a later run's guess cannot move a due date.
 */
export enum ReleaseDateSource {
  MICROSOFT = 'MICROSOFT',
  SOURCE = 'SOURCE',
  FIRST_SEEN = 'FIRST_SEEN',
}

export const Severity = enumOf(SEVERITY_VALUES);
export type Severity = SeverityValue;

export const UpdateClassification = enumOf(CLASSIFICATION_VALUES);
export type UpdateClassification = ClassificationValue;

/** Who owns a device, as its source says. */
export const DeviceOwnership = enumOf(OWNERSHIP_VALUES);
export type DeviceOwnership = OwnershipValue;

/** A device's patch posture as a whole (see PatchPostureValue in the connector contract). */
export const PatchPostureStatus = enumOf(PATCH_POSTURE_VALUES);
export type PatchPostureStatus = PatchPostureValue;

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
