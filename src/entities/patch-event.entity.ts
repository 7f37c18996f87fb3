import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { timestamp, uuid, primaryUuid } from './columns';
import { EvidenceKind, PatchStateValue } from './enums';
import { Tenant } from './tenant.entity';

/** An observed transition of a patch state. Append-only: audit and "as of" questions read these. */
@ObjectType({ implements: Node, description: 'An observed change of the state of one update on one asset; never rewritten' })
@Entity('patch_event')
// An asset's history (patchEvents by asset, a change's events on its targets).
@Index('ix_patch_event_asset_observed', ['assetId', 'observedAt', 'id'])
// A tenant's events in observed order: patchEvents pages and the patch history report's keyset batches. It carries
// every column the CSV export's streamed statement reads (STREAMED in patch-history-source.ts), so that statement
// reads this index alone, never the table (on MariaDB a primary-key look-up a row).
@Index('ix_patch_event_tenant_observed', ['tenantId', 'observedAt', 'id', 'reportedAt', 'fromState', 'toState', 'syncRunId', 'updateId', 'sourceDeviceId', 'evidence'])
// An update's events (patchEvents filtered by update or KB).
@Index('ix_patch_event_update', ['updateId', 'observedAt'])
// A source's events of one update in recorded order: compliance's state at asOf and its evidence check per asset.
@Index('ix_patch_event_source_update', ['sourceDeviceId', 'updateId', 'observedAt'])
// A run's events: its Merkle root is computed over them when it commits, and again by verification.
@Index('ix_patch_event_run', ['syncRunId', 'tenantId'])
export class PatchEvent {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenantId', foreignKeyConstraintName: 'fk_patch_event_tenant' })
  tenantRef?: Tenant;

  // Plain references without foreign keys: history must survive the deletion of what it describes.
  @Column(uuid())
  assetId: string;

  @Column(uuid())
  sourceDeviceId: string;

  @Column(uuid())
  updateId: string;

  @Column(uuid({ nullable: true }))
  syncRunId: string | null;

  @Field(() => PatchStateValue, { nullable: true, description: 'State before the change; null when first observed' })
  @Column({ type: 'varchar', length: 16, nullable: true })
  fromState: PatchStateValue | null;

  @Field(() => PatchStateValue, { description: 'State after the change' })
  @Column({ type: 'varchar', length: 16 })
  toState: PatchStateValue;

  // How the new state was known when it was observed. Stored with the event so the patch history report reads it
  // from the event's own row instead of joining patch_state per row; not part of the audit leaf (event-leaves.ts),
  // so roots sealed before the column existed still verify.
  @Column({ type: 'varchar', length: 16 })
  evidence: EvidenceKind;

  @Field(() => Date, { nullable: true, description: 'Timestamp the source tool reports for the change, when it reports one' })
  @Column(timestamp({ nullable: true }))
  reportedAt: Date | null;

  @Field({ description: 'Timestamp patchgraph observed the change' })
  @Column(timestamp())
  observedAt: Date;
}
