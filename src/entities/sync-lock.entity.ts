import { Column, Entity, PrimaryColumn } from 'typeorm';
import { primaryUuid, timestamp, uuid } from './columns';

/**
 * The lease that keeps two syncs of one connector instance from running at once, across processes and machines:
 * a row exists while a sync holds it. A crashed holder's lease runs out at `expiresAt` and the next sync takes it
 * over; a live holder renews it while it works.
 */
@Entity('sync_lock')
export class SyncLock {
  @PrimaryColumn(primaryUuid())
  connectorInstanceId: string;

  /** Random per holder, so only the holder can renew or release. */
  @Column(uuid())
  token: string;

  /** Process that holds it (host:pid), for operators looking at a stuck lock. */
  @Column({ type: 'varchar', length: 255 })
  holder: string;

  @Column(timestamp())
  acquiredAt: Date;

  @Column(timestamp())
  expiresAt: Date;
}
