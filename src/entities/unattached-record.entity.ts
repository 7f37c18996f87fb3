import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { primaryUuid, timestamp, uuid } from './columns';
import { ConnectorInstance } from './connector-instance.entity';
import { UnattachedReason } from './enums';
import { Tenant } from './tenant.entity';

/**
 * A record a source returned that the engine did not import as a source device, with the reason: listed as deleted
 * before patchgraph ever held it, or listed in a vendor site of an MSP-wide account that nobody has mapped or that
 * an operator ignores. It has no asset and, for an MSP-wide account, no tenant; it is kept so that every record a
 * run read can be accounted for. A device imported before and deleted at the source since stays a source device
 * (stale, deleted in source, with its history) and is not repeated here. One whose site was unmapped or ignored
 * since is here as what the source returns now, beside its stale source device in the tenant it was imported to.
 *
 * One row per instance and external id. A sync rewrites a row only when what it says changes, and removes it when
 * the record is imported or when a complete full read no longer returns it.
 */
@Entity('unattached_record')
@Index('uq_unattached_record_external', ['connectorInstanceId', 'externalId'], { unique: true })
@Index('ix_unattached_record_tenant', ['tenantId', 'lastSeenAt'])
export class UnattachedRecord {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  connectorInstanceId: string;

  @ManyToOne(() => ConnectorInstance, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connectorInstanceId', foreignKeyConstraintName: 'fk_unattached_record_connector' })
  connectorRef?: ConnectorInstance;

  /** The instance's tenant; null for an MSP-wide instance, whose unimported records belong to no tenant yet. */
  @Column(uuid({ nullable: true }))
  tenantId: string | null;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'tenantId', foreignKeyConstraintName: 'fk_unattached_record_tenant' })
  tenantRef?: Tenant | null;

  @Column({ type: 'varchar', length: 255 })
  externalId: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  hostname: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  vendorSiteId: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  vendorSite: string | null;

  /** DELETED_IN_SOURCE, UNMAPPED_SITE or IGNORED_SITE; STALE belongs to source devices only. */
  @Column({ type: 'varchar', length: 24 })
  reason: UnattachedReason;

  /** The first sync that returned the record. */
  @Column(timestamp())
  firstSeenAt: Date;

  /** The last sync that changed what the row says (reason, name or site); an unchanged record costs no write. */
  @Column(timestamp())
  lastSeenAt: Date;
}
