import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { longText, timestamp, uuid, primaryUuid } from './columns';
import { ConnectorInstance } from './connector-instance.entity';
import { SyncMode, SyncRunStatus, SyncTrigger } from './enums';

/** One run of a connector instance into the database. */
@ObjectType({ implements: Node, description: 'One run of a connector instance: what it saw, what it changed, how it ended' })
@Entity('sync_run')
@Index('ix_sync_run_connector_started', ['connectorInstanceId', 'startedAt', 'id'])
@Index('ix_sync_run_tenant_started', ['tenantId', 'startedAt', 'id'])
export class SyncRun {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  connectorInstanceId: string;

  @ManyToOne(() => ConnectorInstance, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connectorInstanceId', foreignKeyConstraintName: 'fk_sync_run_connector' })
  connectorRef?: ConnectorInstance;

  @Column(uuid({ nullable: true }))
  tenantId: string | null;

  @Field(() => SyncRunStatus, { description: 'Status of the run' })
  @Column({ type: 'varchar', length: 16 })
  status: SyncRunStatus;

  @Field(() => SyncMode, { description: 'FULL reads everything from the source; INCREMENTAL only what changed since the last run' })
  @Column({ type: 'varchar', length: 16 })
  mode: SyncMode;

  @Field(() => SyncTrigger, { description: 'What started the run' })
  @Column({ type: 'varchar', length: 16 })
  trigger: SyncTrigger;

  @Field(() => String, { nullable: true, description: 'Who started the run by hand: the principal as `api-key:<name> (<key id>)` or `oidc:<user> (<subject>)`, "cli", the WSUS collector; null for scheduled runs, and for roles the permission matrix does not give it' })
  @Column({ type: 'varchar', length: 200, nullable: true })
  triggeredBy: string | null;

  @Field({ description: 'Timestamp the run started' })
  @Column(timestamp())
  startedAt: Date;

  @Field(() => Date, { nullable: true, description: 'Timestamp the run finished' })
  @Column(timestamp({ nullable: true }))
  finishedAt: Date | null;

  /** Counts of records seen, created, changed, as JSON. */
  @Column(longText())
  counts: string;

  @Field(() => String, { nullable: true, description: 'Kind of failure: config, auth, rate_limited, transient (also a run cancelled by a shutdown), malformed_response, fatal, internal, or abandoned (its process died or lost the database before it finished)' })
  @Column({ type: 'varchar', length: 32, nullable: true })
  errorKind: string | null;

  @Field(() => String, { nullable: true, description: 'Why the run failed, when it failed. The full text (vendor answers, server paths) is for MSP_ADMIN and TECHNICIAN; other roles get a line naming only the errorKind' })
  @Column(longText({ nullable: true }))
  errorMessage: string | null;
}
