/**
 * Which records of one connector instance share a serial while both are live. A BIOS serial copied into a cloned
 * VM (VMware "VMware-42 1a 2b …", Hyper-V, golden images) is held by two machines that check in side by side; a
 * re-enrolled laptop leaves its old record behind, which goes quiet before the new one enrols. Only the first
 * makes the serial useless for identity.
 *
 * Two records are live at the same time unless one of them is out of date (inactive or stale) or their lives
 * provably do not overlap: one last checked in before the other enrolled. Where the tool gives no enrolment time
 * nothing is proved, so two active records sharing a serial count as clones until one goes inactive.
 */
import { normaliseSerial } from './normalise';

export interface SerialHolder {
  sourceId: string;
  serialNumber: string | null;
  /** Inactive or stale: what the tool says of it is out of date. */
  outOfDate: boolean;
  lastCheckInAt: Date | null;
  enrolledAt: Date | null;
}

const endedBefore = (a: SerialHolder, b: SerialHolder): boolean =>
  a.lastCheckInAt !== null && b.enrolledAt !== null && a.lastCheckInAt.getTime() < b.enrolledAt.getTime();

export function liveAtOnce(a: SerialHolder, b: SerialHolder): boolean {
  if (a.outOfDate || b.outOfDate) return false;
  return !endedBefore(a, b) && !endedBefore(b, a);
}

/** For each record whose serial another live record of the same instance also reports: those records' ids. */
export function serialsSharedByLiveRecords(records: Iterable<SerialHolder>): Map<string, string[]> {
  const bySerial = new Map<string, SerialHolder[]>();
  for (const r of records) {
    const serial = normaliseSerial(r.serialNumber);
    if (!serial || r.outOfDate) continue;
    bySerial.set(serial, [...(bySerial.get(serial) ?? []), r]);
  }
  const out = new Map<string, string[]>();
  for (const holders of bySerial.values()) {
    if (holders.length < 2) continue;
    for (const a of holders) {
      const others = holders.filter((b) => b !== a && liveAtOnce(a, b)).map((b) => b.sourceId);
      if (others.length) out.set(a.sourceId, others.sort());
    }
  }
  return out;
}
