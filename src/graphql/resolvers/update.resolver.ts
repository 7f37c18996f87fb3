import { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from 'type-graphql';
import { updateOrdering } from '../../access/update.finder';
import { ConnectorInstance, Tenant, Update, UpdateApproval, Vulnerability } from '../../entities';
import { columnPlanOf } from '../column-plan';
import { RequestContext } from '../context';
import { ConnectionArgs } from '../inputs/connection.args';
import { UpdateFilterInput, UpdateOrderInput } from '../inputs/filters.input';
import { UpdateOrderField } from '../inputs/order-fields';
import { Connection } from '../types/connection';
import { OrderDirection } from '../types/enums';
import { keyOf } from '../types/global-id';
import { loadNode } from './node.resolver';
import { SHARED_OWNER } from '../../entities/update.entity';

export const UpdateConnection = Connection(Update);

@Resolver(() => Update)
export class UpdateResolver {
  @Query(() => UpdateConnection, {
    description: "Updates in the catalog the caller may see (the shared entries and its tenants' own); newest first unless orderBy says otherwise",
  })
  async updates(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => UpdateFilterInput, { nullable: true, description: 'Filters to apply' }) filter: UpdateFilterInput | null,
    @Arg('orderBy', () => UpdateOrderInput, { nullable: true, description: 'Ordering of the results' }) orderBy: UpdateOrderInput | null,
    @Ctx() { access, loaders }: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    access.readColumns(columnPlanOf(info));
    const f = filter ?? {};
    const ordering = updateOrdering(orderBy?.field ?? UpdateOrderField.RELEASED_AT, orderBy?.direction ?? OrderDirection.DESC);
    const result = await access.updates.page(f, ordering, page);
    loaders.primeAll(loaders.update, result.rows);
    return UpdateConnection.of(result, () => access.updates.count(f));
  }

  @Query(() => Update, { description: 'An update by id' })
  update(@Arg('id', () => ID, { description: 'Global id of the update' }) id: string, @Ctx() ctx: RequestContext) {
    keyOf('Update', id, 'id');
    return loadNode(ctx, id, 'id');
  }

  @FieldResolver(() => [UpdateApproval], {
    description: 'Approvals of the update for groups of devices (WSUS target groups) in the tenants the caller may see, newest first: change-management evidence',
  })
  approvals(@Root() update: Update, @Ctx() { loaders }: RequestContext) {
    return loaders.approvalsByUpdate.load(update.id);
  }

  @FieldResolver(() => Boolean, {
    description:
      "Indicates the entry's facts come from Microsoft's data, shared by every tenant; false: the entry is one tenant's own, as that tenant's sources (a WSUS collector, an inventory file) reported it, and only that tenant sees it",
  })
  shared(@Root() update: Update): boolean {
    return update.owner === SHARED_OWNER;
  }

  @FieldResolver(() => Tenant, { nullable: true, description: 'The tenant whose sources reported this entry, when it is not shared' })
  reportedFor(@Root() update: Update, @Ctx() { loaders }: RequestContext) {
    return update.owner === SHARED_OWNER ? null : loaders.tenant.load(update.owner);
  }

  @FieldResolver(() => [Vulnerability], { description: 'Vulnerabilities the update fixes, by CVE id' })
  vulnerabilities(@Root() update: Update, @Ctx() { loaders }: RequestContext) {
    return loaders.vulnerabilitiesByUpdate.load(update.id);
  }
}

@Resolver(() => UpdateApproval)
export class UpdateApprovalResolver {
  @FieldResolver(() => ConnectorInstance, { nullable: true, description: 'The connector instance (WSUS server) that reported the approval' })
  connector(@Root() approval: UpdateApproval, @Ctx() { loaders }: RequestContext) {
    return loaders.connectorInstance.load(approval.connectorInstanceId);
  }

  @FieldResolver(() => Tenant, { description: 'The tenant whose WSUS server recorded the approval' })
  tenant(@Root() approval: UpdateApproval, @Ctx() { loaders }: RequestContext) {
    return loaders.tenant.load(approval.tenantId);
  }
}
