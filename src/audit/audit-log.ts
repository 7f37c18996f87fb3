import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuditEvent } from '../entities';
import { newId } from '../util/ids';

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
 * it describes commit or roll back together. Two concurrent appends collide on (chainKey, seq) and one retries.
 */
export async function appendAudit(manager: EntityManager, entry: AuditEntry): Promise<AuditEvent> {
  const chainKey = entry.tenantId ?? GLOBAL_CHAIN;
  const last = await manager
    .createQueryBuilder(AuditEvent, 'ae')
    .where('ae.chainKey = :chainKey', { chainKey })
    .orderBy('ae.seq', 'DESC')
    .limit(1)
    .getOne();
  const event = manager.create(AuditEvent, {
    id: newId(),
    chainKey,
    seq: (last?.seq ?? 0) + 1,
    tenantId: entry.tenantId,
    occurredAt: entry.occurredAt,
    actor: entry.actor,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    data: JSON.stringify(entry.data),
    prevHash: last?.hash ?? GENESIS,
  });
  event.hash = auditHash(event);
  await manager.insert(AuditEvent, event);
  return event;
}
