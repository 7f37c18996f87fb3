/**
 * Whether the next deployment ring may start: the ring before it must have enough members with the change's updates
 * installed (minDevices), a high enough share of its reporting members installed (minSuccessRate), and have run
 * with them for the soak time since its last install. Every unmet criterion is named, so "no" says why.
 */
import { TargetUpdateStatus, Verification } from './verification';

export interface PromotionCriteria {
  minSuccessRate: number;
  minDevices: number;
  soakHours: number;
}

export interface PromotionDecision {
  mayStart: boolean;
  reasons: string[];
  devicesInstalled: number;
  successRate: number;
  /** When the soak time is over: the ring's last install plus soakHours; null while nothing is installed. */
  soakEndsAt: Date | null;
}

export function decidePromotion(criteria: PromotionCriteria, ringVerification: Verification, now: Date): PromotionDecision {
  // A device counts as done when every update of the change is installed (or does not apply) on it.
  const byAsset = new Map<string, TargetUpdateStatus[]>();
  for (const r of ringVerification.results) byAsset.set(r.assetId, [...(byAsset.get(r.assetId) ?? []), r.status]);
  const reporting = [...byAsset.values()].filter((s) => s.every((x) => x !== TargetUpdateStatus.NOT_REPORTED));
  const done = reporting.filter((s) => s.every((x) => x === TargetUpdateStatus.INSTALLED || x === TargetUpdateStatus.NOT_APPLICABLE));
  const successRate = reporting.length === 0 ? 0 : done.length / reporting.length;
  const installs = ringVerification.results.map((r) => r.installedAt?.getTime()).filter((t): t is number => t !== undefined);
  const soakEndsAt = installs.length ? new Date(Math.max(...installs) + criteria.soakHours * 3600_000) : null;

  const reasons: string[] = [];
  if (done.length < criteria.minDevices) reasons.push(`${done.length} of the ${criteria.minDevices} devices required have the updates installed`);
  if (successRate < criteria.minSuccessRate) {
    reasons.push(`success rate ${pct(successRate)} of ${reporting.length} reporting devices is below the ${pct(criteria.minSuccessRate)} required`);
  }
  if (!soakEndsAt) reasons.push('nothing is installed yet, so the soak time has not begun');
  else if (soakEndsAt > now) reasons.push(`the ring soaks until ${soakEndsAt.toISOString()} (${criteria.soakHours} h after its last install)`);
  if (reasons.length === 0) {
    reasons.push(`${done.length} devices installed, success rate ${pct(successRate)}, soaked since ${soakEndsAt!.toISOString()}`);
    return { mayStart: true, reasons, devicesInstalled: done.length, successRate, soakEndsAt };
  }
  return { mayStart: false, reasons, devicesInstalled: done.length, successRate, soakEndsAt };
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
