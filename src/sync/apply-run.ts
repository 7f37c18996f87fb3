/**
 * Writes one fully-read run in the caller's transaction: catalog entries, source devices (with identity
 * resolution), assets, patch states and their events, stale marks and cursors. It compares against what is stored
 * and writes only differences, in multi-row statements, so a run over unchanged data writes nothing.
 */
import { createHash } from 'node:crypto';
import { EntityManager, In, IsNull, Not } from 'typeorm';
import type { DeviceRecord } from '../../connectors/sdk/contract';
import { compactMac } from '../../connectors/sdk/mac';
import type { SyncCounts } from '../../connectors/sdk/sync-counts';
import { insertRows, updateRows } from '../db/insert-rows';
import { Asset, ConnectorInstance, PatchPostureEvent, PatchState, Site, SourceDevice, UpdateApproval, VendorSite } from '../entities';
import { AssetStatus, DeviceOwnership, PatchPostureStatus } from '../entities/enums';
import { IdentityResolution, resolveIdentity, SERIAL_SHARED_BY_LIVE_RECORDS, SMBIOS_UUID_SHARED_BY_LIVE_RECORDS } from '../identity/match';
import { serialsSharedByLiveRecords, SerialHolder, smbiosUuidsSharedByLiveRecords } from '../identity/shared-serials';
import { newId } from '../util/ids';
import { inSpan } from '../observability/tracing';
import { DERIVED_FIELDS, deriveAsset, outOfDate, sameDerived } from './derive-asset';
import { identityKeys, identityOf, IdentityIndex } from './identity-index';
import { Cursors, SourceRead, SyncDataError } from './read-source';
import { writeCatalog } from './write-catalog';
import { refreshEffectiveStates } from './effective-states';
import { findIn } from '../db/find-in';
import { planStates } from './state-digest';
import { writePatchStates } from './write-patch-states';

export interface ApplyContext {
  instance: ConnectorInstance;
  /** The tenant the devices belong to: the instance's, or for an MSP-wide instance the one its site mapping gives. */
  tenantId: string;
  read: SourceRead;
  now: Date;
  syncRunId: string;
}

export function emptyCounts(): SyncCounts {
  return {
    devices: { seen: 0, created: 0, changed: 0, stale: 0, deleted: 0, unmapped: 0, ignored: 0 },
    updates: { seen: 0, created: 0, changed: 0 },
    patchStates: { seen: 0, created: 0, changed: 0, dropped: 0 },
    events: 0,
    assets: { created: 0, changed: 0 },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Source devices

type DeviceColumns = Pick<
  SourceDevice,
  'hostname' | 'fqdn' | 'serialNumber' | 'azureAdDeviceId' | 'smbiosUuid' | 'macAddresses' | 'osName' | 'osVersion' | 'osBuild' | 'lastCheckInAt' | 'vendorSite'
  | 'manufacturer' | 'model' | 'ownership' | 'inactive' | 'attributes' | 'enrolledAt'
  | 'postureStatus' | 'postureApprovedPending' | 'postureNotApproved' | 'postureInstalled' | 'vendorSiteId' | 'revision'
>;

const clip = (v: string | null | undefined, max: number): string | null => {
  const t = typeof v === 'string' ? v.trim() : null;
  return t ? t.slice(0, max) : null;
};

function toDeviceColumns(d: DeviceRecord): DeviceColumns {
  const macs = new Set<string>();
  for (const raw of d.macAddresses ?? []) {
    // Keep every well-formed MAC (randomised ones too: an operator may want to see them); matching ignores the unusable.
    const compact = compactMac(raw);
    if (compact) macs.add(compact);
  }
  return {
    hostname: clip(d.hostname, 255),
    fqdn: clip(d.fqdn, 255),
    serialNumber: clip(d.serialNumber, 128),
    azureAdDeviceId: clip(d.azureAdDeviceId, 64),
    smbiosUuid: clip(d.smbiosUuid, 64),
    macAddresses: [...macs].sort(),
    osName: clip(d.osName, 128),
    osVersion: clip(d.osVersion, 64),
    osBuild: clip(d.osBuild, 64),
    lastCheckInAt: d.lastCheckInAt ?? null,
    enrolledAt: d.enrolledAt ?? null,
    vendorSite: clip(d.vendorSite, 255),
    manufacturer: clip(d.manufacturer, 128),
    model: clip(d.model, 128),
    ownership: (d.ownership ?? null) as DeviceOwnership | null,
    inactive: d.inactive === true,
    attributes: d.attributes && Object.keys(d.attributes).length ? sortedKeys(d.attributes) : null,
    postureStatus: (d.patchPosture?.status ?? null) as PatchPostureStatus | null,
    postureApprovedPending: d.patchPosture?.approvedPending ?? null,
    postureNotApproved: d.patchPosture?.notApproved ?? null,
    postureInstalled: d.patchPosture?.installed ?? null,
    vendorSiteId: clip(d.vendorSiteId, 255),
    revision: clip(d.revision, 128),
  };
}

const POSTURE_FIELDS = ['postureStatus', 'postureApprovedPending', 'postureNotApproved', 'postureInstalled'] as const;
const samePosture = (a: DeviceColumns, b: DeviceColumns): boolean => POSTURE_FIELDS.every((f) => (a[f] ?? null) === (b[f] ?? null));

/** Key order must not change the digest, or a source that reorders its JSON would rewrite every device. */
const sortedKeys = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

function digestOf(c: DeviceColumns): string {
  // A source that reports no enrolment time keeps the digests it had before the column existed.
  return createHash('sha256')
    .update(JSON.stringify({ ...c, lastCheckInAt: c.lastCheckInAt?.toISOString() ?? null, enrolledAt: c.enrolledAt?.toISOString() ?? undefined }))
    .digest('hex');
}

const identitySignature = (d: SourceDevice) => identityKeys(identityOf(d)).sort().join('|');

interface DevicePlan {
  /** Devices of the instance after this run, by external id. */
  byExternalId: Map<string, SourceDevice>;
  created: SourceDevice[];
  changed: Set<SourceDevice>;
  /** Devices whose asset must be (re)decided. */
  needsIdentity: SourceDevice[];
  /** Devices whose patch posture changed (or was first reported), with the status before. */
  postureChanges: Array<{ device: SourceDevice; from: PatchPostureStatus | null }>;
  /** Devices whose serial other live records of the instance share (clones), with those records' external ids. */
  sharedSerials: Map<string, string[]>;
  /** Likewise for SMBIOS UUIDs, which imaging and VM templates copy too. */
  sharedSmbiosUuids: Map<string, string[]>;
}

/**
 * Clones are found among all the instance's records, not only those this run changed: a new clone makes its
 * twin's serial void too. A device whose serial turned void (or valid again) since it was matched is re-decided.
 */
function findSharedIdentifiers(plan: Omit<DevicePlan, 'sharedSerials' | 'sharedSmbiosUuids'>): Pick<DevicePlan, 'sharedSerials' | 'sharedSmbiosUuids'> {
  const devices = [...plan.byExternalId.values()];
  const holders: SerialHolder[] = devices.map((d) => ({
    sourceId: d.externalId, serialNumber: d.serialNumber, smbiosUuid: d.smbiosUuid, outOfDate: outOfDate(d), lastCheckInAt: d.lastCheckInAt, enrolledAt: d.enrolledAt,
  }));
  const sharedSerials = serialsSharedByLiveRecords(holders);
  const sharedSmbiosUuids = smbiosUuidsSharedByLiveRecords(holders);
  const voided: Array<[Map<string, string[]>, string, string]> = [
    [sharedSerials, SERIAL_SHARED_BY_LIVE_RECORDS, 'SERIAL_NUMBER'],
    [sharedSmbiosUuids, SMBIOS_UUID_SHARED_BY_LIVE_RECORDS, 'SMBIOS_UUID'],
  ];
  const queued = new Set(plan.needsIdentity);
  for (const d of devices) {
    if (queued.has(d) || !d.assetId || d.pinnedAssetId) continue;
    const stored = storedMatch(d.matchedBy);
    const redecide = voided.some(([shared, code, rule]) => {
      const wasVoid = stored.conflicts.some((c) => c.startsWith(code));
      const isVoid = shared.has(d.externalId);
      return (isVoid && stored.rule === rule) || (!isVoid && wasVoid);
    });
    if (redecide) plan.needsIdentity.push(d);
  }
  return { sharedSerials, sharedSmbiosUuids };
}

function planDevices(existing: SourceDevice[], ctx: ApplyContext, counts: SyncCounts): DevicePlan {
  const { read, now, tenantId, instance } = ctx;
  const byExternalId = new Map(existing.map((d) => [d.externalId, d]));
  const created: SourceDevice[] = [];
  const changed = new Set<SourceDevice>();
  const needsIdentity: SourceDevice[] = [];
  const postureChanges: DevicePlan['postureChanges'] = [];
  const seen = new Set<string>();
  for (const record of [...read.devices].sort((a, b) => (a.externalId < b.externalId ? -1 : 1))) {
    seen.add(record.externalId);
    if (record.deleted) {
      // Never imported. A device the instance holds keeps its history and states and is only marked; the caller
      // records an unknown one as an unattached record.
      const held = byExternalId.get(record.externalId);
      if (held && !(held.stale && held.deletedInSource)) {
        if (!held.stale) counts.devices.stale += 1;
        Object.assign(held, { stale: true, deletedInSource: true, lastSeenAt: now });
        changed.add(held);
      }
      continue;
    }
    const columns = toDeviceColumns(record);
    const digest = digestOf(columns);
    const current = byExternalId.get(record.externalId);
    if (!current) {
      const device = Object.assign(new SourceDevice(), {
        id: newId(), tenantId, connectorInstanceId: instance.id, assetId: null, externalId: record.externalId, ...columns,
        payloadDigest: digest, matchedBy: null, pinnedAssetId: null, forbiddenAssetIds: null, stale: false, firstSeenAt: now, lastSeenAt: now,
      });
      byExternalId.set(device.externalId, device);
      created.push(device);
      needsIdentity.push(device);
      if (columns.postureStatus) postureChanges.push({ device, from: null });
      continue;
    }
    if (current.payloadDigest === digest && !current.stale && current.assetId) continue;
    if (columns.postureStatus && !samePosture(current, columns)) postureChanges.push({ device: current, from: current.postureStatus });
    const before = identitySignature(current);
    Object.assign(current, columns, { payloadDigest: digest, stale: false, deletedInSource: false, lastSeenAt: now });
    changed.add(current);
    if (!current.assetId || identitySignature(current) !== before) needsIdentity.push(current);
  }
  if (read.fullDeviceRead) {
    // Only a complete full read proves absence; the device is kept (history, states) and only marked.
    for (const d of existing) {
      if (seen.has(d.externalId) || d.stale) continue;
      d.stale = true;
      d.lastSeenAt = now;
      changed.add(d);
      counts.devices.stale += 1;
    }
  }
  counts.devices.seen = read.devices.length;
  counts.devices.created = created.length;
  const plan = { byExternalId, created, changed, needsIdentity, postureChanges };
  return { ...plan, ...findSharedIdentifiers(plan) };
}

/** One event per posture change, after identity resolution so each names the device's asset. */
function postureEvents(plan: DevicePlan, ctx: ApplyContext): PatchPostureEvent[] {
  return plan.postureChanges.map(({ device, from }) =>
    Object.assign(new PatchPostureEvent(), {
      id: newId(), tenantId: ctx.tenantId, assetId: device.assetId!, sourceDeviceId: device.id, syncRunId: ctx.syncRunId,
      fromStatus: from, toStatus: device.postureStatus!, approvedPending: device.postureApprovedPending, notApproved: device.postureNotApproved,
      installed: device.postureInstalled, observedAt: ctx.now,
    }),
  );
}

/** A device's stored match (matchedByJson's form; older rows hold a bare rule name). */
function storedMatch(json: string | null): { rule: string | null; conflicts: string[] } {
  if (!json) return { rule: null, conflicts: [] };
  try {
    const parsed = JSON.parse(json) as { rule?: string; conflicts?: string[] };
    return { rule: parsed.rule ?? null, conflicts: parsed.conflicts ?? [] };
  } catch {
    return { rule: json, conflicts: [] };
  }
}

function matchedByJson(resolution: IdentityResolution): string {
  return JSON.stringify({ rule: resolution.matchedBy.rule, values: resolution.matchedBy.values, conflicts: resolution.conflicts });
}

/**
 * Decides the asset of every device that needs it, creating assets for new machines. Returns the assets created
 * and the ids of assets whose set of sources changed.
 */
async function resolveDevices(m: EntityManager, ctx: ApplyContext, plan: DevicePlan): Promise<{ newAssets: Asset[]; touched: Set<string>; moved: SourceDevice[] }> {
  const touched = new Set<string>();
  const newAssets: Asset[] = [];
  const moved: SourceDevice[] = [];
  if (plan.needsIdentity.length === 0) return { newAssets, touched, moved };
  const { tenantId, now } = ctx;

  const tenantSources = await m.getRepository(SourceDevice).findBy({ tenantId });
  const resolving = new Set(plan.needsIdentity.map((d) => d.id));
  const index = new IdentityIndex(tenantId);
  for (const s of tenantSources) if (s.assetId && !resolving.has(s.id)) index.add(s.assetId, identityOf(s));

  const pins = [...new Set(plan.needsIdentity.map((d) => d.pinnedAssetId).filter((x): x is string => !!x))];
  const livePins = new Set((await findIn(m, Asset, 'id', pins, { tenantId })).map((a) => a.id));

  for (const device of plan.needsIdentity) {
    const sharers = plan.sharedSerials.get(device.externalId) ?? [];
    const uuidSharers = plan.sharedSmbiosUuids.get(device.externalId) ?? [];
    const identity = { ...identityOf(device), serialSharedWith: sharers, smbiosUuidSharedWith: uuidSharers };
    const pinned = device.pinnedAssetId && livePins.has(device.pinnedAssetId) ? device.pinnedAssetId : undefined;
    const resolution = resolveIdentity(identity, index.candidatesFor(identity), {
      pinnedAssetId: pinned,
      forbiddenAssetIds: device.forbiddenAssetIds ?? [],
    });
    const previous = device.assetId;
    let assetId = resolution.assetId;
    let matchedBy = matchedByJson(resolution);
    // A clone must not stay on an asset its twin holds: that is the wrong merge being undone.
    const twinThere = [...sharers, ...uuidSharers].some((id) => plan.byExternalId.get(id)?.assetId === previous);
    if (!assetId && previous && !twinThere && !(device.forbiddenAssetIds ?? []).includes(previous)) {
      // Nothing else claims the device: it stays where it is (assets do not churn because an identifier changed).
      assetId = previous;
      matchedBy = device.matchedBy ?? matchedBy;
    }
    if (!assetId) {
      const asset = Object.assign(new Asset(), {
        id: newId(), tenantId, siteId: null, hostname: device.externalId, fqdn: null, serialNumber: null, manufacturer: null, model: null, osName: null, osVersion: null,
        osBuild: null, status: AssetStatus.ACTIVE, lastSeenAt: now, createdAt: now, updatedAt: now,
      });
      newAssets.push(asset);
      assetId = asset.id;
    }
    if (previous !== assetId) {
      if (previous) {
        touched.add(previous);
        moved.push(device);
      }
      device.assetId = assetId;
      plan.changed.add(device);
    }
    if (device.matchedBy !== matchedBy) {
      device.matchedBy = matchedBy;
      plan.changed.add(device);
    }
    touched.add(assetId);
    index.add(assetId, identity);
  }
  return { newAssets, touched, moved };
}

/**
 * Re-derives the given assets from their sources, deletes those left without any source, and re-decides their
 * effective patch states. Call it after any change to an asset's sources, their freshness or their states.
 */
export async function refreshAssets(m: EntityManager, tenantId: string, assetIds: Iterable<string>, now: Date): Promise<{ changed: number; deleted: string[] }> {
  const ids = [...new Set(assetIds)];
  if (ids.length === 0) return { changed: 0, deleted: [] };
  const assets = await findIn(m, Asset, 'id', ids, { tenantId });
  const sources = await findIn(m, SourceDevice, 'assetId', ids, { tenantId });
  const sites = await m.getRepository(Site).findBy({ tenantId });
  const mappedSite = await mappedSites(m, sources);
  const byAsset = new Map<string, SourceDevice[]>();
  for (const s of sources) byAsset.set(s.assetId!, [...(byAsset.get(s.assetId!) ?? []), s]);
  const changed: Asset[] = [];
  const deleted: string[] = [];
  for (const asset of assets) {
    const own = byAsset.get(asset.id);
    if (!own?.length) {
      deleted.push(asset.id);
      continue;
    }
    const derived = deriveAsset(own, asset.siteId, sites, (s) => mappedSite.get(`${s.connectorInstanceId}\u0000${s.vendorSiteId}`));
    if (sameDerived(asset, derived)) continue;
    Object.assign(asset, derived, { updatedAt: now });
    changed.push(asset);
  }
  await updateRows(m, Asset, changed, [...DERIVED_FIELDS, 'updatedAt']);
  if (deleted.length) await m.getRepository(Asset).delete({ id: In(deleted), tenantId });
  const gone = new Set(deleted);
  await refreshEffectiveStates(m, ids.filter((id) => !gone.has(id)));
  return { changed: changed.length, deleted };
}

/** Sites an operator chose for vendor sites (vendor_site.siteId), keyed by instance and vendor site id. */
async function mappedSites(m: EntityManager, sources: SourceDevice[]): Promise<Map<string, string>> {
  const instances = [...new Set(sources.filter((s) => s.vendorSiteId).map((s) => s.connectorInstanceId))];
  if (instances.length === 0) return new Map();
  const rows = await m.getRepository(VendorSite).findBy({ connectorInstanceId: In(instances), siteId: Not(IsNull()) });
  return new Map(rows.map((r) => [`${r.connectorInstanceId}\u0000${r.externalId}`, r.siteId!]));
}

const DEVICE_UPDATE_COLUMNS: ReadonlyArray<keyof SourceDevice & string> = [
  'assetId', 'hostname', 'fqdn', 'serialNumber', 'azureAdDeviceId', 'smbiosUuid', 'macAddresses', 'osName', 'osVersion', 'osBuild',
  'lastCheckInAt', 'enrolledAt', 'vendorSite', 'manufacturer', 'model', 'ownership', 'inactive', 'attributes', ...POSTURE_FIELDS, 'vendorSiteId', 'revision', 'payloadDigest', 'matchedBy', 'stale', 'deletedInSource', 'lastSeenAt',
  'statesDigest',
];

/** Moves the patch states of devices that changed asset, so per-asset queries follow the device. */
export async function repointPatchStates(m: EntityManager, devices: SourceDevice[]): Promise<void> {
  for (const d of devices) {
    await m.getRepository(PatchState).update({ sourceDeviceId: d.id }, { assetId: d.assetId! });
  }
}

// ---------------------------------------------------------------------------------------------------------------

function sameCursors(stored: string | null, next: Cursors): boolean {
  const nextJson = Object.keys(next).length ? JSON.stringify(Object.fromEntries(Object.entries(next).sort())) : null;
  return (stored ?? null) === nextJson;
}

export async function applyRun(m: EntityManager, ctx: ApplyContext): Promise<SyncCounts> {
  const counts = emptyCounts();
  const updateIds = await inSpan('sync.write_catalog', {}, () => writeCatalog(m, ctx.read, ctx.now, counts, ctx.tenantId));

  const { plan, newAssets, touched, moved, states } = await inSpan('sync.plan', { 'patchgraph.tenant.id': ctx.tenantId }, async () => {
    // An MSP-wide instance is applied one tenant at a time: each part knows only its tenant's devices.
    const existing = await m.getRepository(SourceDevice).findBy({ connectorInstanceId: ctx.instance.id, tenantId: ctx.tenantId });
    const plan = planDevices(existing, ctx, counts);
    const resolved = await resolveDevices(m, ctx, plan);
    for (const d of plan.changed) if (d.assetId) resolved.touched.add(d.assetId);
    // Before the devices are written: it sets the digest of each device whose states moved, which is written with them.
    const states = planStates(ctx.read, plan.byExternalId, updateIds);
    return { plan, ...resolved, states };
  });
  return inSpan('sync.write', { 'patchgraph.tenant.id': ctx.tenantId }, () => writePlanned(m, ctx, counts, updateIds, { plan, newAssets, touched, moved, states }));
}

/** The writing half of applyRun: what the plan decided, in the order the foreign keys need. */
async function writePlanned(
  m: EntityManager, ctx: ApplyContext, counts: SyncCounts, updateIds: Map<string, string>,
  { plan, newAssets, touched, moved, states }: { plan: DevicePlan; newAssets: Asset[]; touched: Set<string>; moved: SourceDevice[]; states: ReturnType<typeof planStates> },
): Promise<SyncCounts> {
  await insertRows(m, Asset, newAssets);
  await insertRows(m, SourceDevice, plan.created);
  const createdIds = new Set(plan.created.map((d) => d.id));
  // A device whose states moved while the device did not (an incremental read's state change) only needs its digest.
  const written = new Set([...plan.changed, ...states.digestChanged].filter((d) => !createdIds.has(d.id)));
  await updateRows(m, SourceDevice, [...written], DEVICE_UPDATE_COLUMNS);
  await repointPatchStates(m, moved);
  const posture = postureEvents(plan, ctx);
  await insertRows(m, PatchPostureEvent, posture);
  counts.events += posture.length;
  counts.devices.changed = [...plan.changed].filter((d) => !createdIds.has(d.id)).length;

  counts.patchStates.seen = ctx.read.patchStates.length;
  for (const assetId of await writePatchStates(m, ctx, states, createdIds, updateIds, counts)) touched.add(assetId);
  const refreshed = await refreshAssets(m, ctx.tenantId, touched, ctx.now);
  counts.assets.created = newAssets.length;
  // New assets are inserted with placeholders and then derived like any other; only older ones count as changed.
  counts.assets.changed = Math.max(0, refreshed.changed - newAssets.length);
  await writeApprovals(m, ctx, updateIds);
  await writeCursors(m, ctx.instance, ctx.read.cursors);
  return counts;
}

/** Approvals are evidence: recorded the first time they are seen, never changed or removed by a later run. */
async function writeApprovals(m: EntityManager, ctx: ApplyContext, updateIds: Map<string, string>): Promise<void> {
  const { read, instance, tenantId, now } = ctx;
  if (read.approvals.length === 0) return;
  const known = new Set((await findIn(m, UpdateApproval, 'externalId', read.approvals.map((a) => a.externalId), { connectorInstanceId: instance.id })).map((a) => a.externalId));
  const created: UpdateApproval[] = [];
  for (const a of read.approvals) {
    if (known.has(a.externalId)) continue;
    const updateId = updateIds.get(a.updateKey);
    if (!updateId) throw new SyncDataError(`approval ${a.externalId}: the update ${a.updateKey} is neither in this run nor in the catalog`);
    created.push(Object.assign(new UpdateApproval(), {
      id: newId(), tenantId, connectorInstanceId: instance.id, updateId, externalId: a.externalId, groupName: a.group.slice(0, 255), action: a.action.slice(0, 32),
      approvedAt: a.approvedAt ?? null, approvedBy: a.approvedBy ? a.approvedBy.slice(0, 255) : null, recordedAt: now,
    }));
  }
  await insertRows(m, UpdateApproval, created);
}

export async function writeCursors(m: EntityManager, instance: ConnectorInstance, next: Cursors): Promise<void> {
  if (sameCursors(instance.cursors, next)) return;
  const cursors = Object.keys(next).length ? JSON.stringify(Object.fromEntries(Object.entries(next).sort())) : null;
  await m.getRepository(ConnectorInstance).update({ id: instance.id }, { cursors });
  instance.cursors = cursors;
}

