/** What a sync run did, as the engine records it on the run and the contract kit checks it. */
export interface StreamCounts {
  seen: number;
  created: number;
  changed: number;
}

/**
 * `seen` counts every record the source returned, those it lists as deleted and those of unmapped or ignored vendor
 * sites included: an auditor must be able to account for each record, imported or not.
 */
export interface SyncCounts {
  /**
   * `deleted`: records the source listed as deleted (never imported). `unmapped`: devices an MSP-wide instance read in
   * vendor sites not (yet) mapped to a tenant, so not imported. `ignored`: devices in vendor sites an operator chose
   * never to import. `stale`: stored devices this run marked stale, because a complete full read no longer returned
   * them or because the source listed them as deleted.
   */
  devices: StreamCounts & { stale: number; deleted: number; unmapped: number; ignored: number };
  updates: StreamCounts;
  /** `dropped`: states of devices the run did not import (deleted, or in unmapped or ignored vendor sites). */
  patchStates: StreamCounts & { dropped: number };
  /** Events written: a PatchEvent per real state transition, a PatchPostureEvent per posture change. */
  events: number;
  assets: { created: number; changed: number };
}
