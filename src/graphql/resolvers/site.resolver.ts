import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Site, Tenant } from '../../entities';
import { RequestContext } from '../context';
import { ConnectionArgs } from '../inputs/connection.args';
import { SiteFilterInput } from '../inputs/filters.input';
import { CreateSiteInput, RenameSiteInput } from '../inputs/tenant.input';
import { Connection } from '../types/connection';
import { keyOf } from '../types/global-id';
import { siteFilter } from './filters';
import { loadNode } from './node.resolver';

export const SiteConnection = Connection(Site);

@Resolver(() => Site)
export class SiteResolver {
  @Query(() => SiteConnection, { description: 'Sites the caller may see, ordered by name' })
  async sites(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => SiteFilterInput, { nullable: true, description: 'Filters to apply' }) filter: SiteFilterInput | null,
    @Ctx() { access, loaders }: RequestContext,
  ) {
    const f = siteFilter(filter, access.scope);
    const result = await access.sites.page(f, page);
    loaders.primeAll(loaders.site, result.rows);
    return SiteConnection.of(result, () => access.sites.count(f));
  }

  @Query(() => Site, { description: 'A site by id' })
  site(@Arg('id', () => ID, { description: 'Global id of the site' }) id: string, @Ctx() ctx: RequestContext) {
    keyOf('Site', id, 'id');
    return loadNode(ctx, id, 'id');
  }

  @FieldResolver(() => Tenant, { description: 'Tenant the site belongs to' })
  tenant(@Root() site: Site, @Ctx() { loaders }: RequestContext) {
    return loaders.tenant.load(site.tenantId);
  }

  @FieldResolver(() => Int, { description: 'Number of assets in the site' })
  assetCount(@Root() site: Site, @Ctx() { loaders }: RequestContext) {
    return loaders.assetCountBySite.load(site.id);
  }
  @Mutation(() => Site, { description: 'Creates a site in a tenant' })
  createSite(@Arg('input', { description: 'The new site' }) input: CreateSiteInput, @Ctx() { access }: RequestContext) {
    return access.tenantAdmin.createSite(keyOf('Tenant', input.tenantId, 'input.tenantId'), input.name);
  }
  @Mutation(() => Site, { description: 'Renames a site' })
  renameSite(@Arg('input', { description: 'The site and its new name' }) input: RenameSiteInput, @Ctx() { access }: RequestContext) {
    return access.tenantAdmin.renameSite(keyOf('Site', input.id, 'input.id'), input.name);
  }
}
