import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { primaryUuid, timestamp, uuid } from './columns';

/**
 * A recurring slot in which changes may run: an RFC 5545 RRULE expanded in the window's own time zone from a local
 * start time, lasting durationMinutes. Attached to a whole tenant, or narrowed to one site or one deployment ring.
 */
@Entity('maintenance_window')
@Index('ix_maintenance_window_tenant', ['tenantId'])
export class MaintenanceWindow {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  tenantId: string;

  @Column(uuid({ nullable: true }))
  siteId: string | null;

  @Column(uuid({ nullable: true }))
  ringId: string | null;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** The rule's body, e.g. FREQ=WEEKLY;BYDAY=TU (no DTSTART: that is firstStart and timeZone). */
  @Column({ type: 'varchar', length: 500 })
  rrule: string;

  /** Local date and time of the first occurrence, ISO without offset: 2026-01-06T19:00. */
  @Column({ type: 'varchar', length: 19 })
  firstStart: string;

  /** IANA time zone, e.g. Europe/London. */
  @Column({ type: 'varchar', length: 64 })
  timeZone: string;

  @Column({ type: 'int' })
  durationMinutes: number;

  @Column(timestamp())
  createdAt: Date;

  @Column({ type: 'varchar', length: 200 })
  createdBy: string;
}
