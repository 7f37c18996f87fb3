import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { longText, primaryUuid, timestamp, uuid } from './columns';

/**
 * A PSA or ITSM endpoint that follows change records: every create and transition of a change in its tenant (or in
 * every tenant, when tenantId is null) is POSTed to `url`, signed with HMAC-SHA256 under the webhook's secret.
 * The secret is stored encrypted with the connector secrets' key (SecretBox), bound to the webhook's id.
 */
@Entity('change_webhook')
@Index('ix_change_webhook_tenant', ['tenantId'])
export class ChangeWebhook {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid({ nullable: true }))
  tenantId: string | null;

  @Column({ type: 'varchar', length: 2000 })
  url: string;

  @Column(longText())
  secretCiphertext: string;

  @Column(timestamp())
  createdAt: Date;

  @Column({ type: 'varchar', length: 200 })
  createdBy: string;
}
