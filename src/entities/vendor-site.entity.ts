import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { primaryUuid, timestamp, uuid } from './columns';
import { ConnectorInstance } from './connector-instance.entity';
import { Site } from './site.entity';
import { Tenant } from './tenant.entity';

/**
 * A site (client) inside one MSP-wide vendor account, such as a Datto RMM site, and where its devices belong in
 * patchgraph. A site nobody has mapped yet is recorded and reported, and its devices wait: they are never
 * guessed into a tenant.
 */
@ObjectType({ implements: Node, description: "A site of an MSP-wide vendor account (e.g. a Datto RMM site) and the tenant its devices belong to" })
@Entity('vendor_site')
@Index('uq_vendor_site_external', ['connectorInstanceId', 'externalId'], { unique: true })
export class VendorSite {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  connectorInstanceId: string;

  @ManyToOne(() => ConnectorInstance, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connectorInstanceId', foreignKeyConstraintName: 'fk_vendor_site_connector' })
  connectorRef?: ConnectorInstance;

  @Field({ description: "The site's id in the vendor's tool (Datto site uid)" })
  @Column({ type: 'varchar', length: 255 })
  externalId: string;

  @Field({ description: "The site's name in the vendor's tool" })
  @Column({ type: 'varchar', length: 255 })
  name: string;

  /** Null while unmapped. */
  @Column(uuid({ nullable: true }))
  tenantId: string | null;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'tenantId', foreignKeyConstraintName: 'fk_vendor_site_tenant' })
  tenantRef?: Tenant | null;

  /** The patchgraph site its devices go to; null leaves it to the tenant's site names. */
  @Column(uuid({ nullable: true }))
  siteId: string | null;

  @ManyToOne(() => Site, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'siteId', foreignKeyConstraintName: 'fk_vendor_site_site' })
  siteRef?: Site | null;

  @Field({ description: "Indicates an operator chose not to import this site's devices (e.g. the MSP's own test site)" })
  @Column({ type: 'boolean' })
  ignored: boolean;

  /**
   * Set by the engine, never by an operator: the vendor files deleted devices under a site of their own (Datto's
   * "Deleted Devices"). Such a site has no client behind it, so mapping it would only import machines that are gone.
   */
  @Field({ description: 'Indicates the vendor\'s own site for deleted devices (Datto RMM\'s "Deleted Devices"): every device it lists there is deleted, so it is never mapped to a tenant' })
  @Column({ type: 'boolean', default: false })
  deletedDevicesSite: boolean;

  @Field(() => Int, { description: 'Devices the vendor listed in the site at the last sync' })
  @Column({ type: 'int' })
  deviceCount: number;

  @Field({ description: 'Timestamp patchgraph first saw the site' })
  @Column(timestamp())
  firstSeenAt: Date;

  @Field({ description: 'Timestamp of the last sync that listed the site' })
  @Column(timestamp())
  lastSeenAt: Date;
}
