import DataLoader from 'dataloader';
import { Access } from '../../access/access';
import { Finder } from '../../access/finder';
import { PatchPostureEvent, PatchState, UpdateApproval, Site, SourceDevice, SyncRun, Update, Vulnerability } from '../../entities';
import { attachUpdate, hasAttachedUpdate } from '../../entities/patch-state.entity';
import { NOT_REMEDIATED_STATES, PatchStateValue } from '../../entities/enums';
import { inSpan } from '../../observability/tracing';

// Keeps IN lists well under every engine's parameter limit.
const MAX_BATCH = 500;

/**
 * A loader's batch in a span of its own (when tracing): the readable unit of a GraphQL request's trace, one per
 * query a batch makes, with its statements inside; a span per field would bury them.
 */
function traced<K, V>(name: string, batch: (keys: readonly K[]) => Promise<V[]>): (keys: readonly K[]) => Promise<V[]> {
  return (keys) => inSpan(`dataloader ${name}`, { 'patchgraph.dataloader.batch_size': keys.length }, () => batch(keys));
}

/**
 * A by-id loader that also answers from rows other queries of the request already read. Priming DataLoader costs a
 * resolved promise per row, and a page's nested lists read hundreds of rows that are hardly ever asked for again by
 * id; a row remembered here costs a map entry, and a promise only when it is asked for.
 */
export class ByIdLoader<T extends { id: string }> extends DataLoader<string, T | null> {
  private readonly known = new Map<string, T>();

  /** Keeps the first row read under each id, as DataLoader's prime does. */
  remember(row: T): void {
    if (!this.known.has(row.id)) this.known.set(row.id, row);
  }

  override load(id: string): Promise<T | null> {
    const row = this.known.get(id);
    return row !== undefined ? Promise.resolve(row) : super.load(id);
  }

  override clear(id: string): this {
    this.known.delete(id);
    return super.clear(id);
  }

  override clearAll(): this {
    this.known.clear();
    return super.clearAll();
  }
}

/** One shared by-id loader per entity; results respect the request's tenant scope like every finder. */
function byId<T extends { id: string }>(name: string, finder: Finder<T>): ByIdLoader<T> {
  return new ByIdLoader<T>(
    traced(name, async (ids) => {
      const rows = new Map((await finder.byIds(ids)).map((r) => [r.id, r]));
      return ids.map((id) => rows.get(id) ?? null);
    }),
    { maxBatchSize: MAX_BATCH },
  );
}

/**
 * Loads the children of many parents in one query and hands each parent its own list. Loaded rows also prime
 * their by-id loader, so a later `patchState.source` costs no query for a device `asset.sources` already read.
 */
function grouped<T extends { id: string }>(
  name: string,
  load: (keys: readonly string[]) => Promise<Array<{ key: string; row: T }>>,
  byIdLoader?: ByIdLoader<T>,
  /** Runs on the batch's rows before any parent gets its list (e.g. loads what they refer to, in one statement). */
  loaded?: (rows: T[]) => Promise<void>,
): DataLoader<string, T[]> {
  return new DataLoader(
    traced(name, async (keys) => {
      const groups = new Map<string, T[]>(keys.map((k) => [k, []]));
      const rows: T[] = [];
      for (const { key, row } of await load(keys)) {
        groups.get(key)?.push(row);
        byIdLoader?.remember(row);
        rows.push(row);
      }
      if (loaded) await loaded(rows);
      return keys.map((k) => groups.get(k)!);
    }),
    { maxBatchSize: MAX_BATCH },
  );
}

function counted(name: string, load: (keys: readonly string[]) => Promise<Map<string, number>>): DataLoader<string, number> {
  return new DataLoader(
    traced(name, async (keys) => {
      const counts = await load(keys);
      return keys.map((k) => counts.get(k) ?? 0);
    }),
    { maxBatchSize: MAX_BATCH },
  );
}

const keyedBy = <T>(key: (row: T) => string | null) => (rows: T[]) => rows.map((row) => ({ key: key(row) ?? '', row }));

/** Per-request loaders: a loader caches for one request only, so one principal never sees another's rows. */
export function createLoaders(access: Access) {
  const patchStatesByFilter = new Map<string, DataLoader<string, PatchState[]>>();
  const site = byId('sites', access.sites);
  const sourceDevice = byId('sourceDevices', access.sourceDevices);
  const update = byId('updates', access.updates);
  const patchState = byId('patchStates', access.patchStates);
  const vulnerability = byId('vulnerabilities', access.vulnerabilities);
  /**
   * Gives each state its update, which PatchState.update then reads as a plain property; those not yet loaded in
   * one batch. A failed load fails the whole list, as each state's field would have failed.
   */
  const attachUpdates = async (states: readonly PatchState[]): Promise<void> => {
    const pending = states.filter((s) => !hasAttachedUpdate(s));
    if (pending.length === 0) return;
    const ids = [...new Set(pending.map((s) => s.updateId))];
    const loaded = await update.loadMany(ids);
    const byUpdateId = new Map<string, Update | null>();
    ids.forEach((id, i) => {
      const value = loaded[i];
      if (value instanceof Error) throw value;
      byUpdateId.set(id, value);
    });
    for (const state of pending) attachUpdate(state, byUpdateId.get(state.updateId) ?? null);
  };
  return {
    tenant: byId('tenants', access.tenants),
    site,
    asset: byId('assets', access.assets),
    sourceDevice,
    connectorInstance: byId('connectorInstances', access.connectorInstances),
    syncRun: byId('syncRuns', access.syncRuns),
    latestSyncRunByInstance: new DataLoader<string, SyncRun | null>(
      traced('latestSyncRunByInstance', async (ids) => {
        const runs = new Map((await access.syncRuns.latestByInstance(ids)).map((r) => [r.connectorInstanceId, r]));
        return ids.map((id) => runs.get(id) ?? null);
      }),
      { maxBatchSize: MAX_BATCH },
    ),
    update,
    attachUpdates,
    patchState,
    vulnerability,
    sitesByTenant: grouped<Site>('sitesByTenant', (ids) => access.sites.byTenantIds(ids).then(keyedBy((s) => s.tenantId)), site),
    approvalsByUpdate: grouped<UpdateApproval>('approvalsByUpdate', (ids) => access.approvals.byUpdateIds(ids).then(keyedBy((a) => a.updateId))),
    postureHistoryBySource: grouped<PatchPostureEvent>('postureHistoryBySource', (ids) => access.postureEvents.bySourceDeviceIds(ids).then(keyedBy((e) => e.sourceDeviceId))),
    sourcesByAsset: grouped<SourceDevice>('sourcesByAsset', (ids) => access.sourceDevices.byAssetIds(ids).then(keyedBy((s) => s.assetId)), sourceDevice),
    vulnerabilitiesByUpdate: grouped<Vulnerability>('vulnerabilitiesByUpdate', (ids) => access.vulnerabilities.byUpdateIds(ids), vulnerability),
    updatesByVulnerability: grouped<Update>('updatesByVulnerability', (ids) => access.updates.byVulnerabilityIds(ids), update),
    assetCountByTenant: counted('assetCountByTenant', (ids) => access.assets.countByTenant(ids)),
    assetCountBySite: counted('assetCountBySite', (ids) => access.assets.countBySite(ids)),
    missingUpdateCountByAsset: counted('missingUpdateCountByAsset', (ids) => access.patchStates.countByAsset(ids, NOT_REMEDIATED_STATES)),
    /** Rows a connection page returned are known by id for the rest of the request. */
    primeAll<T extends { id: string }>(loader: ByIdLoader<T>, rows: readonly T[]): void {
      for (const row of rows) loader.remember(row);
    },
    /**
     * Patch states of assets; one loader per distinct filter, so each filter is still one query. `withUpdates`
     * attaches the states' updates with the batch, in one more statement for all its assets.
     */
    patchStatesByAsset(states: readonly PatchStateValue[] | null, effectiveOnly: boolean, withUpdates = false): DataLoader<string, PatchState[]> {
      const key = `${effectiveOnly ? 'effective' : 'all'}:${states ? [...states].sort().join(',') : '*'}${withUpdates ? ':updates' : ''}`;
      let loader = patchStatesByFilter.get(key);
      if (!loader) {
        loader = grouped<PatchState>(
          `patchStatesByAsset(${key})`,
          (ids) => access.patchStates.byAssetIds(ids, states, effectiveOnly).then(keyedBy((p) => p.assetId)),
          patchState,
          withUpdates ? attachUpdates : undefined,
        );
        patchStatesByFilter.set(key, loader);
      }
      return loader;
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
