import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ApiKeyStatus, keyStatus } from '../../auth/key-admin';
import { ApiKey, Tenant } from '../../entities';
import { RequestContext } from '../context';
import { CreateApiKeyInput } from '../inputs/api-key.input';
import { IssuedApiKey } from '../types/api-key.types';
import { keyOf, keysOf } from '../types/global-id';

/**
 * API key management. Who may use it is the permission matrix's (src/auth/permissions.ts: MSP_ADMIN); which keys
 * and tenants is the caller's scope, enforced by KeyAdmin (src/auth/key-admin.ts), which the CLI shares.
 */
@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => [ApiKey], {
    description: 'API keys the caller may manage (all of them for an all-tenants caller; otherwise keys whose tenants are all the caller\'s), newest first. Never the keys themselves',
  })
  apiKeys(
    @Arg('includeRevoked', { defaultValue: false, description: 'Also list revoked keys' }) includeRevoked: boolean,
    @Ctx() { access }: RequestContext,
  ): Promise<ApiKey[]> {
    return access.apiKeys.list({ includeRevoked });
  }

  @FieldResolver(() => [Tenant], { description: 'Tenants the key may see (empty when allTenants is true), ordered by name' })
  async tenants(@Root() key: ApiKey, @Ctx() { loaders }: RequestContext): Promise<Tenant[]> {
    if (key.allTenants) return [];
    const tenants = await loaders.tenant.loadMany(key.tenantIds);
    return tenants.filter((t): t is Tenant => t instanceof Tenant).sort((a, b) => a.name.localeCompare(b.name));
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description: 'When the key was last accepted, to within about a minute (uses are written once a minute, not on every request); null if never',
  })
  lastUsedAt(@Root() key: ApiKey, @Ctx() { access }: RequestContext): Date | null {
    return access.apiKeys.lastUsedAt(key);
  }

  @FieldResolver(() => ApiKeyStatus, { description: 'Whether the key is accepted now' })
  status(@Root() key: ApiKey, @Ctx() { clock }: RequestContext): ApiKeyStatus {
    return keyStatus(key, clock.now());
  }

  @Mutation(() => IssuedApiKey, {
    description: 'Issues an API key with a role and tenants within the caller\'s own (an all-tenants key only by an all-tenants caller). The key is in the answer, and only there',
  })
  async createApiKey(@Arg('input', { description: 'The new key' }) input: CreateApiKeyInput, @Ctx() { access }: RequestContext): Promise<IssuedApiKey> {
    const { key, record } = await access.apiKeys.create({
      name: input.name,
      role: input.role,
      allTenants: input.allTenants ?? false,
      tenantIds: keysOf('Tenant', input.tenantIds, 'input.tenantIds') ?? [],
      expiresAt: input.expiresAt ?? null,
    });
    return Object.assign(new IssuedApiKey(), { key, apiKey: record });
  }

  @Mutation(() => IssuedApiKey, {
    description: 'Gives a key a new secret, keeping its id, name, role, tenants and expiry; the old secret is refused from the moment this returns. A revoked or expired key cannot be rotated',
  })
  async rotateApiKey(@Arg('id', () => ID, { description: 'Id of the key' }) id: string, @Ctx() { access }: RequestContext): Promise<IssuedApiKey> {
    const { key, record } = await access.apiKeys.rotate(keyOf('ApiKey', id, 'id'));
    return Object.assign(new IssuedApiKey(), { key, apiKey: record });
  }

  @Mutation(() => ApiKey, {
    description: 'Revokes a key: it is refused from the moment this returns, for good. Revoking a revoked key changes nothing. A caller may revoke its own key',
  })
  revokeApiKey(@Arg('id', () => ID, { description: 'Id of the key' }) id: string, @Ctx() { access }: RequestContext): Promise<ApiKey> {
    return access.apiKeys.revoke(keyOf('ApiKey', id, 'id'));
  }
}
