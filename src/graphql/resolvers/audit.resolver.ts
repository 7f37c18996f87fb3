import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { auditDataFor } from '../../audit/audit-data-view';
import { auditEventOrdering } from '../../access/audit-event.finder';
import { ChainBreak, ChainVerification } from '../../audit/verify-chain';
import { AuditEvent, Tenant } from '../../entities';
import { Role } from '../../entities/enums';
import { ForbiddenError, UserInputError } from '../../errors';
import { RequestContext } from '../context';
import { AuditEventFilterInput } from '../inputs/audit.input';
import { ConnectionArgs } from '../inputs/connection.args';
import { AuditChainBreak, AuditChainVerification, AuditBreakReason } from '../types/audit.types';
import { Connection } from '../types/connection';
import { OrderDirection } from '../types/enums';
import { decodeGlobalId, keyOf, keysOf, toGlobalId } from '../types/global-id';

export const AuditEventConnection = Connection(AuditEvent);

function checkPeriod(from: Date | null | undefined, to: Date | null | undefined, field: string): void {
  if (from && to && from > to) throw new UserInputError(field, 'must not be before from');
}

/** A filter's targetId: the global id of an object, or the key audit events record (a chain's "global", say). */
function targetKey(id: string | null | undefined): string | null {
  if (!id) return null;
  try {
    return decodeGlobalId(id, 'filter.targetId').key;
  } catch {
    return id;
  }
}

function breakOf(b: ChainBreak, visibleRuns: Set<string>): AuditChainBreak {
  return Object.assign(new AuditChainBreak(), {
    reason: b.reason as AuditBreakReason,
    seq: b.seq,
    auditEventId: b.auditEventId ? toGlobalId('AuditEvent', b.auditEventId) : null,
    syncRunId: b.syncRunId && visibleRuns.has(b.syncRunId) ? toGlobalId('SyncRun', b.syncRunId) : null,
    eventType: b.event ? (b.event.kind === 'patch_event' ? 'PatchEvent' : 'PatchPostureEvent') : null,
    eventId: b.event ? toGlobalId(b.event.kind === 'patch_event' ? 'PatchEvent' : 'PatchPostureEvent', b.event.id) : null,
    message: b.message,
  });
}

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @Query(() => AuditEventConnection, {
    description: "Audit events of the caller's tenants' chains (and the MSP-wide chain for a principal that sees every tenant), newest first unless direction says otherwise",
  })
  async auditEvents(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => AuditEventFilterInput, { nullable: true, description: 'Filters to apply' }) filter: AuditEventFilterInput | null,
    @Arg('direction', () => OrderDirection, { nullable: true, description: 'DESC (the default): newest first; ASC: oldest first. Ties are broken by id' }) direction: OrderDirection | null,
    @Ctx() { access }: RequestContext,
  ) {
    checkPeriod(filter?.from, filter?.to, 'filter.to');
    const tenantIds = keysOf('Tenant', filter?.tenantIds, 'filter.tenantIds');
    if (tenantIds) access.scope.requireVisible(tenantIds, (k) => filter!.tenantIds![tenantIds.indexOf(k)]);
    const f = { ...filter, tenantIds, targetId: targetKey(filter?.targetId) };
    const result = await access.auditEvents.page(f, auditEventOrdering(direction ?? OrderDirection.DESC), page);
    return AuditEventConnection.of(result, () => access.auditEvents.count(f));
  }

  // Described on the entity's field, which gives the schema its description.
  @FieldResolver(() => String)
  data(@Root() event: AuditEvent, @Ctx() { principal }: RequestContext): string {
    return auditDataFor(principal.role, event.action, event.data);
  }

  @FieldResolver(() => Tenant, { nullable: true, description: "The tenant whose chain holds the event; null for the MSP-wide chain" })
  tenant(@Root() event: AuditEvent, @Ctx() { loaders }: RequestContext) {
    return event.tenantId ? loaders.tenant.load(event.tenantId) : null;
  }

  @Query(() => AuditChainVerification, {
    description:
      "Recomputes a tenant's audit chain (hashes, links, sequence, head) and the Merkle root of every sync run it seals, and names the first broken link. Without tenantId, the MSP-wide chain (an MSP_ADMIN with every tenant)",
  })
  async verifyAuditChain(
    @Arg('tenantId', () => ID, { nullable: true, description: "The tenant whose chain to verify; null for the MSP-wide chain" }) tenantId: string | null,
    @Arg('from', () => Date, { nullable: true, description: 'Only the events that occurred at or after this time (linked to the one before)' }) from: Date | null,
    @Arg('to', () => Date, { nullable: true, description: 'Only the events that occurred at or before this time; without it, up to the chain\'s head' }) to: Date | null,
    @Ctx() { access, principal, loaders }: RequestContext,
  ): Promise<AuditChainVerification> {
    checkPeriod(from, to, 'to');
    const key = tenantId ? keyOf('Tenant', tenantId, 'tenantId') : null;
    if (key === null && principal.role !== Role.MSP_ADMIN) throw new ForbiddenError('Only an MSP_ADMIN can verify the MSP-wide audit chain');
    const v: ChainVerification = await access.auditChains.verify(key, { from, to }, () => tenantId!);
    const runs = [...new Set(v.breaks.map((b) => b.syncRunId).filter((r): r is string => !!r))];
    const visibleRuns = new Set((await Promise.all(runs.map((r) => loaders.syncRun.load(r)))).filter((r) => r).map((r) => r!.id));
    const breaks = v.breaks.map((b) => breakOf(b, visibleRuns));
    return Object.assign(new AuditChainVerification(), {
      ok: v.ok, tenantId: tenantId ?? null, from, to, auditEventsChecked: v.auditEventsChecked, runsChecked: v.runsChecked, eventsChecked: v.eventsChecked,
      unsealedEvents: v.unsealedEvents, head: v.head, pruned: v.pruned ? { ...v.pruned, before: new Date(v.pruned.before) } : null,
      firstBreak: breaks[0] ?? null, breaks,
    });
  }
}
