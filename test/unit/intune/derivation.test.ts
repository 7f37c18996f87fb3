/**
 * Build-derived patch states against the real Microsoft catalog (src/catalog): the Windows 11 23H2 builds below are
 * the fixed builds MSRC publishes for KB5041585 (Aug 2024, 22631.4037), KB5043076 (Sep 2024, 22631.4169) and
 * KB5075941 (Feb 2026, 22631.6649).
 */
import { BuildIndex } from '../../../connectors/intune/derive-states';
import { catalogFingerprint, bundledCatalog, fromGraphItems, mergeCatalogs, normaliseKb, toUpdateRecord } from '../../../connectors/intune/update-catalog';
import { parseWindowsVersion, releaseName } from '../../../connectors/sdk/windows-builds';
import { MalformedResponseError } from '../../../connectors/sdk/errors';
import { bundledCatalogItems } from '../../../connectors/intune/simulator';
import { MICROSOFT_CATALOG } from '../../../connectors/shared/microsoft/microsoft-catalog';

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

/**
 * One Graph item is one Patch Tuesday for every product, and each product revision names its own KB. The revisions
 * below are MSRC's for September 2024 (CVRF 2024-Sep, Vendor Fix remediations with the most CVEs per product, as in
 * connectors/shared/microsoft/data/README.md): Windows 10 21H2 and 22H2 → KB5043064 (19044/19045.4894), Windows 11 22H2 and 23H2 →
 * KB5043076 (22621/22631.4169), Windows 11 24H2 → KB5043080 (26100.1742). The bundled catalog has all but 21H2.
 */
describe('a Patch Tuesday item from Graph whose product revisions name different KBs', () => {
  const revision = (productName: string, versionName: string, buildNumber: number, updateBuildRevision: number, kb: string | null) => ({
    displayName: `${productName}, version ${versionName}, build ${buildNumber}.${updateBuildRevision}`, releaseDateTime: '2024-09-10T07:00:00Z',
    productName, versionName, osBuild: { majorVersionNumber: 10, minorVersionNumber: 0, buildNumber, updateBuildRevision },
    knowledgeBaseArticle: kb === null ? null : { articleId: kb, articleUrl: `https://support.microsoft.com/help/${kb.replace('KB', '')}` },
  });
  const september = (revisions: unknown[] = [
    revision('Windows 11', '24H2', 26100, 1742, 'KB5043080'),
    revision('Windows 11', '23H2', 22631, 4169, 'KB5043076'),
    revision('Windows 11', '22H2', 22621, 4169, 'KB5043076'),
    revision('Windows 10', '22H2', 19045, 4894, 'KB5043064'),
    revision('Windows 10', '21H2', 19044, 4894, 'KB5043064'),
  ]) => ({
    '@odata.type': '#microsoft.graph.windowsQualityUpdateCatalogItem', id: '6f1c0a52-3b7e-5d41-9c08-2e4f6a8b1d37',
    displayName: '2024.09 B SecurityUpdate for Windows 10 and later', releaseDateTime: '2024-09-10T07:00:00Z', endOfSupportDate: '2025-09-10T07:00:00Z',
    // One KB for the whole item: it names only one of the products.
    kbArticleId: '5043080', classification: 'security', qualityUpdateCadence: 'monthly', isExpeditable: true, productRevisions: revisions,
    cveSeverityInformation: { maxSeverityLevel: 'critical', maxBaseScore: 9.8, exploitedCves: [{ cveNumber: 'CVE-2024-38014' }, { cveNumber: 'CVE-2024-38217' }, { cveNumber: 'CVE-2024-43461' }] },
  });
  const builds = (u: { fixedRevisions: Map<number, number> }) => Object.fromEntries(u.fixedRevisions);

  it('files each build under the KB its own revision names, with that KB\'s products and the item\'s CVEs', () => {
    const entries = fromGraphItems([september()]);
    expect(entries.map((u) => ({ kb: u.kb, builds: builds(u), products: u.products }))).toEqual([
      { kb: 'KB5043080', builds: { 26100: 1742 }, products: ['Windows 11 24H2'] },
      { kb: 'KB5043076', builds: { 22631: 4169, 22621: 4169 }, products: ['Windows 11 23H2', 'Windows 11 22H2'] },
      { kb: 'KB5043064', builds: { 19045: 4894, 19044: 4894 }, products: ['Windows 10 22H2', 'Windows 10 21H2'] },
    ]);
    for (const u of entries) {
      expect(u).toMatchObject({ releasedAt: new Date('2024-09-10T07:00:00Z'), severity: 'CRITICAL', title: `2024.09 B SecurityUpdate for Windows 10 and later (${u.kb})` });
      expect(u.fixes.map((f) => f.cveId)).toEqual(['CVE-2024-38014', 'CVE-2024-38217', 'CVE-2024-43461']);
    }
  });

  it('merged with the bundled data, no KB gains a build of a product it was not shipped for', () => {
    const merged = new Map(mergeCatalogs(fromGraphItems([september()]), bundledCatalog()).map((u) => [u.kb, u]));
    expect(builds(merged.get('KB5043080')!)).toEqual({ 26100: 1742 });
    expect(builds(merged.get('KB5043076')!)).toEqual({ 22621: 4169, 22631: 4169 });
    // Graph knows a release the bundled data lacks (Windows 10 21H2): it joins its own KB, and that KB's products.
    expect(builds(merged.get('KB5043064')!)).toEqual({ 19045: 4894, 19044: 4894 });
    expect(merged.get('KB5043064')!.products).toEqual(['Windows 10 Version 22H2 for x64-based Systems', 'Windows 10 21H2']);
    expect(merged.get('KB5043076')!.products).toEqual(['Windows 11 Version 22H2 for x64-based Systems', 'Windows 11 Version 23H2 for x64-based Systems']);
    expect(merged.get('KB5043064')!.fixes).toHaveLength(29); // MSRC's full list; the item's exploited CVEs are among them

    // So a Windows 10 22H2 device between August and September lacks September's Windows 10 update, and only that.
    const states = Object.fromEntries(new BuildIndex([...merged.values()]).deriveStates('d', parseWindowsVersion('10.0.19045.4780')!).map((s) => [s.updateKey, s.state]));
    expect(states).toEqual({ 'microsoft:KB5041580': 'INSTALLED', 'microsoft:KB5043064': 'MISSING', 'microsoft:KB5075912': 'MISSING' });
  });

  it("uses the item's kbArticleId only for a revision that names no KB", () => {
    const entries = fromGraphItems([september([
      revision('Windows 11', '24H2', 26100, 1742, null),
      { ...revision('Windows 11', '23H2', 22631, 4169, null), knowledgeBaseArticle: { articleId: null, articleUrl: null } },
      revision('Windows 10', '22H2', 19045, 4894, '5043064'), // digits only, as kbArticleId spells it
    ])]);
    expect(entries.map((u) => [u.kb, builds(u)])).toEqual([['KB5043080', { 26100: 1742, 22631: 4169 }], ['KB5043064', { 19045: 4894 }]]);
  });

  it.each([
    ['a knowledgeBaseArticle that is not an object', 'KB5043064', /item 1: KB5043080 productRevisions\[0\]\.knowledgeBaseArticle is not an object/],
    ['an articleId that is not a KB number', { articleId: 'pending', articleUrl: null }, /productRevisions\[0\]\.knowledgeBaseArticle\.articleId "pending" is not a KB number/],
    ['a numeric articleId', { articleId: 5043064 }, /productRevisions\[0\]\.knowledgeBaseArticle\.articleId 5043064 is not a KB number/],
    ['an articleUrl that is not a string', { articleId: 'KB5043064', articleUrl: 42 }, /productRevisions\[0\]\.knowledgeBaseArticle\.articleUrl 42 is not a string/],
  ])('refuses a revision with %s instead of guessing its KB', (_name, knowledgeBaseArticle, message) => {
    const item = september([{ ...revision('Windows 10', '22H2', 19045, 4894, null), knowledgeBaseArticle }]);
    expect(() => fromGraphItems([item])).toThrow(MalformedResponseError);
    expect(() => fromGraphItems([item])).toThrow(message);
  });
});

/**
 * The catalog as a device on each release sees it, against MICROSOFT_CATALOG's own product lists: a device gets
 * states only for KBs Microsoft shipped for its release, through the bundled path and through Graph items shaped like
 * Intune's (one per Patch Tuesday, built from the same bundled MSRC data).
 */
describe('a device only ever gets states for KBs shipped for its own release', () => {
  const RELEASE_PRODUCT: Record<number, string> = {
    19045: 'Windows 10 Version 22H2 for x64-based Systems', 20348: 'Windows Server 2022', 22621: 'Windows 11 Version 22H2 for x64-based Systems',
    22631: 'Windows 11 Version 23H2 for x64-based Systems', 26100: 'Windows 11 Version 24H2 for x64-based Systems', 26200: 'Windows 11 Version 25H2 for x64-based Systems',
  };
  const kbsFor = (build: number) => MICROSOFT_CATALOG.updates.filter((u) => u.products.includes(RELEASE_PRODUCT[build])).map((u) => u.kb).sort();
  const fromGraph = mergeCatalogs(fromGraphItems(bundledCatalogItems()), bundledCatalog());

  it('the bundled entries file each build under its own product only', () => {
    for (const u of bundledCatalog()) {
      for (const build of u.fixedRevisions.keys()) expect({ kb: u.kb, build, product: u.products.includes(RELEASE_PRODUCT[build]) }).toEqual({ kb: u.kb, build, product: true });
    }
  });

  it.each([
    ['bundled data', bundledCatalog()],
    ["Graph's per-Patch-Tuesday items merged with it", fromGraph],
  ])('Windows 10 22H2 at any UBR is never MISSING a Windows 11 KB (%s)', (_source, catalog) => {
    const index = new BuildIndex(catalog);
    const windows10 = kbsFor(19045);
    expect(windows10).toEqual(['KB5041580', 'KB5043064', 'KB5075912']);
    for (const ubr of [4000, 4780, 4893, 4894, 5011, 6936, 6937, 7000]) {
      const states = index.deriveStates('d', parseWindowsVersion(`10.0.19045.${ubr}`)!);
      expect({ ubr, kbs: states.map((s) => s.updateKey.replace('microsoft:', '')).sort() }).toEqual({ ubr, kbs: windows10 });
    }
    const states = (ubr: number) => Object.fromEntries(index.deriveStates('d', parseWindowsVersion(`10.0.19045.${ubr}`)!).map((s) => [s.updateKey, s.state]));
    expect(states(4894)).toEqual({ 'microsoft:KB5041580': 'INSTALLED', 'microsoft:KB5043064': 'INSTALLED', 'microsoft:KB5075912': 'MISSING' });
  });

  it.each(Object.keys(RELEASE_PRODUCT).map(Number))('build %i gets exactly the KBs whose products include its release, whichever source', (build) => {
    for (const catalog of [bundledCatalog(), fromGraph]) {
      const states = new BuildIndex(catalog).deriveStates('d', { major: 10, minor: 0, build, revision: 1 });
      expect(states.map((s) => s.updateKey.replace('microsoft:', '')).sort()).toEqual(kbsFor(build));
    }
  });

  it('every merged KB names the product of every build filed under it', () => {
    for (const u of fromGraph) {
      for (const build of u.fixedRevisions.keys()) expect({ kb: u.kb, build, product: u.products.includes(RELEASE_PRODUCT[build]) }).toEqual({ kb: u.kb, build, product: true });
    }
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
