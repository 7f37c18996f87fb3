import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { TenantScope } from '../access/tenant-scope';
import { ApiKey } from '../entities';
import { Role } from '../entities/enums';
import { UnauthenticatedError } from '../errors';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import { Principal, principalLabel } from './principal';
import { insertRows } from '../db/insert-rows';
import { selectRows, selectStatement } from '../db/entity-rows';
import { inTransaction } from '../db/transaction';
import { appendAudit } from '../audit/audit-log';
import { AuthEvents, AuthFailureReason } from './key-usage';

const KEY_PREFIX = 'pgk_';
/** How many of a key's first characters are stored to tell keys apart: "pgk_" and 8 random ones. */
export const KEY_PREFIX_LENGTH = 12;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export interface NewApiKey {
  name: string;
  role: Role;
  allTenants: boolean;
  tenantIds: string[];
  /** Use this key instead of a random one (the PATCHGRAPH_ADMIN_KEY bootstrap). */
  key?: string;
  expiresAt?: Date | null;
  /** The creator's principal label, `cli:<os user>`, or `patchgraph:<why>` for keys the server makes itself. */
  createdBy?: string;
}

/**
 * Stores a new key and returns it in plain text: the only time it is ever available. `db` is a transaction's
 * manager when the insert must commit with other writes (key-admin.ts's audit event).
 */
export async function createApiKey(db: DataSource | EntityManager, clock: Clock, spec: NewApiKey): Promise<{ key: string; record: ApiKey }> {
  const key = spec.key ?? generateApiKey();
  const record = Object.assign(new ApiKey(), {
    id: newId(),
    name: spec.name,
    prefix: key.slice(0, KEY_PREFIX_LENGTH),
    secretHash: hashApiKey(key),
    role: spec.role,
    allTenants: spec.allTenants,
    tenantIds: spec.tenantIds,
    createdAt: clock.now(),
    createdBy: spec.createdBy ?? 'unknown',
    lastUsedAt: null,
    revokedAt: null,
    expiresAt: spec.expiresAt ?? null,
    rotatedAt: null,
  });
  await insertRows(db instanceof DataSource ? db.manager : db, ApiKey, [record]);
  return { key, record };
}

/**
 * On first start there is no key at all; create an admin key so the installation can be used. Returns the
 * plain key when one was created (the caller prints it once), null otherwise.
 */
export async function ensureAdminKey(dataSource: DataSource, clock: Clock, configured?: string): Promise<string | null> {
  const repo = dataSource.getRepository(ApiKey);
  if (configured) {
    if (await repo.existsBy({ secretHash: hashApiKey(configured) })) return null;
    await createAuditedAdminKey(dataSource, clock, { name: 'admin (PATCHGRAPH_ADMIN_KEY)', key: configured, createdBy: 'patchgraph:PATCHGRAPH_ADMIN_KEY' });
    return null;
  }
  if ((await repo.count()) > 0) return null;
  return (await createAuditedAdminKey(dataSource, clock, { name: 'admin', createdBy: 'patchgraph:first-start' })).key;
}

/** A key the server makes itself is recorded like one made through KeyAdmin: apiKey.created on the MSP-wide chain, never the key. */
function createAuditedAdminKey(dataSource: DataSource, clock: Clock, spec: { name: string; key?: string; createdBy: string }): Promise<{ key: string; record: ApiKey }> {
  return inTransaction(dataSource, async (m) => {
    const created = await createApiKey(m, clock, { ...spec, role: Role.MSP_ADMIN, allTenants: true, tenantIds: [] });
    const { record } = created;
    await appendAudit(m, {
      tenantId: null, actor: spec.createdBy, action: 'apiKey.created', targetType: 'ApiKey', targetId: record.id, occurredAt: record.createdAt,
      data: { keyId: record.id, name: record.name, role: record.role, allTenants: true, tenantIds: [], expiresAt: null },
    });
    return created;
  });
}

export function principalOf(record: ApiKey): Principal {
  return {
    kind: 'api-key',
    id: record.id,
    name: record.name,
    role: record.role,
    scope: record.allTenants ? TenantScope.allTenants() : TenantScope.only(record.tenantIds),
    label: principalLabel('api-key', record.name, record.id),
  };
}

/** An UNAUTHENTICATED refusal that says why, for the failure counts; the message is what the caller sees. */
export class KeyRefusedError extends UnauthenticatedError {
  constructor(readonly reason: AuthFailureReason, message: string) {
    super(message);
  }
}

/**
 * Resolves an API key to its principal, or fails with UNAUTHENTICATED. Only reads: the use is reported to
 * `events` (key-usage.ts writes lastUsedAt later), so a locked database cannot fail an authenticated request.
 */
export async function authenticateApiKey(dataSource: DataSource, clock: Clock, key: string, events?: Pick<AuthEvents, 'keyUsed' | 'keyUsedAfterExpiry'>): Promise<Principal> {
  const record = await keyByHash(dataSource, hashApiKey(key));
  if (!record) throw new KeyRefusedError('unknownKey', 'The API key is unknown or revoked');
  if (record.revokedAt) throw new KeyRefusedError('revokedKey', 'The API key is unknown or revoked');
  const now = clock.now();
  if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) {
    events?.keyUsedAfterExpiry(record.id, record.name);
    throw new KeyRefusedError('expiredKey', 'The API key has expired');
  }
  events?.keyUsed(record.id, now);
  return principalOf(record);
}

/**
 * The stored key with this hash, read on every request and never kept: a revocation or expiry made anywhere (the CLI,
 * another server) holds from the next request. The statement is kept as text (selectStatement); the repository's
 * findOneBy built and escaped it anew each time, most of the look-up's cost.
 */
async function keyByHash(dataSource: DataSource, secretHash: string): Promise<ApiKey | undefined> {
  const statement = selectStatement(dataSource, ApiKey, 'ApiKey');
  const [record] = await selectRows<ApiKey>(statement, `WHERE ${statement.column('secretHash')} = ?`, [secretHash]);
  return record;
}
