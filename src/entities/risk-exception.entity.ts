import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { longText, primaryUuid, timestamp, uuid } from './columns';

/**
 * An accepted risk: findings it covers are EXEMPT while it is in force (validFrom ≤ asOf < expiresAt, and not
 * revoked by then). Scope narrows by asset or site, and by update, CVE and policy; an unset field means "any".
 * Never edited: revoking sets revokedAt, a change is a new exception.
 */
@Entity('risk_exception')
@Index('ix_risk_exception_tenant', ['tenantId', 'expiresAt'])
export class RiskException {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  tenantId: string;

  @Column(uuid({ nullable: true }))
  siteId: string | null;

  @Column(uuid({ nullable: true }))
  assetId: string | null;

  @Column(uuid({ nullable: true }))
  updateId: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  cveId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  policyKey: string | null;

  /** Who accepted the risk on the client's side. */
  @Column({ type: 'varchar', length: 200 })
  owner: string;

  @Column(longText())
  reason: string;

  @Column(longText({ nullable: true }))
  compensatingControl: string | null;

  @Column(timestamp())
  validFrom: Date;

  @Column(timestamp())
  expiresAt: Date;

  @Column(timestamp())
  createdAt: Date;

  @Column({ type: 'varchar', length: 200 })
  createdBy: string;

  @Column(timestamp({ nullable: true }))
  revokedAt: Date | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  revokedBy: string | null;
}
