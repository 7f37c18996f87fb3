/**
 * What each computer reports for each update (vUpdateInstallationInfoBasic.State). A cumulative update's state
 * follows from the build: installed once the computer's revision reaches the update's fixed revision, else missing,
 * with the newest missing one showing the computer's trouble (downloaded, failed, awaiting a restart). Other updates
 * are mostly installed, more often the longer they have been out and the better kept the computer is.
 */
import type { SimComputer } from './computer';
import type { SeededRandom } from '../../sdk/testkit/seeded-random';
import { DAY } from './susdb-time';
import type { SimUpdate } from './update';

export const UNKNOWN = 0;
export const NOT_APPLICABLE = 1;
export const NOT_INSTALLED = 2;
export const DOWNLOADED = 3;
export const INSTALLED = 4;
export const FAILED = 5;
export const PENDING_REBOOT = 6;

/** States that mean "still missing" (vendor-apis §3). */
export const MISSING_STATES: ReadonlySet<number> = new Set([NOT_INSTALLED, DOWNLOADED, FAILED, PENDING_REBOOT]);

export function applies(c: SimComputer, u: SimUpdate): boolean {
  if (u.release !== null) return u.release === c.release.build;
  if (u.makes !== null) return c.release.driverProduct !== null && !c.virtual && c.make !== null && u.makes.includes(c.make);
  return true;
}

/** WSUS has a status only once the computer has reported after the server got the update; before that it is 0. */
export const scanned = (c: SimComputer, u: SimUpdate): boolean => c.lastReport !== null && u.arrival <= c.lastReport;

const cumulativeMissing = (c: SimComputer, u: SimUpdate) => u.kind === 'cumulative' && applies(c, u) && scanned(c, u) && u.fixedRevision! > c.revision;

/** Every update's state on `c`, by update index. */
export function reportedStates(r: SeededRandom, c: SimComputer, updates: readonly SimUpdate[]): Uint8Array {
  let newestMissing = -1;
  updates.forEach((u, j) => {
    if (cumulativeMissing(c, u) && (newestMissing < 0 || u.fixedRevision! > updates[newestMissing].fixedRevision!)) newestMissing = j;
  });
  const states = new Uint8Array(updates.length);
  updates.forEach((u, j) => {
    if (!scanned(c, u)) states[j] = UNKNOWN;
    else if (!applies(c, u)) states[j] = NOT_APPLICABLE;
    else if (u.kind === 'cumulative') states[j] = u.fixedRevision! <= c.revision ? INSTALLED : j === newestMissing ? c.trouble : NOT_INSTALLED;
    else states[j] = otherState(r, c, u, newestMissing < 0);
  });
  return states;
}

function otherState(r: SeededRandom, c: SimComputer, u: SimUpdate, current: boolean): number {
  const age = c.lastReport! - u.arrival;
  const installed = u.kind === 'definition' ? 0.85 : current ? 0.93 : age > 30 * DAY ? 0.85 : age > 3 * DAY ? 0.55 : 0.3;
  if (r.chance(installed)) return INSTALLED;
  if (c.trouble === PENDING_REBOOT && u.restart && r.chance(0.6)) return PENDING_REBOOT;
  if ((c.trouble === FAILED || c.trouble === DOWNLOADED) && r.chance(0.5)) return c.trouble;
  return r.chance(0.1) ? DOWNLOADED : NOT_INSTALLED;
}
