/**
 * The change request life cycle as data: which transition leads from which states to which, and the guards that
 * may still refuse it. Pure: the access layer reads the row, asks `planTransition`, and writes what it answers.
 *
 *   DRAFT → SUBMITTED → APPROVED | REJECTED;  APPROVED → SCHEDULED → IN_PROGRESS → COMPLETED | FAILED | ROLLED_BACK
 *   FAILED | COMPLETED → ROLLED_BACK;  COMPLETED | FAILED | ROLLED_BACK | REJECTED → CLOSED
 *
 * A STANDARD change is pre-approved, so submitting it lands in APPROVED. Approving a NORMAL change records one
 * approval; it becomes APPROVED only with the configured number, each from someone other than the requester.
 */
import { ChangeTransitionRefused } from '../errors';
import { ChangeState, ChangeType, ClosureCode, ROLLBACK_PLAN_REQUIRED } from './change-kinds';

export type Transition = 'submit' | 'approve' | 'reject' | 'schedule' | 'start' | 'complete' | 'fail' | 'rollBack' | 'close';

const S = ChangeState;
/** From which states each transition may be made. */
export const TRANSITIONS: Record<Transition, readonly ChangeState[]> = {
  submit: [S.DRAFT],
  approve: [S.SUBMITTED],
  reject: [S.SUBMITTED],
  schedule: [S.APPROVED],
  start: [S.SCHEDULED],
  complete: [S.IN_PROGRESS],
  fail: [S.IN_PROGRESS],
  rollBack: [S.IN_PROGRESS, S.COMPLETED, S.FAILED],
  close: [S.COMPLETED, S.FAILED, S.ROLLED_BACK, S.REJECTED],
};

/** What the guards need to know about the change and the request; the access layer gathers it. */
export interface TransitionFacts {
  type: ChangeType;
  state: ChangeState;
  requesterId: string;
  actorId: string;
  rollbackPlan: string | null;
  /** Approvers so far, before this request. */
  approverIds: readonly string[];
  requiredApprovals: number;
  /** schedule: whether the planned window lies inside a maintenance window of every target (null: none defined). */
  windowFit?: { fits: boolean; reason: string };
  /** close: the post-implementation review and closure code given. */
  review?: string | null;
  closureCode?: ClosureCode | null;
}

/** The state after the transition, or a refusal naming the state and the rule. */
export function planTransition(transition: Transition, f: TransitionFacts): ChangeState {
  const refuse = (rule: string, message: string): never => {
    throw new ChangeTransitionRefused(transition, f.state, rule, message);
  };
  if (!TRANSITIONS[transition].includes(f.state)) {
    refuse('STATE', `a ${f.state} change cannot be ${PAST[transition]}; ${transition} applies only to ${TRANSITIONS[transition].join(', ')} changes`);
  }
  switch (transition) {
    case 'submit':
      if (ROLLBACK_PLAN_REQUIRED.includes(f.type) && !f.rollbackPlan?.trim()) {
        refuse('ROLLBACK_PLAN_REQUIRED', `a ${f.type} change needs a rollback plan before it is submitted`);
      }
      return f.type === ChangeType.STANDARD ? S.APPROVED : S.SUBMITTED;
    case 'approve':
    case 'reject':
      if (f.actorId === f.requesterId) refuse('SELF_APPROVAL', 'the requester cannot approve or reject their own change');
      if (transition === 'reject') return S.REJECTED;
      if (f.approverIds.includes(f.actorId)) refuse('DUPLICATE_APPROVAL', 'this approver has already approved the change; each approver counts once');
      return f.approverIds.length + 1 >= approvalsNeeded(f.type, f.requiredApprovals) ? S.APPROVED : S.SUBMITTED;
    case 'schedule':
      if (f.type !== ChangeType.EMERGENCY && f.windowFit && !f.windowFit.fits) {
        refuse('OUTSIDE_MAINTENANCE_WINDOW', `${f.windowFit.reason}; only an EMERGENCY change may run outside its targets' maintenance windows`);
      }
      return S.SCHEDULED;
    case 'start':
      return S.IN_PROGRESS;
    case 'complete':
      return S.COMPLETED;
    case 'fail':
      return S.FAILED;
    case 'rollBack':
      return S.ROLLED_BACK;
    case 'close':
      if (f.type === ChangeType.EMERGENCY && !f.review?.trim()) {
        refuse('REVIEW_REQUIRED', 'an EMERGENCY change must have its post-implementation review before it closes');
      }
      if (f.state === S.REJECTED && f.closureCode && f.closureCode !== ClosureCode.REJECTED) {
        refuse('CLOSURE_CODE', 'a rejected change closes as REJECTED');
      }
      return S.CLOSED;
  }
}

/** An EMERGENCY change is expedited: one approval (still not the requester's) is enough. */
export function approvalsNeeded(type: ChangeType, configured: number): number {
  if (type === ChangeType.STANDARD) return 0;
  return type === ChangeType.EMERGENCY ? 1 : Math.max(1, configured);
}

const PAST: Record<Transition, string> = {
  submit: 'submitted', approve: 'approved', reject: 'rejected', schedule: 'scheduled', start: 'started',
  complete: 'completed', fail: 'marked failed', rollBack: 'rolled back', close: 'closed',
};
