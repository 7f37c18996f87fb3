import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { updateOrdering } from '../../access/update.finder';
import { ConnectorInstance, Tenant, Update, UpdateApproval, Vulnerability } from '../../entities';
import { RequestContext } from '../context';
import { ConnectionArgs } from '../inputs/connection.args';
import { UpdateFilterInput, UpdateOrderInput } from '../inputs/filters.input';
import { UpdateOrderField } from '../inputs/order-fields';
import { Connection } from '../types/connection';
import { OrderDirection } from '../types/enums';
import { keyOf } from '../types/global-id';
import { loadNode } from './node.resolver';

export const UpdateConnection = Connection(Update);

@Resolver(() => Update)
export class UpdateResolver {
  @Query(() => UpdateConnection, { description: 'Updates in the catalog; newest first unless orderBy says otherwise' })
  async updates(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => UpdateFilterInput, { nullable: true, description: 'Filters to apply' }) filter: UpdateFilterInput | null,
    @Arg('orderBy', () => UpdateOrderInput, { nullable: true, description: 'Ordering of the results' }) orderBy: UpdateOrderInput | null,
    @Ctx() { access, loaders }: RequestContext,
  ) {
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
