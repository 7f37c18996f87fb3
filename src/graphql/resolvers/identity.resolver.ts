import { Arg, Ctx, Field, FieldResolver, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { Asset, SourceDevice } from '../../entities';
import { RequestContext } from '../context';
import { MergeAssetsInput, SplitAssetInput } from '../inputs/connector.input';
import { keyOf } from '../types/global-id';

@ObjectType({ description: 'One identifier value that decided a match' })
class MatchValue {
  @Field({ description: 'Identifier, e.g. serialNumber, azureAdDeviceId, macAddress, hostname or pinnedAssetId' })
  name: string;

  @Field({ description: 'Normalised value that matched' })
  value: string;
}

@ObjectType({ description: 'How identity resolution linked a source device to its asset' })
class IdentityMatch {
  @Field({ description: 'Rule that decided: MANUAL, AZURE_AD_DEVICE_ID, SERIAL_NUMBER, SMBIOS_UUID, MAC_ADDRESS, HOSTNAME, or NEW (no asset matched)' })
  rule: string;

  @Field(() => [MatchValue], { description: 'Identifier values the rule matched on' })
  values: MatchValue[];

  @Field(() => [String], { description: 'Candidates rejected or rules found ambiguous on the way, and why' })
  conflicts: string[];
}

function parseMatch(stored: string | null): IdentityMatch | null {
  if (!stored) return null;
  try {
    const m = JSON.parse(stored) as { rule: string; values?: Record<string, string>; conflicts?: string[] };
    return { rule: m.rule, values: Object.entries(m.values ?? {}).map(([name, value]) => ({ name, value: String(value) })), conflicts: m.conflicts ?? [] };
  } catch {
    // Written before explanations were structured: a bare rule name.
    return { rule: stored, values: [], conflicts: [] };
  }
}

@Resolver(() => SourceDevice)
export class IdentityResolver {
  @FieldResolver(() => IdentityMatch, { nullable: true, description: 'How identity resolution matched this device to its asset' })
  matchedBy(@Root() device: SourceDevice): IdentityMatch | null {
    return parseMatch(device.matchedBy);
  }

  @FieldResolver(() => Boolean, { description: 'Indicates an operator pinned the device to its asset (mergeAssets or splitAsset)' })
  manuallyLinked(@Root() device: SourceDevice): boolean {
    return device.pinnedAssetId !== null && device.pinnedAssetId === device.assetId;
  }
  @Mutation(() => Asset, { description: 'Merges assets that are one machine; later syncs keep them merged' })
  mergeAssets(@Arg('input', { description: 'The asset to keep and the assets to merge into it' }) input: MergeAssetsInput, @Ctx() { access }: RequestContext) {
    return access.identityAdmin.mergeAssets(
      keyOf('Asset', input.targetAssetId, 'input.targetAssetId'),
      input.assetIds.map((id, i) => keyOf('Asset', id, `input.assetIds[${i}]`)),
    );
  }
  @Mutation(() => Asset, { description: 'Moves source devices of an asset onto a new asset; later syncs keep them apart. Returns the new asset' })
  splitAsset(@Arg('input', { description: 'The asset and the source devices to split off' }) input: SplitAssetInput, @Ctx() { access }: RequestContext) {
    return access.identityAdmin.splitAsset(
      keyOf('Asset', input.assetId, 'input.assetId'),
      input.sourceDeviceIds.map((id, i) => keyOf('SourceDevice', id, `input.sourceDeviceIds[${i}]`)),
    );
  }
}
