import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { longText, primaryUuid, timestamp } from './columns';

/**
 * An authority's notice naming CVEs or KBs, with its own clock: e.g. the DfE telling schools of a zero-day, to be
 * fixed within 3 days of the notice. Policies with an advisory rule for that authority start their clock at
 * `noticeAt`. Global (authorities notify everyone), recorded once.
 */
@Entity('advisory')
@Index('uq_advisory_reference', ['authority', 'reference'], { unique: true })
export class Advisory {
  @PrimaryColumn(primaryUuid())
  id: string;

  /** Who issued it, e.g. "DfE", "NCSC", "CISA". */
  @Column({ type: 'varchar', length: 64 })
  authority: string;

  @Column({ type: 'varchar', length: 128 })
  reference: string;

  @Column({ type: 'varchar', length: 500 })
  title: string;

  @Column(timestamp())
  noticeAt: Date;

  /** CVE ids the notice names (JSON array). */
  @Column({ type: 'simple-json' })
  cveIds: string[];

  /** KB numbers the notice names (JSON array). */
  @Column({ type: 'simple-json' })
  kbs: string[];

  @Column(longText({ nullable: true }))
  url: string | null;

  @Column(timestamp())
  createdAt: Date;

  @Column({ type: 'varchar', length: 200 })
  createdBy: string;
}
