import { DataSource, EntityManager, In } from 'typeorm';
import { TenantScope } from '../access/tenant-scope';
import { appendAudit } from '../audit/audit-log';
import { inTransaction } from '../db/transaction';
import { ApiKey, Tenant } from '../entities';
import { Role } from '../entities/enums';
import { ConflictError, ForbiddenError, NotFoundError, UserInputError } from '../errors';
import { toGlobalId } from '../graphql/types/global-id';
import { Clock } from '../util/clock';
import { cleanName } from '../util/names';
import { createApiKey, generateApiKey, hashApiKey, KEY_PREFIX_LENGTH } from './api-keys';
import { PendingKeyUse } from './key-usage';

/** Who manages keys: a request's principal, or the CLI (`cli:<os user>`, all tenants) when the server is down. */
export interface KeyAdminCaller {
  /** How the caller appears in audit events and in the keys it creates (createdBy). */
  label: string;
  scope: TenantScope;
}

export interface NewKeySpec {
  name: string;
  role: Role;
  allTenants: boolean;
  /** Tenant keys (not global ids); the GraphQL resolver and the CLI decode or look them up first. */
  tenantIds: string[];
  expiresAt: Date | null;
}

/** The argument or flag each input came from, so a refusal names what the caller typed. */
export interface KeyFieldNames {
  id: string;
  name: string;
  role: string;
  tenantIds: string;
  allTenants: string;
  expiresAt: string;
}

export interface KeyAdminOptions {
  fields: KeyFieldNames;
  /** How a tenant or key id appears in NOT_FOUND messages: the global id the caller gave, not the database key. */
  describeTenant(key: string): string;
  describeKey(key: string): string;
}

export const GRAPHQL_KEY_FIELDS: KeyFieldNames = {
  id: 'id', name: 'input.name', role: 'input.role', tenantIds: 'input.tenantIds', allTenants: 'input.allTenants', expiresAt: 'input.expiresAt',
};

export const GLOBAL_ID_MESSAGES: KeyAdminOptions = {
  fields: GRAPHQL_KEY_FIELDS,
  describeTenant: (key) => toGlobalId('Tenant', key),
  describeKey: (key) => toGlobalId('ApiKey', key),
};

export enum ApiKeyStatus {
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
}

export function keyStatus(record: ApiKey, now: Date): ApiKeyStatus {
  if (record.revokedAt) return ApiKeyStatus.REVOKED;
  if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) return ApiKeyStatus.EXPIRED;
  return ApiKeyStatus.ACTIVE;
}

/**
 * Creating, listing, rotating and revoking API keys: the one implementation behind the GraphQL mutations and the
 * `patchgraph keys` commands. Each change writes its audit event to the global chain in the same transaction,
 * never with the key or its hash.
 *
 * No caller can give a key more reach than it has: a key's tenants must all be within the caller's scope, and only
 * an all-tenants caller creates or touches an all-tenants key. Keys outside that are NOT_FOUND, like tenants.
 * Role is not compared here: the permission matrix (permissions.ts) lets only MSP_ADMIN manage keys. A caller may
 * rotate or revoke its own key; revoking it is the quickest way to cut off a key that leaked.
 */
export class KeyAdmin {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly caller: KeyAdminCaller,
    private readonly usage?: PendingKeyUse,
    private readonly options: KeyAdminOptions = GLOBAL_ID_MESSAGES,
  ) {}

  private get fields(): KeyFieldNames {
    return this.options.fields;
  }

  /** Stores a new key and returns it in plain text: the only time it is ever available. */
  async create(spec: NewKeySpec): Promise<{ key: string; record: ApiKey }> {
    const name = cleanName(this.fields.name, spec.name);
    if (!Object.values(Role).includes(spec.role)) {
      throw new UserInputError(this.fields.role, `must be one of ${Object.values(Role).join(', ')}, got "${spec.role}"`);
    }
    const tenantIds = [...new Set(spec.tenantIds)];
    if (spec.allTenants && tenantIds.length > 0) {
      throw new UserInputError(this.fields.tenantIds, `give tenants or ${this.fields.allTenants}, not both`);
    }
    if (!spec.allTenants && tenantIds.length === 0) {
      throw new UserInputError(this.fields.tenantIds, `give at least one tenant, or ${this.fields.allTenants} for a key that sees every tenant`);
    }
    if (spec.allTenants && !this.caller.scope.all) {
      throw new ForbiddenError('Only a principal with access to all tenants can create an all-tenants key');
    }
    const now = this.clock.now();
    if (spec.expiresAt && spec.expiresAt.getTime() <= now.getTime()) {
      throw new UserInputError(this.fields.expiresAt, `must be in the future, got ${spec.expiresAt.toISOString()}`);
    }
    // Refused before the transaction as well as checked inside it: ids of tenants the caller cannot see never
    // reach the database, so their existence is not probed.
    this.caller.scope.requireVisible(tenantIds, this.options.describeTenant);
    return inTransaction(this.dataSource, async (m) => {
      await this.requireTenantsExist(m, tenantIds);
      const created = await createApiKey(m, this.clock, {
        name, role: spec.role, allTenants: spec.allTenants, tenantIds, expiresAt: spec.expiresAt, createdBy: this.caller.label,
      });
      await this.audit(m, 'apiKey.created', created.record, now);
      return created;
    });
  }

  /** The keys the caller may manage, newest first; revoked ones only when asked. */
  async list(options: { includeRevoked?: boolean } = {}): Promise<ApiKey[]> {
    const rows = await this.dataSource.getRepository(ApiKey).find({ order: { createdAt: 'DESC', id: 'ASC' } });
    return rows.filter((k) => this.manageable(k) && (options.includeRevoked || !k.revokedAt));
  }

  /** The key's record with a new secret; the old secret stops working when this commits. */
  async rotate(id: string): Promise<{ key: string; record: ApiKey }> {
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (m) => {
      const record = await this.lockedKey(m, id);
      if (record.revokedAt) throw new ConflictError(this.fields.id, 'The API key is revoked and cannot be rotated; create a new one');
      if (keyStatus(record, now) === ApiKeyStatus.EXPIRED) {
        throw new ConflictError(this.fields.id, 'The API key has expired and cannot be rotated; create a new one');
      }
      const key = generateApiKey();
      const changes = { secretHash: hashApiKey(key), prefix: key.slice(0, KEY_PREFIX_LENGTH), rotatedAt: now };
      await m.update(ApiKey, { id: record.id }, changes);
      Object.assign(record, changes);
      await this.audit(m, 'apiKey.rotated', record, now);
      return { key, record };
    });
  }

  /** Revokes the key at once. Revoking a revoked key changes nothing and writes no event. */
  async revoke(id: string): Promise<ApiKey> {
    const now = this.clock.now();
    return inTransaction(this.dataSource, async (m) => {
      const record = await this.lockedKey(m, id);
      if (record.revokedAt) return record;
      await m.update(ApiKey, { id: record.id }, { revokedAt: now });
      record.revokedAt = now;
      await this.audit(m, 'apiKey.revoked', record, now);
      return record;
    });
  }

  /** The stored lastUsedAt, or a later use this server has seen but not yet written. */
  lastUsedAt(record: ApiKey): Date | null {
    const pending = this.usage?.pendingLastUse(record.id);
    if (!pending) return record.lastUsedAt;
    return !record.lastUsedAt || record.lastUsedAt < pending ? pending : record.lastUsedAt;
  }

  private manageable(record: ApiKey): boolean {
    if (this.caller.scope.all) return true;
    return !record.allTenants && record.tenantIds.every((t) => this.caller.scope.allows(t));
  }

  private async lockedKey(m: EntityManager, id: string): Promise<ApiKey> {
    const q = m.createQueryBuilder(ApiKey, 'k').where('k.id = :id', { id });
    // SQLite has one writer at a time; on MariaDB the row lock orders a rotate and a revoke of one key.
    if (m.connection.options.type !== 'better-sqlite3') q.setLock('pessimistic_write');
    const record = await q.getOne();
    if (!record || !this.manageable(record)) throw new NotFoundError('ApiKey', this.options.describeKey(id));
    return record;
  }

  private async requireTenantsExist(m: EntityManager, tenantIds: string[]): Promise<void> {
    if (tenantIds.length === 0) return;
    const found = new Set((await m.find(Tenant, { select: { id: true }, where: { id: In(tenantIds) } })).map((t) => t.id));
    const missing = tenantIds.find((t) => !found.has(t));
    if (missing) throw new NotFoundError('Tenant', this.options.describeTenant(missing));
  }

  private audit(m: EntityManager, action: string, record: ApiKey, at: Date) {
    return appendAudit(m, {
      tenantId: null, actor: this.caller.label, action, targetType: 'ApiKey', targetId: record.id,
      data: {
        keyId: record.id, name: record.name, role: record.role, allTenants: record.allTenants, tenantIds: record.tenantIds,
        expiresAt: record.expiresAt?.toISOString() ?? null,
      },
      occurredAt: at,
    });
  }
}
