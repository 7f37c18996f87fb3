import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AssetStatus, Severity } from '../../entities/enums';
import { ChangeRisk, ChangeState, ChangeType, ClosureCode } from '../../change/change-kinds';
import { SuggestedOutcome, TargetUpdateStatus } from '../../change/verification';
import { Node } from '../../entities/node';

registerEnumType(ChangeType, {
  name: 'ChangeType',
  description: 'How a change is agreed',
  valuesConfig: {
    STANDARD: { description: 'Pre-approved and repeatable (the monthly rollout): submitting it approves it' },
    NORMAL: { description: 'Needs the configured number of approvals (PATCHGRAPH_CHANGE_APPROVALS), none from its requester' },
    EMERGENCY: { description: 'Expedited: one approval, may be scheduled outside maintenance windows, must be reviewed before it closes' },
  },
});
registerEnumType(ChangeState, {
  name: 'ChangeState',
  description: 'Where a change is in its life cycle: DRAFT → SUBMITTED → APPROVED / REJECTED → SCHEDULED → IN_PROGRESS → COMPLETED / FAILED / ROLLED_BACK → CLOSED',
  valuesConfig: {
    DRAFT: { description: 'Being written; editable with updateChangeRequest' },
    SUBMITTED: { description: 'Waiting for approval' },
    APPROVED: { description: 'Agreed; to be scheduled' },
    REJECTED: { description: 'Refused by an approver; can only be closed' },
    SCHEDULED: { description: 'Planned in a maintenance window (or outside one, for an EMERGENCY change)' },
    IN_PROGRESS: { description: 'Being deployed' },
    COMPLETED: { description: 'Deployed; the evidence was kept' },
    FAILED: { description: 'The deployment failed; the evidence was kept' },
    ROLLED_BACK: { description: 'Undone by the rollback plan' },
    CLOSED: { description: 'Finished, with a closure code and, where given, the post-implementation review' },
  },
});
registerEnumType(ChangeRisk, {
  name: 'ChangeRisk',
  description: 'Risk of a change, as its requester assesses it',
  valuesConfig: { LOW: { description: 'Low risk' }, MEDIUM: { description: 'Medium risk' }, HIGH: { description: 'High risk' } },
});
registerEnumType(ClosureCode, {
  name: 'ClosureCode',
  description: 'How a change ended',
  valuesConfig: {
    SUCCESSFUL: { description: 'Deployed as planned' },
    SUCCESSFUL_WITH_ISSUES: { description: 'Deployed, with problems the review describes' },
    UNSUCCESSFUL: { description: 'Not deployed as planned' },
    ROLLED_BACK: { description: 'Deployed and undone' },
    REJECTED: { description: 'Never approved' },
  },
});
registerEnumType(TargetUpdateStatus, {
  name: 'ChangeTargetStatus',
  description: 'What a target asset reports for one update of a change',
  valuesConfig: {
    INSTALLED: { description: 'Installed' },
    FAILED: { description: 'The installation failed' },
    PENDING_REBOOT: { description: 'Installed, waiting for a restart' },
    PENDING: { description: 'Still missing (or of unknown state): not installed yet' },
    NOT_APPLICABLE: { description: 'The update does not apply to the asset' },
    NOT_REPORTED: { description: 'No source reports the update for the asset' },
  },
});
registerEnumType(SuggestedOutcome, {
  name: 'ChangeOutcome',
  description: 'The outcome the observed data suggests',
  valuesConfig: {
    COMPLETED: { description: 'Every target the updates apply to has them installed' },
    PARTIAL: { description: 'Some targets have them installed, others not (yet)' },
    FAILED: { description: 'No target has them installed' },
  },
});

@ObjectType('ExternalTicket', { description: 'A ticket in a PSA or ITSM tool that a change belongs to' })
export class ExternalTicketType {
  @Field({ description: 'The tool, e.g. "ConnectWise", "Autotask", "ServiceNow"' })
  system: string;

  @Field({ description: 'The ticket\'s id in that tool' })
  id: string;
}

@ObjectType('ChangeRequest', { implements: Node, description: 'A change record for a patch deployment: what is installed where, why it is safe, how to undo it, who agreed, and what actually landed' })
export class ChangeRequestType {
  @Field({ description: 'Human reference, CHG-YYYY-NNNNNN, numbered per year' })
  reference: string;

  @Field(() => ChangeType, { description: 'How the change is agreed' })
  type: ChangeType;

  @Field(() => ChangeState, { description: 'Where the change is in its life cycle' })
  state: ChangeState;

  @Field({ description: 'Short title' })
  title: string;

  @Field({ description: 'What is changed and why' })
  description: string;

  @Field(() => ChangeRisk, { description: 'Risk assessment' })
  risk: ChangeRisk;

  @Field({ description: 'Impact assessment: who and what is affected, and how' })
  impact: string;

  @Field(() => String, { nullable: true, description: 'How the updates were or will be tested on a representative sample first' })
  testPlan: string | null;

  @Field(() => String, { nullable: true, description: 'How the change is undone (required before a NORMAL or EMERGENCY change is submitted)' })
  rollbackPlan: string | null;

  @Field({ description: 'Timestamp the change is planned to start' })
  plannedStart: Date;

  @Field({ description: 'Timestamp the change is planned to end' })
  plannedEnd: Date;

  @Field({ description: 'Who raised the change (the principal, as the audit trail names it)' })
  requestedBy: string;

  @Field(() => [ExternalTicketType], { description: 'PSA/ITSM tickets the change belongs to' })
  externalTickets: ExternalTicketType[];

  @Field(() => Date, { nullable: true, description: 'Timestamp the deployment started' })
  startedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'Timestamp the change was completed, failed or rolled back' })
  finishedAt: Date | null;

  @Field(() => ClosureCode, { nullable: true, description: 'How the change ended; set when it is closed' })
  closureCode: ClosureCode | null;

  @Field(() => String, { nullable: true, description: 'The post-implementation review, given when it was closed' })
  review: string | null;

  @Field({ description: 'Timestamp the change was raised' })
  createdAt: Date;

  @Field({ description: 'Timestamp of its last change' })
  updatedAt: Date;
}

@ObjectType('ChangeApproval', { description: 'One approver\'s agreement to a change' })
export class ChangeApprovalType {
  @Field({ description: 'Who approved (the principal, as the audit trail names it)' })
  approvedBy: string;

  @Field(() => String, { nullable: true, description: 'The approver\'s comment' })
  comment: string | null;

  @Field({ description: 'Timestamp of the approval' })
  approvedAt: Date;
}

@ObjectType('ChangeTargetResult', { description: 'What one target asset reports for one update of a change' })
export class ChangeTargetResultType {
  assetId: string;
  updateId: string;

  @Field(() => TargetUpdateStatus, { description: 'What the asset reports' })
  status: TargetUpdateStatus;

  @Field(() => Date, { nullable: true, description: 'Timestamp the asset entered this status, as patchgraph observed it; null when it has not reported' })
  since: Date | null;

  @Field(() => Date, { nullable: true, description: 'Timestamp the update was installed, as reported or first observed' })
  installedAt: Date | null;
}

@ObjectType('ChangeVerification', { description: 'What actually landed on a change\'s targets, from the patch states the sources report' })
export class ChangeVerificationType {
  @Field(() => Date, { nullable: true, description: 'Timestamp of this picture: when the snapshot was kept, or null when computed now' })
  at: Date | null;

  @Field(() => Int, { description: 'Target asset and update pairs' })
  total: number;

  @Field(() => Int, { description: 'Pairs installed' })
  installed: number;

  @Field(() => Int, { description: 'Pairs whose installation failed' })
  failed: number;

  @Field(() => Int, { description: 'Pairs installed and waiting for a restart' })
  pendingReboot: number;

  @Field(() => Int, { description: 'Pairs still missing' })
  pending: number;

  @Field(() => Int, { description: 'Pairs the update does not apply to' })
  notApplicable: number;

  @Field(() => Int, { description: 'Pairs no source reports' })
  notReported: number;

  @Field(() => Float, { description: 'Installed share of the pairs the updates apply to, in percent' })
  percentInstalled: number;

  @Field(() => SuggestedOutcome, { description: 'The outcome the data suggests' })
  suggestedOutcome: SuggestedOutcome;

  @Field(() => Date, { nullable: true, description: 'Timestamp of the latest change of state among the targets' })
  lastChangeAt: Date | null;

  @Field(() => [ChangeTargetResultType], { description: 'Each target asset and update' })
  results: ChangeTargetResultType[];
}

@ObjectType('ChangeTargets', { description: 'What a change is for' })
export class ChangeTargetsType {
  assetIds: string[];
  siteIds: string[];
  ringIds: string[];
}

@ObjectType('ChangeTargetFilter', {
  description: 'A change\'s saved asset filter, as given (an AssetFilterInput): its members are the assets of the change\'s tenant it matches, read anew until the change starts and fixed from then on (ChangeTargets.filterMatchedAt). Absent criteria are null',
})
export class ChangeTargetFilterType {
  @Field(() => [ID], { nullable: true, description: 'The change\'s tenant, when the filter was given it explicitly (every asset of the tenant, narrowed by the other criteria)' })
  tenantIds: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only assets in these sites' })
  siteIds: string[] | null;

  @Field(() => String, { nullable: true, description: 'Part of the operating system name, case-insensitive' })
  osNameContains: string | null;

  @Field(() => String, { nullable: true, description: 'Part of the host name or FQDN, case-insensitive' })
  hostnameContains: string | null;

  @Field(() => Date, { nullable: true, description: 'Only assets last seen before this timestamp' })
  lastSeenBefore: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only assets last seen at or after this timestamp' })
  lastSeenAfter: Date | null;

  @Field(() => AssetStatus, { nullable: true, description: 'Only assets with this status' })
  status: AssetStatus | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only assets with at least one update MISSING, FAILED or PENDING_REBOOT; false: only assets with none' })
  hasMissingUpdates: boolean | null;

  @Field(() => [Severity], { nullable: true, description: 'Only assets missing at least one update of one of these severities' })
  missingSeverities: Severity[] | null;
}

@ObjectType('MaintenanceWindow', { implements: Node, description: 'A recurring slot in which changes may run, in its own time zone' })
export class MaintenanceWindowType {
  @Field({ description: 'Name, e.g. "Tuesday evenings"' })
  name: string;

  @Field({ description: 'RFC 5545 recurrence rule body, e.g. FREQ=WEEKLY;BYDAY=TU' })
  rrule: string;

  @Field({ description: 'Local date and time of the first occurrence (YYYY-MM-DDTHH:MM), in timeZone' })
  firstStart: string;

  @Field({ description: 'IANA time zone the rule is read in, e.g. Europe/London' })
  timeZone: string;

  @Field(() => Int, { description: 'Length of each occurrence in minutes' })
  durationMinutes: number;

  @Field({ description: 'Who created it' })
  createdBy: string;
}

@ObjectType('WindowOccurrence', { description: 'One occurrence of a maintenance window' })
export class WindowOccurrenceType {
  @Field({ description: 'Timestamp it starts' })
  start: Date;

  @Field({ description: 'Timestamp it ends' })
  end: Date;
}

@ObjectType('DeploymentRing', { implements: Node, description: 'A stage of a staged rollout: pilot first, broad last' })
export class DeploymentRingType {
  @Field({ description: 'Name, e.g. "Pilot"' })
  name: string;

  @Field(() => Int, { description: 'Order within the tenant: 1 is the first ring' })
  position: number;

  @Field(() => Float, { description: 'Share of reporting members that must have the updates installed before the next ring starts, 0 to 1' })
  minSuccessRate: number;

  @Field(() => Int, { description: 'Members that must have the updates installed before the next ring starts' })
  minDevices: number;

  @Field(() => Int, { description: 'Hours the ring runs with the updates after its last install before the next ring starts' })
  soakHours: number;
}

@ObjectType('RingPromotion', { description: 'Whether the next ring may start for a change, and why' })
export class RingPromotionType {
  @Field({ description: 'Indicates the next ring may start' })
  mayStart: boolean;

  @Field(() => [String], { description: 'Why: each unmet criterion, or the criteria met' })
  reasons: string[];

  @Field(() => Int, { description: 'Members with every update of the change installed' })
  devicesInstalled: number;

  @Field(() => Float, { description: 'Share of reporting members with every update installed, 0 to 1' })
  successRate: number;

  @Field(() => Date, { nullable: true, description: 'Timestamp the soak time ends: the ring\'s last install plus soakHours' })
  soakEndsAt: Date | null;

  @Field(() => DeploymentRingType, { description: 'The ring judged' })
  ring: DeploymentRingType;

  @Field(() => DeploymentRingType, { nullable: true, description: 'The ring that would start next; null after the last' })
  nextRing: DeploymentRingType | null;
}
