import { PatchStateValue } from '../entities/enums';

/**
 * What a patch event means to an auditor. A patch event records a source's state of one update on one device
 * changing from one PatchStateValue to another; most changes tell an auditor one of these things, and the rest
 * (a failure record clearing while the update stays missing, an update becoming UNKNOWN or first seen NOT_APPLICABLE)
 * do not matter to the report and are left out of it.
 */
export enum PatchTransition {
  /** The device needs the update: first reported missing, or missing after having been not applicable or unknown. */
  FIRST_SEEN_MISSING = 'FIRST_SEEN_MISSING',
  /** Installed, after having been missing, failed, pending a restart, not applicable or unknown. */
  INSTALLED = 'INSTALLED',
  /** Already installed when the source first reported the update on the device. */
  FIRST_SEEN_INSTALLED = 'FIRST_SEEN_INSTALLED',
  /** An installation was attempted and failed. */
  FAILED = 'FAILED',
  /** Installed, waiting for a restart to take effect. */
  PENDING_REBOOT = 'PENDING_REBOOT',
  /** Missing again after having been installed (or installed pending a restart): uninstalled or reverted. */
  ROLLED_BACK = 'ROLLED_BACK',
  /** No longer applies while still not installed (superseded, or the product was removed): the need closed without an install. */
  NO_LONGER_APPLICABLE = 'NO_LONGER_APPLICABLE',
}

const S = PatchStateValue;
type From = PatchStateValue | null;

/**
 * The one table: (from, to) → transition. `null` as from is the source's first report of the update on the device.
 * Every pair not listed does not matter to the report. The SQL expression below is generated from this table, so
 * the report's rows and its filters cannot disagree.
 */
const TABLE: ReadonlyArray<{ to: PatchStateValue; from: readonly From[]; transition: PatchTransition }> = [
  { to: S.MISSING, from: [null, S.NOT_APPLICABLE, S.UNKNOWN], transition: PatchTransition.FIRST_SEEN_MISSING },
  { to: S.MISSING, from: [S.INSTALLED, S.PENDING_REBOOT], transition: PatchTransition.ROLLED_BACK },
  { to: S.INSTALLED, from: [null], transition: PatchTransition.FIRST_SEEN_INSTALLED },
  { to: S.INSTALLED, from: [S.MISSING, S.FAILED, S.PENDING_REBOOT, S.NOT_APPLICABLE, S.UNKNOWN], transition: PatchTransition.INSTALLED },
  { to: S.FAILED, from: [null, S.MISSING, S.PENDING_REBOOT, S.INSTALLED, S.NOT_APPLICABLE, S.UNKNOWN], transition: PatchTransition.FAILED },
  { to: S.PENDING_REBOOT, from: [null, S.MISSING, S.FAILED, S.INSTALLED, S.NOT_APPLICABLE, S.UNKNOWN], transition: PatchTransition.PENDING_REBOOT },
  { to: S.NOT_APPLICABLE, from: [S.MISSING, S.FAILED, S.PENDING_REBOOT], transition: PatchTransition.NO_LONGER_APPLICABLE },
];

export const TRANSITIONS: readonly PatchTransition[] = Object.values(PatchTransition);

/** The transition a change from `from` to `to` is, or null when it does not matter to the report. */
export function transitionOf(from: From, to: PatchStateValue): PatchTransition | null {
  return TABLE.find((r) => r.to === to && r.from.includes(from))?.transition ?? null;
}

/** The (from, to) pairs of some transitions, for a WHERE clause. */
function pairsOf(transitions: readonly PatchTransition[]): Array<{ to: PatchStateValue; from: readonly From[] }> {
  return TABLE.filter((r) => transitions.includes(r.transition));
}

/**
 * A SQL condition over a patch_event row aliased `alias` that holds exactly for the transitions given. The states are
 * enum constants, inlined rather than bound, so the statement stays one shape per filter.
 */
export function transitionCondition(alias: string, transitions: readonly PatchTransition[]): string {
  const pairs = pairsOf(transitions);
  if (pairs.length === 0) return '1 = 0';
  return `(${pairs
    .map((p) => {
      const named = p.from.filter((f): f is PatchStateValue => f !== null).map((f) => `'${f}'`);
      const fromParts = [named.length ? `${alias}.fromState IN (${named.join(', ')})` : null, p.from.includes(null) ? `${alias}.fromState IS NULL` : null].filter(Boolean);
      return `(${alias}.toState = '${p.to}' AND (${fromParts.join(' OR ')}))`;
    })
    .join(' OR ')})`;
}
