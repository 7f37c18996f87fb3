/**
 * What a run's stages share. A run applies one instance's read as partitions, one per tenant its devices belong
 * to: a tenant's own instance is the one-partition case, an account-wide instance has one per mapped tenant.
 */
import type { SyncCounts } from '../../../connectors/sdk/sync-counts';
import type { ConnectorInstance } from '../../entities';
import type { SourceRead } from '../read-source';

export interface RunContext {
  instance: ConnectorInstance;
  read: SourceRead;
  now: Date;
  syncRunId: string;
}

/** One tenant's part of a run: only its devices, their states and the catalog entries those use. */
export interface Partition {
  tenantId: string;
  read: SourceRead;
}

export function emptyCounts(): SyncCounts {
  return {
    devices: { seen: 0, created: 0, changed: 0, stale: 0, deleted: 0, unmapped: 0, ignored: 0 },
    updates: { seen: 0, created: 0, changed: 0 },
    patchStates: { seen: 0, created: 0, changed: 0, dropped: 0 },
    events: 0,
    assets: { created: 0, changed: 0 },
  };
}

/** What a partition wrote; what the run read (seen, deleted, unmapped, ignored, dropped) is counted once, whole. */
export function addPartCounts(total: SyncCounts, part: SyncCounts): void {
  const d = total.devices;
  d.created += part.devices.created;
  d.changed += part.devices.changed;
  d.stale += part.devices.stale;
  total.updates.created += part.updates.created;
  const p = total.patchStates;
  p.created += part.patchStates.created;
  p.changed += part.patchStates.changed;
  total.events += part.events;
  total.assets.created += part.assets.created;
  total.assets.changed += part.assets.changed;
}
