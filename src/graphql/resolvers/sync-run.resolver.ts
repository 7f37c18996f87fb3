import { Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql';
import { ConnectorInstance, SyncRun } from '../../entities';
import { parseCounts } from '../../sync/sync-engine';
import { RequestContext } from '../context';
import { Connection } from '../types/connection';

export const SyncRunConnection = Connection(SyncRun);

@ObjectType({ description: 'Records of one stream a sync run read, and what it wrote' })
class StreamCounts {
  @Field(() => Int, { description: 'Records the source returned' })
  seen: number;

  @Field(() => Int, { description: 'Records that were new' })
  created: number;

  @Field(() => Int, { description: 'Records that existed and changed' })
  changed: number;
}

@ObjectType({ description: 'Devices a sync run read, and what it wrote' })
class DeviceCounts extends StreamCounts {
  @Field(() => Int, { description: 'Devices marked stale because a complete full sync no longer returned them' })
  stale: number;

  @Field(() => Int, { description: "Devices an MSP-wide instance read in vendor sites not mapped to a tenant; they are not imported until the site is mapped" })
  unmapped: number;
}

@ObjectType({ description: 'Assets a sync run created or changed' })
class AssetCounts {
  @Field(() => Int, { description: 'Assets created for devices no existing asset matched' })
  created: number;

  @Field(() => Int, { description: 'Existing assets whose derived fields changed' })
  changed: number;
}

@ObjectType({ description: 'What a sync run saw and changed; all zero when a failed run wrote nothing' })
class SyncRunCounts {
  @Field(() => DeviceCounts, { description: 'Source devices' })
  devices: DeviceCounts;

  @Field(() => StreamCounts, { description: 'Update catalog entries' })
  updates: StreamCounts;

  @Field(() => StreamCounts, { description: 'Patch states' })
  patchStates: StreamCounts;

  @Field(() => AssetCounts, { description: 'Assets' })
  assets: AssetCounts;

  @Field(() => Int, { description: 'Patch events written, one per real state transition' })
  events: number;
}

@Resolver(() => SyncRun)
export class SyncRunResolver {
  @FieldResolver(() => ConnectorInstance, { nullable: true, description: 'The connector instance that ran' })
  connector(@Root() run: SyncRun, @Ctx() { loaders }: RequestContext) {
    return loaders.connectorInstance.load(run.connectorInstanceId);
  }

  @FieldResolver(() => SyncRunCounts, { description: 'Counts of records seen, created and changed' })
  counts(@Root() run: SyncRun): SyncRunCounts {
    return parseCounts(run);
  }
}
