import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timestamp } from './columns';

/**
 * While a row exists here, the database lets DELETE through on the append-only tables (audit_event, patch_event,
 * patch_posture_event, run_event_leaves). The retention job (src/audit/prune.ts) inserts its row and removes it
 * inside its own transaction, so no other session ever sees one. A table, because SQLite triggers can read neither
 * session variables nor temporary tables.
 */
@Entity('audit_prune_permit')
export class AuditPrunePermit {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column(timestamp())
  grantedAt: Date;
}
