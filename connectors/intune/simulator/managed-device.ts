/**
 * microsoft.graph.managedDevice (v1.0) with every property a list call returns, in Graph's order, and the values
 * Intune really writes where nothing is known: "0001-01-01T00:00:00Z" for unset dates, "" for most unset strings,
 * and the all-zero GUID for a device that is not in Entra.
 */

export type ComplianceState = 'unknown' | 'compliant' | 'noncompliant' | 'conflict' | 'error' | 'inGracePeriod' | 'configManager';

export type ManagementAgent =
  | 'eas' | 'mdm' | 'easMdm' | 'intuneClient' | 'easIntuneClient' | 'configurationManagerClient' | 'configurationManagerClientMdm'
  | 'configurationManagerClientMdmEas' | 'unknown' | 'jamf' | 'googleCloudDevicePolicyController' | 'microsoft365ManagedMdm' | 'msSense';

export type DeviceEnrollmentType =
  | 'unknown' | 'userEnrollment' | 'deviceEnrollmentManager' | 'appleBulkWithUser' | 'appleBulkWithoutUser' | 'windowsAzureADJoin'
  | 'windowsBulkUserless' | 'windowsAutoEnrollment' | 'windowsBulkAzureDomainJoin' | 'windowsCoManagement'
  | 'windowsAzureADJoinUsingDeviceAuth' | 'appleUserEnrollment' | 'appleUserEnrollmentWithServiceAccount';

export interface ConfigurationManagerClientEnabledFeatures {
  inventory: boolean;
  modernApps: boolean;
  resourceAccess: boolean;
  deviceConfiguration: boolean;
  compliancePolicy: boolean;
  windowsUpdateForBusiness: boolean;
}

export interface DeviceActionResult {
  actionName: string;
  actionState: string;
  startDateTime: string;
  lastUpdatedDateTime: string;
}

export type ManagedDevice = {
  id: string;
  userId: string;
  deviceName: string;
  managedDeviceOwnerType: 'unknown' | 'company' | 'personal';
  enrolledDateTime: string;
  lastSyncDateTime: string;
  operatingSystem: string;
  complianceState: ComplianceState;
  jailBroken: string;
  managementAgent: ManagementAgent;
  /** Windows: "10.0.<build>.<ubr>"; iOS "17.5.1"; macOS "14.5 (23F79)"; Android "14". */
  osVersion: string;
  easActivated: boolean;
  easDeviceId: string;
  easActivationDateTime: string;
  azureADRegistered: boolean;
  deviceEnrollmentType: DeviceEnrollmentType;
  activationLockBypassCode: string | null;
  emailAddress: string;
  /** The Entra device's deviceId; all zeros when the device is not in Entra. */
  azureADDeviceId: string;
  deviceRegistrationState: string;
  deviceCategoryDisplayName: string;
  isSupervised: boolean;
  exchangeLastSuccessfulSyncDateTime: string;
  exchangeAccessState: string;
  exchangeAccessStateReason: string;
  remoteAssistanceSessionUrl: string | null;
  remoteAssistanceSessionErrorDetails: string | null;
  isEncrypted: boolean;
  userPrincipalName: string;
  model: string;
  manufacturer: string;
  imei: string;
  complianceGracePeriodExpirationDateTime: string;
  serialNumber: string;
  phoneNumber: string;
  androidSecurityPatchLevel: string;
  userDisplayName: string | null;
  configurationManagerClientEnabledFeatures: ConfigurationManagerClientEnabledFeatures | null;
  wiFiMacAddress: string | null;
  deviceHealthAttestationState: null;
  subscriberCarrier: string;
  meid: string;
  totalStorageSpaceInBytes: number;
  freeStorageSpaceInBytes: number;
  managedDeviceName: string;
  partnerReportedThreatState: string;
  requireUserEnrollmentApproval: boolean | null;
  managementCertificateExpirationDate: string;
  iccid: string | null;
  udid: string | null;
  notes: string | null;
  /** Only a single-device GET fills it; list answers carry null. */
  ethernetMacAddress: string | null;
  /** Only a single-device GET fills it; list answers carry 0. */
  physicalMemoryInBytes: number;
  enrollmentProfileName: string | null;
  managementState: string;
  deviceActionResults: DeviceActionResult[];
};

/** Graph's value for a date that was never set. */
export const UNSET_DATE = '0001-01-01T00:00:00Z';
/** Intune's azureADDeviceId for a device that is not registered in Entra. */
export const NO_ENTRA_DEVICE_ID = '00000000-0000-0000-0000-000000000000';
const NO_GRACE_PERIOD = '9999-12-31T23:59:59Z';

/**
 * A complete managedDevice from the fields a test cares about; the rest take what Intune reports for a
 * company-owned, Entra-registered Windows device with no user and no Exchange.
 */
export function buildManagedDevice(fields: Partial<ManagedDevice> & Pick<ManagedDevice, 'id' | 'deviceName'>): ManagedDevice {
  const defaults: ManagedDevice = {
    id: fields.id,
    userId: '',
    deviceName: fields.deviceName,
    managedDeviceOwnerType: 'company',
    enrolledDateTime: UNSET_DATE,
    lastSyncDateTime: UNSET_DATE,
    operatingSystem: 'Windows',
    complianceState: 'compliant',
    jailBroken: 'Unknown',
    managementAgent: 'mdm',
    osVersion: '',
    easActivated: false,
    easDeviceId: '',
    easActivationDateTime: UNSET_DATE,
    azureADRegistered: true,
    deviceEnrollmentType: 'windowsAzureADJoin',
    activationLockBypassCode: null,
    emailAddress: '',
    azureADDeviceId: NO_ENTRA_DEVICE_ID,
    deviceRegistrationState: 'registered',
    deviceCategoryDisplayName: 'Unknown',
    isSupervised: false,
    exchangeLastSuccessfulSyncDateTime: UNSET_DATE,
    exchangeAccessState: 'none',
    exchangeAccessStateReason: 'none',
    remoteAssistanceSessionUrl: null,
    remoteAssistanceSessionErrorDetails: null,
    isEncrypted: false,
    userPrincipalName: '',
    model: '',
    manufacturer: '',
    imei: '',
    complianceGracePeriodExpirationDateTime: NO_GRACE_PERIOD,
    serialNumber: '',
    phoneNumber: '',
    androidSecurityPatchLevel: '',
    userDisplayName: null,
    configurationManagerClientEnabledFeatures: null,
    wiFiMacAddress: null,
    deviceHealthAttestationState: null,
    subscriberCarrier: '',
    meid: '',
    totalStorageSpaceInBytes: 0,
    freeStorageSpaceInBytes: 0,
    managedDeviceName: '',
    partnerReportedThreatState: 'unknown',
    requireUserEnrollmentApproval: null,
    managementCertificateExpirationDate: UNSET_DATE,
    iccid: null,
    udid: null,
    notes: null,
    ethernetMacAddress: null,
    physicalMemoryInBytes: 0,
    enrollmentProfileName: null,
    managementState: 'managed',
    deviceActionResults: [],
  };
  // Spreading over the defaults keeps Graph's property order whatever order `fields` came in.
  return { ...defaults, ...fields };
}

/** Every property $select may name. */
export const MANAGED_DEVICE_PROPERTIES: ReadonlySet<string> = new Set(Object.keys(buildManagedDevice({ id: '', deviceName: '' })));

/**
 * What a list call shows of a device: Intune leaves these out of collection answers (they cost it a per-device
 * lookup) and fills them only on a GET of the one device.
 */
export function listView(device: ManagedDevice): ManagedDevice {
  return { ...device, ethernetMacAddress: null, physicalMemoryInBytes: 0, enrollmentProfileName: null, iccid: null, udid: null, notes: null };
}
