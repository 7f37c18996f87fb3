import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { longText, primaryUuid, timestamp, uuid } from './columns';

/**
 * One event to send to one webhook: written in the transaction of the change it reports (an outbox), so an event
 * is sent if and only if its change committed; sent and retried with backoff by src/change/webhook-dispatcher.ts.
 */
@Entity('webhook_delivery')
@Index('ix_webhook_delivery_due', ['deliveredAt', 'failedAt', 'nextAttemptAt'])
export class WebhookDelivery {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  webhookId: string;

  @Column(uuid())
  changeId: string;

  /** change.create, change.submit, …: the audit action of the step it reports. */
  @Column({ type: 'varchar', length: 64 })
  event: string;

  /** The audit event's number in its tenant's chain: the order of a change's steps, for sending and for receivers. */
  @Column({ type: 'int' })
  sequence: number;

  /** The exact JSON body sent, so every attempt carries (and signs) the same bytes. */
  @Column(longText())
  payload: string;

  @Column({ type: 'int' })
  attempts: number;

  @Column(timestamp())
  nextAttemptAt: Date;

  @Column(timestamp({ nullable: true }))
  deliveredAt: Date | null;

  /** Set when the attempts are used up; the delivery is then never tried again. */
  @Column(timestamp({ nullable: true }))
  failedAt: Date | null;

  @Column(longText({ nullable: true }))
  lastError: string | null;

  /**
   * The claim of the dispatcher sending it now (one per attempt), so that of several servers' dispatchers only one
   * sends it; null when none holds it.
   */
  @Column(uuid({ nullable: true }))
  claimedBy: string | null;

  /** Until when the claim holds: past it, a dispatcher that died mid-send has the delivery taken over by another. */
  @Column(timestamp({ nullable: true }))
  claimedUntil: Date | null;

  @Column(timestamp())
  createdAt: Date;
}
