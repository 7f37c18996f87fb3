import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { longText, primaryUuid, uuid } from './columns';

/**
 * The leaf list behind one sync run's Merkle root in one tenant: each event's kind, id and leaf hash, in the root's
 * order, in chunks of up to LEAF_CHUNK entries. The chained audit event holds only the root and the count; this list
 * lets verification name the exact event that was altered, inserted or deleted. It needs no protection of its own:
 * a list that no longer hashes to the chained root is itself reported (ROOT_MISMATCH). Append-only like the events.
 */
@Entity('run_event_leaves')
@Index('uq_run_event_leaves_chunk', ['syncRunId', 'tenantId', 'chunk'], { unique: true })
@Index('ix_run_event_leaves_tenant', ['tenantId', 'syncRunId'])
export class RunEventLeaves {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  syncRunId: string;

  @Column(uuid())
  tenantId: string;

  /** Position of this chunk in the list, from 0. */
  @Column({ type: 'int' })
  chunk: number;

  /** JSON array of [kind, event id, leaf hash] triples. */
  @Column(longText())
  entries: string;
}
