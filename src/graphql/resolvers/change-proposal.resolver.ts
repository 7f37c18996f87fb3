import { Arg, Ctx, Field, FieldResolver, ID, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { ChangeProposal } from '../../access/change-proposals';
import { ChangeType } from '../../change/change-kinds';
import { Update } from '../../entities';
import { ChangeTargets } from '../../entities/change-request.entity';
import { UserInputError } from '../../errors';
import { RequestContext } from '../context';
import { ChangeTargetsType } from '../types/change.types';
import { keyOf } from '../types/global-id';

const DEFAULT_KEV_DAYS = 30;

@ObjectType('ChangeProposal', { description: 'A change record patchgraph suggests, not yet written: createChangeRequest records it' })
export class ChangeProposalType {
  @Field(() => ChangeType, { description: 'STANDARD for the policy\'s rollout, EMERGENCY for a newly exploited CVE' })
  type: ChangeType;

  @Field({ description: 'Suggested title' })
  title: string;

  @Field({ description: 'Suggested description' })
  description: string;

  @Field({ description: 'Timestamp of the suggested start: the next maintenance window, or now for an EMERGENCY change' })
  plannedStart: Date;

  @Field({ description: 'Timestamp of the suggested end' })
  plannedEnd: Date;

  @Field(() => [String], { description: 'Why it is proposed, and how it was planned' })
  reasons: string[];
}

@Resolver(() => ChangeProposalType)
export class ChangeProposalResolver {
  @Query(() => [ChangeProposalType], {
    description: 'Changes a tenant needs now, computed and not written: a STANDARD rollout of the updates its machines miss that the policy counts (overdue or due soon, not excepted), over its rings in order, in the next maintenance window; and an EMERGENCY change for each CVE added to CISA KEV since kevSince whose fixes its machines miss',
  })
  changeProposals(
    @Arg('tenantId', () => ID, { description: 'Id of the tenant' }) tenantId: string,
    @Arg('policy', { description: 'Key of the policy whose findings the rollout covers, e.g. cyber-essentials-v3.3' }) policy: string,
    @Arg('kevSince', () => Date, { nullable: true, description: 'KEV entries added on or after this timestamp\'s day; by default the last 30 days' }) kevSince: Date | null,
    @Ctx() { access, clock }: RequestContext,
  ): Promise<ChangeProposal[]> {
    const now = clock.now();
    const since = kevSince ?? new Date(now.getTime() - DEFAULT_KEV_DAYS * 86_400_000);
    if (since > now) throw new UserInputError('kevSince', 'must not be in the future');
    return access.changeProposals.propose(keyOf('Tenant', tenantId, 'tenantId'), policy, since, now);
  }

  @FieldResolver(() => [Update], { description: 'The updates to deploy' })
  async updates(@Root() p: ChangeProposal, @Ctx() { loaders }: RequestContext) {
    return (await loaders.update.loadMany(p.updateIds)).filter((u): u is Update => !!u && !(u instanceof Error));
  }

  @FieldResolver(() => ChangeTargetsType, { description: 'What it would be for: the tenant\'s rings in order, or the affected assets' })
  targets(@Root() p: ChangeProposal): ChangeTargets {
    return { assetIds: p.assetIds, siteIds: [], ringIds: p.ringIds };
  }
}
