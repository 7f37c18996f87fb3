import { Field, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { DeviceOwnership, PatchPostureStatus } from './enums';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { Asset } from './asset.entity';
import { longText, timestamp, uuid, primaryUuid } from './columns';
import { ConnectorInstance } from './connector-instance.entity';
import { Tenant } from './tenant.entity';

/** One device as one connector instance reports it; identity resolution links it to an Asset. */
@ObjectType({ implements: Node, description: 'One device as one connector reports it' })
@Entity('source_device')
@Index('uq_source_device_external', ['connectorInstanceId', 'externalId'], { unique: true })
@Index('ix_source_device_asset', ['assetId'])
// Identity resolution looks devices up by these identifiers within a tenant.
@Index('ix_source_device_tenant_aad', ['tenantId', 'azureAdDeviceId'])
@Index('ix_source_device_tenant_serial', ['tenantId', 'serialNumber'])
@Index('ix_source_device_tenant_hostname', ['tenantId', 'hostname'])
export class SourceDevice {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenantId', foreignKeyConstraintName: 'fk_source_device_tenant' })
  tenantRef?: Tenant;

  @Column(uuid())
  connectorInstanceId: string;

  @ManyToOne(() => ConnectorInstance, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'connectorInstanceId', foreignKeyConstraintName: 'fk_source_device_connector' })
  connectorRef?: ConnectorInstance;

  @Column(uuid({ nullable: true }))
  assetId: string | null;

  @ManyToOne(() => Asset, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'assetId', foreignKeyConstraintName: 'fk_source_device_asset' })
  assetRef?: Asset | null;

  @Field({ description: "The device's identifier in the source tool" })
  @Column({ type: 'varchar', length: 255 })
  externalId: string;

  @Field(() => String, { nullable: true, description: 'Host name as the source reports it' })
  @Column({ type: 'varchar', length: 255, nullable: true })
  hostname: string | null;

  @Field(() => String, { nullable: true, description: 'Fully qualified domain name as the source reports it' })
  @Column({ type: 'varchar', length: 255, nullable: true })
  fqdn: string | null;

  @Field(() => String, { nullable: true, description: 'Serial number as the source reports it' })
  @Column({ type: 'varchar', length: 128, nullable: true })
  serialNumber: string | null;

  @Field(() => String, { nullable: true, description: 'Microsoft Entra (Azure AD) device id' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  azureAdDeviceId: string | null;

  @Field(() => String, { nullable: true, description: 'SMBIOS system UUID' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  smbiosUuid: string | null;

  @Field(() => [String], { description: 'MAC addresses, normalised to 12 upper-case hex digits' })
  @Column({ type: 'simple-json' })
  macAddresses: string[];

  @Field(() => String, { nullable: true, description: 'Operating system name as the source reports it' })
  @Column({ type: 'varchar', length: 128, nullable: true })
  osName: string | null;

  @Field(() => String, { nullable: true, description: 'Operating system version as the source reports it' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  osVersion: string | null;

  @Field(() => String, { nullable: true, description: 'Operating system build and revision as the source reports it' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  osBuild: string | null;

  @Field(() => Date, { nullable: true, description: 'Timestamp the device last checked in with the source tool' })
  @Column(timestamp({ nullable: true }))
  lastCheckInAt: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'When the device enrolled in (or was first registered by) the source tool, if the tool says (Intune enrolledDateTime, Datto creationDate). Tells a re-enrolment from a clone: a record that went quiet before another with the same serial enrolled is the same machine',
  })
  @Column(timestamp({ nullable: true }))
  enrolledAt: Date | null;

  @Field(() => String, { nullable: true, description: "The source tool's own site or group of the device" })
  @Column({ type: 'varchar', length: 255, nullable: true })
  vendorSite: string | null;

  @Field(() => String, { nullable: true, description: 'Hardware manufacturer as the source reports it' })
  @Column({ type: 'varchar', length: 128, nullable: true })
  manufacturer: string | null;

  @Field(() => String, { nullable: true, description: 'Hardware model as the source reports it' })
  @Column({ type: 'varchar', length: 128, nullable: true })
  model: string | null;

  @Field(() => DeviceOwnership, { nullable: true, description: 'Who owns the device, when the source says' })
  @Column({ type: 'varchar', length: 16, nullable: true })
  ownership: DeviceOwnership | null;

  @Field({
    description:
      "Indicates the source has not heard from the device for longer than its connector instance allows (e.g. Intune's staleAfterDays): what it reports, patch states included, is out of date",
  })
  @Column({ type: 'boolean' })
  inactive: boolean;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Facts the source reports beyond the common fields (e.g. Intune complianceState, managementAgent), as the source names them' })
  @Column({ type: 'simple-json', nullable: true })
  attributes: Record<string, string | number | boolean | null> | null;

  // Patch posture (Datto RMM's patchStatus and counts); the API shows them as SourceDevice.patchPosture.
  @Column({ type: 'varchar', length: 24, nullable: true })
  postureStatus: PatchPostureStatus | null;

  @Column({ type: 'int', nullable: true })
  postureApprovedPending: number | null;

  @Column({ type: 'int', nullable: true })
  postureNotApproved: number | null;

  @Column({ type: 'int', nullable: true })
  postureInstalled: number | null;

  /** The vendor's id of its own site for the device (Datto site uid); maps the device to a tenant for MSP-wide instances. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  vendorSiteId: string | null;

  /**
   * The connector's own marker of what it last read about the device (Datto's lastAuditDate), handed back on the
   * next run so it can skip expensive per-device calls for devices that did not change.
   */
  @Column({ type: 'varchar', length: 128, nullable: true })
  revision: string | null;

  /** Digest of the normalised record, so an unchanged device costs no write. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  payloadDigest: string | null;

  /**
   * Digest of the patch states this device's source last reported for it (src/sync/state-digest.ts), so a run that
   * reports the same list again skips reading and comparing the stored states. Null (before the column existed, or
   * after the device moved tenant) means unknown: the next run compares in full and fills it.
   */
  @Column({ type: 'varchar', length: 64, nullable: true })
  statesDigest: string | null;

  /** How identity resolution matched the device (rule, values, conflicts) as JSON; the API shows it as IdentityMatch. */
  @Column(longText({ nullable: true }))
  matchedBy: string | null;

  /** An operator's decision (mergeAssets): the device belongs to this asset whatever its identifiers say. */
  @Column(uuid({ nullable: true }))
  pinnedAssetId: string | null;

  /** An operator's decision (splitAsset): the device must never be linked to these assets again. */
  @Column({ type: 'simple-json', nullable: true })
  forbiddenAssetIds: string[] | null;

  @Field({ description: 'Indicates the device is no longer reported: missing from the last complete sync of its connector, or listed as deleted by its source (deletedInSource)' })
  @Column({ type: 'boolean' })
  stale: boolean;

  // Kept beside `stale` rather than folded into it: "the source says it is deleted" is evidence an auditor can cite,
  // "a full read no longer returned it" is only absence. Initialised because devices are built with Object.assign
  // in many places that predate it, and insertRows writes every column.
  @Field({ description: 'Indicates the source lists the device as deleted (e.g. in Datto RMM\'s "Deleted Devices" site); such a device is stale and kept with its history' })
  @Column({ type: 'boolean', default: false })
  deletedInSource: boolean = false;

  @Field({ description: 'Timestamp patchgraph first saw the device' })
  @Column(timestamp())
  firstSeenAt: Date;

  @Field({ description: 'Timestamp a sync last recorded a change to the device (an unchanged device costs no write)' })
  @Column(timestamp())
  lastSeenAt: Date;
}
