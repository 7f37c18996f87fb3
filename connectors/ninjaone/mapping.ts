/**
 * NinjaOne bodies to patchgraph records. Pure functions of the payload and the instance's settings, so they are
 * tested on real-shaped bodies without a server.
 */
import type {
  DeviceRecord,
  PatchStateRecord,
  PatchStateValue,
  SeverityValue,
  UpdateRecord,
} from '../sdk';
import { buildText, CLASSIFICATION_ALIASES, MalformedResponseError, parseWindowsVersion } from '../sdk';
import type { NinjaDevice, NinjaLocation, NinjaOrganization, NinjaOsPatch, NinjaOsPatchInstall } from './payloads';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface Directory {
  organizations: ReadonlyMap<number, NinjaOrganization>;
  locations: ReadonlyMap<number, NinjaLocation>;
}

export function directoryOf(organizations: NinjaOrganization[], locations: NinjaLocation[]): Directory {
  return {
    organizations: new Map(organizations.map((o) => [o.id, o])),
    locations: new Map(locations.map((l) => [l.id, l])),
  };
}

/** NinjaOne times are epoch seconds with a fraction; 0 and absent both mean "never". */
export function epochSeconds(value: unknown): Date | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return null;
  return new Date(Math.round(value * 1000));
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

export function mapDevice(device: NinjaDevice, directory: Directory, options: { now: Date; staleAfterDays: number }): DeviceRecord {
  if (!Number.isInteger(device?.id)) {
    throw new MalformedResponseError(`NinjaOne sent a device without a numeric id: ${JSON.stringify(device).slice(0, 200)}`);
  }
  const organization = device.organizationId === undefined ? undefined : directory.organizations.get(device.organizationId);
  const location = device.locationId === undefined ? undefined : directory.locations.get(device.locationId);
  const lastCheckInAt = epochSeconds(device.lastContact);
  const system = device.system ?? {};
  const os = device.os ?? {};
  const dnsName = text(device.dnsName);

  return {
    externalId: String(device.id),
    hostname: text(device.systemName) ?? text(device.netbiosName) ?? hostPart(dnsName),
    // A bare name in dnsName is the host name again, not a fully qualified one.
    fqdn: dnsName && dnsName.includes('.') ? dnsName.toLowerCase() : null,
    // The chassis serial when the BIOS leaves its own blank; the engine ignores firmware placeholders either way.
    serialNumber: text(system.serialNumber) ?? text(system.biosSerialNumber),
    macAddresses: (device.macAddresses ?? []).filter((m): m is string => typeof m === 'string' && m.trim() !== ''),
    osName: text(os.name),
    osBuild: osBuildOf(os.buildNumber),
    // releaseId ("23H2") is no version number; it stays an attribute rather than pose as one.
    osVersion: null,
    lastCheckInAt,
    enrolledAt: epochSeconds(device.created),
    tenantKey: device.organizationId === undefined ? null : String(device.organizationId),
    tenantName: text(organization?.name),
    site: device.locationId === undefined ? null : { id: String(device.locationId), name: text(location?.name) },
    manufacturer: text(system.manufacturer),
    model: text(system.model),
    ownership: null,
    inactive: isInactive(lastCheckInAt, options.now, options.staleAfterDays),
    attributes: deviceAttributes(device),
  };
}

/**
 * NinjaOne's buildNumber is the release's build ("22631"); some agents send the full version ("10.0.22631.4169").
 * Either becomes the build (and revision, when given) patchgraph stores.
 */
export function osBuildOf(buildNumber: unknown): string | null {
  const value = text(buildNumber);
  if (!value) return null;
  const full = parseWindowsVersion(value);
  if (full) return buildText(full);
  return /^\d+(\.\d+)?$/.test(value) ? value : null;
}

function hostPart(dnsName: string | null): string | null {
  return dnsName ? dnsName.split('.')[0] : null;
}

function isInactive(lastCheckInAt: Date | null, now: Date, staleAfterDays: number): boolean {
  // A device that never checked in has told us nothing current either.
  if (!lastCheckInAt) return true;
  return now.getTime() - lastCheckInAt.getTime() > staleAfterDays * DAY_MS;
}

function deviceAttributes(device: NinjaDevice): Record<string, string | number | boolean | null> {
  const attributes: Record<string, string | number | boolean | null> = {};
  if (device.nodeClass) attributes.nodeClass = device.nodeClass;
  if (device.displayName) attributes.displayName = device.displayName;
  if (typeof device.offline === 'boolean') attributes.offline = device.offline;
  if (device.approvalStatus) attributes.approvalStatus = device.approvalStatus;
  if (device.os?.releaseId) attributes.releaseId = device.os.releaseId;
  if (typeof device.os?.needsReboot === 'boolean') attributes.needsReboot = device.os.needsReboot;
  if (typeof device.system?.virtualMachine === 'boolean') attributes.virtualMachine = device.system.virtualMachine;
  return attributes;
}

const KB = /^(?:KB)?(\d{6,8})$/i;

/** "KB5041585" for a Microsoft KB however NinjaOne wrote it ("5041585", "kb5041585"), else null. */
export function kbOf(kbNumber: unknown): string | null {
  const match = typeof kbNumber === 'string' ? KB.exec(kbNumber.trim()) : null;
  return match ? `KB${match[1]}` : null;
}

/**
 * A KB is Microsoft's catalog key, so another tool reporting the same KB meets the same entry; a patch without one
 * is only known to NinjaOne by its patch id.
 */
export function updateKeyOf(patch: NinjaOsPatch): string {
  const kb = kbOf(patch.kbNumber);
  if (kb) return `microsoft:${kb}`;
  const id = text(patch.id);
  if (!id) throw new MalformedResponseError(`NinjaOne sent a patch for device ${patch.deviceId} with neither a KB number nor an id`);
  return `ninjaone:${id}`;
}

const SEVERITIES: Record<string, SeverityValue> = {
  CRITICAL: 'CRITICAL',
  IMPORTANT: 'IMPORTANT',
  MODERATE: 'MODERATE',
  LOW: 'LOW',
};


/**
 * NinjaOne's OS patches come through Windows Update, so they are Microsoft's, except drivers: Windows Update titles
 * those "<manufacturer> - <device class> - <version>", and the manufacturer publishes them.
 */
function vendorOf(patch: NinjaOsPatch): string {
  const manufacturer = String(patch.type ?? '').toUpperCase() === 'DRIVERS' ? /^(.+?) - /.exec(patch.name ?? '')?.[1]?.trim() : undefined;
  return manufacturer || 'Microsoft';
}

export function mapUpdate(patch: NinjaOsPatch): UpdateRecord {
  const kb = kbOf(patch.kbNumber);
  return {
    key: updateKeyOf(patch),
    kb,
    title: text(patch.name) ?? kb ?? `NinjaOne patch ${patch.id}`,
    vendor: vendorOf(patch),
    severity: SEVERITIES[String(patch.severity ?? '').toUpperCase()] ?? 'UNSPECIFIED',
    classification: CLASSIFICATION_ALIASES[String(patch.type ?? '').toUpperCase()] ?? 'OTHER',
    // The reports carry no release date, and `timestamp` is when the agent looked: leave the date to the catalog.
  };
}

/**
 * os-patches statuses: PENDING (awaiting approval) and APPROVED (approved, not installed yet) are both missing from
 * the device; REJECTED is an operator's decision not to install, which leaves the device as exposed as before, so it
 * counts as missing too (the attribute shows why in NinjaOne); FAILED is a failed install.
 */
const PENDING_STATES: Record<string, PatchStateValue> = {
  PENDING: 'MISSING',
  APPROVED: 'MISSING',
  REJECTED: 'MISSING',
  FAILED: 'FAILED',
};

const INSTALL_STATES: Record<string, PatchStateValue> = {
  INSTALLED: 'INSTALLED',
  FAILED: 'FAILED',
};

export function mapPendingPatch(patch: NinjaOsPatch): PatchStateRecord {
  return {
    deviceExternalId: String(patch.deviceId),
    updateKey: updateKeyOf(patch),
    state: PENDING_STATES[String(patch.status ?? '').toUpperCase()] ?? 'UNKNOWN',
    evidence: 'REPORTED',
    reportedAt: epochSeconds(patch.timestamp),
  };
}

export function mapPatchInstall(install: NinjaOsPatchInstall): PatchStateRecord {
  const state = INSTALL_STATES[String(install.status ?? '').toUpperCase()] ?? 'UNKNOWN';
  const installedAt = epochSeconds(install.installedAt);
  return {
    deviceExternalId: String(install.deviceId),
    updateKey: updateKeyOf(install),
    state,
    evidence: 'REPORTED',
    reportedAt: epochSeconds(install.timestamp) ?? installedAt,
    installedAt: state === 'INSTALLED' ? installedAt : null,
  };
}

/**
 * The two reports can both speak of one (device, patch): an install that failed is also still pending, and a
 * patch installed after the pending report was taken. The later report wins; on a tie, the install report, which
 * is about what happened rather than what is planned.
 */
export function laterState(current: PatchStateRecord, candidate: PatchStateRecord, candidateIsInstall: boolean): PatchStateRecord {
  const a = current.reportedAt?.getTime() ?? 0;
  const b = candidate.reportedAt?.getTime() ?? 0;
  if (b > a) return candidate;
  if (b === a && candidateIsInstall) return candidate;
  return current;
}
