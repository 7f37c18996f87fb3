import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The latest event of each audit chain. Appending locks this one row, so concurrent writers to the same chain
 * queue up instead of racing for the next sequence number; different tenants never wait for each other.
 */
@Entity('audit_chain_head')
export class AuditChainHead {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  chainKey: string;

  @Column({ type: 'int' })
  seq: number;

  @Column({ type: 'varchar', length: 64 })
  hash: string;
}
