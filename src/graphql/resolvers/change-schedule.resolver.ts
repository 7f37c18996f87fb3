import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { occurrences } from '../../change/maintenance-windows';
import { Asset, DeploymentRing, MaintenanceWindow, Site, Tenant } from '../../entities';
import { NotFoundError, UserInputError } from '../../errors';
import { RequestContext } from '../context';
import { DeploymentRingInput, MaintenanceWindowInput } from '../inputs/change.input';
import { DeploymentRingType, MaintenanceWindowType, RingPromotionType, WindowOccurrenceType } from '../types/change.types';
import { keyOf } from '../types/global-id';
import { changeActor } from './change-request.resolver';

const MAX_OCCURRENCE_SPAN_DAYS = 366;

const tenantFilter = (ctx: RequestContext, tenantId: string | null): string[] | null => {
  if (!tenantId) return null;
  const key = keyOf('Tenant', tenantId, 'tenantId');
  ctx.access.scope.requireVisible([key], () => tenantId);
  return [key];
};

@Resolver(() => MaintenanceWindowType)
export class MaintenanceWindowResolver {
  @Query(() => [MaintenanceWindowType], { description: 'Maintenance windows of the caller\'s tenants, by name' })
  maintenanceWindows(@Arg('tenantId', () => ID, { nullable: true, description: 'Only this tenant\'s' }) tenantId: string | null, @Ctx() ctx: RequestContext) {
    return ctx.access.changeSchedule.windows(tenantFilter(ctx, tenantId));
  }

  @Mutation(() => MaintenanceWindowType, { description: 'Adds a recurring maintenance window to a tenant, or to one of its sites or deployment rings' })
  createMaintenanceWindow(@Arg('input', { description: 'The window' }) input: MaintenanceWindowInput, @Ctx() ctx: RequestContext) {
    return ctx.access.changeAdmin.createWindow({
      ...input,
      tenantId: keyOf('Tenant', input.tenantId, 'input.tenantId'),
      siteId: input.siteId ? keyOf('Site', input.siteId, 'input.siteId') : null,
      ringId: input.ringId ? keyOf('DeploymentRing', input.ringId, 'input.ringId') : null,
    }, changeActor(ctx.principal));
  }

  @FieldResolver(() => [WindowOccurrenceType], { description: 'Occurrences overlapping a period of at most 366 days, in time order' })
  occurrences(
    @Root() w: MaintenanceWindow,
    @Arg('from', () => Date, { description: 'Start timestamp of the period' }) from: Date,
    @Arg('to', () => Date, { description: 'End timestamp of the period' }) to: Date,
  ) {
    if (to <= from) throw new UserInputError('to', 'must be after from');
    if (to.getTime() - from.getTime() > MAX_OCCURRENCE_SPAN_DAYS * 86400_000) throw new UserInputError('to', `the period spans at most ${MAX_OCCURRENCE_SPAN_DAYS} days`);
    return occurrences(w, from, to);
  }

  @FieldResolver(() => Tenant, { description: 'The tenant' })
  tenant(@Root() w: MaintenanceWindow, @Ctx() { loaders }: RequestContext) {
    return loaders.tenant.load(w.tenantId);
  }

  @FieldResolver(() => Site, { nullable: true, description: 'The site it is limited to; null for the whole tenant or a ring' })
  site(@Root() w: MaintenanceWindow, @Ctx() { loaders }: RequestContext) {
    return w.siteId ? loaders.site.load(w.siteId) : null;
  }

  @FieldResolver(() => DeploymentRingType, { nullable: true, description: 'The ring it is limited to; null for the whole tenant or a site' })
  async ring(@Root() w: MaintenanceWindow, @Ctx() { access }: RequestContext) {
    return w.ringId ? access.changeSchedule.ring(w.ringId) : null;
  }
}

@Resolver(() => DeploymentRingType)
export class DeploymentRingResolver {
  @Query(() => [DeploymentRingType], { description: 'Deployment rings of the caller\'s tenants, in ring order' })
  deploymentRings(@Arg('tenantId', () => ID, { nullable: true, description: 'Only this tenant\'s' }) tenantId: string | null, @Ctx() ctx: RequestContext) {
    return ctx.access.changeSchedule.rings(tenantFilter(ctx, tenantId));
  }

  @Query(() => RingPromotionType, { description: 'Whether the ring after the given one may start for a change: the given ring\'s members against its promotion criteria, and why' })
  async ringPromotion(
    @Arg('changeId', () => ID, { description: 'Id of the change being rolled out' }) changeId: string,
    @Arg('ringId', () => ID, { description: 'Id of the ring that ran last' }) ringId: string,
    @Ctx() { access, clock }: RequestContext,
  ) {
    const change = await access.changeRequests.byId(keyOf('ChangeRequest', changeId, 'changeId'));
    if (!change) throw new NotFoundError('ChangeRequest', changeId);
    const ring = await access.changeSchedule.ring(keyOf('DeploymentRing', ringId, 'ringId'));
    if (!ring) throw new NotFoundError('DeploymentRing', ringId);
    return access.changeSchedule.promotion(change, ring, clock.now());
  }

  @Mutation(() => DeploymentRingType, { description: 'Adds a deployment ring to a tenant at a position (1 is the pilot), with its members and promotion criteria' })
  createDeploymentRing(@Arg('input', { description: 'The ring' }) input: DeploymentRingInput, @Ctx() ctx: RequestContext) {
    return ctx.access.changeAdmin.createRing({
      ...input,
      tenantId: keyOf('Tenant', input.tenantId, 'input.tenantId'),
      assetIds: input.assetIds.map((id, i) => keyOf('Asset', id, `input.assetIds[${i}]`)),
    }, changeActor(ctx.principal));
  }

  @FieldResolver(() => Tenant, { description: 'The tenant' })
  tenant(@Root() r: DeploymentRing, @Ctx() { loaders }: RequestContext) {
    return loaders.tenant.load(r.tenantId);
  }

  @FieldResolver(() => [Asset], { description: 'Member assets (those merged away since are left out)' })
  async members(@Root() r: DeploymentRing, @Ctx() { loaders }: RequestContext) {
    return (await loaders.asset.loadMany(r.assetIds)).filter((a): a is Asset => !!a && !(a instanceof Error));
  }
}
