import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { NotFoundError } from '../../errors';
import { RequestContext } from '../context';
import { CreatePolicyInput, UpdatePolicyInput } from '../inputs/compliance-admin.input';
import { groupedLoader, requestLoader } from '../loaders/request-loaders';
import { PolicyType } from '../types/compliance-admin.types';

/**
 * Compliance policies: the built-in presets and the MSP's custom policies. Who may write is the permission matrix's
 * (MSP_ADMIN with access to all tenants); the checks of a definition are src/compliance/policy-definition.ts's.
 */
@Resolver(() => PolicyType)
export class PolicyResolver {
  @Query(() => [PolicyType], { description: 'The built-in presets, then the latest version of each custom policy (by key)' })
  async policies(@Ctx() { access }: RequestContext): Promise<PolicyType[]> {
    return (await access.policyVersions.list()).map(PolicyType.of);
  }

  @Query(() => PolicyType, { description: 'One policy: a preset, or a version of a custom policy (the latest unless version is given)' })
  async policy(
    @Arg('key', { description: 'Key of the policy' }) key: string,
    @Arg('version', () => String, { nullable: true, description: '"builtin" for a preset, or a custom policy\'s version number; default the latest' }) version: string | null,
    @Ctx() { access }: RequestContext,
  ): Promise<PolicyType> {
    const found = await access.policyVersions.get(key, version);
    if (!found) throw new NotFoundError('Policy', version ? `${key}@${version}` : key);
    return PolicyType.of(found);
  }

  @FieldResolver(() => [PolicyType], { description: 'Every version of the policy, oldest first (a preset has its one built-in version)' })
  async versions(@Root() policy: PolicyType, @Ctx() ctx: RequestContext): Promise<PolicyType[]> {
    const loader = requestLoader(ctx, 'policyVersions', () =>
      groupedLoader(async (keys) => [...(await ctx.access.policyVersions.versionsOf(keys))].flatMap(([key, rows]) => rows.map((row) => ({ key, row })))));
    return (await loader.load(policy.key)).map(PolicyType.of);
  }

  @Mutation(() => PolicyType, { description: 'Records a custom policy as version 1. Its key must be new and not a preset\'s; its definition is checked and refused naming the wrong field (input.definition…)' })
  async createPolicy(@Arg('input', { description: 'The new policy' }) input: CreatePolicyInput, @Ctx() { access }: RequestContext): Promise<PolicyType> {
    const row = await access.complianceAdmin.createPolicy(input.key, input.definition);
    return PolicyType.of((await access.policyVersions.get(row.policyKey, String(row.version)))!);
  }

  @Mutation(() => PolicyType, { description: 'Records the next version of a custom policy; earlier versions stay as they were, so results computed under them can be recomputed. The same rules as the latest version add no version' })
  async updatePolicy(@Arg('input', { description: 'The policy and its new rules' }) input: UpdatePolicyInput, @Ctx() { access }: RequestContext): Promise<PolicyType> {
    const row = await access.complianceAdmin.updatePolicy(input.key, input.definition);
    return PolicyType.of((await access.policyVersions.get(row.policyKey, String(row.version)))!);
  }
}
