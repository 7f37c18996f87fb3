import { GraphQLLocalDate } from 'graphql-scalars';
import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { assetClassByRule, AssetClass as AssetClassName } from '../../compliance/asset-class';
import { Asset } from '../../entities';
import { RequestContext } from '../context';
import { AssetClass, AssetClassSource } from '../types/compliance-admin.types';
import { keyOf } from '../types/global-id';

/** The per-asset facts compliance rules read, and the mutations that set them by hand. */
@Resolver(() => Asset)
export class AssetComplianceSettingsResolver {
  @FieldResolver(() => AssetClass, { description: 'The asset\'s class as policies use it: the one set by hand, else the rule\'s (a Windows Server OS is SERVER, anything else WORKSTATION)' })
  assetClass(@Root() asset: Asset): AssetClassName {
    return (asset.assetClassOverride as AssetClassName | null) ?? assetClassByRule(asset.osName);
  }

  @FieldResolver(() => AssetClassSource, { description: 'Whether assetClass was set by hand or comes from the rule' })
  assetClassSource(@Root() asset: Asset): AssetClassSource {
    return asset.assetClassOverride ? AssetClassSource.MANUAL : AssetClassSource.RULE;
  }

  @FieldResolver(() => GraphQLLocalDate, { nullable: true, description: 'Extended Security Updates cover the asset until this date: its OS counts as supported until then' })
  esuUntil(@Root() asset: Asset): string | null {
    return asset.esuUntil;
  }

  @Mutation(() => Asset, { description: 'Sets the asset\'s class by hand (e.g. INTERNET_FACING_SERVER, which no source can tell); null returns it to the rule' })
  setAssetClass(
    @Arg('assetId', () => ID, { description: 'Id of the asset' }) assetId: string,
    @Arg('assetClass', () => AssetClass, { nullable: true, description: 'The class, or null for the rule\'s' }) assetClass: AssetClassName | null,
    @Ctx() { access }: RequestContext,
  ) {
    return access.complianceAdmin.setAssetClass(keyOf('Asset', assetId, 'assetId'), assetClass ?? null);
  }

  @Mutation(() => Asset, { description: 'Records that Extended Security Updates cover the asset until a date, so an OS past its end of servicing counts as supported until then; null ends that' })
  setAssetEsu(
    @Arg('assetId', () => ID, { description: 'Id of the asset' }) assetId: string,
    @Arg('esuUntil', () => GraphQLLocalDate, { nullable: true, description: 'Last day covered (YYYY-MM-DD), or null' }) esuUntil: string | null,
    @Ctx() { access }: RequestContext,
  ) {
    return access.complianceAdmin.setAssetEsu(keyOf('Asset', assetId, 'assetId'), esuUntil ?? null);
  }
}
