import { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, Info, Query, Resolver, Root } from 'type-graphql';
import { patchStateOrdering } from '../../access/patch-state.finder';
import { Asset, PatchState, SourceDevice } from '../../entities';
import { columnPlanOf } from '../column-plan';
import { selectsField } from '../selection';
import { RequestContext } from '../context';
import { ConnectionArgs } from '../inputs/connection.args';
import { PatchStateFilterInput, PatchStateOrderInput } from '../inputs/filters.input';
import { PatchStateOrderField } from '../inputs/order-fields';
import { Connection } from '../types/connection';
import { OrderDirection } from '../types/enums';
import { patchStateFilter } from './filters';

export const PatchStateConnection = Connection(PatchState);

@Resolver(() => PatchState)
export class PatchStateResolver {
  @Query(() => PatchStateConnection, {
    description: "Patch states the caller may see, by default only each asset's effective state per update (filter.view); most recently changed first unless orderBy says otherwise",
  })
  async patchStates(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => PatchStateFilterInput, { nullable: true, description: 'Filters to apply' }) filter: PatchStateFilterInput | null,
    @Arg('orderBy', () => PatchStateOrderInput, { nullable: true, description: 'Ordering of the results' }) orderBy: PatchStateOrderInput | null,
    @Ctx() { access, loaders }: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    access.readColumns(columnPlanOf(info));
    const f = patchStateFilter(filter, access.scope);
    const ordering = patchStateOrdering(orderBy?.field ?? PatchStateOrderField.CHANGED_AT, orderBy?.direction ?? OrderDirection.DESC);
    const result = await access.patchStates.page(f, ordering, page);
    loaders.primeAll(loaders.patchState, result.rows);
    if (selectsField(info, 'nodes', 'update') || selectsField(info, 'edges', 'node', 'update')) await loaders.attachUpdates(result.rows);
    return PatchStateConnection.of(result, () => access.patchStates.count(f));
  }

  @FieldResolver(() => Asset, { nullable: true, description: 'The asset' })
  asset(@Root() state: PatchState, @Ctx() { loaders }: RequestContext) {
    return loaders.asset.load(state.assetId);
  }

  @FieldResolver(() => Boolean, {
    description: 'Indicates the source that gave this state is inactive or stale: its evidence is out of date and decides nothing while a current source reports the update',
  })
  async sourceOutOfDate(@Root() state: PatchState, @Ctx() ctx: RequestContext): Promise<boolean> {
    const source = await this.source(state, ctx);
    return source ? source.inactive || source.stale : true;
  }

  @FieldResolver(() => SourceDevice, { nullable: true, description: 'The source device that reported or derived the state' })
  async source(@Root() state: PatchState, @Ctx() { loaders }: RequestContext) {
    // Through the asset's sources rather than by id: when the same request also asks for asset.sources the
    // two share one query, whichever of the sibling fields resolves first.
    const sources = await loaders.sourcesByAsset.load(state.assetId);
    return sources.find((s) => s.id === state.sourceDeviceId) ?? loaders.sourceDevice.load(state.sourceDeviceId);
  }
}
