import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { longText, primaryUuid, timestamp } from './columns';

/**
 * A custom compliance policy an MSP defined (the built-in presets live in code, src/compliance/presets.ts).
 * Its rules are a validated JSON document (src/compliance/policy-definition.ts). A policy is never edited in
 * place: a change is a new version row, so a result computed under version 3 can be recomputed exactly later.
 */
@Entity('compliance_policy')
@Index('uq_compliance_policy_key_version', ['policyKey', 'version'], { unique: true })
export class CompliancePolicy {
  @PrimaryColumn(primaryUuid())
  id: string;

  /** Stable name used in assignments and queries, e.g. "acme-internal-30d". */
  @Column({ type: 'varchar', length: 64 })
  policyKey: string;

  @Column({ type: 'int' })
  version: number;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** The rules, as JSON (PolicyDefinition). */
  @Column(longText())
  definition: string;

  @Column(timestamp())
  createdAt: Date;

  @Column({ type: 'varchar', length: 200 })
  createdBy: string;
}
