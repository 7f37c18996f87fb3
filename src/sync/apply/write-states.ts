/**
 * Stage 4 of a partition: its patch states. For each device whose list moved (state-digest.ts), its stored states
 * are read as plain rows and compared, and only new and changed states are written, with an event per transition
 * (write-events.ts), a chunk of devices at a time inside the run's one transaction.
 */
import { EntityManager } from 'typeorm';
import { TimeSlicer, timeSlicer } from '../../../connectors/sdk/time-slices';
import type { SyncCounts } from '../../../connectors/sdk/sync-counts';
import { InFlight } from '../../db/in-flight';
import { insertRows, updateRows } from '../../db/insert-rows';
import { readRowsIn } from '../../db/read-rows';
import { yieldToEventLoop } from '../../db/sqlite-transaction-gate';
import { PatchState, SourceDevice } from '../../entities';
import { EvidenceKind, NOT_REMEDIATED_STATES, PatchStateValue } from '../../entities/enums';
import { newId } from '../../util/ids';
import { settleAll } from '../../util/settle-all';
import type { RunStates } from '../run-states';
import type { StatePlan } from '../state-digest';
import { EventScope, StateTransition, writePatchEvents } from './write-events';

const STATE_UPDATE_COLUMNS: ReadonlyArray<keyof PatchState & string> = [
  'assetId', 'state', 'evidence', 'firstSeenMissingAt', 'installedAt', 'changedAt', 'observedAt', 'lastEventAt', 'firstOpenAt', 'maxEventAt',
];

type EventSummary = Pick<PatchState, 'lastEventAt' | 'firstOpenAt' | 'maxEventAt'>;

/** No summary: compliance replays the events of the row's tenant (src/compliance/current-state.ts). */
const UNKNOWN: EventSummary = { lastEventAt: null, firstOpenAt: null, maxEventAt: null };

/**
 * The row's event summary after one more event at evidence time `at` into `state`. A row without a summary (written
 * around it, or moved from another tenant) stays without one: its history is not all in the summary.
 */
function summaryAfter(before: EventSummary | null, state: PatchStateValue, at: Date): EventSummary {
  if (before && before.lastEventAt === null) return UNKNOWN;
  const open = NOT_REMEDIATED_STATES.includes(state);
  const earlier = (a: Date | null, b: Date | null) => (a === null ? b : b === null ? a : a <= b ? a : b);
  const later = (a: Date | null, b: Date) => (a === null || a < b ? b : a);
  return {
    lastEventAt: at,
    firstOpenAt: open ? earlier(before?.firstOpenAt ?? null, at) : (before?.firstOpenAt ?? null),
    maxEventAt: later(before?.maxEventAt ?? null, at),
  };
}

/**
 * States compared and written per chunk. A chunk's stored rows, new and changed states and events are all that is
 * held at once, so memory follows the chunk, not the run; between chunks the event loop gets a turn.
 */
export const STATES_PER_CHUNK = 5_000;

/**
 * Writes the planned patch states, chunk by chunk of devices; returns the assets whose states were created or changed.
 * `slicer`: when a chunk's comparison gives the event loop a turn (a chunk's rows built in one piece held an SQLite
 * server's loop for 100-200 ms on a busy machine).
 */
export async function writePatchStates(
  m: EntityManager, ctx: EventScope, plan: StatePlan, createdDeviceIds: ReadonlySet<string>, updateIds: ReadonlyMap<string, string>, counts: SyncCounts,
  slicer: TimeSlicer = timeSlicer(),
): Promise<Set<string>> {
  const touched = new Set<string>();
  // One chunk's writes run (on MariaDB's server, on SQLite's writer thread) while the next chunk is compared. The
  // writes are awaited before the next chunk's are sent, so they land in order and at most two chunks are held; the
  // next chunk's read of its stored rows queues behind them on the one connection.
  const writing = new InFlight();
  const write = async (chunk: ReadonlyMap<SourceDevice, RunStates>) => {
    const compared = await compareChunk(m, ctx, chunk, createdDeviceIds, updateIds, slicer);
    await writing.landed();
    if (compared) writing.add(writeCompared(m, ctx, compared, counts, touched));
  };
  try {
    let chunk = new Map<SourceDevice, RunStates>();
    let size = 0;
    for (const [device, records] of plan.toCompare) {
      chunk.set(device, records);
      size += records.length;
      if (size < STATES_PER_CHUNK) continue;
      await write(chunk);
      chunk = new Map();
      size = 0;
      await yieldToEventLoop();
    }
    await write(chunk);
    await writing.landed();
  } finally {
    // Whatever happened here, nothing of this stage is still running once it returns or throws.
    await writing.settled();
  }
  return touched;
}

/** A chunk's comparison: the rows to insert and update, and a transition per event to write. */
interface ComparedChunk {
  created: PatchState[];
  changed: PatchState[];
  transitions: StateTransition[];
}

async function compareChunk(
  m: EntityManager, ctx: EventScope, devices: ReadonlyMap<SourceDevice, RunStates>, createdDeviceIds: ReadonlySet<string>,
  updateIds: ReadonlyMap<string, string>, slicer: TimeSlicer,
): Promise<ComparedChunk | null> {
  if (devices.size === 0) return null;
  const { now, tenantId } = ctx;
  // A device created by this run has nothing stored yet.
  const storedOf = [...devices.keys()].filter((d) => !createdDeviceIds.has(d.id)).map((d) => d.id);
  const existing = await readRowsIn(m, PatchState, 'sourceDeviceId', storedOf);
  const byKey = new Map(existing.map((s) => [`${s.sourceDeviceId}\u0000${s.updateId}`, s]));
  // A device whose stored states belong to another tenant is moving there (account-partitions.ts moves its states
  // after this stage, and leaves those on the old tenant's own catalog entries behind, with their events): its history
  // is partly another tenant's, so none of its rows keeps a summary.
  const moving = new Set(existing.filter((s) => s.tenantId !== tenantId).map((s) => s.sourceDeviceId));
  const created: PatchState[] = [];
  const changed: PatchState[] = [];
  const transitions: StateTransition[] = [];
  for (const [device, states] of devices) {
    if (slicer.due(states.length)) await slicer.turn();
    // The chunk's records exist only while it is compared: the run holds its states as columns.
    for (const r of states.records()) {
      const updateId = updateIds.get(r.updateKey)!;
      const current = byKey.get(`${device.id}\u0000${updateId}`);
      const state = r.state as PatchStateValue;
      const evidence = r.evidence as EvidenceKind;
      const transition = (): StateTransition => ({ device, updateId, from: current?.state ?? null, to: state, evidence, reportedAt: r.reportedAt ?? null });
      // The event written below (write-events.ts) has this evidence time.
      const eventAt = r.reportedAt ?? now;
      if (!current) {
        created.push(
          Object.assign(new PatchState(), {
            id: newId(), tenantId, assetId: device.assetId!, sourceDeviceId: device.id, updateId, state, evidence,
            firstSeenMissingAt: NOT_REMEDIATED_STATES.includes(state) ? (r.reportedAt ?? now) : null,
            installedAt: state === PatchStateValue.INSTALLED ? (r.installedAt ?? null) : null,
            // Effective unless another source of the asset outranks it, which the refresh of the run's assets
            // decides (refresh-assets.ts). Inserted false, every state of a first sync was written a second time by
            // that refresh: 242,450 rows at 2,000 x 300, about 1.1 s of SQLite's writer thread.
            changedAt: now, observedAt: now, effective: true,
            ...(moving.has(device.id) ? UNKNOWN : summaryAfter(null, state, eventAt)),
          }),
        );
        transitions.push(transition());
        continue;
      }
      const reportedInstall = r.installedAt ?? null;
      const installChanged = state === PatchStateValue.INSTALLED && reportedInstall !== null && current.installedAt?.getTime() !== reportedInstall.getTime();
      const forget = moving.has(device.id) && current.lastEventAt !== null;
      if (forget) Object.assign(current, UNKNOWN);
      if (current.state === state && current.evidence === evidence && !installChanged) {
        if (forget) changed.push(current);
        continue;
      }
      if (current.state !== state) {
        Object.assign(current, summaryAfter(current, state, eventAt));
        transitions.push(transition());
        const wasOpen = NOT_REMEDIATED_STATES.includes(current.state);
        const isOpen = NOT_REMEDIATED_STATES.includes(state);
        if (isOpen && !wasOpen) current.firstSeenMissingAt = r.reportedAt ?? now;
        if (!isOpen) current.firstSeenMissingAt = null;
        current.installedAt = state === PatchStateValue.INSTALLED ? (reportedInstall ?? now) : null;
        current.changedAt = now;
      } else if (installChanged) {
        current.installedAt = reportedInstall;
      }
      Object.assign(current, { state, evidence, assetId: device.assetId!, observedAt: now });
      changed.push(current);
    }
  }
  return { created, changed, transitions };
}

async function writeCompared(m: EntityManager, ctx: EventScope, { created, changed, transitions }: ComparedChunk, counts: SyncCounts, touched: Set<string>): Promise<void> {
  // The states and the events side by side, so the database has the next statement of one while this thread builds
  // the other's; they run in the order sent, and neither reads what the other writes.
  await settleAll([
    (async () => {
      await insertRows(m, PatchState, created);
      await updateRows(m, PatchState, changed, STATE_UPDATE_COLUMNS);
    })(),
    writePatchEvents(m, ctx, transitions).then((written) => {
      counts.events += written;
    }),
  ]);
  counts.patchStates.created += created.length;
  counts.patchStates.changed += changed.length;
  for (const p of created) touched.add(p.assetId);
  for (const p of changed) touched.add(p.assetId);
}
