/**
 * The one list of the source-device columns a connector's record fills, each with how it is read from the record.
 * The run's digest, its update statement, posture comparison and identity all take their columns from here; only
 * the entity (the table) and the wire contract (DeviceRecord) keep lists of their own, and
 * test/unit/device-columns.test.ts fails when either drifts from this one.
 */
import { createHash } from 'node:crypto';
import type { DeviceRecord } from '../../../connectors/sdk/contract';
import { compactMac } from '../../../connectors/sdk/mac';
import type { SourceDevice } from '../../entities';
import type { DeviceOwnership, PatchPostureStatus } from '../../entities/enums';

const clip = (max: number) => (v: string | null | undefined): string | null => {
  const t = typeof v === 'string' ? v.trim() : null;
  return t ? t.slice(0, max) : null;
};

/** Key order must not change the digest, or a source that reorders its JSON would rewrite every device. */
const sortedKeys = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

function macsOf(d: DeviceRecord): string[] {
  const macs = new Set<string>();
  for (const raw of d.macAddresses ?? []) {
    // Keep every well-formed MAC (randomised ones too: an operator may want to see them); matching ignores the unusable.
    const compact = compactMac(raw);
    if (compact) macs.add(compact);
  }
  return [...macs].sort();
}

/**
 * Column -> reader. The order is the digest's: reordering it changes every stored payloadDigest, and the first run
 * after would rewrite every device. A new column goes at the end.
 */
const READERS = {
  hostname: (d) => clip(255)(d.hostname),
  fqdn: (d) => clip(255)(d.fqdn),
  serialNumber: (d) => clip(128)(d.serialNumber),
  azureAdDeviceId: (d) => clip(64)(d.azureAdDeviceId),
  smbiosUuid: (d) => clip(64)(d.smbiosUuid),
  macAddresses: macsOf,
  osName: (d) => clip(128)(d.osName),
  osVersion: (d) => clip(64)(d.osVersion),
  osBuild: (d) => clip(64)(d.osBuild),
  lastCheckInAt: (d) => d.lastCheckInAt ?? null,
  enrolledAt: (d) => d.enrolledAt ?? null,
  vendorSite: (d) => clip(255)(d.vendorSite),
  manufacturer: (d) => clip(128)(d.manufacturer),
  model: (d) => clip(128)(d.model),
  ownership: (d) => (d.ownership ?? null) as DeviceOwnership | null,
  inactive: (d) => d.inactive === true,
  attributes: (d) => (d.attributes && Object.keys(d.attributes).length ? sortedKeys(d.attributes) : null),
  postureStatus: (d) => (d.patchPosture?.status ?? null) as PatchPostureStatus | null,
  postureApprovedPending: (d) => d.patchPosture?.approvedPending ?? null,
  postureNotApproved: (d) => d.patchPosture?.notApproved ?? null,
  postureInstalled: (d) => d.patchPosture?.installed ?? null,
  vendorSiteId: (d) => clip(255)(d.vendorSiteId),
  revision: (d) => clip(128)(d.revision),
} satisfies { [K in keyof SourceDevice]?: (d: DeviceRecord) => SourceDevice[K] };

export type DeviceColumnName = keyof typeof READERS;
export type DeviceColumns = Pick<SourceDevice, DeviceColumnName>;

export const DEVICE_COLUMNS = Object.keys(READERS) as readonly DeviceColumnName[];

export const POSTURE_COLUMNS = ['postureStatus', 'postureApprovedPending', 'postureNotApproved', 'postureInstalled'] as const satisfies readonly DeviceColumnName[];

/** The columns identity resolution compares (src/identity/match.ts's DeviceIdentity). */
export const IDENTITY_COLUMNS = ['azureAdDeviceId', 'serialNumber', 'smbiosUuid', 'macAddresses', 'hostname', 'fqdn'] as const satisfies readonly DeviceColumnName[];

export function toDeviceColumns(d: DeviceRecord): DeviceColumns {
  const columns: Partial<Record<DeviceColumnName, unknown>> = {};
  for (const name of DEVICE_COLUMNS) columns[name] = READERS[name](d);
  return columns as DeviceColumns;
}

export const samePosture = (a: DeviceColumns, b: DeviceColumns): boolean => POSTURE_COLUMNS.every((f) => (a[f] ?? null) === (b[f] ?? null));

/** What payloadDigest stores: a device whose digest is unchanged costs no write. */
export function deviceDigest(c: DeviceColumns): string {
  // A source that reports no enrolment time keeps the digests it had before the column existed.
  return createHash('sha256')
    .update(JSON.stringify({ ...c, lastCheckInAt: c.lastCheckInAt?.toISOString() ?? null, enrolledAt: c.enrolledAt?.toISOString() ?? undefined }))
    .digest('hex');
}

/** Everything a run may change on a stored device: the record's columns, and what the engine decides about it. */
export const DEVICE_UPDATE_COLUMNS: ReadonlyArray<keyof SourceDevice & string> = [
  'assetId', ...DEVICE_COLUMNS, 'payloadDigest', 'matchedBy', 'stale', 'deletedInSource', 'lastSeenAt', 'statesDigest',
];
