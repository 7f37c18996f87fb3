/**
 * Build-derived patch states against the real Microsoft catalog (src/catalog): the Windows 11 23H2 builds below are
 * the fixed builds MSRC publishes for KB5041585 (Aug 2024, 22631.4037), KB5043076 (Sep 2024, 22631.4169) and
 * KB5075941 (Feb 2026, 22631.6649).
 */
import { BuildIndex } from '../../../connectors/intune/derive-states';
import { catalogFingerprint, bundledCatalog, fromGraphItems, mergeCatalogs, normaliseKb, toUpdateRecord } from '../../../connectors/intune/update-catalog';
import { parseWindowsVersion, releaseName } from '../../../connectors/sdk/windows-builds';
import { MalformedResponseError } from '../../../connectors/sdk/errors';

const index = new BuildIndex(bundledCatalog());
const statesAt = (osVersion: string) =>
  Object.fromEntries(index.deriveStates('dev', parseWindowsVersion(osVersion)!).map((s) => [s.updateKey.replace('microsoft:', ''), s.state]));

describe('build-derived patch states (Windows 11 23H2, real MSRC fixed builds)', () => {
  it('a build between two updates has the older and lacks the newer', () => {
    expect(statesAt('10.0.22631.4169')).toEqual({ KB5041585: 'INSTALLED', KB5043076: 'INSTALLED', KB5075941: 'MISSING' });
  });

  it('a build one revision below a fixed build lacks that update', () => {
    expect(statesAt('10.0.22631.4168')).toMatchObject({ KB5043076: 'MISSING', KB5041585: 'INSTALLED' });
  });

  it('a build at or past the latest fixed build has every update', () => {
    expect(statesAt('10.0.22631.6649')).toEqual({ KB5041585: 'INSTALLED', KB5043076: 'INSTALLED', KB5075941: 'INSTALLED' });
    expect(statesAt('10.0.22631.6800')).toEqual({ KB5041585: 'INSTALLED', KB5043076: 'INSTALLED', KB5075941: 'INSTALLED' });
  });

  it('a build older than every update in the catalog lacks them all, and every state says DERIVED', () => {
    const states = index.deriveStates('dev', parseWindowsVersion('10.0.22631.3880')!);
    expect(states.map((s) => s.state)).toEqual(['MISSING', 'MISSING', 'MISSING']);
    expect(new Set(states.map((s) => s.evidence))).toEqual(new Set(['DERIVED']));
  });

  it('releases are told apart by build: 22621 (22H2) shares KB5043076 with 23H2 at its own revision', () => {
    expect(statesAt('10.0.22621.4169')).toEqual({ KB5041585: 'INSTALLED', KB5043076: 'INSTALLED' });
    expect(statesAt('10.0.26100.1742')).toEqual({ KB5041571: 'INSTALLED', KB5043080: 'INSTALLED', KB5077181: 'MISSING' });
  });

  it('says nothing about a release the catalog does not know', () => {
    expect(index.knows(22000)).toBe(false);
    expect(index.deriveStates('dev', parseWindowsVersion('10.0.22000.3260')!)).toEqual([]);
  });
});

describe('the update records carry the CVEs Microsoft says each update fixes', () => {
  it('KB5075941 (Feb 2026, Windows 11 23H2) lists the exploited Windows Shell bypass CVE-2026-21510 with its CVSS', () => {
    const record = toUpdateRecord(bundledCatalog().find((u) => u.kb === 'KB5075941')!);
    expect(record).toMatchObject({ key: 'microsoft:KB5075941', kb: 'KB5075941', vendor: 'Microsoft', classification: 'SECURITY', supersedes: ['KB5073455'] });
    expect(record.fixes).toHaveLength(26);
    expect(record.fixes!.find((f) => f.cveId === 'CVE-2026-21510')).toMatchObject({ exploited: true, cvssBaseScore: 8.8, severity: 'IMPORTANT' });
  });
});

describe("the tenant's Windows update catalog from Graph", () => {
  const item = (over: Record<string, unknown> = {}) => ({
    '@odata.type': '#microsoft.graph.windowsQualityUpdateCatalogItem',
    id: 'b1', displayName: '2026.03 B SecurityUpdate', releaseDateTime: '2026-03-10T17:00:00Z', kbArticleId: '5079473', classification: 'security',
    productRevisions: [{ productName: 'Windows 11', versionName: '23H2', osBuild: { majorVersionNumber: 10, minorVersionNumber: 0, buildNumber: 22631, updateBuildRevision: 6783 } }],
    cveSeverityInformation: { maxSeverityLevel: 'critical', maxBaseScore: 9.8, exploitedCves: [{ cveNumber: 'CVE-2026-99001' }] },
    ...over,
  });

  it('adds a month the bundled data lacks: a device at the February build then lacks it', () => {
    const merged = new BuildIndex(mergeCatalogs(fromGraphItems([item()]), bundledCatalog()));
    const states = Object.fromEntries(merged.deriveStates('d', parseWindowsVersion('10.0.22631.6649')!).map((s) => [s.updateKey, s.state]));
    expect(states).toMatchObject({ 'microsoft:KB5075941': 'INSTALLED', 'microsoft:KB5079473': 'MISSING' });
  });

  it('merges a KB both sources know: bundled CVEs stay, Graph adds its exploited ones', () => {
    const graph = fromGraphItems([item({ kbArticleId: 'KB5075941', cveSeverityInformation: { exploitedCves: [{ cveNumber: 'CVE-2026-21510' }, { cveNumber: 'CVE-2026-99002' }] } })]);
    const merged = mergeCatalogs(graph, bundledCatalog()).find((u) => u.kb === 'KB5075941')!;
    expect(merged.fixes).toHaveLength(27);
    expect(merged.title).toBe('2026-02 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5075941)');
  });

  it('skips non-security quality updates and other catalog item types', () => {
    expect(fromGraphItems([item({ classification: 'nonSecurity' }), item({ '@odata.type': '#microsoft.graph.windowsFeatureUpdateCatalogItem' })])).toEqual([]);
  });

  it.each([
    ['no KB number', { kbArticleId: 'pending' }, /kbArticleId "pending" is not a KB number/],
    ['no release date', { releaseDateTime: 'soon' }, /KB5079473 has no valid releaseDateTime/],
    ['a revision without a build', { productRevisions: [{ productName: 'Windows 11', osBuild: {} }] }, /without osBuild.buildNumber/],
  ])('refuses an item with %s (a catalog silently missing a month would call devices patched)', (_name, over, message) => {
    expect(() => fromGraphItems([item(over)])).toThrow(MalformedResponseError);
    expect(() => fromGraphItems([item(over)])).toThrow(message);
  });

  it('changes its fingerprint when a month is added, not when entries are reordered', () => {
    const bundled = bundledCatalog();
    expect(catalogFingerprint([...bundled].reverse())).toBe(catalogFingerprint(bundled));
    expect(catalogFingerprint(mergeCatalogs(fromGraphItems([item()]), bundled))).not.toBe(catalogFingerprint(bundled));
  });
});

describe('Windows versions', () => {
  it.each([
    ['10.0.22631.4169', { build: 22631, revision: 4169 }, 'Windows 11 23H2'],
    ['10.0.19045.4780', { build: 19045, revision: 4780 }, 'Windows 10 22H2'],
  ])('%s', (text, parts, release) => {
    expect(parseWindowsVersion(text)).toMatchObject(parts);
    expect(releaseName(parseWindowsVersion(text)!)).toBe(release);
  });

  it.each(['17.5.1', '10.0.22631', '', null])('%p is not a Windows build with a revision', (text) => expect(parseWindowsVersion(text)).toBeNull());

  it.each([['5043076', 'KB5043076'], ['KB5043076', 'KB5043076'], ['kb5043076 ', 'KB5043076'], ['MS24-001', null]])('KB %p → %p', (raw, kb) => {
    expect(normaliseKb(raw)).toBe(kb);
  });
});
