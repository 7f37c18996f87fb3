import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { timestamp, uuid, primaryUuid } from './columns';
import { AssetStatus } from './enums';
import { Site } from './site.entity';
import { Tenant } from './tenant.entity';

/** The unified device: one physical or virtual machine, however many tools report it. */
@ObjectType({ implements: Node, description: 'A unified device; one or more source devices from connectors resolve to it' })
@Entity('asset')
// Access paths: list by tenant ordered by hostname / last seen / creation (keyset), filter by site and OS.
@Index('ix_asset_tenant_hostname', ['tenantId', 'hostname', 'id'])
@Index('ix_asset_tenant_last_seen', ['tenantId', 'lastSeenAt', 'id'])
@Index('ix_asset_tenant_created', ['tenantId', 'createdAt', 'id'])
@Index('ix_asset_tenant_os', ['tenantId', 'osName'])
// An MSP-wide principal lists across tenants: the same orders without the tenant prefix.
@Index('ix_asset_hostname', ['hostname', 'id'])
@Index('ix_asset_last_seen', ['lastSeenAt', 'id'])
@Index('ix_asset_site', ['siteId'])
export class Asset {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenantId', foreignKeyConstraintName: 'fk_asset_tenant' })
  tenantRef?: Tenant;

  @Column(uuid({ nullable: true }))
  siteId: string | null;

  @ManyToOne(() => Site, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'siteId', foreignKeyConstraintName: 'fk_asset_site' })
  siteRef?: Site | null;

  @Field({ description: 'Host name of the device (first DNS label), from the freshest current source that reports one; a host name a tool reports as such before one cut from an FQDN' })
  @Column({ type: 'varchar', length: 255 })
  hostname: string;

  @Field(() => String, { nullable: true, description: 'Fully qualified domain name, from the freshest current source that reports one' })
  @Column({ type: 'varchar', length: 255, nullable: true })
  fqdn: string | null;

  @Field(() => String, { nullable: true, description: 'Hardware serial number, from the freshest current source that reports a usable one (placeholders never)' })
  @Column({ type: 'varchar', length: 128, nullable: true })
  serialNumber: string | null;

  @Field(() => String, { nullable: true, description: 'Hardware manufacturer, from the freshest current source that reports one' })
  @Column({ type: 'varchar', length: 128, nullable: true })
  manufacturer: string | null;

  @Field(() => String, { nullable: true, description: 'Hardware model, from the freshest current source that reports one' })
  @Column({ type: 'varchar', length: 128, nullable: true })
  model: string | null;

  @Field(() => String, { nullable: true, description: 'Operating system name, e.g. "Windows 11 Pro", from the freshest current source that reports one (each OS field is taken on its own)' })
  @Column({ type: 'varchar', length: 128, nullable: true })
  osName: string | null;

  @Field(() => String, { nullable: true, description: 'Operating system version, e.g. "23H2" or "10.0.22631.4037", from the freshest current source that reports one (each OS field is taken on its own)' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  osVersion: string | null;

  @Field(() => String, { nullable: true, description: 'Operating system build and revision, e.g. "22631.4037", from the freshest current source that reports one (each OS field is taken on its own, so a fresher source without a build never blanks it)' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  osBuild: string | null;

  /**
   * The asset class an operator set by hand (src/compliance/asset-class.ts lists them), e.g. INTERNET_FACING_SERVER,
   * which no source can tell; null lets the rule decide from the operating system.
   */
  @Column({ type: 'varchar', length: 32, nullable: true })
  assetClassOverride: string | null;

  /** Extended Security Updates cover the asset until this date (YYYY-MM-DD): its OS counts as supported until then. */
  @Column({ type: 'date', nullable: true })
  esuUntil: string | null;

  @Field(() => AssetStatus, { description: 'Whether the asset is still reported by its sources: STALE when every source has dropped it or has not heard from it for longer than its connector allows' })
  @Column({ type: 'varchar', length: 16 })
  status: AssetStatus;

  @Field({ description: 'Timestamp any source last saw the device check in' })
  @Column(timestamp())
  lastSeenAt: Date;

  @Field({ description: 'Timestamp the asset was first created' })
  @Column(timestamp())
  createdAt: Date;

  @Field({ description: 'Timestamp the asset was last changed' })
  @Column(timestamp())
  updatedAt: Date;

  /**
   * Raised whenever anything a compliance answer reads of this asset, its sources or their states may have changed
   * (refreshAssets, the asset's compliance settings): kept answers (src/compliance/kept-answers.ts) re-evaluate an
   * asset whose revision is not the one they were computed at. Not an API field.
   */
  @Column({ type: 'integer', default: 0 })
  revision: number;
}
