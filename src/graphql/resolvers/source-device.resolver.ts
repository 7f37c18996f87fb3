import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Asset, ConnectorInstance, SourceDevice } from '../../entities';
import { RequestContext } from '../context';

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
}
