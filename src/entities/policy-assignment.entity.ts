import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { primaryUuid, timestamp, uuid } from './columns';

/**
 * A tenant (or one of its sites) must meet a policy from `assignedAt` until `removedAt`. Rows are closed, never
 * deleted, so "which policies applied on 31 March" has an answer.
 */
@Entity('policy_assignment')
@Index('ix_policy_assignment_tenant', ['tenantId', 'policyKey'])
export class PolicyAssignment {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  tenantId: string;

  /** Only this site of the tenant; null for the whole tenant. */
  @Column(uuid({ nullable: true }))
  siteId: string | null;

  @Column({ type: 'varchar', length: 64 })
  policyKey: string;

  @Column(timestamp())
  assignedAt: Date;

  @Column({ type: 'varchar', length: 200 })
  assignedBy: string;

  @Column(timestamp({ nullable: true }))
  removedAt: Date | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  removedBy: string | null;
}
