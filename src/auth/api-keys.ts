import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TenantScope } from '../access/tenant-scope';
import { ApiKey } from '../entities';
import { Role } from '../entities/enums';
import { UnauthenticatedError } from '../errors';
import { Clock } from '../util/clock';
import { newId } from '../util/ids';
import { Principal, principalLabel } from './principal';
import { insertRows } from '../db/insert-rows';

const KEY_PREFIX = 'pgk_';
/** lastUsedAt is informational; writing it at most once a minute keeps reads from turning into writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

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
}

/** Stores a new key and returns it in plain text: the only time it is ever available. */
export async function createApiKey(dataSource: DataSource, clock: Clock, spec: NewApiKey): Promise<{ key: string; record: ApiKey }> {
  const key = spec.key ?? generateApiKey();
  const record = Object.assign(new ApiKey(), {
    id: newId(),
    name: spec.name,
    prefix: key.slice(0, 12),
    secretHash: hashApiKey(key),
    role: spec.role,
    allTenants: spec.allTenants,
    tenantIds: spec.tenantIds,
    createdAt: clock.now(),
    lastUsedAt: null,
    revokedAt: null,
  });
  await insertRows(dataSource.manager, ApiKey, [record]);
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
    await createApiKey(dataSource, clock, { name: 'admin (PATCHGRAPH_ADMIN_KEY)', role: Role.MSP_ADMIN, allTenants: true, tenantIds: [], key: configured });
    return null;
  }
  if ((await repo.count()) > 0) return null;
  const { key } = await createApiKey(dataSource, clock, { name: 'admin', role: Role.MSP_ADMIN, allTenants: true, tenantIds: [] });
  return key;
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

/** Resolves an API key to its principal, or fails with UNAUTHENTICATED. */
export async function authenticateApiKey(dataSource: DataSource, clock: Clock, key: string): Promise<Principal> {
  const repo = dataSource.getRepository(ApiKey);
  const record = await repo.findOneBy({ secretHash: hashApiKey(key) });
  if (!record || record.revokedAt) throw new UnauthenticatedError('The API key is unknown or revoked');
  const now = clock.now();
  if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await repo.update({ id: record.id }, { lastUsedAt: now });
  }
  return principalOf(record);
}
