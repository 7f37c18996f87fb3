/**
 * Intune managedDevice (Graph v1.0) → DeviceRecord. Graph quirks handled here, in one place:
 * - unset dates are "0001-01-01T00:00:00Z", not null (lastSyncDateTime and enrolledDateTime alike);
 * - a device not joined to Entra has azureADDeviceId "00000000-0000-0000-0000-000000000000";
 * - list calls leave some fields null that a single GET fills (ethernetMacAddress); null is simply unknown.
 */
import type { DeviceRecord, OwnershipValue } from '../sdk/contract';
import { MalformedResponseError } from '../sdk/errors';
import { buildText, parseWindowsVersion, releaseName, WindowsBuild, windowsName } from '../sdk/windows-builds';

/** Every property read; `$select` keeps pages small (a full managedDevice is ~100 properties). */
export const MANAGED_DEVICE_FIELDS = [
  'id', 'deviceName', 'azureADDeviceId', 'serialNumber', 'manufacturer', 'model', 'operatingSystem', 'osVersion', 'lastSyncDateTime',
  'enrolledDateTime', 'complianceState', 'managementAgent', 'managedDeviceOwnerType', 'deviceEnrollmentType', 'wiFiMacAddress',
  'ethernetMacAddress', 'isEncrypted',
] as const;

export interface ManagedDevice {
  id: string;
  deviceName?: string | null;
  azureADDeviceId?: string | null;
  serialNumber?: string | null;
  manufacturer?: string | null;
  model?: string | null;
  operatingSystem?: string | null;
  osVersion?: string | null;
  lastSyncDateTime?: string | null;
  enrolledDateTime?: string | null;
  complianceState?: string | null;
  managementAgent?: string | null;
  managedDeviceOwnerType?: string | null;
  deviceEnrollmentType?: string | null;
  wiFiMacAddress?: string | null;
  ethernetMacAddress?: string | null;
  isEncrypted?: boolean | null;
}

const UNSET_DATE = /^0001-01-01/;
const NO_ENTRA_ID = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;
const OWNERSHIP: Record<string, OwnershipValue> = { company: 'COMPANY', personal: 'PERSONAL', unknown: 'UNKNOWN' };

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

function dateOf(device: ManagedDevice, field: 'lastSyncDateTime' | 'enrolledDateTime'): Date | null {
  const raw = device[field];
  if (raw === null || raw === undefined || UNSET_DATE.test(raw)) return null;
  const at = new Date(raw);
  if (typeof raw !== 'string' || Number.isNaN(at.getTime())) {
    throw new MalformedResponseError(`managed device ${device.id}: ${field} ${JSON.stringify(raw).slice(0, 60)} is not a date`);
  }
  return at;
}

export interface ReadDevice {
  record: DeviceRecord;
  /** Set for a Windows device whose osVersion carries build and revision: patch states can be derived. */
  windows: WindowsBuild | null;
  /** When Intune last heard from it (last sync, else enrolment); null if never. */
  lastContact: Date | null;
}

/**
 * `now` and `staleAfterDays` decide `inactive`; `derivable` says whether the catalog knows the device's release, so
 * the record can say why it has no patch states.
 */
export function toDeviceRecord(raw: unknown, now: Date, staleAfterDays: number, derivable: (build: number) => boolean): ReadDevice {
  if (typeof raw !== 'object' || raw === null || typeof (raw as ManagedDevice).id !== 'string' || !(raw as ManagedDevice).id) {
    throw new MalformedResponseError('a managed device has no id');
  }
  const d = raw as ManagedDevice;
  const lastSync = dateOf(d, 'lastSyncDateTime');
  const enrolledAt = dateOf(d, 'enrolledDateTime');
  const lastContact = lastSync ?? enrolledAt;
  const inactive = lastContact === null || now.getTime() - lastContact.getTime() > staleAfterDays * 86_400_000;
  const isWindows = /^windows/i.test(d.operatingSystem ?? '');
  const windows = isWindows ? parseWindowsVersion(d.osVersion) : null;
  const entraId = text(d.azureADDeviceId);

  const record: DeviceRecord = {
    externalId: d.id,
    hostname: text(d.deviceName),
    serialNumber: text(d.serialNumber),
    azureAdDeviceId: entraId && !NO_ENTRA_ID.test(entraId) ? entraId : null,
    macAddresses: [d.wiFiMacAddress, d.ethernetMacAddress].map(text).filter((m): m is string => m !== null),
    manufacturer: text(d.manufacturer),
    model: text(d.model),
    osName: windows ? windowsName(windows) : text(d.operatingSystem),
    osVersion: text(d.osVersion),
    osBuild: windows ? buildText(windows) : null,
    lastCheckInAt: lastSync,
    enrolledAt,
    ownership: OWNERSHIP[d.managedDeviceOwnerType ?? ''] ?? null,
    inactive,
    attributes: attributesOf(d, windows, derivable),
  };
  return { record, windows, lastContact };
}

function attributesOf(d: ManagedDevice, windows: WindowsBuild | null, derivable: (build: number) => boolean): Record<string, string | boolean | null> {
  const attributes: Record<string, string | boolean | null> = {
    complianceState: text(d.complianceState),
    managementAgent: text(d.managementAgent),
    enrollmentType: text(d.deviceEnrollmentType),
    encrypted: typeof d.isEncrypted === 'boolean' ? d.isEncrypted : null,
    // How (or why not) this device's patch states are known: compliance reports say it alongside the result.
    patchStates: !/^windows/i.test(d.operatingSystem ?? '')
      ? 'not derived: not Windows'
      : !windows
        ? 'not derived: osVersion has no build revision'
        : derivable(windows.build)
          ? 'derived from the OS build'
          : `not derived: no cumulative updates known for build ${windows.build}`,
  };
  if (windows) attributes.windowsRelease = releaseName(windows);
  return Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== null));
}
