/**
 * Patch states from a build number. Graph has no per-device list of missing updates; what it does have for every
 * Windows device is `osVersion`, whose revision rises with each cumulative update. A device at or past the
 * revision an update shipped in has it; below it, it lacks it. That is evidence of a different kind than an agent
 * reporting each update (WSUS), so every state says DERIVED.
 */
import type { PatchStateRecord } from '../sdk/contract';
import { CumulativeUpdate, updateKey } from './update-catalog';
import type { WindowsBuild } from '../sdk/windows-builds';

/** The catalog by release build: which updates a device on that build can have, at which revision. */
export class BuildIndex {
  private readonly byBuild = new Map<number, Array<{ update: CumulativeUpdate; revision: number }>>();

  constructor(catalog: CumulativeUpdate[]) {
    for (const update of catalog) {
      for (const [build, revision] of update.fixedRevisions) {
        this.byBuild.set(build, [...(this.byBuild.get(build) ?? []), { update, revision }]);
      }
    }
  }

  /** Whether the catalog knows the release at all: if not, nothing can be said about the device's updates. */
  knows(build: number): boolean {
    return this.byBuild.has(build);
  }

  deriveStates(deviceExternalId: string, windows: WindowsBuild): PatchStateRecord[] {
    return (this.byBuild.get(windows.build) ?? []).map(({ update, revision }) => ({
      deviceExternalId,
      updateKey: updateKey(update.kb),
      state: windows.revision >= revision ? 'INSTALLED' : 'MISSING',
      evidence: 'DERIVED',
    }));
  }
}
