import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BreakReason } from '../../audit/verify-chain';

export enum AuditBreakReason {
  HASH_MISMATCH = 'HASH_MISMATCH',
  SEQ_GAP = 'SEQ_GAP',
  ROOT_MISMATCH = 'ROOT_MISMATCH',
  EVENT_ALTERED = 'EVENT_ALTERED',
  EVENT_DELETED = 'EVENT_DELETED',
  EVENT_INSERTED = 'EVENT_INSERTED',
}
// Keeps the GraphQL enum and the verifier's reasons the same set.
const REASONS: Record<BreakReason, AuditBreakReason> = AuditBreakReason;
void REASONS;

registerEnumType(AuditBreakReason, {
  name: 'AuditBreakReason',
  description: 'Why an audit chain does not verify',
  valuesConfig: {
    HASH_MISMATCH: { description: "An audit event's content no longer gives its hash, or its prevHash is not the previous event's hash: it was edited or replaced" },
    SEQ_GAP: { description: 'Audit events are missing: deleted at the start (with no prune record explaining it), in the middle or at the end' },
    ROOT_MISMATCH: { description: "A sync run's events no longer give the Merkle root its audit event sealed, and its leaf list was altered too, so only the run is named" },
    EVENT_ALTERED: { description: 'A patch or posture event was changed after its run sealed it' },
    EVENT_DELETED: { description: 'A patch or posture event its run sealed is gone' },
    EVENT_INSERTED: { description: 'A patch or posture event that its run never wrote, or that no sealed run covers' },
  },
});

@ObjectType({ description: 'The last event of a chain when it was verified' })
export class AuditChainHeadInfo {
  @Field(() => Int, { description: 'Sequence number of the last event' })
  seq: number;

  @Field({ description: 'Hash of the last event: keep it (in a report, a ticket) to prove later that nothing before it changed' })
  hash: string;
}

@ObjectType({ description: "The retention job's record explaining why a chain starts after its first event" })
export class AuditPruneInfo {
  @Field(() => Int, { description: 'The chain\'s events up to this sequence number were pruned' })
  throughSeq: number;

  @Field({ description: 'The cut the job was given: history before it was eligible' })
  before: Date;

  @Field({ description: 'Timestamp the job ran' })
  prunedAt: Date;
}

@ObjectType({ description: 'A broken link of an audit chain' })
export class AuditChainBreak {
  @Field(() => AuditBreakReason, { description: 'What is wrong' })
  reason: AuditBreakReason;

  @Field(() => Int, { nullable: true, description: 'Sequence number of the audit event at the break (the broken event, or the sync.run event whose seal does not hold); null for an event no run seals' })
  seq: number | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the audit event at the break, when it still exists' })
  auditEventId: string | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the sync run whose events broke the seal, when the caller may see it' })
  syncRunId: string | null;

  @Field(() => String, { nullable: true, description: 'Type of the event named: PatchEvent or PatchPostureEvent' })
  eventType: string | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the patch or posture event named (a deleted one no longer resolves)' })
  eventId: string | null;

  @Field({ description: 'What was found, in words' })
  message: string;
}

@ObjectType({ description: 'The outcome of recomputing an audit chain and the Merkle roots of the sync runs it seals' })
export class AuditChainVerification {
  @Field({ description: 'Indicates every link holds: no break was found' })
  ok: boolean;

  @Field(() => ID, { nullable: true, description: "Global id of the tenant whose chain this is; null for the MSP-wide chain" })
  tenantId: string | null;

  @Field(() => Date, { nullable: true, description: 'Start of the period checked, as asked' })
  from: Date | null;

  @Field(() => Date, { nullable: true, description: 'End of the period checked, as asked' })
  to: Date | null;

  @Field(() => Int, { description: 'Audit events whose hash and link were recomputed' })
  auditEventsChecked: number;

  @Field(() => Int, { description: 'Sync runs whose Merkle root was recomputed' })
  runsChecked: number;

  @Field(() => Int, { description: 'Patch and posture events whose leaf was recomputed' })
  eventsChecked: number;

  @Field(() => Int, { description: 'Events written before sync runs were sealed (a database older than the audit trail): counted, covered by no root' })
  unsealedEvents: number;

  @Field(() => AuditChainHeadInfo, { nullable: true, description: 'The chain\'s last event when it was verified; null for an empty chain' })
  head: AuditChainHeadInfo | null;

  @Field(() => AuditPruneInfo, { nullable: true, description: 'The retention job\'s record that explains why the chain starts later, if it does' })
  pruned: AuditPruneInfo | null;

  @Field(() => AuditChainBreak, { nullable: true, description: 'The first broken link in chain order; null when ok' })
  firstBreak: AuditChainBreak | null;

  @Field(() => [AuditChainBreak], { description: 'Every broken link found, in chain order (at most 100)' })
  breaks: AuditChainBreak[];
}
