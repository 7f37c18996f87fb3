import { MaxLength } from 'class-validator';
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { ChangeWebhook, Tenant } from '../../entities';
import { RequestContext } from '../context';
import { keyOf, toGlobalId } from '../types/global-id';

@InputType({ description: 'Input of createChangeWebhook' })
export class ChangeWebhookInput {
  @Field(() => ID, { nullable: true, description: 'Id of the tenant whose changes it follows; null for every tenant (an all-tenants key only)' })
  tenantId?: string | null;

  @Field({ description: 'Where events are POSTed: an http(s) URL; internal addresses only where PATCHGRAPH_ALLOW_PRIVATE_URLS allows them' })
  @MaxLength(2000)
  url: string;
}

@ObjectType('WebhookDelivery', { description: 'One event sent, or being sent, to a change webhook' })
export class WebhookDeliveryType {
  @Field({ description: 'The step it reports, e.g. change.approve' })
  event: string;

  @Field(() => Int, { description: 'Attempts made so far' })
  attempts: number;

  @Field({ description: 'Timestamp of the next attempt, while it is neither delivered nor failed' })
  nextAttemptAt: Date;

  @Field(() => Date, { nullable: true, description: 'Timestamp the receiver accepted it (a 2xx answer)' })
  deliveredAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'Timestamp it was given up after the last attempt' })
  failedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed' })
  lastError: string | null;
}

@ObjectType('ChangeWebhook', { description: 'A PSA or ITSM endpoint that receives every change record step, signed with HMAC-SHA256 (X-Patchgraph-Signature: t=<unix>,v1=<hex of HMAC("<t>.<body>")>)' })
export class ChangeWebhookType {
  @Field({ description: 'Where events are POSTed' })
  url: string;

  @Field({ description: 'Timestamp it was registered' })
  createdAt: Date;

  @Field({ description: 'Who registered it' })
  createdBy: string;
}

@ObjectType('ChangeWebhookCreated', { description: 'A webhook just registered, with its secret' })
export class ChangeWebhookCreatedType {
  @Field(() => ChangeWebhookType, { description: 'The webhook' })
  webhook: ChangeWebhook;

  @Field({ description: 'The signing secret, shown this once: keep it in the receiver to verify X-Patchgraph-Signature' })
  secret: string;
}

@Resolver(() => ChangeWebhookType)
export class ChangeWebhookResolver {
  @Query(() => [ChangeWebhookType], { description: 'Change webhooks of the caller\'s tenants (every-tenant ones with an all-tenants key), oldest first; never their secrets' })
  changeWebhooks(@Ctx() { access }: RequestContext) {
    return access.changeWebhooks.list();
  }

  @Mutation(() => ChangeWebhookCreatedType, { description: 'Registers a webhook that receives every create and transition of the tenant\'s change records; the secret is returned once' })
  createChangeWebhook(@Arg('input', { description: 'The webhook' }) input: ChangeWebhookInput, @Ctx() { access, principal }: RequestContext) {
    return access.changeWebhooks.create(input.tenantId ? keyOf('Tenant', input.tenantId, 'input.tenantId') : null, input.url, principal);
  }

  @Mutation(() => ChangeWebhookType, { description: 'Removes a webhook; deliveries it has not sent are dropped' })
  deleteChangeWebhook(@Arg('id', () => ID, { description: 'Id of the webhook' }) id: string, @Ctx() { access, principal }: RequestContext) {
    return access.changeWebhooks.remove(keyOf('ChangeWebhook', id, 'id'), principal);
  }

  @FieldResolver(() => ID, { description: 'Opaque id of the webhook' })
  id(@Root() hook: ChangeWebhook): string {
    return toGlobalId('ChangeWebhook', hook.id);
  }

  @FieldResolver(() => Tenant, { nullable: true, description: 'The tenant it follows; null for every tenant' })
  tenant(@Root() hook: ChangeWebhook, @Ctx() { loaders }: RequestContext) {
    return hook.tenantId ? loaders.tenant.load(hook.tenantId) : null;
  }

  @FieldResolver(() => [WebhookDeliveryType], { description: 'Its latest deliveries (at most 50), newest first' })
  deliveries(@Root() hook: ChangeWebhook, @Ctx() { access }: RequestContext) {
    return access.changeWebhooks.deliveries(hook.id);
  }
}
