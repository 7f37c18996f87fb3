/**
 * Which records of one connector instance share a serial while both are live. A BIOS serial copied into a cloned
 * VM (VMware "VMware-42 1a 2b …", Hyper-V, golden images) is held by two machines that check in side by side; a
 * re-enrolled laptop leaves its old record behind, which goes quiet before the new one enrols. Only the first
 * makes the serial useless for identity.
 *
 * Two records were live at the same time when their lives overlapped: each checked in more than a day after the
 * other enrolled. Once both enrolment times and check-ins are known that answer stands, even after one of them goes
 * inactive or is deleted: a retired clone's twin is still another machine. A record that last checked in before
 * (or within a day after: the old record's last report racing the re-image) the other enrolled is a re-enrolment.
 * Where a tool gives no enrolment time nothing is proved either way, and two current records sharing a serial
 * count as clones until one of them goes out of date.
 */
import { normaliseSerial, normaliseSmbiosUuid } from './normalise';

export interface SerialHolder {
  sourceId: string;
  serialNumber: string | null;
  /** Copied by imaging and VM templates just as the serial is, so it is voided by the same rule. */
  smbiosUuid?: string | null;
  /** Inactive or stale: what the tool says of it is out of date (decides only where enrolment times are missing). */
  outOfDate: boolean;
  lastCheckInAt: Date | null;
  enrolledAt: Date | null;
}

/** The old record's last report may race the re-image by hours; a longer overlap is two machines. */
const OVERLAP_GRACE_MS = 24 * 3_600_000;

const endedBefore = (a: SerialHolder, b: SerialHolder): boolean =>
  a.lastCheckInAt !== null && b.enrolledAt !== null && a.lastCheckInAt.getTime() < b.enrolledAt.getTime() + OVERLAP_GRACE_MS;

const lifeKnown = (r: SerialHolder): boolean => r.lastCheckInAt !== null && r.enrolledAt !== null;

export function liveAtOnce(a: SerialHolder, b: SerialHolder): boolean {
  if (endedBefore(a, b) || endedBefore(b, a)) return false;
  if (lifeKnown(a) && lifeKnown(b)) return true;
  return !a.outOfDate && !b.outOfDate;
}

/**
 * The other live records sharing a record's identifier, listed when asked. Held as lists, a clone group of n records
 * (thousands of machines imaged with one bogus serial) held n² ids at once: 20,000 of them would take gigabytes.
 */
export interface SharedIdentifier {
  /** The other records' ids, sorted. */
  others(): string[];
}

/** For each record whose serial another live record of the same instance also reports: those records. */
export function serialsSharedByLiveRecords(records: Iterable<SerialHolder>): Map<string, SharedIdentifier> {
  return sharedByLiveRecords(records, (r) => normaliseSerial(r.serialNumber));
}

/** For each record whose SMBIOS UUID another live record of the same instance also reports: those records. */
export function smbiosUuidsSharedByLiveRecords(records: Iterable<SerialHolder>): Map<string, SharedIdentifier> {
  return sharedByLiveRecords(records, (r) => normaliseSmbiosUuid(r.smbiosUuid));
}

function sharedByLiveRecords(records: Iterable<SerialHolder>, valueOf: (r: SerialHolder) => string | null): Map<string, SharedIdentifier> {
  const bySerial = new Map<string, SerialHolder[]>();
  for (const r of records) {
    const serial = valueOf(r);
    if (!serial) continue;
    const holders = bySerial.get(serial);
    if (holders) holders.push(r);
    else bySerial.set(serial, [r]);
  }
  const out = new Map<string, SharedIdentifier>();
  for (const holders of bySerial.values()) {
    if (holders.length < 2) continue;
    for (const a of holders) {
      const sharesWith = (b: SerialHolder) => b !== a && liveAtOnce(a, b);
      if (holders.some(sharesWith)) out.set(a.sourceId, { others: () => holders.filter(sharesWith).map((b) => b.sourceId).sort() });
    }
  }
  return out;
}
