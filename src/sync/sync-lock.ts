import { hostname } from 'node:os';
import { DataSource, LessThan } from 'typeorm';
import { isUniqueViolation } from '../db/transaction';
import { SyncLock } from '../entities';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';

/** Another process (or this one) is already syncing the instance. */
export class SyncInProgressError extends Error {
  constructor(readonly connectorInstanceId: string, readonly holder: string | null) {
    super(`a sync of this connector instance is already running${holder ? ` (held by ${holder})` : ''}`);
    this.name = 'SyncInProgressError';
  }
}

export interface HeldLock {
  token: string;
  /** Pushes the expiry out again; false when the lease was lost (expired and taken over). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Takes the instance's lease: insert the row, or take over one whose lease has run out. Both are single statements
 * the database serialises, so two processes racing for the same instance cannot both win.
 */
export async function acquireSyncLock(dataSource: DataSource, connectorInstanceId: string, clock: Clock, leaseMs: number): Promise<HeldLock> {
  const repo = dataSource.getRepository(SyncLock);
  const token = newId();
  const holder = `${hostname()}:${process.pid}`;
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + leaseMs);
  try {
    await dataSource.createQueryBuilder().insert().into(SyncLock).values({ connectorInstanceId, token, holder, acquiredAt: now, expiresAt }).updateEntity(false).execute();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const taken = await repo.update({ connectorInstanceId, expiresAt: LessThan(now) }, { token, holder, acquiredAt: now, expiresAt });
    if (!taken.affected) {
      const current = await repo.findOneBy({ connectorInstanceId });
      throw new SyncInProgressError(connectorInstanceId, current?.holder ?? null);
    }
  }
  return {
    token,
    renew: async () => {
      const result = await repo.update({ connectorInstanceId, token }, { expiresAt: new Date(clock.now().getTime() + leaseMs) });
      return (result.affected ?? 0) > 0;
    },
    release: async () => {
      await repo.delete({ connectorInstanceId, token });
    },
  };
}
