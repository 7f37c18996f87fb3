import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { longText, primaryUuid, timestamp, uuid } from './columns';

/**
 * A saved asset filter (the assets query's), in key form: tenant and site keys, timestamps as ISO strings, only
 * the criteria given. Its members are worked out whenever the change is read, not when it was raised.
 */
export interface ChangeTargetFilter {
  /** Only ever the change's own tenant: the explicit way to say "every asset of the tenant". */
  tenantIds?: string[];
  siteIds?: string[];
  osNameContains?: string;
  hostnameContains?: string;
  lastSeenBefore?: string;
  lastSeenAfter?: string;
  status?: string;
  hasMissingUpdates?: boolean;
  missingSeverities?: string[];
}

/**
 * What a change touches: assets by id, every asset of a site, every member of a deployment ring, and every asset
 * of its tenant the saved filter matches (absent on changes raised before filters existed).
 */
export interface ChangeTargets {
  assetIds: string[];
  siteIds: string[];
  ringIds: string[];
  filter?: ChangeTargetFilter | null;
  /**
   * The filter's matches when the change started, kept from then on: a filter such as "missing a critical update"
   * stops matching the machines the change fixes, and they must stay its targets.
   */
  filterMatch?: { at: string; assetIds: string[] } | null;
}

/** A ticket in the client's or the MSP's PSA/ITSM (ConnectWise, Autotask, ServiceNow…) that the change belongs to. */
export interface ExternalTicket {
  system: string;
  id: string;
}

/**
 * A change record for a patch deployment: what is to be installed where, why it is safe, how to undo it, and who
 * agreed. Its state only moves by the transitions of src/change/state-machine.ts, each one audited; the text fields
 * are fixed once submitted, so what was approved is what is shown.
 */
@Entity('change_request')
@Index('uq_change_request_reference', ['reference'], { unique: true })
@Index('ix_change_request_tenant', ['tenantId', 'createdAt', 'id'])
export class ChangeRequest {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  tenantId: string;

  /** CHG-YYYY-NNNNNN, numbered per year by change_sequence. */
  @Column({ type: 'varchar', length: 32 })
  reference: string;

  @Column({ type: 'varchar', length: 16 })
  type: string;

  @Column({ type: 'varchar', length: 16 })
  state: string;

  @Column({ type: 'varchar', length: 500 })
  title: string;

  @Column(longText())
  description: string;

  /** Catalog update ids (KBs named at creation are resolved to these). */
  @Column({ type: 'simple-json' })
  updateIds: string[];

  @Column({ type: 'simple-json' })
  targets: ChangeTargets;

  @Column({ type: 'varchar', length: 16 })
  risk: string;

  @Column(longText())
  impact: string;

  @Column(longText({ nullable: true }))
  testPlan: string | null;

  @Column(longText({ nullable: true }))
  rollbackPlan: string | null;

  @Column(timestamp())
  plannedStart: Date;

  @Column(timestamp())
  plannedEnd: Date;

  @Column({ type: 'varchar', length: 200 })
  requestedBy: string;

  /** The requester's principal id (kind and key id or OIDC subject): the self-approval guard compares these. */
  @Column({ type: 'varchar', length: 200 })
  requesterId: string;

  @Column({ type: 'simple-json' })
  externalTickets: ExternalTicket[];

  @Column(timestamp({ nullable: true }))
  startedAt: Date | null;

  @Column(timestamp({ nullable: true }))
  finishedAt: Date | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  closureCode: string | null;

  /** The post-implementation review, given when the change is closed. */
  @Column(longText({ nullable: true }))
  review: string | null;

  /** The verification as it stood when the change was completed, failed or rolled back (JSON). */
  @Column(longText({ nullable: true }))
  evidence: string | null;

  @Column(timestamp())
  createdAt: Date;

  @Column(timestamp())
  updatedAt: Date;
}
