import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ConnectorAdmin } from '../../src/access/connector-admin';
import { TenantScope } from '../../src/access/tenant-scope';
import { SecretBox } from '../../src/secrets/secret-box';
import { SyncEngine } from '../../src/sync/sync-engine';
import { fixedClock } from '../../src/util/clock';
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
