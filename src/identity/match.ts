/**
 * Deterministic, pure identity resolution: decides which existing asset (if any) a source device belongs to.
 * No database and no I/O: the caller loads the candidate assets (same-tenant assets sharing any identifier)
 * and persists the outcome.
 *
 * Rules, strongest first; the first rule with exactly one eligible candidate wins:
 *   MANUAL              an operator pinned the device to an asset.
 *   AZURE_AD_DEVICE_ID  same normalised Entra device id.
 *   SERIAL_NUMBER       same normalised serial (placeholders such as "To Be Filled By O.E.M." never match).
 *   SMBIOS_UUID         same normalised SMBIOS system UUID (all-zero, all-F and board-template UUIDs never match).
 *   MAC_ADDRESS         any overlapping normalised MAC (randomised and virtual MACs never match).
 *   HOSTNAME            same first DNS label (the hostname, or the FQDN's first label when no hostname).
 *   NEW                 nothing matched: the caller creates a new asset.
 *
 * Safeguards:
 * - Candidates of another tenant are ignored silently (their ids are not echoed into `conflicts`).
 * - Candidates in `forbiddenAssetIds` (a manual split) never match, not even by a pin.
 * - A candidate with a DIFFERENT valid Entra device id reported by a DIFFERENT connector instance is rejected
 *   for SERIAL_NUMBER and weaker rules. The same connector reporting a new id (a re-imaged or re-enrolled
 *   laptop) is not a conflict, so the laptop still matches by serial.
 * - A candidate with a different valid serial is rejected for MAC_ADDRESS and HOSTNAME.
 *   (A serial difference does not block an Entra id match: the Entra id is the stronger identifier.)
 * - A candidate that already holds another source (different sourceId) of the device's own connector instance
 *   is rejected for MAC_ADDRESS and HOSTNAME: two live devices in one tool are two machines.
 *   SERIAL_NUMBER, SMBIOS_UUID and AZURE_AD_DEVICE_ID still match it (re-enrolment creates a new record in the same
 *   tool). SMBIOS_UUID is weighed like SERIAL_NUMBER otherwise: a different Entra id from another tool rejects it.
 * - A serial the device's own connector instance reports for another record that is live at the same time
 *   (`serialSharedWith`: cloned VMs, golden images) identifies nothing: SERIAL_NUMBER is skipped with a
 *   SERIAL_SHARED_BY_LIVE_RECORDS conflict and the weaker rules decide, so each clone joins its own host name or
 *   MAC in other tools. The caller decides which records are live at once (see shared-serials.ts).
 *   An SMBIOS UUID shared the same way (`smbiosUuidSharedWith`: imaging and VM templates copy it too) is skipped
 *   with a SMBIOS_UUID_SHARED_BY_LIVE_RECORDS conflict.
 * - If more than one candidate asset is eligible under a rule, that rule is ambiguous (cloned VMs with a
 *   duplicated serial): it does not merge, the ambiguity is recorded and the next rule is tried.
 * - A candidate source equal to the device itself (same connector instance and sourceId) is its own previous
 *   snapshot and is not evidence for or against anything.
 * Every rejection that mattered (the candidate would otherwise have matched) and every ambiguity is recorded
 * in `conflicts`. Output is independent of the order of `candidates` and their sources.
 */
import { normaliseAzureAdId, normaliseHostname, normaliseMac, normaliseSerial, normaliseSmbiosUuid } from './normalise';

export interface DeviceIdentity {
  tenantId: string;
  /** The device's identifier in its source tool (SourceDevice.externalId). */
  sourceId: string;
  connectorInstanceId: string;
  azureAdDeviceId?: string | null;
  serialNumber?: string | null;
  smbiosUuid?: string | null;
  macAddresses?: string[];
  hostname?: string | null;
  fqdn?: string | null;
  /**
   * Other records of the device's own connector instance (their sourceIds) that report the same serial and are
   * live at the same time as this one: the serial then names no single machine.
   */
  serialSharedWith?: string[];
  /** Likewise for the SMBIOS UUID. */
  smbiosUuidSharedWith?: string[];
}

/** The conflict code recorded when a serial is void because live records of one tool share it. */
export const SERIAL_SHARED_BY_LIVE_RECORDS = 'SERIAL_SHARED_BY_LIVE_RECORDS';

/** Sharers named in a conflict: the reason is stored with each device, and a clone group can be thousands strong. */
export const MAX_SHARERS_NAMED = 10;

function listSharers(ids: readonly string[]): string {
  const named = [...ids].sort().slice(0, MAX_SHARERS_NAMED).join(', ');
  return ids.length > MAX_SHARERS_NAMED ? `${named} and ${(ids.length - MAX_SHARERS_NAMED).toLocaleString('en-GB')} more` : named;
}

/** The conflict code recorded when an SMBIOS UUID is void because live records of one tool share it. */
export const SMBIOS_UUID_SHARED_BY_LIVE_RECORDS = 'SMBIOS_UUID_SHARED_BY_LIVE_RECORDS';

/** An existing asset and the already-resolved source devices linked to it. */
export interface AssetIdentity {
  assetId: string;
  tenantId: string;
  sources: DeviceIdentity[];
}

export interface ManualIdentityOverride {
  /** Link the device to this asset regardless of identifiers (ignored if the asset is in another tenant or forbidden). */
  pinnedAssetId?: string;
  /** Assets the device must never be linked to (an operator split them apart). */
  forbiddenAssetIds?: string[];
}

export type MatchRule = 'MANUAL' | 'AZURE_AD_DEVICE_ID' | 'SERIAL_NUMBER' | 'SMBIOS_UUID' | 'MAC_ADDRESS' | 'HOSTNAME' | 'NEW';

export interface IdentityResolution {
  /** The asset to link the device to; null means create a new asset. */
  assetId: string | null;
  matchedBy: { rule: MatchRule; values: Record<string, string> };
  /** Human-readable reasons candidates were rejected and rules found ambiguous, in evaluation order. */
  conflicts: string[];
}

interface NormalisedIdentity {
  connectorInstanceId: string;
  sourceId: string;
  aad: string | null;
  serial: string | null;
  uuid: string | null;
  macs: string[];
  hostname: string | null;
}

function normaliseIdentity(d: DeviceIdentity): NormalisedIdentity {
  const macs = new Set<string>();
  for (const m of d.macAddresses ?? []) {
    const n = normaliseMac(m);
    if (n) macs.add(n);
  }
  return {
    connectorInstanceId: d.connectorInstanceId,
    sourceId: d.sourceId,
    aad: normaliseAzureAdId(d.azureAdDeviceId),
    serial: normaliseSerial(d.serialNumber),
    uuid: normaliseSmbiosUuid(d.smbiosUuid),
    macs: [...macs].sort(),
    hostname: normaliseHostname(d.hostname) ?? normaliseHostname(d.fqdn),
  };
}

interface Candidate {
  assetId: string;
  sources: NormalisedIdentity[];
}

type AutoRule = 'AZURE_AD_DEVICE_ID' | 'SERIAL_NUMBER' | 'SMBIOS_UUID' | 'MAC_ADDRESS' | 'HOSTNAME';

/** Why `c` may not match `dev` under `rule`, or null if it may. */
function rejection(dev: NormalisedIdentity, c: Candidate, rule: AutoRule): string | null {
  if (rule === 'AZURE_AD_DEVICE_ID') return null;
  if (dev.aad) {
    const other = c.sources.find((s) => s.aad && s.aad !== dev.aad && s.connectorInstanceId !== dev.connectorInstanceId);
    if (other) {
      return `asset ${c.assetId} rejected for ${rule}: Azure AD device id ${other.aad} from connector ${other.connectorInstanceId} differs from ${dev.aad}`;
    }
  }
  if (rule === 'SERIAL_NUMBER' || rule === 'SMBIOS_UUID') return null;
  if (dev.serial) {
    const other = c.sources.find((s) => s.serial && s.serial !== dev.serial);
    if (other) return `asset ${c.assetId} rejected for ${rule}: serial number ${other.serial} differs from ${dev.serial}`;
  }
  const sibling = c.sources.find((s) => s.connectorInstanceId === dev.connectorInstanceId);
  if (sibling) {
    return `asset ${c.assetId} rejected for ${rule}: it already has source ${sibling.sourceId} from connector ${dev.connectorInstanceId}`;
  }
  return null;
}

/** The values `c` shares with `dev` under `rule`, or null if it shares none. */
function shared(dev: NormalisedIdentity, c: Candidate, rule: AutoRule): Record<string, string> | null {
  switch (rule) {
    case 'AZURE_AD_DEVICE_ID':
      return dev.aad && c.sources.some((s) => s.aad === dev.aad) ? { azureAdDeviceId: dev.aad } : null;
    case 'SERIAL_NUMBER':
      return dev.serial && c.sources.some((s) => s.serial === dev.serial) ? { serialNumber: dev.serial } : null;
    case 'SMBIOS_UUID':
      return dev.uuid && c.sources.some((s) => s.uuid === dev.uuid) ? { smbiosUuid: dev.uuid } : null;
    case 'MAC_ADDRESS': {
      const theirs = new Set(c.sources.flatMap((s) => s.macs));
      const overlap = dev.macs.filter((m) => theirs.has(m));
      return overlap.length > 0 ? { macAddress: overlap.join(',') } : null;
    }
    case 'HOSTNAME':
      return dev.hostname && c.sources.some((s) => s.hostname === dev.hostname) ? { hostname: dev.hostname } : null;
  }
}

const AUTO_RULES: readonly AutoRule[] = ['AZURE_AD_DEVICE_ID', 'SERIAL_NUMBER', 'SMBIOS_UUID', 'MAC_ADDRESS', 'HOSTNAME'];

export function resolveIdentity(
  device: DeviceIdentity,
  candidates: AssetIdentity[],
  manual?: ManualIdentityOverride,
): IdentityResolution {
  const conflicts: string[] = [];
  const forbidden = new Set(manual?.forbiddenAssetIds ?? []);
  const dev = normaliseIdentity(device);

  // Same-tenant candidates, merged by assetId, sorted for a deterministic result.
  const otherTenantAssets = new Set<string>();
  const byId = new Map<string, Candidate>();
  for (const a of candidates) {
    if (a.tenantId !== device.tenantId) {
      otherTenantAssets.add(a.assetId);
      continue;
    }
    const c = byId.get(a.assetId) ?? { assetId: a.assetId, sources: [] };
    for (const s of a.sources) {
      if (s.tenantId !== device.tenantId) continue;
      // The device's own previous snapshot is no evidence about itself.
      if (s.connectorInstanceId === device.connectorInstanceId && s.sourceId === device.sourceId) continue;
      c.sources.push(normaliseIdentity(s));
    }
    byId.set(a.assetId, c);
  }

  const pin = manual?.pinnedAssetId;
  if (pin !== undefined) {
    if (forbidden.has(pin)) {
      conflicts.push(`pinned asset ${pin} ignored: it is also forbidden by a manual split`);
    } else if (otherTenantAssets.has(pin) && !byId.has(pin)) {
      conflicts.push(`pinned asset ${pin} ignored: it belongs to another tenant`);
    } else {
      // A pinned asset absent from `candidates` is trusted: the caller guarantees its tenant.
      return { assetId: pin, matchedBy: { rule: 'MANUAL', values: { pinnedAssetId: pin } }, conflicts };
    }
  }

  const pool: Candidate[] = [];
  for (const id of [...byId.keys()].sort()) {
    const c = byId.get(id)!;
    if (forbidden.has(id)) {
      if (AUTO_RULES.some((r) => shared(dev, c, r))) conflicts.push(`asset ${id} excluded: forbidden by a manual split`);
      continue;
    }
    pool.push(c);
  }

  const reported = new Set<string>();
  for (const rule of AUTO_RULES) {
    if (rule === 'SERIAL_NUMBER' && dev.serial && device.serialSharedWith?.length) {
      const others = listSharers(device.serialSharedWith);
      conflicts.push(
        `${SERIAL_SHARED_BY_LIVE_RECORDS}: serial ${dev.serial} is also reported by live record(s) ${others} of connector ${dev.connectorInstanceId}; it identifies no single machine`,
      );
      continue;
    }
    if (rule === 'SMBIOS_UUID' && dev.uuid && device.smbiosUuidSharedWith?.length) {
      const others = listSharers(device.smbiosUuidSharedWith);
      conflicts.push(
        `${SMBIOS_UUID_SHARED_BY_LIVE_RECORDS}: SMBIOS UUID ${dev.uuid} is also reported by live record(s) ${others} of connector ${dev.connectorInstanceId}; it identifies no single machine`,
      );
      continue;
    }
    const eligible: { c: Candidate; values: Record<string, string> }[] = [];
    for (const c of pool) {
      const values = shared(dev, c, rule);
      if (!values) continue;
      const why = rejection(dev, c, rule);
      if (why) {
        if (!reported.has(why)) conflicts.push(why);
        reported.add(why);
        continue;
      }
      eligible.push({ c, values });
    }
    if (eligible.length === 1) {
      return { assetId: eligible[0].c.assetId, matchedBy: { rule, values: eligible[0].values }, conflicts };
    }
    if (eligible.length > 1) {
      const ids = eligible.map((e) => e.c.assetId).join(', ');
      const vals = [...new Set(eligible.flatMap((e) => Object.values(e.values)))].join(', ');
      conflicts.push(`${rule} ${vals} is ambiguous: matches assets ${ids}`);
    }
  }

  return { assetId: null, matchedBy: { rule: 'NEW', values: {} }, conflicts };
}
