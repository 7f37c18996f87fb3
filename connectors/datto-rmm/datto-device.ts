/**
 * Datto RMM Device (+ DeviceAudit) → DeviceRecord. Datto quirks handled here, in one place:
 * - dates arrive as epoch milliseconds, or as ISO strings on some platforms: both are read;
 * - the serial number and MACs are not on the device but in its audit, one call per device;
 * - a deleted device (flagged `deleted`, or filed under Datto's own "Deleted Devices" site) is yielded as deleted, so
 *   the engine accounts for it without importing it;
 * - `creationDate` (when the agent first registered the device) is the device's enrolment time;
 * - `domain` is a NetBIOS name or "WORKGROUP" as often as a DNS domain: only a dotted one makes an FQDN.
 */
import { createHash } from 'node:crypto';
import type { DeviceRecord, KnownDevice, PatchPostureValue } from '../sdk/contract';
import { MalformedResponseError } from '../sdk/errors';

export const DELETED_DEVICES_SITE = 'Deleted Devices';

export interface DattoDevice {
  uid: string;
  id?: number;
  siteUid?: string | null;
  siteName?: string | null;
  hostname?: string | null;
  domain?: string | null;
  operatingSystem?: string | null;
  displayVersion?: string | null;
  deviceClass?: string | null;
  deviceType?: { category?: string | null; type?: string | null } | null;
  online?: boolean | null;
  rebootRequired?: boolean | null;
  suspended?: boolean | null;
  deleted?: boolean | null;
  lastSeen?: number | string | null;
  lastAuditDate?: number | string | null;
  creationDate?: number | string | null;
  antivirus?: { antivirusProduct?: string | null; antivirusStatus?: string | null } | null;
  patchManagement?: { patchStatus?: string | null; patchesApprovedPending?: number | null; patchesNotApproved?: number | null; patchesInstalled?: number | null } | null;
}

export interface DattoAudit {
  systemInfo?: { manufacturer?: string | null; model?: string | null } | null;
  bios?: { serialNumber?: string | null } | null;
  nics?: Array<{ macAddress?: string | null }> | null;
}

const POSTURE: Record<string, PatchPostureValue> = {
  NoPolicy: 'NO_POLICY',
  NoData: 'NO_DATA',
  RebootRequired: 'REBOOT_REQUIRED',
  InstallError: 'INSTALL_ERROR',
  ApprovedPending: 'APPROVED_PENDING',
  FullyPatched: 'FULLY_PATCHED',
};

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

/** Epoch milliseconds or an ISO string (Datto sends both) → Date; null and 0 are "never". */
export function dattoDate(value: unknown, what: string): Date | null {
  if (value === null || value === undefined || value === 0 || value === '') return null;
  const at = typeof value === 'number' ? new Date(value) : typeof value === 'string' && /^\d{10,}$/.test(value) ? new Date(Number(value)) : new Date(String(value));
  if (Number.isNaN(at.getTime())) throw new MalformedResponseError(`${what} ${JSON.stringify(value).slice(0, 40)} is neither epoch milliseconds nor an ISO date`);
  return at;
}

/** Datto sets `deleted` and moves the device to "Deleted Devices"; either alone is taken as deletion. */
export function isGone(d: DattoDevice): boolean {
  return d.deleted === true || d.siteName === DELETED_DEVICES_SITE;
}

/** Only full devices have a device audit; ESXi hosts, printers and network devices are audited elsewhere. */
export const hasDeviceAudit = (d: DattoDevice): boolean => (d.deviceClass ?? 'device') === 'device';

/**
 * The record's revision: when the audit was taken (it decides whether the audit must be fetched again) and a digest
 * of what the device list says (it decides whether an incremental run reports the device). lastSeen is left out of
 * the digest — it moves every few minutes for every online device; the daily full run refreshes it.
 */
export function revisionOf(d: DattoDevice): string {
  const audit = dattoDate(d.lastAuditDate, `device ${d.uid}: lastAuditDate`)?.getTime() ?? 'none';
  const { lastSeen: _ignored, ...listed } = d;
  void _ignored;
  const digest = createHash('sha256').update(JSON.stringify(listed)).digest('hex').slice(0, 24);
  return `audit:${audit};list:${digest}`;
}

export const auditPartOf = (revision: string | null | undefined): string | undefined => revision?.split(';')[0];

/** What the audit adds: from a fresh audit, or from what the engine kept while the audit is unchanged. */
export interface AuditFacts {
  serialNumber: string | null;
  macAddresses: string[];
  manufacturer: string | null;
  model: string | null;
}

export function factsOfAudit(audit: DattoAudit | null): AuditFacts {
  return {
    serialNumber: text(audit?.bios?.serialNumber),
    macAddresses: (audit?.nics ?? []).map((n) => text(n?.macAddress)).filter((m): m is string => m !== null),
    manufacturer: text(audit?.systemInfo?.manufacturer),
    model: text(audit?.systemInfo?.model),
  };
}

export function factsKnown(known: KnownDevice): AuditFacts {
  return { serialNumber: known.serialNumber, macAddresses: known.macAddresses, manufacturer: known.manufacturer, model: known.model };
}

/** `activity` decides `inactive`: a device not seen for longer than the instance allows (or never) is out of date. */
export function toDeviceRecord(d: DattoDevice, facts: AuditFacts, activity?: { now: Date; staleAfterDays: number }): DeviceRecord {
  if (typeof d?.uid !== 'string' || !d.uid) throw new MalformedResponseError('a Datto device has no uid');
  const hostname = text(d.hostname);
  const domain = text(d.domain);
  const posture = POSTURE[d.patchManagement?.patchStatus ?? ''];
  const lastSeen = dattoDate(d.lastSeen, `device ${d.uid}: lastSeen`);
  const attributes: Record<string, string | boolean | null> = {
    deviceClass: text(d.deviceClass),
    deviceType: text(d.deviceType?.category),
    online: typeof d.online === 'boolean' ? d.online : null,
    rebootRequired: typeof d.rebootRequired === 'boolean' ? d.rebootRequired : null,
    suspended: typeof d.suspended === 'boolean' ? d.suspended : null,
    antivirus: text(d.antivirus?.antivirusProduct),
    antivirusStatus: text(d.antivirus?.antivirusStatus),
  };
  return {
    externalId: d.uid,
    hostname,
    fqdn: hostname && domain?.includes('.') ? `${hostname}.${domain}`.toLowerCase() : null,
    ...facts,
    osName: text(d.operatingSystem),
    osVersion: text(d.displayVersion),
    lastCheckInAt: lastSeen,
    enrolledAt: dattoDate(d.creationDate, `device ${d.uid}: creationDate`),
    inactive: activity ? lastSeen === null || activity.now.getTime() - lastSeen.getTime() > activity.staleAfterDays * 86_400_000 : false,
    // Datto's site is the MSP's client, so it is the tenant key; it is also the only place Datto has, so it is the
    // device's site too (matched by name within the tenant, as before the two were told apart).
    tenantKey: text(d.siteUid),
    tenantName: text(d.siteName),
    site: { id: text(d.siteUid), name: text(d.siteName) },
    patchPosture: posture
      ? { status: posture, approvedPending: d.patchManagement?.patchesApprovedPending ?? null, notApproved: d.patchManagement?.patchesNotApproved ?? null, installed: d.patchManagement?.patchesInstalled ?? null }
      : null,
    attributes: Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== null)),
    revision: revisionOf(d),
    deleted: isGone(d),
  };
}
