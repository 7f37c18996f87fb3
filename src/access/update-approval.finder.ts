import { UpdateApproval } from '../entities';
import { Finder, FinderDeps } from './finder';

export class UpdateApprovalFinder extends Finder<UpdateApproval> {
  constructor(deps: FinderDeps) {
    super(deps, UpdateApproval, 'ua', 'tenantId');
  }

  /** Approvals of each update the caller may see, newest first, for the Update.approvals loader. */
  byUpdateIds(updateIds: readonly string[]): Promise<UpdateApproval[]> {
    return this.query()
      .andWhere('ua.updateId IN (:...ids)', { ids: [...updateIds] })
      .orderBy('ua.approvedAt', 'DESC')
      .addOrderBy('ua.id', 'DESC')
      .getMany();
  }
}
