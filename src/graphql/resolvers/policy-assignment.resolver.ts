import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { PolicyAssignment, Site, Tenant } from '../../entities';
import { RequestContext } from '../context';
import { AssignPolicyInput } from '../inputs/compliance-admin.input';
import { groupedLoader, requestLoader } from '../loaders/request-loaders';
import { PolicyAssignmentType, PolicyType } from '../types/compliance-admin.types';
import { keyOf } from '../types/global-id';

const AS_OF = 'When given, the assignments that applied at that time (assigned at or before it, not removed by it) instead of the current ones';
const asOfKey = (asOf: Date | null) => (asOf ? asOf.toISOString() : 'now');

@Resolver(() => PolicyAssignmentType)
export class PolicyAssignmentResolver {
  @FieldResolver(() => Tenant, { description: 'The tenant that must meet the policy' })
  tenant(@Root() row: PolicyAssignment, @Ctx() { loaders }: RequestContext) {
    return loaders.tenant.load(row.tenantId);
  }

  @FieldResolver(() => Site, { nullable: true, description: 'The one site it applies to; null for the whole tenant' })
  site(@Root() row: PolicyAssignment, @Ctx() { loaders }: RequestContext) {
    return row.siteId ? loaders.site.load(row.siteId) : null;
  }

  @FieldResolver(() => PolicyType, { nullable: true, description: 'The policy as it stands now (its latest version); null only if it no longer exists' })
  async policy(@Root() row: PolicyAssignment, @Ctx() { access }: RequestContext): Promise<PolicyType | null> {
    const found = await access.policyVersions.get(row.policyKey);
    return found ? PolicyType.of(found) : null;
  }

  @FieldResolver(() => Boolean, { description: 'Indicates the assignment applies now (not removed)' })
  active(@Root() row: PolicyAssignment): boolean {
    return row.removedAt === null;
  }

  @Mutation(() => PolicyAssignmentType, { description: 'Assigns a policy to a tenant, or to one of its sites. A policy already assigned there (and not removed) is a CONFLICT' })
  assignPolicy(@Arg('input', { description: 'The policy and where it applies' }) input: AssignPolicyInput, @Ctx() { access }: RequestContext) {
    return access.complianceAdmin.assignPolicy(
      input.policyKey, keyOf('Tenant', input.tenantId, 'input.tenantId'), input.siteId ? keyOf('Site', input.siteId, 'input.siteId') : null,
    );
  }

  @Mutation(() => PolicyAssignmentType, { description: 'Ends an assignment now. It is kept (with removedAt), so results for earlier dates still use it; ending an ended one changes nothing' })
  unassignPolicy(@Arg('id', () => ID, { description: 'Id of the assignment' }) id: string, @Ctx() { access }: RequestContext) {
    return access.complianceAdmin.unassignPolicy(keyOf('PolicyAssignment', id, 'id'));
  }
}

@Resolver(() => Tenant)
export class TenantPolicyAssignmentsResolver {
  @FieldResolver(() => [PolicyAssignmentType], { description: 'Policies the tenant must meet, by policy key: those assigned to the whole tenant and those assigned to one of its sites (site says which)' })
  policyAssignments(
    @Root() tenant: Tenant,
    @Arg('asOf', () => Date, { nullable: true, description: AS_OF }) asOf: Date | null,
    @Ctx() ctx: RequestContext,
  ) {
    const loader = requestLoader(ctx, `tenantAssignments:${asOfKey(asOf)}`, () => groupedLoader((ids) => ctx.access.policyAssignments.byTenantIds(ids, asOf)));
    return loader.load(tenant.id);
  }
}

@Resolver(() => Site)
export class SitePolicyAssignmentsResolver {
  @FieldResolver(() => [PolicyAssignmentType], { description: 'Policies the site must meet, by policy key: its tenant\'s whole-tenant assignments and the site\'s own' })
  policyAssignments(
    @Root() site: Site,
    @Arg('asOf', () => Date, { nullable: true, description: AS_OF }) asOf: Date | null,
    @Ctx() ctx: RequestContext,
  ) {
    const loader = requestLoader(ctx, `siteAssignments:${asOfKey(asOf)}`, () => groupedLoader((ids) => ctx.access.policyAssignments.bySiteIds(ids, asOf)));
    return loader.load(site.id);
  }
}
