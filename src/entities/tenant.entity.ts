import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { primaryUuid, timestamp } from './columns';

@ObjectType({ implements: Node, description: "An MSP's client organisation; every device and record belongs to one" })
@Entity('tenant')
@Index('uq_tenant_name', ['name'], { unique: true })
export class Tenant {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Field({ description: 'Display name of the tenant, unique across the installation' })
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Field({ description: 'Timestamp the tenant was created' })
  @Column(timestamp())
  createdAt: Date;

  @Field({ description: 'Timestamp the tenant was last changed' })
  @Column(timestamp())
  updatedAt: Date;

  /**
   * Raised with the revision of any of its assets, and when one is added or removed: kept compliance answers
   * (src/compliance/kept-answers.ts) read the revisions of a tenant's assets only when this moved. Not an API field.
   */
  @Column({ type: 'integer', default: 0 })
  assetsRevision: number;
}
