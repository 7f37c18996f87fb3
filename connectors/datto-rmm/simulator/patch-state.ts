/**
 * Datto's device-level patch summary, kept consistent: a status and the counts that go with it, and where a status
 * goes as time passes.
 */
import type { PatchManagement, PatchStatus } from './device';
import type { SeededRandom } from '../../sdk/testkit/seeded-random';

/** Counts that agree with the status: nothing pending when fully patched, something pending when approved-pending. */
export function patchCounts(r: SeededRandom, status: PatchStatus): PatchManagement {
  const installed = r.between(90, 420);
  switch (status) {
    case 'FullyPatched':
      return { patchStatus: status, patchesApprovedPending: 0, patchesNotApproved: r.between(0, 4), patchesInstalled: installed };
    case 'ApprovedPending':
      return { patchStatus: status, patchesApprovedPending: r.between(1, 14), patchesNotApproved: r.between(0, 6), patchesInstalled: installed };
    case 'RebootRequired':
      // Installed and waiting for the restart that completes them.
      return { patchStatus: status, patchesApprovedPending: 0, patchesNotApproved: r.between(0, 3), patchesInstalled: installed };
    case 'InstallError':
      // The failed patches stay approved and pending.
      return { patchStatus: status, patchesApprovedPending: r.between(1, 5), patchesNotApproved: r.between(0, 4), patchesInstalled: installed };
    case 'NoPolicy':
    case 'NoData':
      return { patchStatus: status, patchesApprovedPending: 0, patchesNotApproved: 0, patchesInstalled: 0 };
  }
}

/** Where a patch state goes next: pending patches get installed; a fully patched machine gets a new month's. */
export function nextPatchState(r: SeededRandom, current: PatchManagement): PatchManagement {
  switch (current.patchStatus) {
    case 'ApprovedPending':
    case 'InstallError':
    case 'RebootRequired':
      return {
        patchStatus: 'FullyPatched',
        patchesApprovedPending: 0,
        patchesNotApproved: current.patchesNotApproved,
        patchesInstalled: (current.patchesInstalled ?? 0) + Math.max(current.patchesApprovedPending ?? 0, 1),
      };
    case 'FullyPatched':
      return { ...current, patchStatus: 'ApprovedPending', patchesApprovedPending: r.between(1, 6) };
    default:
      // A policy now covers it, or its first patch scan came in.
      return patchCounts(r, 'ApprovedPending');
  }
}
