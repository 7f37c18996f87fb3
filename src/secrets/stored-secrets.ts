/**
 * The connector secrets as stored, read for checks that must cover every row: which instances' secrets a key
 * cannot decrypt, and what the last key rotation recorded. Plaintext never leaves these functions.
 */
import { EntityManager } from 'typeorm';
import { GLOBAL_CHAIN } from '../audit/audit-log';
import { AuditEvent, ConnectorInstance } from '../entities';
import { toGlobalId } from '../graphql/types/global-id';
import { SecretBox } from './secret-box';

/** The audit action `secrets rotate-key` records on the global chain. */
export const KEY_ROTATED = 'secrets.rotate_key';

export interface StoredSecret {
  id: string;
  name: string;
  secretsCiphertext: string;
}

/** Every instance that has secrets. `lock` takes the rows for update (MariaDB/MySQL; SQLite has a single writer). */
export async function storedSecrets(manager: EntityManager, lock = false): Promise<StoredSecret[]> {
  const q = manager
    .createQueryBuilder(ConnectorInstance, 'i')
    .select(['i.id', 'i.name', 'i.secretsCiphertext'])
    .where('i.secretsCiphertext IS NOT NULL')
    .orderBy('i.id', 'ASC');
  if (lock && manager.connection.options.type !== 'better-sqlite3') q.setLock('pessimistic_write');
  return (await q.getMany()) as StoredSecret[];
}

export function undecryptable(rows: StoredSecret[], box: SecretBox): StoredSecret[] {
  return rows.filter((row) => {
    try {
      box.decrypt(row.secretsCiphertext, row.id);
      return false;
    } catch {
      return true;
    }
  });
}

/** Names instances the way the API and `patchgraph instances` do: name and global id, never a secret. */
export function describeInstances(rows: StoredSecret[], max = 5): string {
  const named = rows.slice(0, max).map((r) => `connector instance ${JSON.stringify(r.name)} (${toGlobalId('ConnectorInstance', r.id)})`);
  return named.join(', ') + (rows.length > max ? ` and ${rows.length - max} more` : '');
}

export interface RecordedRotation {
  eventId: string;
  occurredAt: Date;
  newKeyFingerprint: string;
}

export async function lastRotation(manager: EntityManager): Promise<RecordedRotation | null> {
  const event = await manager.getRepository(AuditEvent).findOne({ where: { chainKey: GLOBAL_CHAIN, action: KEY_ROTATED }, order: { seq: 'DESC' } });
  if (!event) return null;
  const data = JSON.parse(event.data) as { newKeyFingerprint?: unknown };
  return { eventId: event.id, occurredAt: event.occurredAt, newKeyFingerprint: String(data.newKeyFingerprint) };
}
