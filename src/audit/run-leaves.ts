/**
 * A run's seal made from its events as the write inserts them, instead of reading them back when it commits: the
 * read-back was most of the seal (hundreds of thousands of rows read, turned into entities and hashed again).
 *
 * Why the write's order is the canonical one: a run makes its events' ids with newId, strictly increasing in one
 * process, and hands them over in the order it made them, so a tenant's patch events come in id order and go at once
 * into its leaf list (rows written as they fill) and its root (which keeps only its perfect subtrees). A tenant's
 * posture events, which its partition writes before its patch events but which come after them in canonical order
 * (kind first), are held as leaves until the seal: one per device whose posture moved, never one per state.
 *
 * It is still checked, not assumed: ids out of order, or a count that is not what the database holds for the run,
 * give a tenant's part to the read-back seal (run-seal.ts) while none of its leaf-list rows is written yet. Once some
 * are, the run fails instead: run_event_leaves is append-only, and only the run's rollback can take them back.
 */
import { EntityManager } from 'typeorm';
import { TimeSlicer, timeSlicer } from '../../connectors/sdk/time-slices';
import { PatchEvent, PatchPostureEvent } from '../entities';
import { EventsDigest, LEAF_CHUNK, LEAF_VERSION, patchEventLeaf, postureEventLeaf } from './event-leaves';
import { LEAF_ROWS_PER_INSERT, LeafListWriter } from './leaf-list-writer';

/** What the database holds of a run's events in one tenant. */
export interface StoredCounts {
  patch: number;
  posture: number;
}

class TenantLeaves {
  readonly writer: LeafListWriter;
  lastPatch = '';
  lastPosture = '';
  /** [id, leaf] of each posture event, in the order written. */
  readonly posture: Array<[string, string]> = [];
  /** Set when a leaf came out of order: nothing more is added, and the part is not sealed from here. */
  spoilt = false;

  constructor(m: EntityManager, syncRunId: string, tenantId: string) {
    this.writer = new LeafListWriter(m, syncRunId, tenantId);
  }
}

export class RunLeaves {
  private readonly tenants = new Map<string, TenantLeaves>();
  /**
   * `slicer`: a chunk's events are hashed (JSON, SHA-256, the tree's merges) in slices, since 5,000 of them in one
   * piece held the server's thread 100-200 ms at a time during a 2,000 x 300 ingest on a busy machine.
   */
  constructor(private readonly m: EntityManager, readonly syncRunId: string, private readonly slicer: TimeSlicer = timeSlicer()) {}

  private tenant(tenantId: string): TenantLeaves {
    let t = this.tenants.get(tenantId);
    if (!t) this.tenants.set(tenantId, (t = new TenantLeaves(this.m, this.syncRunId, tenantId)));
    return t;
  }

  /** Patch events just inserted, in the order their ids were made. */
  async patchEvents(events: readonly PatchEvent[]): Promise<void> {
    const touched = new Set<TenantLeaves>();
    for (const e of events) {
      const t = this.tenant(e.tenantId);
      if (t.spoilt) continue;
      // Compared by code units, as compareLeaves orders leaves.
      if (e.id <= t.lastPatch || e.syncRunId !== this.syncRunId) {
        t.spoilt = true;
        continue;
      }
      t.lastPatch = e.id;
      t.writer.add('patch_event', e.id, patchEventLeaf(e, LEAF_VERSION));
      touched.add(t);
      if (this.slicer.due()) await this.slicer.turn();
    }
    for (const t of touched) await t.writer.write();
  }

  /** Posture events just inserted, in the order their ids were made. */
  postureEvents(events: readonly PatchPostureEvent[]): void {
    for (const e of events) {
      const t = this.tenant(e.tenantId);
      if (t.spoilt) continue;
      if (e.id <= t.lastPosture || e.syncRunId !== this.syncRunId) {
        t.spoilt = true;
        continue;
      }
      t.lastPosture = e.id;
      t.posture.push([e.id, postureEventLeaf(e)]);
    }
  }

  /**
   * Finishes a tenant's leaf list and gives its digest, or null when its part is to be read back: nothing handed over
   * for it while the database holds events, or what was handed over is not all of them, in order, and none of its rows
   * is written yet.
   */
  async seal(tenantId: string, stored: StoredCounts): Promise<EventsDigest | null> {
    const t = this.tenants.get(tenantId);
    this.tenants.delete(tenantId);
    if (!t) return stored.patch + stored.posture === 0 ? new LeafListWriter(this.m, this.syncRunId, tenantId).finish() : null;
    const whole = !t.spoilt && t.writer.count === stored.patch && t.posture.length === stored.posture;
    if (!whole) {
      if (t.writer.rowsWritten === 0) return null;
      throw new Error(`the seal of run ${this.syncRunId} in tenant ${tenantId} was begun from the write, which did not hand over all of the run's events there in canonical order`);
    }
    for (let i = 0; i < t.posture.length; i++) {
      const [id, leaf] = t.posture[i];
      t.writer.add('patch_posture_event', id, leaf);
      if ((i + 1) % (LEAF_CHUNK * LEAF_ROWS_PER_INSERT) === 0) await t.writer.write();
    }
    return t.writer.finish();
  }

  /** Fails when a tenant part was begun and never sealed: its rows would be a leaf list no audit event covers. */
  checkAllSealed(): void {
    for (const [tenantId, t] of this.tenants) {
      if (t.writer.rowsWritten > 0) throw new Error(`run ${this.syncRunId} wrote leaf-list rows in tenant ${tenantId}, where it holds no events`);
    }
  }
}

/**
 * The run a transaction is writing, keyed by its manager: the seal runs in the same transaction as the write, and a
 * transaction that is given up takes its leaves with it when the manager is collected.
 */
const byTransaction = new WeakMap<EntityManager, RunLeaves>();

/** Starts handing a run's events to its seal; call it in the run's transaction before its first event. */
export function startRunLeaves(m: EntityManager, syncRunId: string, slicer?: TimeSlicer): RunLeaves {
  const leaves = new RunLeaves(m, syncRunId, slicer);
  byTransaction.set(m, leaves);
  return leaves;
}

/** The leaves the run's write handed over in this transaction, once; undefined when it handed over none. */
export function takeRunLeaves(m: EntityManager, syncRunId: string): RunLeaves | undefined {
  const leaves = byTransaction.get(m);
  if (!leaves || leaves.syncRunId !== syncRunId) return undefined;
  byTransaction.delete(m);
  return leaves;
}
