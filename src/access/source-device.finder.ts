import { SourceDevice } from '../entities';
import { Finder, FinderDeps } from './finder';

export class SourceDeviceFinder extends Finder<SourceDevice> {
  constructor(deps: FinderDeps) {
    super(deps, SourceDevice, 'sd', 'tenantId');
  }

  /** Source devices of each asset, for the Asset.sources loader. */
  byAssetIds(assetIds: readonly string[]): Promise<SourceDevice[]> {
    return this.query()
      .andWhere('sd.assetId IN (:...ids)', { ids: [...assetIds] })
      .orderBy('sd.firstSeenAt', 'ASC')
      .addOrderBy('sd.id', 'ASC')
      .getMany();
  }
}
