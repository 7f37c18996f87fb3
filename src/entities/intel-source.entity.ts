import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { IntelKind } from '../intel/kinds';
import { primaryUuid, timestamp } from './columns';

/**
 * One imported intel file: which feed and which version of it. Facts on vulnerabilities name the source they came
 * from, so a finding can say which KEV catalog, EPSS day or CVRF revision it used. Rows are never changed or
 * deleted: the history of versions is what an auditor asks for.
 */
@ObjectType({ description: 'An imported vulnerability intelligence file: the feed and the version of it' })
@Entity('intel_source')
@Index('uq_intel_source_sha256', ['sha256'], { unique: true })
@Index('ix_intel_source_kind', ['kind', 'releasedAt'])
export class IntelSource {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Field(() => IntelKind, { description: 'Which feed the file belongs to' })
  @Column({ type: 'varchar', length: 16 })
  kind: IntelKind;

  @Field({
    description:
      'The version as the feed names it: the KEV catalogVersion, the CVRF document id and CurrentReleaseDate, the EPSS model_version and score_date, or the CVE id and dateUpdated',
  })
  @Column({ type: 'varchar', length: 191 })
  version: string;

  @Field(() => Date, { nullable: true, description: 'When the feed published this version (KEV dateReleased, CVRF CurrentReleaseDate, EPSS score_date, CVE dateUpdated); newer versions win over older ones' })
  @Column(timestamp({ nullable: true }))
  releasedAt: Date | null;

  @Field({ description: 'SHA-256 of the file as imported (hex): importing the same file again changes nothing' })
  @Column({ type: 'varchar', length: 64 })
  sha256: string;

  /** The file's base name, for operators; never a path. */
  @Column({ type: 'varchar', length: 255 })
  fileName: string;

  @Field({ description: 'Timestamp patchgraph imported the file' })
  @Column(timestamp())
  importedAt: Date;

  @Field(() => Int, { description: 'Records the file holds (KEV entries, EPSS rows, CVRF vulnerabilities, 1 for a CVE record)' })
  @Column({ type: 'int' })
  records: number;

  /** What the import changed, as counts (see src/intel/import.ts ImportSummary). */
  @Column({ type: 'simple-json' })
  summary: Record<string, number | string>;
}
