/**
 * The kit's window onto the sync engine and a real database. The core's test suite implements it
 * (test/contract/engine-probe.ts) so the same acceptance checks run on SQLite and on MariaDB; connectors
 * themselves never see it.
 */

import type { StreamCounts, SyncCounts } from '../sync-counts';

export type { StreamCounts, SyncCounts };

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
