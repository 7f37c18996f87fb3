import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { primaryUuid, timestamp, uuid } from './columns';
import { PatchPostureStatus } from './enums';
import { Tenant } from './tenant.entity';

/** An observed change of a device's patch posture (status or counts). Append-only, like PatchEvent. */
@ObjectType({ implements: Node, description: "An observed change of a device's patch posture; never rewritten" })
@Entity('patch_posture_event')
@Index('ix_patch_posture_event_source', ['sourceDeviceId', 'observedAt', 'id'])
@Index('ix_patch_posture_event_tenant', ['tenantId', 'observedAt', 'id'])
@Index('ix_patch_posture_event_run', ['syncRunId', 'tenantId'])
export class PatchPostureEvent {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenantId', foreignKeyConstraintName: 'fk_patch_posture_event_tenant' })
  tenantRef?: Tenant;

  // Plain references without foreign keys: history must survive the deletion of what it describes.
  @Column(uuid())
  assetId: string;

  @Column(uuid())
  sourceDeviceId: string;

  @Column(uuid({ nullable: true }))
  syncRunId: string | null;

  @Field(() => PatchPostureStatus, { nullable: true, description: 'Status before the change; null when first observed' })
  @Column({ type: 'varchar', length: 24, nullable: true })
  fromStatus: PatchPostureStatus | null;

  @Field(() => PatchPostureStatus, { description: 'Status after the change' })
  @Column({ type: 'varchar', length: 24 })
  toStatus: PatchPostureStatus;

  @Field(() => Int, { nullable: true, description: 'Approved updates not yet installed, after the change' })
  @Column({ type: 'int', nullable: true })
  approvedPending: number | null;

  @Field(() => Int, { nullable: true, description: 'Updates not approved, after the change' })
  @Column({ type: 'int', nullable: true })
  notApproved: number | null;

  @Field(() => Int, { nullable: true, description: 'Installed updates, after the change' })
  @Column({ type: 'int', nullable: true })
  installed: number | null;

  @Field({ description: 'Timestamp patchgraph observed the change' })
  @Column(timestamp())
  observedAt: Date;
}
