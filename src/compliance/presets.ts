import { PolicyDefinition } from './policy-definition';

/**
 * The built-in framework presets, each with the line of the framework it implements and its real numbers.
 * Microsoft rates updates Critical, Important, Moderate or Low: "high" in a framework's words is Important.
 * Keys are stable: assignments and results name them.
 */
export const PRESETS: Readonly<Record<string, PolicyDefinition>> = {
  'cyber-essentials-v3.3': {
    name: 'UK Cyber Essentials v3.3 (Danzell)',
    description: 'High-risk and critical fixes within 14 days of release; unsupported software fails.',
    source: 'NCSC/IASME, Cyber Essentials: Requirements for IT Infrastructure v3.3 (from 27 April 2026), Security update management: '
      + 'updates rated critical or high risk by the vendor, fixing a vulnerability with a CVSS v3 base score of 7 or above, or for which '
      + 'the vendor gives no severity, are installed within 14 days of release; software that is no longer supported is removed or isolated.',
    timeZone: 'Europe/London',
    dueSoonHours: 72,
    findingRules: [
      {
        id: 'high-risk-14d',
        description: 'Vendor-rated critical or high (Important), CVSS v3 7.0 or above, or unrated: 14 days from release',
        scope: { vendorSeverity: ['CRITICAL', 'IMPORTANT'], cvssAtLeast: 7, unrated: true },
        clockStart: 'RELEASE',
        allowance: { days: 14 },
      },
    ],
    deviceRules: [{ kind: 'UNSUPPORTED_OS', outcome: 'NON_COMPLIANT' }, { kind: 'NOT_HEARD_FROM', days: 14, outcome: 'UNVERIFIED' }],
  },
  'dfe-cyber-standards': {
    name: 'UK DfE cyber security standards for schools and colleges',
    description: 'High-risk fixes within 14 days of release; a zero-day the DfE notifies within 3 days of the notice.',
    source: 'Department for Education, Meeting digital and technology standards in schools and colleges: Cyber security standards '
      + '(2026 revision): high-risk vulnerabilities (aligned with Cyber Essentials: CVSS 7 or above, or vendor critical/high) are fixed '
      + 'within 14 days; devices that cannot be patched are isolated. The 3-day rule from a DfE zero-day notification is the seed text\'s '
      + '(000_…) and is recorded as an advisory rule with authority "DfE".',
    timeZone: 'Europe/London',
    dueSoonHours: 72,
    findingRules: [
      {
        id: 'high-risk-14d',
        description: 'CVSS 7.0 or above, or vendor-rated critical or high (Important): 14 days from release',
        scope: { vendorSeverity: ['CRITICAL', 'IMPORTANT'], cvssAtLeast: 7 },
        clockStart: 'RELEASE',
        allowance: { days: 14 },
      },
      {
        id: 'dfe-zero-day-3d',
        description: 'Named in a DfE zero-day notice: 3 days from the notice',
        scope: { advisoryAuthority: 'DfE' },
        clockStart: 'ADVISORY',
        allowance: { days: 3 },
      },
    ],
    deviceRules: [{ kind: 'UNSUPPORTED_OS', outcome: 'NON_COMPLIANT' }, { kind: 'NOT_HEARD_FROM', days: 14, outcome: 'UNVERIFIED' }],
  },
  ...essentialEight(),
  'cisa-bod-22-01': {
    name: 'CISA BOD 22-01 (Known Exploited Vulnerabilities)',
    description: 'Every CVE in CISA\'s KEV catalog is remediated by the due date of its entry.',
    source: 'CISA Binding Operational Directive 22-01 (3 November 2021), Reducing the Significant Risk of Known Exploited Vulnerabilities: '
      + 'remediate each vulnerability in the KEV catalog according to the timeline in the catalog (the entry\'s dueDate).',
    timeZone: 'UTC',
    dueSoonHours: 72,
    findingRules: [
      {
        id: 'kev-due-date',
        description: 'In CISA KEV: by the entry\'s dueDate',
        scope: { kev: true },
        clockStart: 'KEV_ADDED',
        allowance: { kevDueDate: true },
      },
    ],
    deviceRules: [],
  },
  'pci-dss-4.0-6.3.3': {
    name: 'PCI DSS v4.0.1 requirement 6.3.3',
    description: 'Critical security patches within one month of release.',
    source: 'PCI DSS v4.0.1, requirement 6.3.3: critical or high-security patches/updates (ranked under 6.3.1) are installed within one month '
      + 'of release. Vendor-rated Critical, or CVSS 9.0 or above, is taken as critical.',
    timeZone: 'UTC',
    dueSoonHours: 168,
    findingRules: [
      {
        id: 'critical-1-month',
        description: 'Vendor-rated Critical or CVSS 9.0 or above: one calendar month from release',
        scope: { vendorSeverity: ['CRITICAL'], cvssAtLeast: 9 },
        clockStart: 'RELEASE',
        allowance: { months: 1 },
      },
    ],
    deviceRules: [{ kind: 'UNSUPPORTED_OS', outcome: 'NON_COMPLIANT' }],
  },
};

/**
 * ASD Essential Eight, patch operating systems (maturity model, November 2023). Timeframes run from release; 48
 * hours applies when the vendor rates the fix critical or a working exploit exists (taken as: in KEV).
 */
function essentialEight(): Record<string, PolicyDefinition> {
  const source = 'ASD Essential Eight Maturity Model (November 2023), Patch operating systems';
  const urgent = { vendorSeverity: ['CRITICAL' as const], kev: true as const };
  const base = (level: number, rules: PolicyDefinition['findingRules']): PolicyDefinition => ({
    name: `ASD Essential Eight, maturity level ${level} (operating systems)`,
    description: level === 3
      ? 'Critical or exploited fixes within 48 hours everywhere; other fixes within 2 weeks (internet-facing) or 1 month.'
      : 'Internet-facing servers: 48 hours when critical or exploited, else 2 weeks; workstations and internal servers: 1 month.',
    source: `${source}, ML${level}: ${level === 3
      ? 'patches for vulnerabilities in operating systems of workstations, non-internet-facing servers and network devices are applied within 48 hours of release when critical or a working exploit exists, otherwise within one month'
      : 'patches for internet-facing servers are applied within 48 hours of release when critical or a working exploit exists, otherwise within two weeks; workstations, non-internet-facing servers and network devices within one month'}; unsupported operating systems are replaced.`,
    timeZone: 'Australia/Sydney',
    dueSoonHours: 24,
    findingRules: rules,
    deviceRules: [{ kind: 'UNSUPPORTED_OS', outcome: 'NON_COMPLIANT' }, { kind: 'NOT_HEARD_FROM', days: 14, outcome: 'UNVERIFIED' }],
  });
  const internetFacing: PolicyDefinition['findingRules'] = [
    { id: 'internet-facing-urgent-48h', description: 'Internet-facing, critical or exploited: 48 hours', scope: { ...urgent, assetClasses: ['INTERNET_FACING_SERVER'] }, clockStart: 'RELEASE', allowance: { hours: 48 } },
    { id: 'internet-facing-2w', description: 'Internet-facing, any security fix: 2 weeks', scope: { vendorSeverity: ['CRITICAL', 'IMPORTANT', 'MODERATE', 'LOW'], unrated: true, assetClasses: ['INTERNET_FACING_SERVER'] }, clockStart: 'RELEASE', allowance: { days: 14 } },
  ];
  const others = ['WORKSTATION', 'SERVER', 'NETWORK_DEVICE', 'OTHER'] as const;
  const oneMonth: PolicyDefinition['findingRules'][number] = {
    id: 'internal-1-month', description: 'Workstations, internal servers and network devices, any security fix: 1 month',
    scope: { vendorSeverity: ['CRITICAL', 'IMPORTANT', 'MODERATE', 'LOW'], unrated: true, assetClasses: [...others] }, clockStart: 'RELEASE', allowance: { months: 1 },
  };
  return {
    'essential-eight-ml1': base(1, [...internetFacing, oneMonth]),
    'essential-eight-ml2': base(2, [...internetFacing, oneMonth]),
    'essential-eight-ml3': base(3, [
      ...internetFacing,
      { id: 'internal-urgent-48h', description: 'Workstations, internal servers and network devices, critical or exploited: 48 hours', scope: { ...urgent, assetClasses: [...others] }, clockStart: 'RELEASE', allowance: { hours: 48 } },
      oneMonth,
    ]),
  };
}
