import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ConnectorAdmin } from '../../src/access/connector-admin';
import { TenantScope } from '../../src/access/tenant-scope';
import { ConnectorInstance } from '../../src/entities';
import { SecretBox } from '../../src/secrets/secret-box';
import { applyRun } from '../../src/sync/apply/apply-run';
import type { PatchStateRecord } from '../../connectors/sdk/contract';
import { SourceRead } from '../../src/sync/read-source';
import { RunStates } from '../../src/sync/run-states';
import { SyncEngine } from '../../src/sync/sync-engine';
import { fixedClock } from '../../src/util/clock';
import { newId } from '../../src/util/ids';
// Applies the suite's file-import allowance (temp inventories, loopback simulators) to every test using the engine.
import './inventory';

export const SYNC_T0 = new Date('2026-11-02T10:00:00.000Z');

/** A sleep that returns at once and remembers what it was asked to wait, so retry tests never wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

/** A secret box with a fresh random key, for one test database. */
export function ephemeralSecretBox(): SecretBox {
  return SecretBox.fromEncodedKey(randomBytes(32).toString('base64'));
}

/** The real engine over a test database, with a fixed clock and no real waiting. */
export function syncHarness(dataSource: DataSource) {
  const clock = fixedClock(SYNC_T0);
  const secrets = ephemeralSecretBox();
  const { sleep, delays } = recordingSleep();
  const engine = new SyncEngine({ dataSource, secrets, clock, connectorContext: { sleep } });
  const admin = new ConnectorAdmin(dataSource, TenantScope.allTenants(), clock, { label: 'test' }, secrets);
  return { clock, secrets, engine, admin, delays };
}

/** Parts of a read as a test writes them: the states as a plain list of records. */
export type ReadParts = Partial<Omit<SourceRead, 'patchStates'>> & { patchStates?: PatchStateRecord[] };

/** A run's read as the engine hands it to the apply, holding only what `parts` gives (an incremental read unless said). */
export function sourceRead(parts: ReadParts = {}): SourceRead {
  const { patchStates, ...rest } = parts;
  return { devices: [], updates: [], approvals: [], fullDeviceRead: false, cursors: {}, ...rest, patchStates: RunStates.from(patchStates ?? []) };
}

/** Applies a read to a tenant's instance (as stored now) in one transaction, as the engine does once it has read. */
export async function applyRead(dataSource: DataSource, instance: Pick<ConnectorInstance, 'id'>, read: SourceRead, at: { now?: Date; syncRunId?: string } = {}) {
  const fresh = await dataSource.getRepository(ConnectorInstance).findOneByOrFail({ id: instance.id });
  return dataSource.transaction((m) => applyRun(m, { instance: fresh, read, now: at.now ?? SYNC_T0, syncRunId: at.syncRunId ?? newId() }));
}
