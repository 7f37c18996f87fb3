import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuditChainHead, AuditEvent } from '../entities';
import { newId } from '../util/ids';
import { insertRows } from '../db/insert-rows';

export const GLOBAL_CHAIN = 'global';
const GENESIS = '0'.repeat(64);

export interface AuditEntry {
  tenantId: string | null;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  data: Record<string, unknown>;
  occurredAt: Date;
}

/** The fields a hash covers, in a fixed order, so the chain can be re-verified from the stored rows alone. */
export function auditHash(e: Omit<AuditEvent, 'id' | 'hash'>): string {
  const canonical = JSON.stringify([
    e.chainKey, e.seq, e.tenantId, e.occurredAt.toISOString(), e.actor, e.action, e.targetType, e.targetId, e.data, e.prevHash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Appends one event to its tenant's chain inside the caller's transaction, so the audit record and the change
 * it describes commit or roll back together. The chain's head row is locked first (MySQL/MariaDB row lock;
 * SQLite has a single writer), so concurrent appends to one chain are serialised, never forked.
 */
export async function appendAudit(manager: EntityManager, entry: AuditEntry): Promise<AuditEvent> {
  const chainKey = entry.tenantId ?? GLOBAL_CHAIN;
  const lockHead = () => {
    const q = manager.createQueryBuilder(AuditChainHead, 'head').where('head.chainKey = :chainKey', { chainKey });
    if (manager.connection.options.type !== 'better-sqlite3') q.setLock('pessimistic_write');
    return q.getOne();
  };
  let head = await lockHead();
  if (!head) {
    // First event of the chain. Inserting only when the head is missing keeps InnoDB from taking the shared
    // duplicate-key lock that would deadlock two appenders upgrading to the row lock.
    await manager.createQueryBuilder().insert().into(AuditChainHead).values({ chainKey, seq: 0, hash: GENESIS }).orIgnore().execute();
    head = (await lockHead())!;
  }
  const event = manager.create(AuditEvent, {
    id: newId(),
    chainKey,
    seq: head.seq + 1,
    tenantId: entry.tenantId,
    occurredAt: entry.occurredAt,
    actor: entry.actor,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    data: JSON.stringify(entry.data),
    prevHash: head.hash,
  });
  event.hash = auditHash(event);
  await insertRows(manager, AuditEvent, [event]);
  await manager.update(AuditChainHead, { chainKey }, { seq: event.seq, hash: event.hash });
  return event;
}
