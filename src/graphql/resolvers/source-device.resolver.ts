import { ArrayMaxSize, IsOptional } from 'class-validator';
import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, ObjectType, Query, registerEnumType, Resolver, Root } from 'type-graphql';
import { Page } from '../../access/keyset';
import { UnattachedRow } from '../../access/source-device.finder';
import { Asset, ConnectorInstance, PatchPostureEvent, SourceDevice, Tenant } from '../../entities';
import { PatchPostureStatus, UnattachedReason } from '../../entities/enums';
import { UserInputError } from '../../errors';
import { RequestContext } from '../context';
import { ConnectionArgs } from '../inputs/connection.args';
import { Connection } from '../types/connection';
import { keysOf } from '../types/global-id';

@ObjectType({ description: "A device's patch posture as a whole, as a tool without per-update detail reports it (Datto RMM)" })
export class PatchPosture {
  @Field(() => PatchPostureStatus, { description: 'Posture status' })
  status: PatchPostureStatus;

  @Field(() => Int, { nullable: true, description: 'Approved updates not yet installed' })
  approvedPending: number | null;

  @Field(() => Int, { nullable: true, description: 'Updates the patch policy has not approved' })
  notApproved: number | null;

  @Field(() => Int, { nullable: true, description: 'Installed updates' })
  installed: number | null;
}

const MAX_HISTORY = 100;

@Resolver(() => SourceDevice)
export class SourceDeviceResolver {
  @FieldResolver(() => Asset, { nullable: true, description: 'The asset this device resolved to' })
  asset(@Root() device: SourceDevice, @Ctx() { loaders }: RequestContext) {
    return device.assetId ? loaders.asset.load(device.assetId) : null;
  }

  @FieldResolver(() => ConnectorInstance, { nullable: true, description: 'The connector instance that reports the device' })
  connector(@Root() device: SourceDevice, @Ctx() { loaders }: RequestContext) {
    return loaders.connectorInstance.load(device.connectorInstanceId);
  }

  @FieldResolver(() => PatchPosture, { nullable: true, description: 'Patch posture as the source last reported it; null when the source reports none' })
  patchPosture(@Root() device: SourceDevice): PatchPosture | null {
    if (!device.postureStatus) return null;
    return { status: device.postureStatus, approvedPending: device.postureApprovedPending, notApproved: device.postureNotApproved, installed: device.postureInstalled };
  }

  @FieldResolver(() => [PatchPostureEvent], { description: 'Changes of the patch posture, newest first' })
  async patchPostureHistory(
    @Root() device: SourceDevice,
    @Ctx() { loaders }: RequestContext,
    @Arg('last', () => Int, { defaultValue: 20, description: `Number of most recent changes to return (at most ${MAX_HISTORY})` }) last: number,
  ): Promise<PatchPostureEvent[]> {
    if (!Number.isInteger(last) || last < 1 || last > MAX_HISTORY) throw new UserInputError('last', `must be from 1 to ${MAX_HISTORY}`);
    return (await loaders.postureHistoryBySource.load(device.id)).slice(0, last);
  }
}

registerEnumType(UnattachedReason, {
  name: 'UnattachedReason',
  description: 'Why a record a source returned is not, or no longer, a current source of an asset',
  valuesConfig: {
    DELETED_IN_SOURCE: { description: 'The source lists the record as deleted (e.g. in Datto RMM\'s "Deleted Devices" site); it is never imported' },
    UNMAPPED_SITE: { description: 'The record is in a vendor site of an MSP-wide account that is not mapped to a tenant yet (mapVendorSite)' },
    IGNORED_SITE: { description: 'The record is in a vendor site an operator chose never to import' },
    STALE: { description: 'A source device missing from the last complete sync of its connector' },
  },
});

@ObjectType({
  description:
    'A record a source returned that is not, or no longer, a current source of an asset, and why. Stale and deleted devices that were imported before are listed too: they keep their asset and history (asset, sourceDevice), but no longer count as current evidence for it',
})
export class UnattachedSourceDevice {
  @Field(() => UnattachedReason, { description: 'Why the record is not a current source of an asset' })
  reason: UnattachedReason;

  @Field({ description: "The record's identifier in the source tool" })
  externalId: string;

  @Field(() => String, { nullable: true, description: 'Host name as the source reports it' })
  hostname: string | null;

  @Field(() => String, { nullable: true, description: "The source tool's own site or group of the record" })
  vendorSite: string | null;

  @Field({ description: 'Timestamp patchgraph first saw the record' })
  firstSeenAt: Date;

  @Field({ description: 'Timestamp a sync last recorded a change to the record: for a stale or deleted device, when it was marked; otherwise when its reason, name or site last changed' })
  lastSeenAt: Date;

  connectorInstanceId: string;
  tenantId: string | null;
  sourceDevice: SourceDevice | null;
}

export const UnattachedSourceDeviceConnection = Connection(UnattachedSourceDevice);

@InputType({ description: 'Filters for unattachedSourceDevices; all given filters must match' })
export class UnattachedSourceDeviceFilterInput {
  @Field(() => [ID], { nullable: true, description: 'Only records of these connector instances' })
  @IsOptional()
  @ArrayMaxSize(500)
  connectorInstanceIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: "Only records of these tenants (an MSP-wide instance's records of unmapped or ignored sites belong to none)" })
  @IsOptional()
  @ArrayMaxSize(500)
  tenantIds?: string[] | null;

  @Field(() => [UnattachedReason], { nullable: true, description: 'Only records with one of these reasons' })
  @IsOptional()
  @ArrayMaxSize(4)
  reasons?: UnattachedReason[] | null;
}

@Resolver(() => UnattachedSourceDevice)
export class UnattachedSourceDeviceResolver {
  @Query(() => UnattachedSourceDeviceConnection, {
    description:
      "Every record a source returned that is not, or no longer, a current source of an asset, with the reason, newest change first: records listed as deleted, records of unmapped or ignored vendor sites, and stale source devices (still attached to their asset, which keeps their history). Records of an MSP-wide instance's unmapped or ignored sites belong to no tenant and are shown only to principals that see every tenant",
  })
  async unattachedSourceDevices(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => UnattachedSourceDeviceFilterInput, { nullable: true, description: 'Filters to apply' }) filter: UnattachedSourceDeviceFilterInput | null,
    @Ctx() { access }: RequestContext,
  ) {
    const tenantIds = keysOf('Tenant', filter?.tenantIds, 'filter.tenantIds');
    if (tenantIds) access.scope.requireVisible(tenantIds, (k) => filter!.tenantIds![tenantIds.indexOf(k)]);
    const f = { tenantIds, connectorInstanceIds: keysOf('ConnectorInstance', filter?.connectorInstanceIds, 'filter.connectorInstanceIds'), reasons: filter?.reasons };
    // The finder's rows carry every field of the type; they are served as they are.
    const result: Page<UnattachedRow> = await access.sourceDevices.unattached(f, page);
    return UnattachedSourceDeviceConnection.of(result, () => access.sourceDevices.countUnattached(f));
  }

  @FieldResolver(() => ConnectorInstance, { nullable: true, description: 'The connector instance that returned the record; null when the caller may not see it (an MSP-wide instance)' })
  connector(@Root() row: UnattachedSourceDevice, @Ctx() { loaders }: RequestContext) {
    return loaders.connectorInstance.load(row.connectorInstanceId);
  }

  @FieldResolver(() => Tenant, { nullable: true, description: "The record's tenant; null for a record of an MSP-wide instance that was never imported" })
  tenant(@Root() row: UnattachedSourceDevice, @Ctx() { loaders }: RequestContext) {
    return row.tenantId ? loaders.tenant.load(row.tenantId) : null;
  }

  @FieldResolver(() => SourceDevice, { nullable: true, description: 'The source device patchgraph keeps for a record it imported before (STALE or DELETED_IN_SOURCE); null for a record never imported' })
  sourceDevice(@Root() row: UnattachedSourceDevice): SourceDevice | null {
    return row.sourceDevice;
  }

  @FieldResolver(() => Asset, { nullable: true, description: 'The asset the stale source device is still attached to, with the history it reported; null for a record never imported' })
  asset(@Root() row: UnattachedSourceDevice, @Ctx() { loaders }: RequestContext) {
    return row.sourceDevice?.assetId ? loaders.asset.load(row.sourceDevice.assetId) : null;
  }
}
