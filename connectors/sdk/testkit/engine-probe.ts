/**
 * The kit's window onto the sync engine and a real database. The core's test suite implements it
 * (test/contract/engine-probe.ts) so the same acceptance checks run on SQLite and on MariaDB; connectors
 * themselves never see it.
 */

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

export interface ProbeRun {
  status: 'SUCCEEDED' | 'FAILED';
  mode: 'FULL' | 'INCREMENTAL';
  errorMessage: string | null;
  counts: SyncCounts;
}

export interface EngineProbe {
  /** Creates a connector instance of `kind` with this raw configuration, in a tenant of its own; returns its id. */
  createInstance(kind: string, rawConfig: Record<string, unknown>): Promise<string>;
  /** Runs one sync of the instance through the real engine; `full` ignores stored cursors. */
  sync(instanceId: string, options?: { full?: boolean; payload?: unknown }): Promise<ProbeRun>;
  /** A digest of every row a sync of the instance can write (devices, assets, patch states, events, catalog, cursors). */
  snapshot(instanceId: string): Promise<string>;
  /** External ids of the instance's source devices marked stale. */
  staleDevices(instanceId: string): Promise<string[]>;
}
