import { Field, Float, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { primaryUuid, timestamp } from './columns';
import { ReleaseDateSource, Severity, UpdateClassification } from './enums';

/** The owner of a catalog entry that every tenant shares: its facts come from trusted data (Microsoft's). */
export const SHARED_OWNER = 'shared';

/**
 * A catalog entry for a software update. Entries from trusted data are shared by all tenants; an update only a
 * tenant's own sources report (a WSUS collector's driver, an inventory file's entry) is that tenant's entry, seen
 * by that tenant alone, so one client can neither read nor retitle what another client's tools report.
 */
@ObjectType({ implements: Node, description: 'A software update in the catalog (for example a Windows cumulative update)' })
@Entity('software_update')
@Index('uq_update_catalog_key', ['catalogKey', 'owner'], { unique: true })
@Index('ix_update_owner', ['owner', 'releasedAt', 'id'])
@Index('ix_update_kb', ['kb'])
@Index('ix_update_released', ['releasedAt', 'id'])
@Index('ix_update_classification', ['classification', 'releasedAt'])
@Index('ix_update_severity', ['severity', 'releasedAt'])
export class Update {
  @PrimaryColumn(primaryUuid())
  id: string;

  /** Stable identity of the catalog entry across sources, e.g. "microsoft:KB5041585". */
  @Column({ type: 'varchar', length: 191 })
  catalogKey: string;

  /** SHARED_OWNER for an entry from trusted data; else the id of the one tenant whose sources reported it. */
  @Column({ type: 'varchar', length: 36, default: SHARED_OWNER })
  owner: string;

  @Field(() => String, { nullable: true, description: 'Knowledge Base article number, e.g. "KB5041585"' })
  @Column({ type: 'varchar', length: 32, nullable: true })
  kb: string | null;

  @Field({ description: 'Title of the update' })
  @Column({ type: 'varchar', length: 512 })
  title: string;

  @Field({ description: 'Vendor of the update' })
  @Column({ type: 'varchar', length: 64 })
  vendor: string;

  @Field(() => [String], { description: 'Products the update applies to' })
  @Column({ type: 'simple-json' })
  products: string[];

  @Field(() => UpdateClassification, { description: 'Classification of the update' })
  @Column({ type: 'varchar', length: 32 })
  classification: UpdateClassification;

  @Field(() => Severity, { description: "Vendor's severity rating of the update" })
  @Column({ type: 'varchar', length: 16 })
  severity: Severity;

  @Field(() => Float, { nullable: true, description: 'Highest CVSS v3 base score among the vulnerabilities the update fixes' })
  @Column({ type: 'decimal', precision: 3, scale: 1, nullable: true, transformer: { to: (v) => v, from: (v) => (v == null ? null : Number(v)) } })
  maxCvssBaseScore: number | null;

  @Field({ description: 'Timestamp the vendor released the update, or when a sync first saw it where no source says: see releasedAtSource' })
  @Column(timestamp())
  releasedAt: Date;

  @Field(() => ReleaseDateSource, { description: 'Where releasedAt comes from; FIRST_SEEN means no source gave a release date' })
  @Column({ type: 'varchar', length: 16, default: ReleaseDateSource.SOURCE })
  releasedAtSource: ReleaseDateSource;

  /** Product name → the build ("10.0.22631.4169") that contains the fix, as Microsoft's data gives it; null when unknown. */
  @Column({ type: 'simple-json', nullable: true })
  fixedBuilds: Record<string, string> | null;

  @Field(() => [String], { description: 'KB numbers of the updates this one supersedes' })
  @Column({ type: 'simple-json' })
  supersedes: string[];

  @Field({ description: 'Timestamp the update entered the catalog' })
  @Column(timestamp())
  createdAt: Date;

  @Field({ description: 'Timestamp the catalog entry last changed' })
  @Column(timestamp())
  updatedAt: Date;
}
