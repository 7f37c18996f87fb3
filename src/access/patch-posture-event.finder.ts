import { PatchPostureEvent } from '../entities';
import { Finder, FinderDeps } from './finder';

export class PatchPostureEventFinder extends Finder<PatchPostureEvent> {
  constructor(deps: FinderDeps) {
    super(deps, PatchPostureEvent, 'ppe', 'tenantId');
  }

  /** Posture history of each source device, newest first, for the SourceDevice.patchPostureHistory loader. */
  bySourceDeviceIds(sourceDeviceIds: readonly string[]): Promise<PatchPostureEvent[]> {
    return this.query()
      .andWhere('ppe.sourceDeviceId IN (:...ids)', { ids: [...sourceDeviceIds] })
      .orderBy('ppe.observedAt', 'DESC')
      .addOrderBy('ppe.id', 'DESC')
      .getMany();
  }
}
