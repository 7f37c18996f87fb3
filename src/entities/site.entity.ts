import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { timestamp, uuid, primaryUuid } from './columns';
import { Tenant } from './tenant.entity';

@ObjectType({ implements: Node, description: 'A location or group of devices within a tenant' })
@Entity('site')
@Index('uq_site_tenant_name', ['tenantId', 'name'], { unique: true })
export class Site {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenantId', foreignKeyConstraintName: 'fk_site_tenant' })
  tenantRef?: Tenant;

  @Field({ description: 'Display name of the site, unique within its tenant' })
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Field({ description: 'Timestamp the site was created' })
  @Column(timestamp())
  createdAt: Date;

  @Field({ description: 'Timestamp the site was last changed' })
  @Column(timestamp())
  updatedAt: Date;
}
