/** A sync run's counts as stored (JSON on the run), read back for the API, the CLI and the ingest route. */
import type { SyncCounts } from '../../connectors/sdk/sync-counts';
import type { SyncRun } from '../entities';
import { emptyCounts } from './apply/run-context';

export function parseCounts(run: SyncRun): SyncCounts {
  try {
    // Field by field: runs recorded before a count existed (devices.unmapped) still read as complete counts.
    const stored = JSON.parse(run.counts) as Partial<SyncCounts>;
    const empty = emptyCounts();
    return {
      devices: { ...empty.devices, ...stored.devices },
      updates: { ...empty.updates, ...stored.updates },
      patchStates: { ...empty.patchStates, ...stored.patchStates },
      events: stored.events ?? 0,
      assets: { ...empty.assets, ...stored.assets },
    };
  } catch {
    return emptyCounts();
  }
}
