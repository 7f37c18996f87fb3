/**
 * A run's leaf list in one tenant, written as it fills, and its Merkle root folded, one leaf at a time in canonical
 * order: what the seal writes whether its leaves come from the write (run-leaves.ts) or are read back (run-seal.ts),
 * so a verifier cannot tell, and must not, how a run was sealed.
 */
import { EntityManager } from 'typeorm';
import { insertRows } from '../db/insert-rows';
import { RunEventLeaves } from '../entities';
import { newId } from '../util/ids';
import { EventKind, EventsDigest, LEAF_CHUNK, LEAF_VERSION } from './event-leaves';
import { IncrementalMerkleRoot } from './merkle';

/** run_event_leaves rows per INSERT: about half a megabyte. */
export const LEAF_ROWS_PER_INSERT = 16;

export class LeafListWriter {
  private entries: Array<[EventKind, string, string]> = [];
  private filled: RunEventLeaves[] = [];
  private chunks = 0;
  private readonly tree = new IncrementalMerkleRoot();

  constructor(private readonly m: EntityManager, private readonly syncRunId: string, private readonly tenantId: string) {}

  add(kind: EventKind, id: string, leaf: string): void {
    this.entries.push([kind, id, leaf]);
    this.tree.add(leaf);
    if (this.entries.length === LEAF_CHUNK) this.closeRow();
  }

  get count(): number {
    return this.tree.count;
  }

  /** Rows already in the database: once there are any, the list can no longer be given up without a rollback. */
  get rowsWritten(): number {
    return this.chunks - this.filled.length;
  }

  /** Writes the rows filled so far, a statement's worth at a time; `all` also writes a last, short statement. */
  async write(all = false): Promise<void> {
    // A few rows per statement: mysql2 escapes a statement's values in one piece, 100-180 ms for a 4 MB one.
    while (this.filled.length >= LEAF_ROWS_PER_INSERT || (all && this.filled.length > 0)) {
      await insertRows(this.m, RunEventLeaves, this.filled.splice(0, LEAF_ROWS_PER_INSERT));
    }
  }

  /** Writes what is left and gives the count and root, as the run's audit event records them. */
  async finish(): Promise<EventsDigest> {
    if (this.entries.length) this.closeRow();
    await this.write(true);
    // Built key by key as digestOf builds it: the audit event's hash covers its data's JSON, key order included.
    const digest: EventsDigest = { count: this.tree.count, root: this.tree.root() };
    if (LEAF_VERSION > 1) digest.leaf = LEAF_VERSION;
    return digest;
  }

  private closeRow(): void {
    this.filled.push(Object.assign(new RunEventLeaves(), {
      id: newId(), syncRunId: this.syncRunId, tenantId: this.tenantId, chunk: this.chunks++, entries: JSON.stringify(this.entries),
    }));
    this.entries = [];
  }
}
