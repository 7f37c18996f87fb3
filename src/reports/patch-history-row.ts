/**
 * One row of the patch history report: one patch event that matters, with what an auditor needs to read it on its
 * own. Every format (GraphQL, CSV, JSON Lines, PDF) is written from these rows, with these names; the keys are in the
 * order the formats show them. Times are ISO 8601 UTC text, ids the API's global ids.
 */
export interface PatchHistoryRow {
  /** The patch event (a PatchEvent global id). */
  eventId: string;
  tenant: string;
  site: string | null;
  /** The asset the event's source device belongs to (an Asset global id); null if the device belongs to none now. */
  assetId: string | null;
  hostname: string | null;
  serialNumber: string | null;
  kb: string | null;
  updateTitle: string;
  classification: string;
  severity: string;
  cves: CveFact[];
  transition: string;
  fromState: string | null;
  toState: string;
  /** The time the source tool reported for the change, when it reported one. */
  reportedAt: string | null;
  /** The time patchgraph observed the change (the sync run's time). */
  observedAt: string;
  /** The connector kind that saw it, e.g. "wsus". */
  sourceTool: string;
  connectorName: string;
  /** The sync run that recorded the event (a SyncRun global id). */
  syncRunId: string | null;
  /** REPORTED per update by an agent, or DERIVED from the OS build, as the source knew it when the event was observed. */
  evidence: string;
  /** The reference of the change record the event belongs to (src/reports/change-attribution.ts); null when none. */
  changeRecord: string | null;
  /** With a policy: when the fix was due on this asset under it (the earliest of its rules); null outside its scope. */
  policyDueAt: string | null;
  /**
   * With a policy: whether the fix was installed by then; null when that is not known (first seen installed only after
   * it, or not due yet at knownAt and not installed).
   */
  policyDueMet: boolean | null;
}

export interface CveFact {
  cveId: string;
  cvss: number | null;
  /** Date (YYYY-MM-DD) CISA added the CVE to its Known Exploited Vulnerabilities catalog. */
  kevDateAdded: string | null;
  epss: number | null;
}
