/** What partitioning a run decides before anything of its devices is written. */
import type { EntityManager } from 'typeorm';
import type { UnattachedEntry } from '../unattached-records';
import type { Partition } from './run-context';

export interface Partitioning {
  /** In the order they are applied (by tenant id, so a run's writes never depend on the order of a map). */
  partitions: Partition[];
  /** Records no partition imports, kept with their reason. */
  unattached: UnattachedEntry[];
  /** What the run read and did not import, counted once for the whole run. */
  read: { deleted: number; unmapped: number; ignored: number; droppedStates: number };
  /** Work left once every partition is applied (an account-wide run's devices that moved tenant). */
  afterPartitions?: (m: EntityManager) => Promise<void>;
}
