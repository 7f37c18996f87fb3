import { hostname } from 'node:os';
import { DataSource, EntityManager, LessThan } from 'typeorm';
import { ConfigError } from '../config/config';
import { isUniqueViolation } from '../db/transaction';
import { SyncLock } from '../entities';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';

/**
 * How long a lease lasts without renewal. A live holder renews it every third of this (its heartbeat), so the only
 * cost of a short lease is a renewal write now and then; its gain is that a killed process blocks its instances
 * for at most this long, not the ten minutes a long lease would.
 */
export const DEFAULT_SYNC_LEASE_MS = 60_000;

/**
 * PATCHGRAPH_SYNC_LEASE_SECONDS (5 to 3600, default 60), read where the engine is built. Processes sharing a
 * database may differ: each lease row carries its holder's own expiry, and a takeover trusts only that.
 */
export function syncLeaseMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PATCHGRAPH_SYNC_LEASE_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_SYNC_LEASE_MS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 5 || seconds > 3600) {
    throw new ConfigError('PATCHGRAPH_SYNC_LEASE_SECONDS', `must be an integer between 5 and 3600, got "${raw}"`);
  }
  return seconds * 1000;
}

/** Another process (or this one) is already syncing the instance. */
export class SyncInProgressError extends Error {
  constructor(readonly connectorInstanceId: string, readonly holder: string | null) {
    super(`a sync of this connector instance is already running${holder ? ` (held by ${holder})` : ''}`);
    this.name = 'SyncInProgressError';
  }
}

/** The holder's lease ran out and another process took it over: whatever the holder read must not be written. */
export class SyncLeaseLostError extends Error {
  constructor(readonly connectorInstanceId: string) {
    super('this process lost the sync lease (it could not renew it in time, and another sync took it over)');
    this.name = 'SyncLeaseLostError';
  }
}

export interface HeldLock {
  token: string;
  /** host:pid of the holder whose expired lease this one took over; null when there was no lease to take over. */
  takenOverFrom: string | null;
  /** Pushes the expiry out again; false when the lease was lost (expired and taken over). */
  renew(): Promise<boolean>;
  /**
   * Renews the lease inside a transaction and throws SyncLeaseLostError when it is no longer held. Run last in the
   * transaction that commits a sync: on MariaDB the row lock it takes keeps a takeover waiting until the commit, and
   * is held no longer than that, so the heartbeat's renewals are never queued behind the apply; on SQLite the
   * transaction holds the only write lock. Either way a holder that lost its lease cannot commit.
   */
  confirm(manager: EntityManager): Promise<void>;
  release(): Promise<void>;
}

/** `host:pid` of this process, as recorded in the lease rows it holds. */
export const LEASE_HOLDER = `${hostname()}:${process.pid}`;

/**
 * Takes the instance's lease: insert the row, or take over one whose lease has run out. Both are single statements
 * the database serialises, so two processes racing for the same instance cannot both win.
 */
export async function acquireSyncLock(dataSource: DataSource, connectorInstanceId: string, clock: Clock, leaseMs: number): Promise<HeldLock> {
  const repo = dataSource.getRepository(SyncLock);
  const token = newId();
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + leaseMs);
  let takenOverFrom: string | null = null;
  try {
    await dataSource.createQueryBuilder().insert().into(SyncLock).values({ connectorInstanceId, token, holder: LEASE_HOLDER, acquiredAt: now, expiresAt }).updateEntity(false).execute();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Read before taking over, only to name the dead holder in the abandoned run's message; the update below decides.
    const previous = await repo.findOneBy({ connectorInstanceId });
    const taken = await repo.update({ connectorInstanceId, expiresAt: LessThan(now) }, { token, holder: LEASE_HOLDER, acquiredAt: now, expiresAt });
    if (!taken.affected) {
      const current = await repo.findOneBy({ connectorInstanceId });
      throw new SyncInProgressError(connectorInstanceId, current?.holder ?? null);
    }
    takenOverFrom = previous?.holder ?? 'an unknown process';
  }
  const renewIn = async (manager: EntityManager) => {
    const result = await manager.getRepository(SyncLock).update({ connectorInstanceId, token }, { expiresAt: new Date(clock.now().getTime() + leaseMs) });
    return (result.affected ?? 0) > 0;
  };
  return {
    token,
    takenOverFrom,
    renew: () => renewIn(dataSource.manager),
    confirm: async (manager) => {
      if (!(await renewIn(manager))) throw new SyncLeaseLostError(connectorInstanceId);
    },
    release: async () => {
      await repo.delete({ connectorInstanceId, token });
    },
  };
}

/** The lease rows of these instances, live or expired, by instance id. */
export async function leasesOf(dataSource: DataSource, connectorInstanceIds: string[]): Promise<Map<string, SyncLock>> {
  const leases = new Map<string, SyncLock>();
  if (connectorInstanceIds.length === 0) return leases;
  const rows = await dataSource.getRepository(SyncLock).createQueryBuilder('l').where('l.connectorInstanceId IN (:...ids)', { ids: connectorInstanceIds }).getMany();
  for (const row of rows) leases.set(row.connectorInstanceId, row);
  return leases;
}
