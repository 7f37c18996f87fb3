import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { RequestContext } from '../context';
import { CreateAdvisoryInput } from '../inputs/compliance-admin.input';
import { AdvisoryType } from '../types/compliance-admin.types';

@Resolver(() => AdvisoryType)
export class AdvisoryResolver {
  @Query(() => [AdvisoryType], { description: 'Authorities\' advisories, newest notice first' })
  advisories(
    @Arg('authority', () => String, { nullable: true, description: 'Only this authority\'s (compared ignoring case)' }) authority: string | null,
    @Ctx() { access }: RequestContext,
  ) {
    return access.advisories.list(authority);
  }

  @Mutation(() => AdvisoryType, {
    description: 'Records an authority\'s notice. It applies to every tenant whose policy has a rule for that authority, from noticeAt; (authority, reference) is unique',
  })
  createAdvisory(@Arg('input', { description: 'The notice' }) input: CreateAdvisoryInput, @Ctx() { access }: RequestContext) {
    return access.complianceAdmin.createAdvisory(input);
  }
}
