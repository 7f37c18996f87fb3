import { registerEnumType } from 'type-graphql';

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

registerEnumType(IntelKind, {
  name: 'IntelKind',
  description: 'A public vulnerability intelligence feed',
  valuesConfig: {
    KEV: { description: "CISA's Known Exploited Vulnerabilities catalog" },
    MSRC_CVRF: { description: "Microsoft's security update data (an MSRC CVRF document)" },
    CVE_JSON5: { description: 'A CVE record (CVE JSON 5)' },
    EPSS: { description: "FIRST's Exploit Prediction Scoring System scores" },
  },
});
