import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ChangeActor, ChangeRequestInput as ChangeRequestFields } from '../../access/change-admin';
import { assetFilterOf } from '../../access/change-target-filter';
import { TenantScope } from '../../access/tenant-scope';
import { Principal } from '../../auth/principal';
import { ChangeState, ChangeType } from '../../change/change-kinds';
import { approvalsNeeded, Transition } from '../../change/state-machine';
import { Verification } from '../../change/verification';
import { Asset, ChangeRequest, PatchEvent, Site, Tenant, Update, UpdateApproval } from '../../entities';
import { ChangeTargets } from '../../entities/change-request.entity';
import { NotFoundError, UserInputError } from '../../errors';
import { RequestContext } from '../context';
import { ChangeRequestInput, CloseChangeRequestInput } from '../inputs/change.input';
import { ConnectionArgs } from '../inputs/connection.args';
import {
  ChangeApprovalType, ChangeRequestType, ChangeTargetFilterType, ChangeTargetResultType, ChangeTargetsType, ChangeVerificationType, DeploymentRingType,
} from '../types/change.types';
import { Connection } from '../types/connection';
import { keyOf, keysOf, toGlobalId } from '../types/global-id';
import { assetFilter } from './filters';

export const ChangeRequestConnection = Connection(ChangeRequestType, 'ChangeRequest');

/** The principal as change records know it: a stable id for the guards, the audit label for people. */
export const changeActor = (p: Principal): ChangeActor => ({ id: `${p.kind}:${p.id}`, label: p.label });

type VerificationView = Verification & { at: Date | null };

const commentArg = { nullable: true, description: 'A comment for the audit trail (at most 4000 characters)' } as const;

function fieldsOf(input: ChangeRequestInput, scope: TenantScope): ChangeRequestFields {
  return {
    ...input,
    tenantId: keyOf('Tenant', input.tenantId, 'input.tenantId'),
    updateIds: input.updateIds.map((id, i) => keyOf('Update', id, `input.updateIds[${i}]`)),
    targets: {
      assetIds: [...new Set(keysOf('Asset', input.targets.assetIds, 'input.targets.assetIds') ?? [])],
      siteIds: [...new Set(keysOf('Site', input.targets.siteIds, 'input.targets.siteIds') ?? [])],
      ringIds: [...new Set(keysOf('DeploymentRing', input.targets.ringIds, 'input.targets.ringIds') ?? [])],
      filter: input.targets.filter ? assetFilter(input.targets.filter, scope, 'input.targets.filter') : null,
    },
  };
}

@Resolver(() => ChangeRequestType)
export class ChangeRequestResolver {
  @Query(() => ChangeRequestConnection, { description: 'Change requests of the caller\'s tenants, newest first' })
  async changeRequests(
    @Args() page: ConnectionArgs,
    @Arg('tenantId', () => ID, { nullable: true, description: 'Only this tenant\'s' }) tenantId: string | null,
    @Arg('states', () => [ChangeState], { nullable: true, description: 'Only changes in these states' }) states: ChangeState[] | null,
    @Ctx() { access }: RequestContext,
  ) {
    const tenantKey = tenantId ? keyOf('Tenant', tenantId, 'tenantId') : null;
    if (tenantKey) access.scope.requireVisible([tenantKey], () => tenantId!);
    const filter = { tenantIds: tenantKey ? [tenantKey] : null, states };
    const result = await access.changeRequests.page(filter, page);
    return ChangeRequestConnection.of(result as never, () => access.changeRequests.count(filter));
  }

  @Query(() => ChangeRequestType, { description: 'One change request, by id or by its reference (CHG-YYYY-NNNNNN)' })
  async changeRequest(
    @Arg('id', () => ID, { nullable: true, description: 'Id of the change' }) id: string | null,
    @Arg('reference', () => String, { nullable: true, description: 'Its reference, e.g. CHG-2026-000001' }) reference: string | null,
    @Ctx() { access }: RequestContext,
  ): Promise<ChangeRequest> {
    if (!id === !reference) throw new UserInputError('id', 'give either id or reference');
    const row = id ? await access.changeRequests.byId(keyOf('ChangeRequest', id, 'id')) : await access.changeRequests.byReference(reference!.trim().toUpperCase());
    if (!row) throw new NotFoundError('ChangeRequest', (id ?? reference)!);
    return row;
  }

  @Query(() => [UpdateApproval], {
    description: 'WSUS install approvals recorded since a date with no change record behind them: no change of the tenant names the update and was open (submitted, not yet finished) when it was approved. Oldest first, at most one page (MAX_PAGE_SIZE)',
  })
  unrecordedChanges(
    @Arg('since', () => Date, { description: 'Only approvals made at or after this timestamp' }) since: Date,
    @Arg('tenantId', () => ID, { nullable: true, description: 'Only this tenant\'s' }) tenantId: string | null,
    @Ctx() { access, clock }: RequestContext,
  ) {
    const tenantKey = tenantId ? keyOf('Tenant', tenantId, 'tenantId') : null;
    if (tenantKey) access.scope.requireVisible([tenantKey], () => tenantId!);
    return access.changeRequests.unrecordedApprovals(tenantKey ? [tenantKey] : null, since, clock.now());
  }

  @Mutation(() => ChangeRequestType, { description: 'Raises a change request, as a DRAFT numbered CHG-YYYY-NNNNNN; the caller is its requester' })
  createChangeRequest(@Arg('input', { description: 'The change' }) input: ChangeRequestInput, @Ctx() { access, principal }: RequestContext) {
    return access.changeAdmin.create(fieldsOf(input, access.scope), changeActor(principal));
  }

  @Mutation(() => ChangeRequestType, { description: 'Rewrites a DRAFT change with the complete new fields; any other state is refused (CHANGE_TRANSITION_REFUSED)' })
  updateChangeRequest(
    @Arg('id', () => ID, { description: 'Id of the change' }) id: string,
    @Arg('input', { description: 'The complete new fields (the tenant stays the same)' }) input: ChangeRequestInput,
    @Ctx() { access, principal }: RequestContext,
  ) {
    return access.changeAdmin.update(keyOf('ChangeRequest', id, 'id'), fieldsOf(input, access.scope), changeActor(principal));
  }

  @Mutation(() => ChangeRequestType, { description: 'DRAFT → SUBMITTED (a STANDARD change → APPROVED: it is pre-approved). A NORMAL or EMERGENCY change needs its rollback plan' })
  submitChangeRequest(@Arg('id', () => ID, { description: 'Id of the change' }) id: string, @Arg('comment', () => String, commentArg) comment: string | null, @Ctx() ctx: RequestContext) {
    return move(ctx, id, 'submit', { comment });
  }

  @Mutation(() => ChangeRequestType, {
    description: 'Records the caller\'s approval of a SUBMITTED change; with as many as it needs (PATCHGRAPH_CHANGE_APPROVALS for NORMAL, one for EMERGENCY) it becomes APPROVED. The requester cannot approve their own change, nor anyone approve twice',
  })
  approveChangeRequest(@Arg('id', () => ID, { description: 'Id of the change' }) id: string, @Arg('comment', () => String, commentArg) comment: string | null, @Ctx() ctx: RequestContext) {
    return move(ctx, id, 'approve', { comment });
  }

  @Mutation(() => ChangeRequestType, { description: 'SUBMITTED → REJECTED, with the reason; not by the requester' })
  rejectChangeRequest(
    @Arg('id', () => ID, { description: 'Id of the change' }) id: string,
    @Arg('comment', { description: 'Why it is rejected (at most 4000 characters)' }) comment: string,
    @Ctx() ctx: RequestContext,
  ) {
    if (!comment.trim()) throw new UserInputError('comment', 'say why the change is rejected');
    return move(ctx, id, 'reject', { comment });
  }

  @Mutation(() => ChangeRequestType, {
    description: 'APPROVED → SCHEDULED, for its planned window or a new one. The window must lie inside a maintenance window of every target (a site\'s, a ring\'s or the tenant\'s), unless the change is EMERGENCY',
  })
  scheduleChangeRequest(
    @Arg('id', () => ID, { description: 'Id of the change' }) id: string,
    @Arg('plannedStart', () => Date, { nullable: true, description: 'New planned start timestamp; the change\'s own when absent' }) plannedStart: Date | null,
    @Arg('plannedEnd', () => Date, { nullable: true, description: 'New planned end timestamp; the change\'s own when absent' }) plannedEnd: Date | null,
    @Arg('comment', () => String, commentArg) comment: string | null,
    @Ctx() ctx: RequestContext,
  ) {
    return move(ctx, id, 'schedule', { comment, plannedStart, plannedEnd });
  }

  @Mutation(() => ChangeRequestType, { description: 'SCHEDULED → IN_PROGRESS: the deployment starts now' })
  startChangeRequest(@Arg('id', () => ID, { description: 'Id of the change' }) id: string, @Arg('comment', () => String, commentArg) comment: string | null, @Ctx() ctx: RequestContext) {
    return move(ctx, id, 'start', { comment });
  }

  @Mutation(() => ChangeRequestType, { description: 'IN_PROGRESS → COMPLETED; the verification at this moment is kept as the change\'s evidence' })
  completeChangeRequest(@Arg('id', () => ID, { description: 'Id of the change' }) id: string, @Arg('comment', () => String, commentArg) comment: string | null, @Ctx() ctx: RequestContext) {
    return move(ctx, id, 'complete', { comment });
  }

  @Mutation(() => ChangeRequestType, { description: 'IN_PROGRESS → FAILED; the verification at this moment is kept as the change\'s evidence' })
  failChangeRequest(@Arg('id', () => ID, { description: 'Id of the change' }) id: string, @Arg('comment', () => String, commentArg) comment: string | null, @Ctx() ctx: RequestContext) {
    return move(ctx, id, 'fail', { comment });
  }

  @Mutation(() => ChangeRequestType, { description: 'IN_PROGRESS, COMPLETED or FAILED → ROLLED_BACK: the rollback plan was carried out; the verification at this moment is kept' })
  rollBackChangeRequest(@Arg('id', () => ID, { description: 'Id of the change' }) id: string, @Arg('comment', () => String, commentArg) comment: string | null, @Ctx() ctx: RequestContext) {
    return move(ctx, id, 'rollBack', { comment });
  }

  @Mutation(() => ChangeRequestType, {
    description: 'COMPLETED, FAILED, ROLLED_BACK or REJECTED → CLOSED, with a closure code and the post-implementation review (required for an EMERGENCY change)',
  })
  closeChangeRequest(
    @Arg('id', () => ID, { description: 'Id of the change' }) id: string,
    @Arg('input', () => CloseChangeRequestInput, { defaultValue: {}, description: 'Closure code, review and comment' }) input: CloseChangeRequestInput,
    @Ctx() ctx: RequestContext,
  ) {
    return move(ctx, id, 'close', input);
  }

  @FieldResolver(() => Tenant, { description: 'The tenant the change is for' })
  tenant(@Root() row: ChangeRequest, @Ctx() { loaders }: RequestContext) {
    return loaders.tenant.load(row.tenantId);
  }

  @FieldResolver(() => [Update], { description: 'The catalog updates the change deploys' })
  async updates(@Root() row: ChangeRequest, @Ctx() { loaders }: RequestContext) {
    return (await loaders.update.loadMany(row.updateIds)).filter((u): u is Update => !!u && !(u instanceof Error));
  }

  @FieldResolver(() => ChangeTargetsType, { description: 'What the change is for' })
  targets(@Root() row: ChangeRequest): ChangeTargets {
    return row.targets;
  }

  @FieldResolver(() => [ChangeApprovalType], { description: 'The approvals given, oldest first' })
  approvals(@Root() row: ChangeRequest, @Ctx() { access }: RequestContext) {
    return access.changeRequests.approvals(row.id);
  }

  @FieldResolver(() => Int, { description: 'Approvals the change needs to become APPROVED (0 for STANDARD: pre-approved)' })
  approvalsRequired(@Root() row: ChangeRequest, @Ctx() { config }: RequestContext): number {
    return approvalsNeeded(row.type as ChangeType, config.changeApprovals);
  }

  @FieldResolver(() => ChangeVerificationType, { description: 'What landed on the targets now, from the patch states the sources report' })
  async verification(@Root() row: ChangeRequest, @Ctx() { access }: RequestContext): Promise<VerificationView> {
    return { ...(await access.changeRequests.verification(row)), at: null };
  }

  @FieldResolver(() => ChangeVerificationType, { nullable: true, description: 'The verification as it stood when the change was completed, failed or rolled back' })
  evidence(@Root() row: ChangeRequest): VerificationView | null {
    if (!row.evidence) return null;
    const kept = JSON.parse(row.evidence) as VerificationView & { at: string; lastChangeAt: string | null };
    const date = (v: string | null) => (v ? new Date(v) : null);
    return {
      ...kept, at: new Date(kept.at), lastChangeAt: date(kept.lastChangeAt),
      results: kept.results.map((r) => ({ ...r, since: date(r.since as unknown as string), installedAt: date(r.installedAt as unknown as string) })),
    };
  }

  @FieldResolver(() => [PatchEvent], {
    description: 'The patch events the change caused, as far as the data can say: its updates on its targets, observed from its start until it finished (or now), oldest first, at most MAX_PAGE_SIZE; empty before it starts',
  })
  patchEvents(@Root() row: ChangeRequest, @Ctx() { access, clock }: RequestContext) {
    return access.changeRequests.patchEvents(row, clock.now());
  }

  @FieldResolver(() => [UpdateApproval], { description: 'WSUS approvals of the change\'s updates in its tenant, made while it was open: the tool\'s side of the change' })
  updateApprovals(@Root() row: ChangeRequest, @Ctx() { access, clock }: RequestContext) {
    return access.changeRequests.updateApprovals(row, clock.now());
  }
}

@Resolver(() => ChangeTargetsType)
export class ChangeTargetsResolver {
  @FieldResolver(() => [Asset], { description: 'Assets named by id (not those of the sites, rings or filter: the verification lists every target asset)' })
  async assets(@Root() t: ChangeTargets, @Ctx() { loaders }: RequestContext) {
    return (await loaders.asset.loadMany(t.assetIds)).filter((a): a is Asset => !!a && !(a instanceof Error));
  }

  @FieldResolver(() => [Site], { description: 'Sites named: every asset of each' })
  async sites(@Root() t: ChangeTargets, @Ctx() { loaders }: RequestContext) {
    return (await loaders.site.loadMany(t.siteIds)).filter((s): s is Site => !!s && !(s instanceof Error));
  }

  @FieldResolver(() => [DeploymentRingType], { description: 'Deployment rings named: every member of each, in ring order' })
  rings(@Root() t: ChangeTargets, @Ctx() { access }: RequestContext) {
    return access.changeSchedule.ringsByIds(t.ringIds);
  }

  @FieldResolver(() => ChangeTargetFilterType, { nullable: true, description: 'The saved filter: every asset of the tenant it matches (until the change starts; then those it matched at the start); null when none was given' })
  filter(@Root() t: ChangeTargets): ChangeTargetFilterType | null {
    if (!t.filter) return null;
    const f = assetFilterOf(t.filter);
    return {
      ...f,
      tenantIds: f.tenantIds?.map((k) => toGlobalId('Tenant', k)) ?? null,
      siteIds: f.siteIds?.map((k) => toGlobalId('Site', k)) ?? null,
    } as ChangeTargetFilterType;
  }

  @FieldResolver(() => Date, { nullable: true, description: "When the saved filter's matches were fixed as the change's targets: the change's start. Before it (and without a filter) null, and the filter is read anew each time" })
  filterMatchedAt(@Root() t: ChangeTargets): Date | null {
    return t.filterMatch ? new Date(t.filterMatch.at) : null;
  }
}

@Resolver(() => ChangeTargetResultType)
export class ChangeTargetResultResolver {
  @FieldResolver(() => Asset, { nullable: true, description: 'The target asset (null when it was merged away since)' })
  asset(@Root() r: ChangeTargetResultType, @Ctx() { loaders }: RequestContext) {
    return loaders.asset.load(r.assetId);
  }

  @FieldResolver(() => Update, { nullable: true, description: 'The update' })
  update(@Root() r: ChangeTargetResultType, @Ctx() { loaders }: RequestContext) {
    return loaders.update.load(r.updateId);
  }
}

function move(ctx: RequestContext, id: string, transition: Transition, input: Parameters<RequestContext['access']['changeAdmin']['transition']>[2]) {
  return ctx.access.changeAdmin.transition(keyOf('ChangeRequest', id, 'id'), transition, input, changeActor(ctx.principal), ctx.config.changeApprovals);
}
