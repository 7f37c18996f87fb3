import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { Asset } from './asset.entity';
import { timestamp, uuid, primaryUuid } from './columns';
import { EvidenceKind, PatchStateValue } from './enums';
import { SourceDevice } from './source-device.entity';
import { Tenant } from './tenant.entity';
import { Update } from './update.entity';

const LOADED_UPDATE = Symbol('PatchState.update as loaded');

/**
 * The current state of one update on one device, as one source sees it. Keyed by source device so that
 * two tools reporting the same machine never overwrite each other; assetId is carried for querying.
 */
@ObjectType({ implements: Node, description: 'The state of one update on one asset, as one source reports or derives it' })
@Entity('patch_state')
// Every row write pays for each index, so each one is kept for the queries that need it:
// a source's stored states, read by every sync and joined by the report and compliance;
@Index('uq_patch_state_source_update', ['sourceDeviceId', 'updateId'], { unique: true })
// an asset's states (the Asset.patchStates loader, the asset filters' EXISTS, per-asset counts);
@Index('ix_patch_state_asset_state', ['assetId', 'state'])
// a tenant's states in changedAt order: the patchStates page of one tenant, by default and filtered by state, is an
// ordered walk of it that stops at the page (the tenant foreign key on MariaDB too). It replaces (tenantId, state,
// changedAt, id), which served only a page filtered to one state and left the default page to sort the tenant's
// states, and (changedAt, id), which served only a page over every tenant: that page now sorts, as OBSERVED_AT does;
// every state change moved an entry of both;
@Index('ix_patch_state_tenant_changed', ['tenantId', 'changedAt', 'id'])
// an update's states (KEV change proposals, the update filter; the update foreign key on MariaDB);
@Index('ix_patch_state_update', ['updateId', 'state'])
// a tenant's latest evidence time, and whether any of its states has no maintained event summary (NULL sorts first):
// two probes that tell compliance whether a question about now can be answered from these rows (current-state.ts).
@Index('ix_patch_state_tenant_event', ['tenantId', 'maxEventAt'])
export class PatchState {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenantId', foreignKeyConstraintName: 'fk_patch_state_tenant' })
  tenantRef?: Tenant;

  @Column(uuid())
  assetId: string;

  @ManyToOne(() => Asset, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'assetId', foreignKeyConstraintName: 'fk_patch_state_asset' })
  assetRef?: Asset;

  @Column(uuid())
  sourceDeviceId: string;

  @ManyToOne(() => SourceDevice, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sourceDeviceId', foreignKeyConstraintName: 'fk_patch_state_source_device' })
  sourceDeviceRef?: SourceDevice;

  @Column(uuid())
  updateId: string;

  @ManyToOne(() => Update, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'updateId', foreignKeyConstraintName: 'fk_patch_state_update' })
  updateRef?: Update;

  @Field(() => PatchStateValue, { description: 'State of the update on the device' })
  @Column({ type: 'varchar', length: 16 })
  state: PatchStateValue;

  @Field(() => EvidenceKind, { description: 'How the state is known: reported per update by an agent, or derived from the OS build' })
  @Column({ type: 'varchar', length: 16 })
  evidence: EvidenceKind;

  @Field({
    description:
      "Indicates this source's state is the asset's effective state for the update: of the asset's sources that report the update, the freshest active one (latest check-in, a source that is neither inactive nor stale first), REPORTED before DERIVED when equally fresh. Asset counts and filters read only effective states",
  })
  @Column({ type: 'boolean', default: false })
  effective: boolean;

  @Field(() => Date, { nullable: true, description: 'Timestamp the update was first seen missing on the device' })
  @Column(timestamp({ nullable: true }))
  firstSeenMissingAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'Timestamp the update was installed, as reported or first observed' })
  @Column(timestamp({ nullable: true }))
  installedAt: Date | null;

  @Field({ description: 'Timestamp the state last changed' })
  @Column(timestamp())
  changedAt: Date;

  @Field({ description: 'Timestamp of the sync that recorded the current state (re-confirming an unchanged state writes nothing)' })
  @Column(timestamp())
  observedAt: Date;

  // A summary of this (source, update)'s patch events, kept by the sync where it writes them, so compliance about
  // now reads one row instead of replaying the history (src/compliance/current-state.ts). Every time is an event's
  // evidence time, COALESCE(reportedAt, observedAt), as the replay orders and compares events. All three NULL: the
  // row was written around the summary (no history known), and questions over its tenant replay the events.

  /** The evidence time of the last event recorded (by observedAt, then id): the time the current state held from. */
  @Column(timestamp({ nullable: true }))
  lastEventAt: Date | null;

  /** The earliest evidence time of an event into an open state (missing, failed, pending reboot); null if none. */
  @Column(timestamp({ nullable: true }))
  firstOpenAt: Date | null;

  /** The latest evidence time of any event, which a vendor's reportedAt can put after the last event's. */
  @Column(timestamp({ nullable: true }))
  maxEventAt: Date | null;

  /**
   * The state's update as the API loaded it with the state (attachUpdate). A plain property rather than a field
   * resolver: graphql-jit reads a property inline, where a resolver costs a resolve-info object, a response path
   * and closures for each of a portal page's hundreds of states. Every API path that returns patch states attaches
   * the updates when its selection asks for them; reading one that was not attached is a programming error, and
   * says so rather than answer null.
   */
  @Field(() => Update, { nullable: true, description: 'The update' })
  get update(): Update | null {
    const update = (this as { [LOADED_UPDATE]?: Update | null })[LOADED_UPDATE];
    if (update === undefined) throw new Error(`PatchState.update was read for state ${this.id} before its update was loaded`);
    return update;
  }
}

/** Gives a patch state its update (null: not in the caller's view), which the PatchState.update field then reads. */
export function attachUpdate(state: PatchState, update: Update | null): void {
  (state as { [LOADED_UPDATE]?: Update | null })[LOADED_UPDATE] = update;
}

/** Indicates the state's update was attached. */
export function hasAttachedUpdate(state: PatchState): boolean {
  return (state as { [LOADED_UPDATE]?: Update | null })[LOADED_UPDATE] !== undefined;
}
