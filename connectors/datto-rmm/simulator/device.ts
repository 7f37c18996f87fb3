/**
 * Datto RMM's Device as `/v2/account/devices`, `/v2/site/{uid}/devices` and `/v2/device/{uid}` return it: every
 * property in the API's order, always present, null where Datto knows nothing (it nulls fields rather than leaving
 * them out, booleans included).
 */

export type PatchStatus = 'NoPolicy' | 'NoData' | 'RebootRequired' | 'InstallError' | 'ApprovedPending' | 'FullyPatched';
export const PATCH_STATUSES: readonly PatchStatus[] = ['NoPolicy', 'NoData', 'RebootRequired', 'InstallError', 'ApprovedPending', 'FullyPatched'];

export type DeviceClass = 'device' | 'printer' | 'esxihost' | 'rmmnetworkdevice' | 'unknown';
export type AntivirusStatus = 'RunningAndUpToDate' | 'RunningAndNotUpToDate' | 'NotRunning' | 'NotDetected';

/**
 * The schema says date-time, but Datto writes epoch milliseconds; some platforms write ISO 8601 instead, so a
 * client has to take both. Null when never set (a printer has never rebooted as far as Datto knows).
 */
export type DattoDate = number | string | null;

/** udf1…udf300, each a string or null. */
export type DattoUdf = Record<string, string | null>;

export interface PatchManagement {
  /** Null for what Datto does not patch (ESXi hosts, printers, network devices). */
  patchStatus: PatchStatus | null;
  patchesApprovedPending: number | null;
  patchesNotApproved: number | null;
  patchesInstalled: number | null;
}

export interface DattoDevice {
  id: number;
  uid: string;
  siteId: number;
  siteUid: string;
  siteName: string;
  deviceType: { category: string; type: string } | null;
  hostname: string;
  intIpAddress: string | null;
  /** e.g. "Microsoft Windows 11 Pro 23H2 22631". */
  operatingSystem: string | null;
  /** "DOMAIN\\user" on Windows. */
  lastLoggedInUser: string | null;
  domain: string | null;
  cagVersion: string | null;
  displayVersion: string | null;
  extIpAddress: string | null;
  description: string | null;
  a64Bit: boolean | null;
  rebootRequired: boolean | null;
  online: boolean;
  suspended: boolean;
  /** True once deleted: the device then sits in the account's "Deleted Devices" site. */
  deleted: boolean;
  lastSeen: DattoDate;
  lastReboot: DattoDate;
  lastAuditDate: DattoDate;
  creationDate: DattoDate;
  udf: DattoUdf;
  snmpEnabled: boolean;
  deviceClass: DeviceClass;
  portalUrl: string;
  /** A plain date, "2027-03-31", or null. */
  warrantyDate: string | null;
  antivirus: { antivirusProduct: string | null; antivirusStatus: AntivirusStatus };
  patchManagement: PatchManagement;
  softwareStatus: string | null;
  webRemoteUrl: string | null;
  networkProbe: boolean;
  onboardedViaNetworkMonitor: boolean;
}

/** The live platform carries 300 user-defined fields on every device (the spec once listed 30). */
export const UDF_COUNT = 300;

export function emptyUdf(): DattoUdf {
  return Object.fromEntries(Array.from({ length: UDF_COUNT }, (_, i) => [`udf${i + 1}`, null]));
}

/** The portal host the simulated account lives on (the UK platform); only ever used to build links. */
export const PORTAL = 'https://syrah.centrastage.net';

export const devicePortalUrl = (uid: string): string => `${PORTAL}/csm/search?qs=uid%3A${uid}`;
export const deviceWebRemoteUrl = (uid: string): string => `${PORTAL}/csm/remote/rto/${uid}`;

/** `ms` as epoch milliseconds, or as the ISO 8601 Jackson writes ("2026-02-20T08:59:12.345+00:00"). */
export function dattoDate(ms: number, iso: boolean): number | string {
  return iso ? new Date(ms).toISOString().replace(/Z$/, '+00:00') : ms;
}

/** Either form back to epoch milliseconds. */
export function dateMs(date: DattoDate): number | null {
  if (date === null) return null;
  return typeof date === 'number' ? date : Date.parse(date);
}

/** Whether this device's platform writes its dates as ISO strings (the simulator keeps each device's form). */
export const writesIsoDates = (device: DattoDevice): boolean => typeof device.lastSeen === 'string' || typeof device.creationDate === 'string';

/**
 * A complete Device from the fields a caller cares about; the rest take what Datto reports for an online, unpatched,
 * agent-managed Windows machine it knows little about.
 */
export function buildDattoDevice(fields: Partial<DattoDevice> & Pick<DattoDevice, 'id' | 'uid' | 'hostname' | 'siteId' | 'siteUid' | 'siteName'>): DattoDevice {
  const defaults: DattoDevice = {
    id: fields.id,
    uid: fields.uid,
    siteId: fields.siteId,
    siteUid: fields.siteUid,
    siteName: fields.siteName,
    deviceType: { category: 'Desktop', type: 'Desktop' },
    hostname: fields.hostname,
    intIpAddress: null,
    operatingSystem: null,
    lastLoggedInUser: null,
    domain: null,
    cagVersion: null,
    displayVersion: null,
    extIpAddress: null,
    description: null,
    a64Bit: true,
    rebootRequired: false,
    online: true,
    suspended: false,
    deleted: false,
    lastSeen: null,
    lastReboot: null,
    lastAuditDate: null,
    creationDate: null,
    udf: emptyUdf(),
    snmpEnabled: false,
    deviceClass: 'device',
    portalUrl: devicePortalUrl(fields.uid),
    warrantyDate: null,
    antivirus: { antivirusProduct: null, antivirusStatus: 'NotDetected' },
    patchManagement: { patchStatus: 'NoData', patchesApprovedPending: 0, patchesNotApproved: 0, patchesInstalled: 0 },
    softwareStatus: null,
    webRemoteUrl: deviceWebRemoteUrl(fields.uid),
    networkProbe: false,
    onboardedViaNetworkMonitor: false,
  };
  // Spreading over the defaults keeps the API's property order whatever order `fields` came in.
  return { ...defaults, ...fields };
}
