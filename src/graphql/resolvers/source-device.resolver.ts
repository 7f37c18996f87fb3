import { Arg, Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql';
import { Asset, ConnectorInstance, PatchPostureEvent, SourceDevice } from '../../entities';
import { PatchPostureStatus } from '../../entities/enums';
import { UserInputError } from '../../errors';
import { RequestContext } from '../context';

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
