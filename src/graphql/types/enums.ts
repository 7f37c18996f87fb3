import { registerEnumType } from 'type-graphql';
import { AssetStatus, DeviceOwnership, PatchPostureStatus, EvidenceKind, PatchStateValue, ReleaseDateSource, Role, Severity, SyncMode, SyncRunStatus, SyncTrigger, UpdateClassification } from '../../entities/enums';

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}

registerEnumType(OrderDirection, { name: 'OrderDirection', description: 'Direction of an ordering' });

/** Which patch states a list shows when several sources report the same update on one asset. */
export enum PatchStateView {
  EFFECTIVE = 'EFFECTIVE',
  ALL_SOURCES = 'ALL_SOURCES',
}
registerEnumType(PatchStateView, {
  name: 'PatchStateView',
  description: 'Which patch states to list when several sources report the same update on one asset',
  valuesConfig: {
    EFFECTIVE: { description: "One state per asset and update: the effective one (freshest current source; REPORTED before DERIVED when equally fresh). What counts and filters use" },
    ALL_SOURCES: { description: "Every source's state, out-of-date ones included; `effective` and `sourceOutOfDate` say which one decides and which are stale evidence" },
  },
});
registerEnumType(PatchStateValue, {
  name: 'PatchStateValue',
  description: 'State of one update on one device',
  valuesConfig: {
    MISSING: { description: 'Applicable and not installed' },
    INSTALLED: { description: 'Installed' },
    FAILED: { description: 'Installation was attempted and failed' },
    PENDING_REBOOT: { description: 'Installed, but the device must restart before the fix takes effect' },
    NOT_APPLICABLE: { description: 'Does not apply to the device' },
    UNKNOWN: { description: 'The source has no status for the update on the device' },
  },
});
registerEnumType(EvidenceKind, {
  name: 'EvidenceKind',
  description: 'How a patch state is known',
  valuesConfig: {
    REPORTED: { description: 'Reported per update by an agent on the device (for example WSUS)' },
    DERIVED: { description: 'Derived from the operating system build the device reports (for example Intune)' },
  },
});
registerEnumType(Severity, {
  name: 'Severity',
  description: "A vendor's severity rating (Microsoft's Security Update Severity Rating System, or the tool's own mapped onto it)",
  valuesConfig: {
    CRITICAL: { description: 'Exploitation could let code run without user interaction' },
    IMPORTANT: { description: 'Exploitation could compromise the confidentiality, integrity or availability of data or resources' },
    MODERATE: { description: 'Impact mitigated to a significant degree by default configuration, auditing or difficulty of exploitation' },
    LOW: { description: 'Impact comprehensively mitigated by the characteristics of the affected component' },
    UNSPECIFIED: { description: 'The source gave no rating' },
  },
});
registerEnumType(ReleaseDateSource, {
  name: 'ReleaseDateSource',
  description: "Where an update's release date comes from; a stronger kind replaces a weaker one, never the reverse",
  valuesConfig: {
    MICROSOFT: { description: "Microsoft's own data (the bundled catalog or an imported MSRC CVRF document)" },
    SOURCE: { description: "The vendor catalog of the first connector source that gave a date" },
    FIRST_SEEN: { description: 'No source gave one: the time a sync first saw the update, so a due date counted from it is late by however long the update went unreported' },
  },
});
registerEnumType(UpdateClassification, {
  name: 'UpdateClassification',
  description: 'Classification of an update (the WSUS classifications, which other tools are mapped onto)',
  valuesConfig: {
    SECURITY: { description: 'Fixes a product-specific security vulnerability (Security Updates)' },
    CRITICAL: { description: 'Fixes a specific critical bug that is not security-related (Critical Updates)' },
    UPDATE_ROLLUP: { description: 'A tested, cumulative set of fixes packaged together (Update Rollups)' },
    FEATURE_PACK: { description: 'New product functionality, first distributed outside a product release (Feature Packs)' },
    SERVICE_PACK: { description: 'A tested, cumulative set of all fixes and updates for a product (Service Packs)' },
    DEFINITION: { description: 'Malware or other definition files (Definition Updates)' },
    DRIVER: { description: 'Software that controls hardware (Drivers)' },
    UPDATE: { description: 'Fixes a specific bug that is neither critical nor security-related (Updates)' },
    OTHER: { description: 'Any other kind (tools, upgrades), or the source did not classify it' },
  },
});
registerEnumType(AssetStatus, {
  name: 'AssetStatus',
  description: 'Whether an asset is still reported by its sources',
  valuesConfig: {
    ACTIVE: { description: 'Reported by at least one source in its last complete sync' },
    STALE: { description: 'Missing from the last complete sync of every source that reported it' },
  },
});
registerEnumType(DeviceOwnership, {
  name: 'DeviceOwnership',
  description: 'Who owns a device: corporate-owned, or personal (BYOD)',
  valuesConfig: {
    COMPANY: { description: 'Corporate-owned' },
    PERSONAL: { description: 'Personally owned (bring your own device)' },
    UNKNOWN: { description: 'The source does not say' },
  },
});
registerEnumType(PatchPostureStatus, {
  name: 'PatchPostureStatus',
  description: "A device's patch posture as a whole, from a tool that reports no per-update detail (Datto RMM)",
  valuesConfig: {
    NO_POLICY: { description: 'No automatic patching is set up for the device' },
    NO_DATA: { description: 'The agent has not reported patch data' },
    REBOOT_REQUIRED: { description: 'Installed updates wait for a restart to take effect' },
    INSTALL_ERROR: { description: 'Installing updates failed' },
    APPROVED_PENDING: { description: 'Approved updates are not yet installed' },
    FULLY_PATCHED: { description: 'No approved update is outstanding' },
  },
});
registerEnumType(SyncRunStatus, {
  name: 'SyncRunStatus',
  description: 'Status of a sync run',
  valuesConfig: {
    RUNNING: { description: 'Reading from the source; nothing is written until the whole run has been read' },
    SUCCEEDED: { description: 'Everything read was written in one transaction' },
    FAILED: { description: 'Nothing was written; errorMessage says why' },
  },
});
registerEnumType(SyncMode, { name: 'SyncMode', description: 'How much of the source a sync run read' });
registerEnumType(SyncTrigger, { name: 'SyncTrigger', description: 'What started a sync run' });
registerEnumType(Role, { name: 'Role', description: 'Role of a principal' });
