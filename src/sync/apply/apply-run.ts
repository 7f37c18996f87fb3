/**
 * Writes one fully-read run in the caller's transaction, so the run commits or fails as one. The run is split
 * into partitions, one per tenant (a tenant's own instance: one; an account-wide instance: one per mapped tenant),
 * and goes through stages with one job each:
 *   catalog (once, for every partition)
 *   -> per partition: plan devices -> resolve identity -> write devices -> events, patch states -> refresh assets
 *      -> approvals
 *   -> unattached records -> cursors (once).
 * Every stage compares against what is stored and writes only differences, in multi-row statements, so a run over
 * unchanged data writes nothing.
 */
import { EntityManager } from 'typeorm';
import { RunLeaves, startRunLeaves } from '../../audit/run-leaves';
import type { SyncCounts } from '../../../connectors/sdk/sync-counts';
import { entityRows } from '../../db/entity-rows';
import { SourceDevice } from '../../entities';
import { inSpan } from '../../observability/tracing';
import { yieldToEventLoop } from '../../db/sqlite-transaction-gate';
import { digestRunStates, planDigestedStates } from '../state-digest';
import { writeUnattached } from '../unattached-records';
import { writeCatalog } from '../write-catalog';
import { accountPartitions, placeForAccount } from './account-partitions';
import { planDevices } from './plan-devices';
import { refreshAssets } from './refresh-assets';
import { resolveIdentities } from './resolve-identity';
import { addPartCounts, emptyCounts, Partition, RunContext } from './run-context';
import { placeForTenant, tenantPartition } from './tenant-partition';
import { writeApprovals } from './write-approvals';
import { writeCursors } from './write-cursors';
import { writeDevices } from './write-devices';
import { writePostureEvents } from './write-events';
import { writePatchStates } from './write-states';

export async function applyRun(m: EntityManager, given: RunContext): Promise<SyncCounts> {
  const ownTenant = given.instance.tenantId;
  const run = { ...given, read: ownTenant ? placeForTenant(given.read) : placeForAccount(given.read) };
  const { read, instance, now } = run;
  const partitioning = ownTenant ? await tenantPartition(m, run, ownTenant) : await accountPartitions(m, run);

  const parts = await inSpan('sync.write_catalog', {}, async () => {
    const out: Array<{ part: Partition; counts: SyncCounts; updateIds: Map<string, string> }> = [];
    for (const part of partitioning.partitions) {
      const counts = emptyCounts();
      out.push({ part, counts, updateIds: await writeCatalog(m, part.read, now, counts, part.tenantId) });
    }
    return out;
  });
  const total = emptyCounts();
  // The seal, in this transaction after the apply, takes the events' leaves from here instead of reading them back.
  const leaves = startRunLeaves(m, run.syncRunId);
  for (const { part, counts, updateIds } of parts) {
    await applyPartition(m, run, part, updateIds, counts, leaves);
    addPartCounts(total, counts);
  }
  await writeUnattached(m, { instance, read, entries: partitioning.unattached, now });
  await partitioning.afterPartitions?.(m);
  await writeCursors(m, instance, read.cursors);

  total.devices.seen = read.devices.length;
  total.devices.deleted = partitioning.read.deleted;
  total.devices.unmapped = partitioning.read.unmapped;
  total.devices.ignored = partitioning.read.ignored;
  total.updates.seen = read.updates.length;
  total.patchStates.seen = read.patchStates.length;
  total.patchStates.dropped = partitioning.read.droppedStates;
  return total;
}

async function applyPartition(m: EntityManager, run: RunContext, part: Partition, updateIds: Map<string, string>, counts: SyncCounts, leaves: RunLeaves): Promise<void> {
  const { tenantId } = part;
  const { plan, resolved, states } = await inSpan('sync.plan', { 'patchgraph.tenant.id': tenantId }, async () => {
    // A partition knows only its tenant's devices of the instance. Read as plain rows (entity-rows.ts): a WSUS
    // re-post of 2,000 computers spent about 35 ms hydrating them as entities, on the path whose cost should follow
    // the change.
    const reading = entityRows(
      m.getRepository(SourceDevice).createQueryBuilder('d').where('d.connectorInstanceId = :instance AND d.tenantId = :tenantId', { instance: run.instance.id, tenantId }),
    );
    // Handled when awaited below; until then a failure must not count as unhandled.
    reading.catch(() => undefined);
    // While the database reads them (SQLite's writer thread, or MariaDB), this thread digests the run's states, which
    // needs no device: 36-62 ms of a 2,000-computer re-post's read, then about 70 ms of digests, one after the other.
    // A turn first, so the read is on its way before the digests hold the thread.
    await yieldToEventLoop();
    const digested = await digestRunStates(part.read, updateIds);
    const existing = await reading;
    const plan = await planDevices(existing, run, part, counts);
    const resolved = await resolveIdentities(m, tenantId, run.now, plan);
    for (const d of plan.changed) if (d.assetId) resolved.touched.add(d.assetId);
    // Before the devices are written: it sets the digest of each device whose states moved, which is written with them.
    const states = planDigestedStates(part.read, plan.byExternalId, digested);
    return { plan, resolved, states };
  });
  await inSpan('sync.write', { 'patchgraph.tenant.id': tenantId }, async () => {
    const createdIds = await writeDevices(m, plan, resolved, states.digestChanged, counts);
    const scope = { tenantId, syncRunId: run.syncRunId, now: run.now, leaves };
    counts.events += await writePostureEvents(m, scope, plan.postureChanges);
    for (const assetId of await writePatchStates(m, scope, states, createdIds, updateIds, counts)) resolved.touched.add(assetId);
    const refreshed = await refreshAssets(m, tenantId, resolved.touched, run.now);
    counts.assets.created = resolved.newAssets.length;
    // New assets are inserted with placeholders and then derived like any other; only older ones count as changed.
    counts.assets.changed = Math.max(0, refreshed.changed - resolved.newAssets.length);
    await writeApprovals(m, run.instance, part, updateIds, run.now);
  });
}
