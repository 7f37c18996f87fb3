import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { longText, timestamp, uuid, primaryUuid } from './columns';

/**
 * Append-only record of a change. Events form one hash chain per tenant (chainKey = tenant id, or "global"),
 * so a removed or altered event breaks the chain. The unique (chainKey, seq) stops two writers forking it.
 */
@ObjectType({ implements: Node, description: 'An append-only record of a change, hash-chained per tenant' })
@Entity('audit_event')
@Index('uq_audit_event_chain_seq', ['chainKey', 'seq'], { unique: true })
@Index('ix_audit_event_tenant_time', ['tenantId', 'occurredAt', 'id'])
// Everything recorded about one object (auditEvents' target filter; the run a sync.run event seals).
@Index('ix_audit_event_target', ['targetType', 'targetId'])
export class AuditEvent {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column({ type: 'varchar', length: 36 })
  chainKey: string;

  @Field(() => Int, { description: 'Position of the event in its chain, from 1' })
  @Column({ type: 'int' })
  seq: number;

  @Column(uuid({ nullable: true }))
  tenantId: string | null;

  @Field({ description: 'Timestamp the change happened' })
  @Column(timestamp())
  occurredAt: Date;

  @Field({ description: 'Who made the change, e.g. "api-key:admin (3f2a…)" or "system"' })
  @Column({ type: 'varchar', length: 255 })
  actor: string;

  @Field({ description: 'What was done, e.g. "tenant.create"' })
  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Field({ description: 'Kind of object changed, e.g. "Tenant"' })
  @Column({ type: 'varchar', length: 64 })
  targetType: string;

  @Field(() => String, { nullable: true, description: 'Key of the object changed (with targetType it names the object)' })
  @Column({ type: 'varchar', length: 255, nullable: true })
  targetId: string | null;

  @Field({ description: 'Details of the change as JSON. A connector\'s settings values show as redacted to roles that may not read ConnectorInstance.settings; the chain\'s hashes cover the stored data, which verifyAuditChain checks' })
  @Column(longText())
  data: string;

  @Field({ description: 'SHA-256 of the previous event in the chain (64 zeros for the first)' })
  @Column({ type: 'varchar', length: 64 })
  prevHash: string;

  @Field({ description: 'SHA-256 over this event and prevHash' })
  @Column({ type: 'varchar', length: 64 })
  hash: string;
}
