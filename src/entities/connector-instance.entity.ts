import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { longText, timestamp, uuid, primaryUuid } from './columns';
import { Tenant } from './tenant.entity';

/** A configured connection to one vendor account. Secrets are stored encrypted and are never returned. */
@ObjectType({ implements: Node, description: 'A configured connector: one vendor account or data source' })
@Entity('connector_instance')
@Index('ix_connector_instance_tenant', ['tenantId'])
export class ConnectorInstance {
  @PrimaryColumn(primaryUuid())
  id: string;

  /** Null for an MSP-wide instance that maps vendor sites to several tenants. */
  @Column(uuid({ nullable: true }))
  tenantId: string | null;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'tenantId', foreignKeyConstraintName: 'fk_connector_instance_tenant' })
  tenantRef?: Tenant | null;

  @Field({ description: 'Connector kind, e.g. "intune", "datto-rmm", "wsus", "file-import"' })
  @Column({ type: 'varchar', length: 64 })
  kind: string;

  @Field({ description: 'Display name of the connector instance' })
  @Column({ type: 'varchar', length: 200 })
  name: string;

  /**
   * The instance's non-secret settings (the API's `settings`) as JSON. The column keeps its first name, `config`;
   * secrets are in secretsCiphertext.
   */
  @Column(longText({ name: 'config' }))
  settingsJson: string;

  /** Secret configuration, encrypted at rest. */
  @Column(longText({ nullable: true }))
  secretsCiphertext: string | null;

  @Field(() => Int, { nullable: true, description: 'Seconds between scheduled syncs; null when only triggered by hand' })
  @Column({ type: 'int', nullable: true })
  syncIntervalSeconds: number | null;

  @Field({ description: 'Indicates the instance takes part in scheduled syncs' })
  @Column({ type: 'boolean' })
  enabled: boolean;

  /** Incremental cursors per stream, as JSON; saved only when a run commits. */
  @Column(longText({ nullable: true }))
  cursors: string | null;

  @Field({ description: 'Timestamp the instance was created' })
  @Column(timestamp())
  createdAt: Date;

  @Field({ description: 'Timestamp the instance was last changed' })
  @Column(timestamp())
  updatedAt: Date;
}
