/**
 * How a run of an account-wide instance is partitioned: one vendor account (Datto RMM) that serves many clients.
 * Each device names its tenant key (the vendor's organisation: Datto's site); the instance's mapping (vendor_site,
 * one row per key) says which tenant that key belongs to. Keys nobody has mapped are recorded for an operator and
 * their devices wait — a device is never guessed into a tenant. A device's own site (location) is matched within
 * that tenant. Each mapped tenant gets a partition applied with the ordinary rules.
 *
 * Every record is accounted for: one the source lists as deleted, or one in an unmapped or ignored site, is
 * counted and kept as an unattached record (or, for a deleted device already imported, marked on its source
 * device); its patch states are dropped and counted.
 */
import { EntityManager, In } from 'typeorm';
import type { DeviceRecord } from '../../../connectors/sdk/contract';
import { insertRows, updateRows } from '../../db/insert-rows';
import { PatchState, SourceDevice, Update, VendorSite } from '../../entities';
import { UnattachedReason } from '../../entities/enums';
import { newId } from '../../util/ids';
import { placeDevice } from '../device-placement';
import { SourceRead, SyncDataError } from '../read-source';
import { RunStates } from '../run-states';
import { UnattachedEntry, withoutStatesOf } from '../unattached-records';
import type { Partitioning } from './partitioning';
import { refreshAssets } from './refresh-assets';
import type { Partition, RunContext } from './run-context';

/** From here on a device's vendorSiteId is its tenant key, and vendorSite its own site's name (device-placement.ts). */
export const placeForAccount = (read: SourceRead): SourceRead => ({ ...read, devices: read.devices.map((d) => placeDevice(d, true)) });

/**
 * Records every vendor site the run listed; returns the tenant of each mapped site and the ignored ones. A site
 * holding only records the source lists as deleted is the vendor's own bin for them (Datto's "Deleted Devices"): it
 * is listed, flagged, and never mapped. A deleted record needs no site, since it is never imported.
 */
async function recordSites(m: EntityManager, run: RunContext): Promise<{ tenantOf: Map<string, string>; ignored: Set<string> }> {
  const listed = new Map<string, { name: string; devices: number; deleted: number }>();
  for (const d of run.read.devices) {
    if (!d.vendorSiteId) {
      if (d.deleted) continue;
      throw new SyncDataError(`device ${d.externalId}: an MSP-wide instance needs the tenant key of every device (tenantKey, or the deprecated vendorSiteId)`);
    }
    const site = listed.get(d.vendorSiteId) ?? { name: d.tenantName?.trim() || d.vendorSiteId, devices: 0, deleted: 0 };
    site.devices += 1;
    if (d.deleted) site.deleted += 1;
    listed.set(d.vendorSiteId, site);
  }
  const stored = await m.getRepository(VendorSite).findBy({ connectorInstanceId: run.instance.id });
  const byExternal = new Map(stored.map((s) => [s.externalId, s]));
  const created: VendorSite[] = [];
  const changed: VendorSite[] = [];
  for (const [externalId, { name, devices, deleted }] of listed) {
    const site = byExternal.get(externalId);
    const deletedDevicesSite = deleted === devices;
    if (!site) {
      created.push(Object.assign(new VendorSite(), {
        id: newId(), connectorInstanceId: run.instance.id, externalId: externalId.slice(0, 255), name: name.slice(0, 255), tenantId: null, siteId: null,
        ignored: false, deletedDevicesSite, deviceCount: devices, firstSeenAt: run.now, lastSeenAt: run.now,
      }));
    } else if (site.name !== name.slice(0, 255) || site.deviceCount !== devices || site.deletedDevicesSite !== deletedDevicesSite) {
      // Only a real change is written, so a run over an unchanged account writes nothing.
      changed.push(Object.assign(site, { name: name.slice(0, 255), deviceCount: devices, deletedDevicesSite, lastSeenAt: run.now }));
    }
  }
  await insertRows(m, VendorSite, created);
  await updateRows(m, VendorSite, changed, ['name', 'deviceCount', 'deletedDevicesSite', 'lastSeenAt']);
  const tenantOf = new Map<string, string>();
  const ignored = new Set<string>();
  for (const s of [...stored, ...created]) {
    // A site an operator mapped before it turned out to hold only deleted devices imports nothing all the same.
    if (s.deletedDevicesSite) continue;
    if (s.ignored) ignored.add(s.externalId);
    else if (s.tenantId) tenantOf.set(s.externalId, s.tenantId);
  }
  return { tenantOf, ignored };
}

interface Rehomed {
  device: SourceDevice;
  oldTenantId: string;
  oldAssetId: string | null;
}

/**
 * A device whose site now maps to another tenant (the MSP moved it to another client's site) moves with its
 * current patch states; its old asset is re-derived, or removed if nothing else reports it. History stays where
 * it was written: events are never rewritten.
 */
async function rehome(m: EntityManager, existing: SourceDevice[], target: Map<string, string>): Promise<Rehomed[]> {
  const moves: Rehomed[] = [];
  for (const device of existing) {
    const tenantId = target.get(device.externalId);
    if (!tenantId || tenantId === device.tenantId) continue;
    moves.push({ device, oldTenantId: device.tenantId, oldAssetId: device.assetId });
    // Identity starts over in the new tenant; manual merges and splits were decisions about the old one. Its states
    // are compared in full there: they move onto the new client's own catalog entries.
    Object.assign(device, { tenantId, assetId: null, matchedBy: null, pinnedAssetId: null, forbiddenAssetIds: null, payloadDigest: null, statesDigest: null });
  }
  await updateRows(m, SourceDevice, moves.map((r) => r.device), ['tenantId', 'assetId', 'matchedBy', 'pinnedAssetId', 'forbiddenAssetIds', 'payloadDigest', 'statesDigest']);
  return moves;
}

/** The moved devices now have assets in their new tenant: their current states follow, then the old assets. */
async function finishMoves(m: EntityManager, moves: Rehomed[], now: Date): Promise<void> {
  if (moves.length === 0) return;
  const after = new Map((await m.getRepository(SourceDevice).findBy({ id: In(moves.map((r) => r.device.id)) })).map((d) => [d.id, d]));
  for (const { device, oldTenantId } of moves) {
    const moved = after.get(device.id)!;
    // States on the old client's own catalog entries stay behind: the new client's part re-created them on its own.
    const stranded = await m.getRepository(Update).findBy({ owner: oldTenantId });
    if (stranded.length) await m.getRepository(PatchState).delete({ sourceDeviceId: device.id, updateId: In(stranded.map((u) => u.id)) });
    // The event summary speaks for events that stay in the old tenant: without it, compliance in the new one replays
    // its own history (statePathFor) instead of trusting times it cannot see, listed in this read or not.
    await m.getRepository(PatchState).update({ sourceDeviceId: device.id }, { tenantId: moved.tenantId, assetId: moved.assetId!, lastEventAt: null, firstOpenAt: null, maxEventAt: null });
  }
  for (const [oldTenant, assets] of groupBy(moves, (r) => r.oldTenantId)) {
    await refreshAssets(m, oldTenant, assets.map((r) => r.oldAssetId).filter((a): a is string => !!a), now);
  }
  // The states arrived after their new assets were refreshed: decide those assets' effective states again.
  const arrived = moves.map((r) => after.get(r.device.id)!).filter((d) => d.assetId);
  for (const [newTenant, devices] of groupBy(arrived, (d) => d.tenantId)) {
    await refreshAssets(m, newTenant, devices.map((d) => d.assetId!), now);
  }
}

export async function accountPartitions(m: EntityManager, run: RunContext): Promise<Partitioning> {
  const { read, instance } = run;
  const { tenantOf: tenantOfSite, ignored } = await recordSites(m, run);
  const existing = await m.getRepository(SourceDevice).findBy({ connectorInstanceId: instance.id });
  const held = new Map(existing.map((d) => [d.externalId, d]));
  const targetOf = new Map<string, string>();
  const byTenant = new Map<string, DeviceRecord[]>();
  const toTenant = (tenantId: string, d: DeviceRecord) => {
    const list = byTenant.get(tenantId);
    if (list) list.push(d);
    else byTenant.set(tenantId, [d]);
  };
  const unattached: UnattachedEntry[] = [];
  const counted = { deleted: 0, unmapped: 0, ignored: 0 };
  for (const d of read.devices) {
    if (d.deleted) {
      counted.deleted += 1;
      // A deleted device is marked where it was imported, whatever site the vendor now files it under.
      const device = held.get(d.externalId);
      if (device) toTenant(device.tenantId, d);
      else unattached.push({ record: d, reason: UnattachedReason.DELETED_IN_SOURCE });
      continue;
    }
    if (ignored.has(d.vendorSiteId!)) {
      counted.ignored += 1;
      unattached.push({ record: d, reason: UnattachedReason.IGNORED_SITE });
      continue;
    }
    const tenantId = tenantOfSite.get(d.vendorSiteId!);
    if (!tenantId) {
      counted.unmapped += 1;
      unattached.push({ record: d, reason: UnattachedReason.UNMAPPED_SITE });
      continue;
    }
    targetOf.set(d.externalId, tenantId);
    toTenant(tenantId, d);
  }

  const notImported = new Set([...read.devices.filter((d) => d.deleted), ...unattached.map((u) => u.record)].map((d) => d.externalId));
  const { states, dropped } = withoutStatesOf(read, notImported);

  const moves = await rehome(m, existing, targetOf);
  // An incremental run may report states of devices it did not list: they belong where the device is stored.
  const tenantOfDevice = new Map([...existing.map((d): [string, string] => [d.externalId, d.tenantId]), ...targetOf]);
  const listed = new Set(read.devices.map((d) => d.externalId));
  // The same rule as for a tenant's own instance (planStates): a full read lists every device, and an incremental
  // one may only add states of devices the instance holds.
  const statesOf = states.groupByDevice(
    (externalId) => (read.fullDeviceRead && !listed.has(externalId) ? undefined : tenantOfDevice.get(externalId)),
    (s) => {
      throw new SyncDataError(`patch state ${s.deviceExternalId}/${s.updateKey}: the device is not in this ${read.fullDeviceRead ? 'full read' : 'run nor known to this connector'}`);
    },
  );
  // Every tenant holding devices of this instance gets its part, even an empty one: a full read proves absence
  // there too (a site unmapped since, or emptied at the source).
  for (const d of existing) if (!byTenant.has(d.tenantId)) byTenant.set(d.tenantId, []);
  for (const tenantId of statesOf.keys()) if (!byTenant.has(tenantId)) byTenant.set(tenantId, []);

  const partitions = [...byTenant].sort(([a], [b]) => (a < b ? -1 : 1)).map(([tenantId, devices]): Partition => {
    const partStates = statesOf.get(tenantId) ?? RunStates.from([]);
    const used = new Set(partStates.updateKeys());
    return {
      tenantId,
      read: {
        devices,
        // Each tenant's part writes its own catalog entries: what only its sources report stays its own.
        updates: read.updates.filter((u) => used.has(u.key)),
        // Approvals name WSUS target groups, not tenants: an MSP-wide source keeps none (they need a tenant-bound instance).
        approvals: [],
        patchStates: partStates,
        fullDeviceRead: read.fullDeviceRead,
        cursors: read.cursors,
      },
    };
  });
  return { partitions, unattached, read: { ...counted, droppedStates: dropped }, afterPartitions: (m2) => finishMoves(m2, moves, run.now) };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(key(item));
    if (list) list.push(item);
    else out.set(key(item), [item]);
  }
  return out;
}
