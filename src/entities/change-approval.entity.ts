import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { longText, primaryUuid, timestamp, uuid } from './columns';

/** One approver's agreement to a change. A NORMAL change is APPROVED when it has as many as the configuration asks. */
@Entity('change_approval')
@Index('uq_change_approval_approver', ['changeId', 'approverId'], { unique: true })
export class ChangeApproval {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  changeId: string;

  @Column({ type: 'varchar', length: 200 })
  approverId: string;

  @Column({ type: 'varchar', length: 200 })
  approvedBy: string;

  @Column(longText({ nullable: true }))
  comment: string | null;

  @Column(timestamp())
  approvedAt: Date;
}
