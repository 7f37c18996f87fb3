/** The vocabulary of change management, defined once: the entities store these strings, GraphQL exposes them as enums. */

export enum ChangeType {
  /** Pre-approved and repeatable (the monthly rollout): submitting it approves it. */
  STANDARD = 'STANDARD',
  /** Needs the configured number of approvals from someone other than the requester. */
  NORMAL = 'NORMAL',
  /** Expedited: one approval, may run outside maintenance windows, must be reviewed before it closes. */
  EMERGENCY = 'EMERGENCY',
}

export enum ChangeState {
  DRAFT = 'DRAFT',
  SUBMITTED = 'SUBMITTED',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  SCHEDULED = 'SCHEDULED',
  IN_PROGRESS = 'IN_PROGRESS',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  ROLLED_BACK = 'ROLLED_BACK',
  CLOSED = 'CLOSED',
}

export enum ChangeRisk {
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
}

export enum ClosureCode {
  SUCCESSFUL = 'SUCCESSFUL',
  SUCCESSFUL_WITH_ISSUES = 'SUCCESSFUL_WITH_ISSUES',
  UNSUCCESSFUL = 'UNSUCCESSFUL',
  ROLLED_BACK = 'ROLLED_BACK',
  REJECTED = 'REJECTED',
}

/** Types whose failure would hurt enough that undoing it must be planned before anyone agrees to it. */
export const ROLLBACK_PLAN_REQUIRED: readonly ChangeType[] = [ChangeType.NORMAL, ChangeType.EMERGENCY];
