/**
 * A run's seal in one tenant read back from the database: for a part whose events the write did not hand over whole
 * and in order (run-leaves.ts), and for callers that seal events written elsewhere. Streamed: the run's events are
 * read page by page in canonical order, and each page's leaves go at once into the leaf list (its rows written as
 * they fill) and into the Merkle root (which keeps only the roots of its perfect subtrees), so the seal holds about a
 * page of events whatever the size of the run ([P12]: a sync run's peak memory must stay flat as the fleet grows).
 * Holding every leaf, then every row, then every leaf as a Buffer for the root kept 92 MB more live heap while a
 * 242,000-event run was sealed; streamed, 1.7 MB.
 *
 * The rows and the digest are those the collect-and-sort seal wrote (same entries per row, same chunk numbers, same
 * count and root): a verifier cannot tell, and must not, how a run was sealed.
 */
import { EntityManager } from 'typeorm';
import { forEachSliced, TimeSlicer, timeSlicer } from '../../connectors/sdk/time-slices';
import { PatchEvent, PatchPostureEvent } from '../entities';
import { EventLeaf, EventsDigest, LEAF_CHUNK, LEAF_VERSION, patchEventLeafOf, postureEventLeafOf, runLeavesIn, runPages } from './event-leaves';
import { LEAF_ROWS_PER_INSERT, LeafListWriter } from './leaf-list-writer';

/** Thrown from inside the pages to stop reading: a row came after a later one in canonical order. */
class OutOfOrder extends Error {}

/** Feeds one kind's rows to the writer in the order read, as long as that is canonical (ids strictly increasing). */
function inCanonicalOrder<T extends { id: string }>(writer: LeafListWriter, slicer: TimeSlicer, leafOf: (row: T) => EventLeaf) {
  let last = '';
  return async (rows: T[]) => {
    await forEachSliced(rows, slicer, (row) => {
      // Compared as compareLeaves compares, by code units: the database's order (rowid, or a collation) is no proof.
      if (row.id <= last) throw new OutOfOrder();
      last = row.id;
      const leaf = leafOf(row);
      writer.add(leaf.kind, leaf.id, leaf.leaf);
    });
    await writer.write();
  };
}

/**
 * Where a tenant's part starts: run_event_leaves is append-only (a trigger refuses DELETE), so a part that turns out
 * to be written in the wrong order is undone by rolling the run's transaction back to here.
 */
const PART_SAVEPOINT = 'run_seal_part';

/** Seals a run's events in one tenant, writing its leaf list, in the run's transaction; the digest is the run's audit event's `events`. */
export async function sealRunIn(m: EntityManager, syncRunId: string, tenantId: string, slicer: TimeSlicer = timeSlicer()): Promise<EventsDigest> {
  await m.query(`SAVEPOINT ${PART_SAVEPOINT}`);
  try {
    const writer = new LeafListWriter(m, syncRunId, tenantId);
    // Patch events before posture events: the canonical order is by kind first.
    await runPages(m, PatchEvent, syncRunId, tenantId, slicer, inCanonicalOrder(writer, slicer, patchEventLeafOf(LEAF_VERSION)));
    await runPages(m, PatchPostureEvent, syncRunId, tenantId, slicer, inCanonicalOrder(writer, slicer, postureEventLeafOf));
    const digest = await writer.finish();
    await m.query(`RELEASE SAVEPOINT ${PART_SAVEPOINT}`);
    return digest;
  } catch (err) {
    if (!(err instanceof OutOfOrder)) throw err;
  }
  // Rows not in id order (written by another process, with older random ids, or ordered by a collation): the part
  // written so far is undone, and the tenant's part is sealed from all its leaves read then sorted, holding them all.
  await m.query(`ROLLBACK TO SAVEPOINT ${PART_SAVEPOINT}`);
  await m.query(`RELEASE SAVEPOINT ${PART_SAVEPOINT}`);
  const writer = new LeafListWriter(m, syncRunId, tenantId);
  const leaves = await runLeavesIn(m, syncRunId, tenantId, LEAF_VERSION, slicer);
  for (let i = 0; i < leaves.length; i += LEAF_CHUNK * LEAF_ROWS_PER_INSERT) {
    await forEachSliced(leaves.slice(i, i + LEAF_CHUNK * LEAF_ROWS_PER_INSERT), slicer, (leaf) => writer.add(leaf.kind, leaf.id, leaf.leaf));
    await writer.write();
  }
  return writer.finish();
}
