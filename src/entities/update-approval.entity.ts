import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { primaryUuid, timestamp, uuid } from './columns';
import { Tenant } from './tenant.entity';

/**
 * An approval of an update for a group of devices, as the patch tool recorded it (WSUS vUpdateApproval): evidence
 * for change management and audit of who approved what, for which group, and when. Recorded once, never rewritten.
 */
@ObjectType({ implements: Node, description: 'An approval of an update for a group of devices, as the patch tool recorded it; never rewritten' })
@Entity('update_approval')
@Index('uq_update_approval_external', ['connectorInstanceId', 'externalId'], { unique: true })
@Index('ix_update_approval_update', ['updateId', 'approvedAt'])
@Index('ix_update_approval_tenant', ['tenantId', 'approvedAt'])
export class UpdateApproval {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenantId', foreignKeyConstraintName: 'fk_update_approval_tenant' })
  tenantRef?: Tenant;

  // Plain references without foreign keys: evidence outlives what it describes.
  @Column(uuid())
  connectorInstanceId: string;

  @Column(uuid())
  updateId: string;

  @Field({ description: "The approval's id in the tool (WSUS UpdateApprovalId)" })
  @Column({ type: 'varchar', length: 255 })
  externalId: string;

  @Field({ description: 'The group the update was approved for (WSUS target group)' })
  @Column({ type: 'varchar', length: 255 })
  groupName: string;

  @Field({ description: 'What was approved: "Install", "Uninstall", "NotApproved"… as the tool says' })
  @Column({ type: 'varchar', length: 32 })
  action: string;

  @Field(() => Date, { nullable: true, description: 'Timestamp of the approval, as the tool recorded it' })
  @Column(timestamp({ nullable: true }))
  approvedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Who approved it, when the tool says' })
  @Column({ type: 'varchar', length: 255, nullable: true })
  approvedBy: string | null;

  @Field({ description: 'Timestamp patchgraph first recorded the approval' })
  @Column(timestamp())
  recordedAt: Date;
}
