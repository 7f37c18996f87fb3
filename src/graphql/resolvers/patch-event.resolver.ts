import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { patchEventOrdering } from '../../access/patch-event.finder';
import { Asset, PatchEvent, SourceDevice, SyncRun, Tenant, Update } from '../../entities';
import { UserInputError } from '../../errors';
import { RequestContext } from '../context';
import { ConnectionArgs } from '../inputs/connection.args';
import { PatchEventFilterInput } from '../inputs/audit.input';
import { Connection } from '../types/connection';
import { OrderDirection } from '../types/enums';
import { keysOf } from '../types/global-id';

export const PatchEventConnection = Connection(PatchEvent);

@Resolver(() => PatchEvent)
export class PatchEventResolver {
  @Query(() => PatchEventConnection, {
    description: "Patch events of the caller's tenants: every observed change of an update's state on a source device, newest observed first unless direction says otherwise",
  })
  async patchEvents(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => PatchEventFilterInput, { nullable: true, description: 'Filters to apply' }) filter: PatchEventFilterInput | null,
    @Arg('direction', () => OrderDirection, { nullable: true, description: 'DESC (the default): newest observed first; ASC: oldest first. Ties are broken by id' }) direction: OrderDirection | null,
    @Ctx() { access }: RequestContext,
  ) {
    if (filter?.from && filter.to && filter.from > filter.to) throw new UserInputError('filter.to', 'must not be before from');
    const tenantIds = keysOf('Tenant', filter?.tenantIds, 'filter.tenantIds');
    if (tenantIds) access.scope.requireVisible(tenantIds, (k) => filter!.tenantIds![tenantIds.indexOf(k)]);
    const runKeys = keysOf('SyncRun', filter?.syncRunIds, 'filter.syncRunIds');
    // A run the caller may not see (another client's, an MSP-wide account's) filters like a run that does not exist.
    const syncRunIds = runKeys ? (await access.syncRuns.byIds(runKeys)).map((r) => r.id) : null;
    const f = {
      ...filter, tenantIds, syncRunIds,
      assetIds: keysOf('Asset', filter?.assetIds, 'filter.assetIds'),
      sourceDeviceIds: keysOf('SourceDevice', filter?.sourceDeviceIds, 'filter.sourceDeviceIds'),
      updateIds: keysOf('Update', filter?.updateIds, 'filter.updateIds'),
    };
    const result = await access.patchEvents.page(f, patchEventOrdering(direction ?? OrderDirection.DESC), page);
    return PatchEventConnection.of(result, () => access.patchEvents.count(f));
  }

  @FieldResolver(() => Tenant, { nullable: true, description: 'The tenant' })
  tenant(@Root() e: PatchEvent, @Ctx() { loaders }: RequestContext) {
    return loaders.tenant.load(e.tenantId);
  }

  @FieldResolver(() => Asset, { nullable: true, description: 'The asset the source device belonged to when the change was observed; null once the asset is gone' })
  asset(@Root() e: PatchEvent, @Ctx() { loaders }: RequestContext) {
    return loaders.asset.load(e.assetId);
  }

  @FieldResolver(() => SourceDevice, { nullable: true, description: 'The source device that reported or derived the state' })
  source(@Root() e: PatchEvent, @Ctx() { loaders }: RequestContext) {
    return loaders.sourceDevice.load(e.sourceDeviceId);
  }

  @FieldResolver(() => Update, { nullable: true, description: 'The update' })
  update(@Root() e: PatchEvent, @Ctx() { loaders }: RequestContext) {
    return loaders.update.load(e.updateId);
  }

  @FieldResolver(() => SyncRun, { nullable: true, description: 'The sync run that observed the change; null when the caller may not see it (an MSP-wide account\'s run)' })
  syncRun(@Root() e: PatchEvent, @Ctx() { loaders }: RequestContext) {
    return e.syncRunId ? loaders.syncRun.load(e.syncRunId) : null;
  }
}
