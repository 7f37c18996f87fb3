/** The public intel formats patchgraph imports. Stored as short strings, like the other enumerations. */
export enum IntelKind {
  /** CISA Known Exploited Vulnerabilities catalog (JSON). */
  KEV = 'KEV',
  /** Microsoft security update data: an MSRC CVRF document (ICASI CVRF 1.1 XML). */
  MSRC_CVRF = 'MSRC_CVRF',
  /** One CVE Record Format 5 record (cvelistV5, vulnrichment). */
  CVE_JSON5 = 'CVE_JSON5',
  /** FIRST EPSS scores (CSV). */
  EPSS = 'EPSS',
}

export const INTEL_KINDS: readonly IntelKind[] = Object.values(IntelKind);
