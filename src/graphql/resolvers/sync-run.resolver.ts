import { Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql';
import { ConnectorInstance, SyncRun } from '../../entities';
import { roleMay } from '../../auth/permissions';
import { parseCounts } from '../../sync/run-counts';
import { RequestContext } from '../context';
import { Connection } from '../types/connection';

export const SyncRunConnection = Connection(SyncRun);

@ObjectType({ description: 'Records of one stream a sync run read, and what it wrote' })
class StreamCounts {
  @Field(() => Int, { description: 'Records the source returned, including those the run did not import' })
  seen: number;

  @Field(() => Int, { description: 'Records that were new' })
  created: number;

  @Field(() => Int, { description: 'Records that existed and changed' })
  changed: number;
}

@ObjectType({
  description:
    'Devices a sync run read, and what it wrote. Every record the source returned is in seen; deleted, unmapped and ignored say which of them were not imported (unattachedSourceDevices lists them)',
})
class DeviceCounts extends StreamCounts {
  @Field(() => Int, { description: 'Stored devices the run marked stale: a complete full sync no longer returned them, or the source listed them as deleted' })
  stale: number;

  @Field(() => Int, { description: 'Records the source listed as deleted (e.g. in Datto RMM\'s "Deleted Devices" site); never imported, and a device imported before is marked stale' })
  deleted: number;

  @Field(() => Int, { description: "Devices an MSP-wide instance read in vendor sites not mapped to a tenant; they are not imported until the site is mapped" })
  unmapped: number;

  @Field(() => Int, { description: 'Devices an MSP-wide instance read in vendor sites an operator chose never to import' })
  ignored: number;
}

@ObjectType({ description: 'Patch states a sync run read, and what it wrote' })
class PatchStateCounts extends StreamCounts {
  @Field(() => Int, { description: 'States of devices the run did not import (listed as deleted, or in unmapped or ignored vendor sites): counted, never written' })
  dropped: number;
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

  @Field(() => PatchStateCounts, { description: 'Patch states' })
  patchStates: PatchStateCounts;

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

  // The field and its description are the entity's (SyncRun.triggeredBy); this only decides who reads it.
  @FieldResolver(() => String, { nullable: true })
  triggeredBy(@Root() run: SyncRun, @Ctx() { principal }: RequestContext): string | null {
    return roleMay(principal.role, 'SyncRun.triggeredBy') ? run.triggeredBy : null;
  }

  @FieldResolver(() => String, { nullable: true })
  errorMessage(@Root() run: SyncRun, @Ctx() { principal }: RequestContext): string | null {
    if (run.errorMessage === null || roleMay(principal.role, 'SyncRun.errorMessage')) return run.errorMessage;
    return `the sync failed (${run.errorKind ?? 'internal'}); your MSP can see the details`;
  }
}

