import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { primaryUuid, timestamp } from './columns';
import { Role } from './enums';

/**
 * An API key. Only its SHA-256 is stored (keys are 256-bit random, so a fast hash is enough) and a request's key
 * is looked up by that hash; the key itself is shown once, at creation.
 */
@Entity('api_key')
@Index('uq_api_key_hash', ['secretHash'], { unique: true })
export class ApiKey {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** The key's first characters, to tell keys apart in lists and logs without revealing them. */
  @Column({ type: 'varchar', length: 16 })
  prefix: string;

  @Column({ type: 'varchar', length: 64 })
  secretHash: string;

  @Column({ type: 'varchar', length: 32 })
  role: Role;

  /** When true the key sees every tenant, including ones created later. */
  @Column({ type: 'boolean' })
  allTenants: boolean;

  @Column({ type: 'simple-json' })
  tenantIds: string[];

  @Column(timestamp())
  createdAt: Date;

  @Column(timestamp({ nullable: true }))
  lastUsedAt: Date | null;

  @Column(timestamp({ nullable: true }))
  revokedAt: Date | null;

  /** After this instant the key is refused; null: it does not expire. */
  @Column(timestamp({ nullable: true }))
  expiresAt: Date | null;

  /**
   * Who created the key: the creating principal's label, `cli:<os user>` for the CLI, `patchgraph:<how>` for keys
   * the server made at start. Keys stored before this column existed say 'unknown'.
   */
  @Column({ type: 'varchar', length: 500, default: 'unknown' })
  createdBy: string;

  /** When the secret was last replaced; the record (id, name, role, tenants) stays the same. */
  @Column(timestamp({ nullable: true }))
  rotatedAt: Date | null;
}
