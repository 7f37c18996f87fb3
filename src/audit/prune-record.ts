/** What the retention job records in a chain (action audit.prune): enough for verification to explain the gap. */
export const PRUNE_ACTION = 'audit.prune';

export interface PruneRecord {
  /** The cut: events that occurred (audit) or were observed (patch history) before it were eligible. */
  before: string;
  /** The chain's prefix removed: seq fromSeq..toSeq, and the hash of event toSeq, which the next event links to. */
  auditEvents: { count: number; fromSeq: number; toSeq: number; lastHash: string } | null;
  /** Sync runs whose seals were removed with their events: how many, and a Merkle root over [run, count, root] of each. */
  runs: { count: number; root: string };
  patchEvents: number;
  postureEvents: number;
  /** Events written before runs were sealed (an older database), observed before the cut. */
  unsealedEvents: number;
}
