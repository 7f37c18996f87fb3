import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Site, Tenant } from '../../entities';
import { RequestContext } from '../context';
import { ConnectionArgs } from '../inputs/connection.args';
import { TenantFilterInput } from '../inputs/filters.input';
import { CreateTenantInput, RenameTenantInput } from '../inputs/tenant.input';
import { Connection } from '../types/connection';
import { keyOf } from '../types/global-id';
import { loadNode } from './node.resolver';

export const TenantConnection = Connection(Tenant);

@Resolver(() => Tenant)
export class TenantResolver {
  @Query(() => TenantConnection, { description: 'Tenants the caller may see, ordered by name' })
  async tenants(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => TenantFilterInput, { nullable: true, description: 'Filters to apply' }) filter: TenantFilterInput | null,
    @Ctx() { access, loaders }: RequestContext,
  ) {
    const f = filter ?? {};
    const result = await access.tenants.page(f, page);
    loaders.primeAll(loaders.tenant, result.rows);
    return TenantConnection.of(result, () => access.tenants.count(f));
  }

  @Query(() => Tenant, { description: 'A tenant by id' })
  tenant(@Arg('id', () => ID, { description: 'Global id of the tenant' }) id: string, @Ctx() ctx: RequestContext) {
    keyOf('Tenant', id, 'id');
    return loadNode(ctx, id, 'id');
  }

  @FieldResolver(() => [Site], { description: 'Sites of the tenant, ordered by name' })
  sites(@Root() tenant: Tenant, @Ctx() { loaders }: RequestContext) {
    return loaders.sitesByTenant.load(tenant.id);
  }

  @FieldResolver(() => Int, { description: 'Number of assets of the tenant' })
  assetCount(@Root() tenant: Tenant, @Ctx() { loaders }: RequestContext) {
    return loaders.assetCountByTenant.load(tenant.id);
  }
  @Mutation(() => Tenant, { description: 'Creates a tenant (an MSP client organisation)' })
  createTenant(@Arg('input', { description: 'The new tenant' }) input: CreateTenantInput, @Ctx() { access }: RequestContext) {
    return access.tenantAdmin.createTenant(input.name);
  }
  @Mutation(() => Tenant, { description: 'Renames a tenant' })
  renameTenant(@Arg('input', { description: 'The tenant and its new name' }) input: RenameTenantInput, @Ctx() { access }: RequestContext) {
    return access.tenantAdmin.renameTenant(keyOf('Tenant', input.id, 'input.id'), input.name);
  }
}
