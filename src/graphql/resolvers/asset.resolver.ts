import { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import { assetOrdering } from '../../access/asset.finder';
import { Asset, PatchState, Site, SourceDevice, Tenant } from '../../entities';
import { PatchStateValue } from '../../entities/enums';
import { columnPlanOf } from '../column-plan';
import { selectsField } from '../selection';
import { RequestContext } from '../context';
import { ConnectionArgs } from '../inputs/connection.args';
import { AssetFilterInput, AssetOrderInput } from '../inputs/filters.input';
import { AssetOrderField } from '../inputs/order-fields';
import { Connection } from '../types/connection';
import { OrderDirection, PatchStateView } from '../types/enums';
import { keyOf } from '../types/global-id';
import { assetFilter } from './filters';
import { loadNode } from './node.resolver';

export const AssetConnection = Connection(Asset);

@Resolver(() => Asset)
export class AssetResolver {
  @Query(() => AssetConnection, { description: 'Assets the caller may see; ordered by host name unless orderBy says otherwise' })
  async assets(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => AssetFilterInput, { nullable: true, description: 'Filters to apply' }) filter: AssetFilterInput | null,
    @Arg('orderBy', () => AssetOrderInput, { nullable: true, description: 'Ordering of the results' }) orderBy: AssetOrderInput | null,
    @Ctx() { access, loaders }: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    access.readColumns(columnPlanOf(info));
    const f = assetFilter(filter, access.scope);
    const ordering = assetOrdering(orderBy?.field ?? AssetOrderField.HOSTNAME, orderBy?.direction ?? OrderDirection.ASC);
    const result = await access.assets.page(f, ordering, page);
    loaders.primeAll(loaders.asset, result.rows);
    return AssetConnection.of(result, () => access.assets.count(f));
  }

  @Query(() => Asset, { description: 'An asset by id' })
  asset(@Arg('id', () => ID, { description: 'Global id of the asset' }) id: string, @Ctx() ctx: RequestContext) {
    keyOf('Asset', id, 'id');
    return loadNode(ctx, id, 'id');
  }

  @FieldResolver(() => Tenant, { description: 'Tenant the asset belongs to' })
  tenant(@Root() asset: Asset, @Ctx() { loaders }: RequestContext) {
    return loaders.tenant.load(asset.tenantId);
  }

  @FieldResolver(() => Site, { nullable: true, description: 'Site the asset is in, when assigned to one' })
  site(@Root() asset: Asset, @Ctx() { loaders }: RequestContext) {
    return asset.siteId ? loaders.site.load(asset.siteId) : null;
  }

  @FieldResolver(() => [SourceDevice], { description: 'The devices from connectors that resolved to this asset' })
  sources(@Root() asset: Asset, @Ctx() { loaders }: RequestContext) {
    return loaders.sourcesByAsset.load(asset.id);
  }

  @FieldResolver(() => [PatchState], {
    description: 'Patch states of the asset, most recently changed first: by default the effective state of each update; with view ALL_SOURCES every source\'s',
  })
  patchStates(
    @Root() asset: Asset,
    @Arg('states', () => [PatchStateValue], { nullable: true, description: 'Only these states' }) states: PatchStateValue[] | null,
    @Arg('view', () => PatchStateView, {
      defaultValue: PatchStateView.EFFECTIVE,
      description: "EFFECTIVE: one state per update, the one that decides; ALL_SOURCES: every source's state",
    })
    view: PatchStateView,
    @Ctx() { loaders }: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    // With `update` asked for, the batch of every asset's states attaches their updates (one more statement), which
    // PatchState.update reads as a property.
    return loaders.patchStatesByAsset(states, view === PatchStateView.EFFECTIVE, selectsField(info, 'update')).load(asset.id);
  }

  @FieldResolver(() => Int, { description: 'Number of updates whose effective state on the asset is MISSING, FAILED or PENDING_REBOOT' })
  missingUpdateCount(@Root() asset: Asset, @Ctx() { loaders }: RequestContext) {
    return loaders.missingUpdateCountByAsset.load(asset.id);
  }
}
