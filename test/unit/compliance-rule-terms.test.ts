import { validatePolicyDefinition } from '../../src/compliance/policy-definition';
import { PRESETS } from '../../src/compliance/presets';
import { addAllowance, ruleTerms, UpdateFacts } from '../../src/compliance/rule-terms';
import { servicingOf, unsupportedAt } from '../../src/compliance/lifecycle';

const update = (fields: Partial<UpdateFacts> & { kb?: string } = {}): UpdateFacts & { kb: string | null } => ({
  id: 'u1', kb: 'KB1', severity: 'IMPORTANT', classification: 'SECURITY', releasedAt: new Date('2026-03-10T17:00:00Z'), cves: [], ...fields,
});
const cve = (fields: Partial<UpdateFacts['cves'][number]> = {}) => ({
  cveId: 'CVE-2026-0001', severity: 'IMPORTANT', cvss: 7.8, kevDateAdded: null, kevDueDate: null, ransomware: false, epss: null, ...fields,
});
const dueOf = (policy: string, u: ReturnType<typeof update>, assetClass: string | null = null) =>
  ruleTerms(PRESETS[policy], [u], []).filter((t) => t.assetClass === assetClass || t.assetClass === null).map((t) => [t.ruleId, t.dueAt?.toISOString()]);

describe('preset boundaries', () => {
  it('validates every preset against the policy schema', () => {
    for (const [key, policy] of Object.entries(PRESETS)) expect(validatePolicyDefinition(key, JSON.parse(JSON.stringify(policy)))).toBeTruthy();
  });

  it('Cyber Essentials counts 14 calendar days in Europe/London, across the clocks going forward', () => {
    // Released 17:00 GMT on 10 March 2026; British Summer Time starts 29 March: due 17:00 BST on 24 March (no change yet)...
    expect(dueOf('cyber-essentials-v3.3', update({ cves: [cve()] }))).toEqual([['high-risk-14d', '2026-03-24T17:00:00.000Z']]);
    // ...and released 17:00 GMT on 20 March, due 17:00 BST on 3 April, which is 16:00 UTC: 14 days of 24 hours would be an hour late.
    expect(dueOf('cyber-essentials-v3.3', update({ releasedAt: new Date('2026-03-20T17:00:00Z'), cves: [cve()] }))).toEqual([['high-risk-14d', '2026-04-03T16:00:00.000Z']]);
  });

  it('Cyber Essentials takes vendor critical/high, CVSS 7 or above and unrated fixes, and leaves a moderate 6.5 out', () => {
    expect(dueOf('cyber-essentials-v3.3', update({ severity: 'MODERATE', cves: [cve({ severity: 'MODERATE', cvss: 6.5 })] }))).toEqual([]);
    expect(dueOf('cyber-essentials-v3.3', update({ severity: 'MODERATE', cves: [cve({ severity: 'MODERATE', cvss: 7.0 })] }))).toHaveLength(1);
    expect(dueOf('cyber-essentials-v3.3', update({ severity: 'UNSPECIFIED', cves: [] }))).toHaveLength(1);
  });

  it('Essential Eight ML3: 48 elapsed hours for a critical fix, whatever the calendar; one month otherwise', () => {
    const critical = update({ severity: 'CRITICAL', releasedAt: new Date('2026-04-04T08:00:00Z'), cves: [cve({ severity: 'CRITICAL' })] });
    // Australian daylight saving ends 5 April 2026: 48 hours stay 48 hours.
    expect(dueOf('essential-eight-ml3', critical, 'WORKSTATION')).toContainEqual(['internal-urgent-48h', '2026-04-06T08:00:00.000Z']);
    // A calendar month is wall-clock time in Sydney: 19:00 AEDT on 4 April to 19:00 AEST on 4 May, which is 09:00 UTC.
    expect(dueOf('essential-eight-ml1', critical, 'WORKSTATION')).toEqual([['internal-1-month', '2026-05-04T09:00:00.000Z']]);
    expect(dueOf('essential-eight-ml1', critical, 'INTERNET_FACING_SERVER').map(([rule]) => rule)).toEqual(['internet-facing-urgent-48h', 'internet-facing-2w']);
  });

  it('PCI DSS 6.3.3: one calendar month, ending on the last day of a shorter month', () => {
    const u = update({ severity: 'CRITICAL', releasedAt: new Date('2026-01-31T12:00:00Z'), cves: [cve({ severity: 'CRITICAL', cvss: 9.8 })] });
    expect(dueOf('pci-dss-4.0-6.3.3', u)).toEqual([['critical-1-month', '2026-02-28T12:00:00.000Z']]);
  });

  it('BOD 22-01 uses the earliest KEV due date of the update\'s CVEs, to the end of that day', () => {
    const u = update({ cves: [cve({ kevDateAdded: '2026-02-10', kevDueDate: '2026-03-03' }), cve({ cveId: 'CVE-2026-0002', kevDateAdded: '2026-02-12', kevDueDate: '2026-02-26' })] });
    expect(dueOf('cisa-bod-22-01', u)).toEqual([['kev-due-date', '2026-02-26T23:59:59.999Z']]);
    expect(dueOf('cisa-bod-22-01', update({ cves: [cve()] }))).toEqual([]);
  });

  it('adds hours, days and months in the zone given', () => {
    expect(addAllowance(new Date('2026-10-24T12:00:00Z'), { days: 1 }, 'Europe/London').toISOString()).toBe('2026-10-25T13:00:00.000Z');
    expect(addAllowance(new Date('2026-10-24T12:00:00Z'), { hours: 24 }, 'Europe/London').toISOString()).toBe('2026-10-25T12:00:00.000Z');
  });
});

describe('custom policy validation', () => {
  const base = JSON.parse(JSON.stringify(PRESETS['cyber-essentials-v3.3']));
  it.each([
    [{ ...base, timeZone: 'Mars/Olympus' }, 'policy.timeZone'],
    [{ ...base, extra: 1 }, 'unknown field "extra"'],
    [{ ...base, findingRules: [base.findingRules[0], base.findingRules[0]] }, 'policy.findingRules[1].id'],
    [{ ...base, findingRules: [{ ...base.findingRules[0], allowance: { kevDueDate: true } }] }, 'kevDueDate needs scope.kev'],
    [{ ...base, findingRules: [{ ...base.findingRules[0], clockStart: 'FIRST_DETECTED', allowance: { months: 1 } }] }, 'not calendar months'],
    [{ ...base, findingRules: [{ ...base.findingRules[0], scope: {} }] }, 'name at least one criterion'],
  ])('refuses a bad policy naming the field (%#)', (policy, message) => {
    expect(() => validatePolicyDefinition('policy', policy)).toThrow(message);
  });
});

describe('end of servicing', () => {
  it('knows Windows 10 22H2 ended on 14 October 2025 and ESU extends it', () => {
    const win10 = servicingOf('Windows 10 Pro', '19045.6456', null);
    expect(win10?.release.name).toBe('Windows 10 22H2');
    expect(unsupportedAt(win10, null, new Date('2025-10-14T23:00:00Z'))).toBe(false);
    expect(unsupportedAt(win10, null, new Date('2025-10-15T00:00:00Z'))).toBe(true);
    expect(unsupportedAt(win10, '2026-10-13', new Date('2026-06-01T00:00:00Z'))).toBe(false);
  });

  it('gives Windows 11 Enterprise its extra year and an unstated edition the earlier date', () => {
    expect(servicingOf('Windows 11 Enterprise', '22631.4037', null)?.endOfServicing).toBe('2026-11-10');
    expect(servicingOf('Windows 11', '22631.4037', null)?.endOfServicing).toBe('2025-11-11');
    expect(servicingOf('Windows Server 2012 R2 Standard', null, '6.3.9600')?.endOfServicing).toBe('2023-10-10');
    expect(servicingOf('Windows Server 2025 Standard', '26100.1', null)?.release.name).toBe('Windows Server 2025');
  });
});
