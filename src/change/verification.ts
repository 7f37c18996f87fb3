/**
 * What actually landed: for each target asset and each update of a change, the effective patch state the sources
 * report now (src/sync keeps one effective state per asset and update), reduced to the outcome a change manager
 * reads. A target with no state for an update has not reported it. Pure: the access layer reads the rows.
 */
import { PatchStateValue } from '../entities/enums';

export enum TargetUpdateStatus {
  INSTALLED = 'INSTALLED',
  FAILED = 'FAILED',
  PENDING_REBOOT = 'PENDING_REBOOT',
  /** Reported as still missing (or of unknown state): not installed yet. */
  PENDING = 'PENDING',
  NOT_APPLICABLE = 'NOT_APPLICABLE',
  NOT_REPORTED = 'NOT_REPORTED',
}

export enum SuggestedOutcome {
  COMPLETED = 'COMPLETED',
  PARTIAL = 'PARTIAL',
  FAILED = 'FAILED',
}

export interface ObservedState {
  assetId: string;
  updateId: string;
  state: PatchStateValue;
  changedAt: Date;
  installedAt: Date | null;
}

export interface TargetUpdateResult {
  assetId: string;
  updateId: string;
  status: TargetUpdateStatus;
  /** When the asset entered this status, as patchgraph observed it; null when it has not reported. */
  since: Date | null;
  installedAt: Date | null;
}

export interface Verification {
  results: TargetUpdateResult[];
  total: number;
  installed: number;
  failed: number;
  pendingReboot: number;
  pending: number;
  notApplicable: number;
  notReported: number;
  /** Installed share of the pairs the update applies to (not-applicable ones left out), 0 to 100. */
  percentInstalled: number;
  suggestedOutcome: SuggestedOutcome;
  /** The latest change of state among the targets: when the picture last moved. */
  lastChangeAt: Date | null;
}

const STATUS_OF: Record<PatchStateValue, TargetUpdateStatus> = {
  [PatchStateValue.INSTALLED]: TargetUpdateStatus.INSTALLED,
  [PatchStateValue.FAILED]: TargetUpdateStatus.FAILED,
  [PatchStateValue.PENDING_REBOOT]: TargetUpdateStatus.PENDING_REBOOT,
  [PatchStateValue.MISSING]: TargetUpdateStatus.PENDING,
  [PatchStateValue.UNKNOWN]: TargetUpdateStatus.PENDING,
  [PatchStateValue.NOT_APPLICABLE]: TargetUpdateStatus.NOT_APPLICABLE,
};

export function verify(assetIds: readonly string[], updateIds: readonly string[], observed: readonly ObservedState[]): Verification {
  const byPair = new Map(observed.map((o) => [`${o.assetId}|${o.updateId}`, o]));
  const results: TargetUpdateResult[] = [];
  for (const assetId of assetIds) {
    for (const updateId of updateIds) {
      const o = byPair.get(`${assetId}|${updateId}`);
      results.push(o
        ? { assetId, updateId, status: STATUS_OF[o.state], since: o.changedAt, installedAt: o.state === PatchStateValue.INSTALLED ? (o.installedAt ?? o.changedAt) : null }
        : { assetId, updateId, status: TargetUpdateStatus.NOT_REPORTED, since: null, installedAt: null });
    }
  }
  const count = (s: TargetUpdateStatus) => results.filter((r) => r.status === s).length;
  const installed = count(TargetUpdateStatus.INSTALLED);
  const notApplicable = count(TargetUpdateStatus.NOT_APPLICABLE);
  const applicable = results.length - notApplicable;
  const times = results.map((r) => r.since?.getTime()).filter((t): t is number => t !== undefined);
  return {
    results,
    total: results.length,
    installed,
    failed: count(TargetUpdateStatus.FAILED),
    pendingReboot: count(TargetUpdateStatus.PENDING_REBOOT),
    pending: count(TargetUpdateStatus.PENDING),
    notApplicable,
    notReported: count(TargetUpdateStatus.NOT_REPORTED),
    percentInstalled: applicable === 0 ? 100 : Math.round((installed / applicable) * 1000) / 10,
    suggestedOutcome: installed === applicable ? SuggestedOutcome.COMPLETED : installed === 0 ? SuggestedOutcome.FAILED : SuggestedOutcome.PARTIAL,
    lastChangeAt: times.length ? new Date(Math.max(...times)) : null,
  };
}
