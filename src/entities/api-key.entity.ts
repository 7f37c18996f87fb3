import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { Node } from './node';
import { primaryUuid, timestamp } from './columns';
import { Role } from './enums';

/**
 * An API key. Only its SHA-256 is stored (keys are 256-bit random, so a fast hash is enough) and a request's key
 * is looked up by that hash; the key itself is shown once, at creation.
 */
@ObjectType({
  implements: Node,
  description: 'An API key as the apiKeys query lists it: never the key, nor anything from which it could be derived',
})
@Entity('api_key')
@Index('uq_api_key_hash', ['secretHash'], { unique: true })
export class ApiKey {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Field({ description: 'Name given at creation, e.g. the portal or script that uses the key' })
  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** The key's first characters, to tell keys apart in lists and logs without revealing them. */
  @Field({ description: 'The key\'s first 12 characters ("pgk_" and 8 more), to tell keys apart; changes when the key is rotated' })
  @Column({ type: 'varchar', length: 16 })
  prefix: string;

  @Column({ type: 'varchar', length: 64 })
  secretHash: string;

  @Field(() => Role, { description: 'Role of the key' })
  @Column({ type: 'varchar', length: 32 })
  role: Role;

  /** When true the key sees every tenant, including ones created later. */
  @Field({ description: 'Indicates the key sees every tenant, including ones created later' })
  @Column({ type: 'boolean' })
  allTenants: boolean;

  @Column({ type: 'simple-json' })
  tenantIds: string[];

  @Field({ description: 'When the key was created' })
  @Column(timestamp())
  createdAt: Date;

  @Column(timestamp({ nullable: true }))
  lastUsedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked; it was refused from then on' })
  @Column(timestamp({ nullable: true }))
  revokedAt: Date | null;

  /** After this instant the key is refused; null: it does not expire. */
  @Field(() => Date, { nullable: true, description: 'When the key stops working; null if it does not expire' })
  @Column(timestamp({ nullable: true }))
  expiresAt: Date | null;

  /**
   * Who created the key: the creating principal's label, `cli:<os user>` for the CLI, `patchgraph:<how>` for keys
   * the server made at start. Keys stored before this column existed say 'unknown'.
   */
  @Field({ description: 'Who created the key: a principal label such as "api-key:ops (<id>)", "cli:<os user>" for the CLI, or "patchgraph:first-start"; "unknown" for keys older than this field' })
  @Column({ type: 'varchar', length: 500, default: 'unknown' })
  createdBy: string;

  /** When the secret was last replaced; the record (id, name, role, tenants) stays the same. */
  @Field(() => Date, { nullable: true, description: 'When the key was last rotated (given a new secret); null if never' })
  @Column(timestamp({ nullable: true }))
  rotatedAt: Date | null;
}
