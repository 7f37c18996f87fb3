import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Asset, RiskException, Site, Tenant, Update } from '../../entities';
import { RequestContext } from '../context';
import { CreateRiskExceptionInput } from '../inputs/compliance-admin.input';
import { ConnectionArgs } from '../inputs/connection.args';
import { RiskExceptionStatus, RiskExceptionType } from '../types/compliance-admin.types';
import { Connection } from '../types/connection';
import { keyOf } from '../types/global-id';

export const RiskExceptionConnection = Connection(RiskExceptionType, 'RiskException');

/** Revocation first: a revoked exception never applies again, whatever its dates say. */
export function exceptionStatus(e: RiskException, now: Date): RiskExceptionStatus {
  if (e.revokedAt && e.revokedAt.getTime() <= now.getTime()) return RiskExceptionStatus.REVOKED;
  if (e.expiresAt.getTime() <= now.getTime()) return RiskExceptionStatus.EXPIRED;
  if (e.validFrom.getTime() > now.getTime()) return RiskExceptionStatus.PENDING;
  return RiskExceptionStatus.ACTIVE;
}

const optionalKey = (type: string, id: string | null | undefined, field: string) => (id ? keyOf(type, id, field) : null);

@Resolver(() => RiskExceptionType)
export class RiskExceptionResolver {
  @Query(() => RiskExceptionConnection, {
    description: 'Risk exceptions of the caller\'s tenants, soonest to expire first: those in force or pending now; with includeExpired also expired and revoked ones; with activeAt those in force at that time',
  })
  async riskExceptions(
    @Args() page: ConnectionArgs,
    @Arg('tenantId', () => ID, { nullable: true, description: 'Only this tenant\'s' }) tenantId: string | null,
    @Arg('activeAt', () => Date, { nullable: true, description: 'Only those in force at this time (valid from it, not expired or revoked by it); includeExpired is then not needed' }) activeAt: Date | null,
    @Arg('includeExpired', { defaultValue: false, description: 'Also list expired and revoked exceptions' }) includeExpired: boolean,
    @Ctx() { access, clock }: RequestContext,
  ) {
    const tenantKey = optionalKey('Tenant', tenantId, 'tenantId');
    if (tenantKey) access.scope.requireVisible([tenantKey], () => tenantId!);
    const filter = { tenantIds: tenantKey ? [tenantKey] : null, activeAt, includeExpired, now: clock.now() };
    const result = await access.riskExceptions.page(filter, page);
    return RiskExceptionConnection.of(result as never, () => access.riskExceptions.count(filter));
  }

  @FieldResolver(() => RiskExceptionStatus, { description: 'Whether it applies now, at the server\'s clock' })
  status(@Root() row: RiskException, @Ctx() { clock }: RequestContext): RiskExceptionStatus {
    return exceptionStatus(row, clock.now());
  }

  @FieldResolver(() => Tenant, { description: 'The tenant whose risk is accepted' })
  tenant(@Root() row: RiskException, @Ctx() { loaders }: RequestContext) {
    return loaders.tenant.load(row.tenantId);
  }

  @FieldResolver(() => Site, { nullable: true, description: 'Only this site of the tenant; null for any' })
  site(@Root() row: RiskException, @Ctx() { loaders }: RequestContext) {
    return row.siteId ? loaders.site.load(row.siteId) : null;
  }

  @FieldResolver(() => Asset, { nullable: true, description: 'Only this asset; null for any (or when the asset was merged away since)' })
  asset(@Root() row: RiskException, @Ctx() { loaders }: RequestContext) {
    return row.assetId ? loaders.asset.load(row.assetId) : null;
  }

  @FieldResolver(() => Update, { nullable: true, description: 'Only findings of this update; null for any' })
  update(@Root() row: RiskException, @Ctx() { loaders }: RequestContext) {
    return row.updateId ? loaders.update.load(row.updateId) : null;
  }

  @Mutation(() => RiskExceptionType, {
    description: 'Records an accepted risk for a tenant. Every id must be one the caller sees and of that tenant; the exception must name at least one of siteId, assetId, updateId, cveId and policyKey, and expire within a year',
  })
  createRiskException(@Arg('input', { description: 'The exception' }) input: CreateRiskExceptionInput, @Ctx() { access }: RequestContext) {
    return access.complianceAdmin.createRiskException({
      ...input,
      tenantId: keyOf('Tenant', input.tenantId, 'input.tenantId'),
      siteId: optionalKey('Site', input.siteId, 'input.siteId'),
      assetId: optionalKey('Asset', input.assetId, 'input.assetId'),
      updateId: optionalKey('Update', input.updateId, 'input.updateId'),
    });
  }

  @Mutation(() => RiskExceptionType, { description: 'Ends an exception now; the reason is kept in the audit trail. Revoking a revoked exception changes nothing' })
  revokeRiskException(
    @Arg('id', () => ID, { description: 'Id of the exception' }) id: string,
    @Arg('reason', { description: 'Why it ends early (at most 4000 characters)' }) reason: string,
    @Ctx() { access }: RequestContext,
  ) {
    return access.complianceAdmin.revokeRiskException(keyOf('RiskException', id, 'id'), reason);
  }
}
