/**
 * Vulnerability intelligence on real data from the repository's baseline and samples (intel/README.md): KEV, EPSS,
 * CVE JSON 5 and MSRC CVRF imported through importIntelFile into a real database, with the bundled catalog.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSharedCatalog } from '../../src/catalog/shared-catalog';
import { loadBundledCatalog } from '../../src/catalog/bundled-catalog';
import { emptyCounts } from '../../src/sync/apply/run-context';
import { writeCatalog } from '../../src/sync/write-catalog';
import { CveIntel, IntelSource, Update, UpdateVulnerability, Vulnerability } from '../../src/entities';
import { SHARED_OWNER } from '../../src/entities/update.entity';
import { baselineDir, importBaseline } from '../../src/intel/baseline';
import { importIntelFile } from '../../src/intel/import-intel';
import { IntelFormatError } from '../../src/intel/intel-error';
import { IntelKind } from '../../src/intel/kinds';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { sourceRead } from '../helpers/sync';

const ROOT = join(__dirname, '..', '..');
const BASELINE = join(ROOT, 'intel', 'baseline');
const KEV_2026 = join(BASELINE, 'kev', 'known_exploited_vulnerabilities_2026.08.21.json');
const KEV_2025 = join(ROOT, 'intel', 'samples', 'kev', 'known_exploited_vulnerabilities_2025.08.25_subset.json');
const EPSS = join(BASELINE, 'epss', 'epss_first-api_via-emba_2026-08-16_subset.csv');
const CVE_38178 = join(BASELINE, 'cve-json5', '2024', '38xxx', 'CVE-2024-38178.json');
const CVRF_AUG = join(ROOT, 'intel', 'samples', 'msrc-cvrf', '2024-Aug_kev-subset.xml');
const T1 = new Date('2026-12-01T08:00:00.000Z');
const T2 = new Date('2026-12-02T08:00:00.000Z');

describe(`intel import on ${ENGINE}`, () => {
  let db: TestDatabase;
  let scratch: string;
  beforeEach(async () => {
    db = await openTestDatabase();
    scratch = mkdtempSync(join(tmpdir(), 'patchgraph-intel-'));
  });
  afterEach(async () => {
    await db.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const vuln = (cveId: string) => db.dataSource.getRepository(Vulnerability).findOneByOrFail({ cveId });
  const fact = (cveId: string) => db.dataSource.getRepository(CveIntel).findOneByOrFail({ cveId });
  const source = (id: string | null) => db.dataSource.getRepository(IntelSource).findOneByOrFail({ id: id! });
  const counts = async () => ({
    sources: await db.dataSource.getRepository(IntelSource).count(),
    facts: await db.dataSource.getRepository(CveIntel).count(),
    vulnerabilities: await db.dataSource.getRepository(Vulnerability).count(),
    updates: await db.dataSource.getRepository(Update).count(),
    links: await db.dataSource.getRepository(UpdateVulnerability).count(),
  });

  it('the baseline gives CVE-2024-38178 its KEV dates, CVE-record CVSS and EPSS score, each naming the version it came from', async () => {
    // The values the shipped files hold, read from them directly.
    const kevEntry = (JSON.parse(readFileSync(KEV_2026, 'utf8')) as { vulnerabilities: Array<Record<string, string>> }).vulnerabilities.find((v) => v.cveID === 'CVE-2024-38178')!;
    expect(kevEntry).toMatchObject({ dateAdded: '2024-08-13', dueDate: '2024-09-03', knownRansomwareCampaignUse: 'Unknown' });
    expect(readFileSync(EPSS, 'utf8')).toContain('CVE-2024-38178;0.413800000;0.985520000');
    expect(JSON.parse(readFileSync(CVE_38178, 'utf8')).containers.cna.metrics[0].cvssV3_1.baseScore).toBe(7.5);

    await db.dataSource.transaction((m) => loadBundledCatalog(m, T1));
    expect(baselineDir()).toBe(BASELINE);
    const outcomes = await importBaseline(db.dataSource, T1);
    expect(outcomes.filter((o) => o.status === 'imported').map((o) => o.kind).sort()).toEqual([IntelKind.EPSS, IntelKind.KEV, ...Array(145).fill(IntelKind.CVE_JSON5)].sort());
    const kev = outcomes.find((o) => o.kind === IntelKind.KEV)!;
    // 12 of the 1674 are CVEs of the bundled catalog; the rest are kept for when an update names them.
    expect(kev.message).toBe('KEV 2026.08.21: 1674 entries, 1674 new, 0 due dates changed, 1662 CVEs not in the catalog kept for later');

    const v = await vuln('CVE-2024-38178');
    expect(v).toMatchObject({
      kevDateAdded: '2024-08-13', kevDueDate: '2024-09-03', kevRansomware: false,
      cvssBaseScore: 7.5, cvssVersion: '3.1', cvssVector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H/E:F/RL:O/RC:C',
      epssScore: 0.4138, epssPercentile: 0.98552, epssDate: '2026-08-16',
    });
    expect(await source(v.kevSourceId)).toMatchObject({ kind: IntelKind.KEV, version: '2026.08.21', records: 1674, fileName: 'known_exploited_vulnerabilities_2026.08.21.json' });
    expect(await source(v.cvssSourceId)).toMatchObject({ kind: IntelKind.CVE_JSON5, version: 'CVE-2024-38178 2024-10-16T01:53:15.510Z' });
    expect(await source(v.epssSourceId)).toMatchObject({ kind: IntelKind.EPSS, version: 'model unknown 2026-08-16' });
    expect((await source(v.kevSourceId)).sha256).toMatch(/^[0-9a-f]{64}$/);
    // A CVE no update fixes gets no vulnerability row: its facts wait in cve_intel.
    await expect(db.dataSource.getRepository(Vulnerability).findOneBy({ cveId: 'CVE-2021-34527' })).resolves.toBeNull();
    expect(await fact('CVE-2021-34527')).toMatchObject({ kevDueDate: '2022-05-03', cvssBaseScore: 8.8 });

    // Importing the same files again changes nothing, and says so.
    const before = await counts();
    const updatedAt = v.updatedAt.getTime();
    const again = await importBaseline(db.dataSource, T2);
    expect(new Set(again.map((o) => o.status))).toEqual(new Set(['unchanged']));
    expect(again.find((o) => o.kind === IntelKind.KEV)!.message).toBe(`KEV 2026.08.21: unchanged (imported ${T1.toISOString()})`);
    expect(await counts()).toEqual(before);
    expect((await vuln('CVE-2024-38178')).updatedAt.getTime()).toBe(updatedAt);
  });

  it('facts imported before a CVE enters the catalog apply when it does', async () => {
    await importIntelFile(db.dataSource, KEV_2026, T1);
    await importIntelFile(db.dataSource, EPSS, T1);
    expect(await db.dataSource.getRepository(Vulnerability).count()).toBe(0);
    await db.dataSource.transaction((m) => loadBundledCatalog(m, T2));
    const v = await vuln('CVE-2026-21510');
    expect(v.kevDateAdded).toBe('2026-02-10');
    expect((await source(v.kevSourceId)).version).toBe('2026.08.21');
    expect((await source(v.epssSourceId)).kind).toBe(IntelKind.EPSS);
    // A CVE that reaches the catalog only later (here through the shared writer, as a CVRF import or sync does).
    await db.dataSource.transaction((m) =>
      writeSharedCatalog(m, {
        updates: [{ kb: 'KB5004945', title: '2021-07 Security Update (KB5004945)', products: ['Windows 10 Version 21H1 for x64-based Systems'], classification: 'SECURITY', severity: 'CRITICAL', releasedAt: '2021-07-06T17:00:00Z', fixedBuilds: {}, supersedes: [], cves: ['CVE-2021-34527'] }],
        vulnerabilities: [{ cveId: 'CVE-2021-34527', title: 'Windows Print Spooler Remote Code Execution Vulnerability', cvssBaseScore: 8.8, cvssVector: null, severity: 'CRITICAL', exploited: true, publishedAt: '2021-07-01T07:00:00Z', kev: null, epss: null }],
      }, T2, { refresh: false, vendorSourceId: null }),
    );
    expect(await vuln('CVE-2021-34527')).toMatchObject({ kevDateAdded: '2021-11-03', kevDueDate: '2022-05-03', kevRansomware: true });
  });

  it('a sync that first names a CVE picks up the intel held for it, and keeps the CVE record\'s score over the bundled catalog\'s', async () => {
    await importIntelFile(db.dataSource, KEV_2026, T1);
    await importIntelFile(db.dataSource, CVE_38178, T1);
    const tenant = newId();
    // A tenant's WSUS reporting the August 2024 update: the shared entry comes from the bundled catalog's trusted data.
    await db.dataSource.transaction((m) =>
      writeCatalog(m, sourceRead({ updates: [{ key: 'microsoft:KB5041585', kb: 'KB5041585', title: 'from a collector', vendor: 'Microsoft', releasedAt: new Date('2024-08-13T17:00:00Z') }] }), T2, emptyCounts(), tenant),
    );
    const v = await vuln('CVE-2024-38178');
    expect(v).toMatchObject({ kevDateAdded: '2024-08-13', kevDueDate: '2024-09-03', cvssBaseScore: 7.5, cvssVersion: '3.1' });
    expect((await source(v.cvssSourceId)).kind).toBe(IntelKind.CVE_JSON5);
    expect((await source(v.kevSourceId)).version).toBe('2026.08.21');
    // A CVE of that update with no intel imported keeps what the bundled catalog says, and names no source.
    expect(await vuln('CVE-2024-38063')).toMatchObject({ cvssBaseScore: 9.8, cvssSourceId: null, kevSourceId: null });
  });

  it('a newer KEV catalog changes due dates and ransomware use; both versions are recorded and an older one never wins', async () => {
    await db.dataSource.transaction((m) => loadBundledCatalog(m, T1));
    const older = await importIntelFile(db.dataSource, KEV_2025, T1);
    expect(older!.message).toBe('KEV 2025.08.25: 52 entries, 52 new, 0 due dates changed, 45 CVEs not in the catalog kept for later');
    expect(await fact('CVE-2021-34527')).toMatchObject({ kevDueDate: '2021-07-20' });
    const olderSource = (await vuln('CVE-2024-38178')).kevSourceId;
    expect((await source(olderSource)).version).toBe('2025.08.25');

    const newer = await importIntelFile(db.dataSource, KEV_2026, T2);
    expect(newer!.summary).toMatchObject({ entries: 1674, new: 1622, dueDatesChanged: 15, ransomwareChanged: 30, removed: 0 });
    expect(newer!.message).toMatch(/^KEV 2026\.08\.21: 1674 entries, 1622 new, 15 due dates changed, .*30 ransomware use changed, 1662 CVEs not in the catalog kept for later$/);
    expect(await fact('CVE-2021-34527')).toMatchObject({ kevDueDate: '2022-05-03' });
    const v = await vuln('CVE-2024-38178');
    expect((await source(v.kevSourceId)).version).toBe('2026.08.21');
    const versions = (await db.dataSource.getRepository(IntelSource).find({ where: { kind: IntelKind.KEV }, order: { releasedAt: 'ASC' } })).map((s) => [s.version, s.importedAt.toISOString(), s.summary.dueDatesChanged]);
    expect(versions).toEqual([['2025.08.25', T1.toISOString(), 0], ['2026.08.21', T2.toISOString(), 15]]);

    // The older catalog again, as another file: recorded, but every fact stays with the newer catalog.
    const copy = join(scratch, 'kev-old-copy.json');
    writeFileSync(copy, `${readFileSync(KEV_2025, 'utf8')}\n`);
    const stale = await importIntelFile(db.dataSource, copy, T2);
    expect(stale!.message).toBe('KEV 2025.08.25: 52 entries, 0 new, 0 due dates changed, 52 kept from a newer catalog, 45 CVEs not in the catalog kept for later');
    expect(await fact('CVE-2021-34527')).toMatchObject({ kevDueDate: '2022-05-03' });
  });

  it('a CVRF document creates and refreshes shared Microsoft updates; a CVE record\'s score wins over it in either order', async () => {
    await db.dataSource.transaction((m) => loadBundledCatalog(m, T1));
    const bundled = await db.dataSource.getRepository(Update).findOneByOrFail({ kb: 'KB5041585' });
    expect(bundled.products).toEqual(['Windows 11 Version 22H2 for x64-based Systems', 'Windows 11 Version 23H2 for x64-based Systems']);
    const before = (await vuln('CVE-2024-38178')).cvssVector;

    const cvrf = await importIntelFile(db.dataSource, CVRF_AUG, T2);
    expect(cvrf!.message).toMatch(/^MSRC CVRF 2024-Aug \(revised 2026-06-28\): 5 vulnerabilities, 15 updates \(\d+ new, \d+ refreshed\), 4 CVEs fixed \(0 new, 4 refreshed\)/);
    const doc = await db.dataSource.getRepository(IntelSource).findOneByOrFail({ kind: IntelKind.MSRC_CVRF });
    expect(doc.version).toBe('2024-Aug 2026-06-28T01:56:08.000Z');
    const refreshed = await db.dataSource.getRepository(Update).findOneByOrFail({ kb: 'KB5041585' });
    expect(refreshed).toMatchObject({ owner: SHARED_OWNER, title: bundled.title, releasedAt: bundled.releasedAt });
    expect(refreshed.products).toEqual(expect.arrayContaining(['Windows 11 Version 22H2 for ARM64-based Systems', 'Windows 11 Version 23H2 for x64-based Systems']));
    expect(refreshed.fixedBuilds).toMatchObject({ 'Windows 11 Version 23H2 for x64-based Systems': '10.0.22631.4037', 'Windows 11 Version 22H2 for x64-based Systems': '10.0.22621.4037' });
    // A KB the bundled catalog lacks (Windows Server 2019's August update) is now a shared entry fixing 38178.
    const server2019 = await db.dataSource.getRepository(Update).findOneByOrFail({ kb: 'KB5041578' });
    expect(server2019).toMatchObject({ owner: SHARED_OWNER, releasedAt: new Date('2024-08-13T07:00:00.000Z'), classification: 'SECURITY' });
    expect(server2019.fixedBuilds).toMatchObject({ 'Windows Server 2019': '10.0.17763.6189' });
    const v38178 = await vuln('CVE-2024-38178');
    expect(await db.dataSource.getRepository(UpdateVulnerability).findOneBy({ updateId: server2019.id, vulnerabilityId: v38178.id })).not.toBeNull();
    expect(v38178).toMatchObject({ vendorSourceId: doc.id, cvssSourceId: doc.id, cvssBaseScore: 7.5, cvssVector: before, exploited: true });

    await importIntelFile(db.dataSource, CVE_38178, T2);
    expect((await source((await vuln('CVE-2024-38178')).cvssSourceId)).kind).toBe(IntelKind.CVE_JSON5);
    // The document again under another name: the CVE record's score stays.
    const copy = join(scratch, 'cvrf-2024-Aug.xml');
    writeFileSync(copy, `${readFileSync(CVRF_AUG, 'utf8')}\n`);
    const second = await importIntelFile(db.dataSource, copy, T2);
    expect(second!.message).toContain('4 CVSS scores from this document, 1 kept from CVE records');
    expect((await source((await vuln('CVE-2024-38178')).cvssSourceId)).kind).toBe(IntelKind.CVE_JSON5);
  });

  describe('refuses malformed files with nothing written', () => {
    const corrupt = (from: string, name: string, edit: (text: string) => string) => {
      const path = join(scratch, name);
      writeFileSync(path, edit(readFileSync(from, 'utf8')));
      return path;
    };
    const cases: Array<[string, () => string, RegExp]> = [
      ['a KEV entry with an impossible due date', () => corrupt(KEV_2026, 'kev.json', (t) => t.replace('"dueDate": "2024-09-03"', '"dueDate": "2024-09-31"')), /kev\.json: vulnerabilities\[\d+\]\.dueDate: expected YYYY-MM-DD, got "2024-09-31"$/],
      ['a KEV entry with an unknown ransomware value', () => corrupt(KEV_2026, 'kev.json', (t) => t.replace('"knownRansomwareCampaignUse": "Unknown"', '"knownRansomwareCampaignUse": "Maybe"')), /kev\.json: vulnerabilities\[\d+\]\.knownRansomwareCampaignUse: expected "Known" or "Unknown", got "Maybe"$/],
      ['a KEV catalog cut short', () => corrupt(KEV_2026, 'kev.json', (t) => t.slice(0, 50_000)), /kev\.json: line \d+: not valid JSON/],
      ['an EPSS row with a score above 1', () => corrupt(EPSS, 'epss.csv', (t) => t.replace('CVE-2024-38178;0.413800000', 'CVE-2024-38178;4.13800000')), /epss\.csv: line 372: epss must be a number from 0 to 1, got "4.13800000"$/],
      ['a CVE record with a score of 75', () => corrupt(CVE_38178, 'CVE-2024-38178.json', (t) => t.replace('"baseScore": 7.5', '"baseScore": 75')), /CVE-2024-38178\.json: containers\.cna\.metrics\[0\]\.cvssV3_1\.baseScore: expected a number from 0 to 10, got 75$/],
      ['a CVRF document that is not well-formed', () => corrupt(CVRF_AUG, 'cvrf.xml', (t) => t.replace('</vuln:CVE>', '</vuln:CWE>')), /cvrf\.xml: line \d+: not well-formed XML/],
      ['a CVRF document declaring entities', () => corrupt(CVRF_AUG, 'cvrf.xml', (t) => t.replace('<cvrf:cvrfdoc', '<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<cvrf:cvrfdoc')), /cvrf\.xml: a DOCTYPE or ENTITY declaration is not accepted/],
    ];
    it.each(cases)('%s', async (_name, make, message) => {
      await db.dataSource.transaction((m) => loadBundledCatalog(m, T1));
      const before = await counts();
      const kevBefore = (await vuln('CVE-2024-38178')).kevSourceId;
      const error = await importIntelFile(db.dataSource, make(), T2).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntelFormatError);
      expect((error as Error).message).toMatch(message);
      expect(await counts()).toEqual(before);
      expect((await vuln('CVE-2024-38178')).kevSourceId).toBe(kevBefore);
    });
  });

  it('reads FIRST\'s official daily EPSS form, gzipped, with its model version and score date', async () => {
    const rows = readFileSync(EPSS, 'utf8').trim().split('\n').map((l) => l.split(';').join(','));
    const path = join(scratch, 'epss_scores-2026-08-17.csv.gz');
    writeFileSync(path, gzipSync(`#model_version:v2025.03.14,score_date:2026-08-17T00:00:00+0000\ncve,epss,percentile\n${rows.join('\n')}\n`));
    const first = await importIntelFile(db.dataSource, EPSS, T1);
    expect(first!.message).toBe('EPSS 2026-08-16: 523 scores, 523 new, 0 changed, 523 CVEs not in the catalog kept for later');
    const outcome = await importIntelFile(db.dataSource, path, T2);
    expect(outcome!.message).toBe('EPSS 2026-08-17 model v2025.03.14: 523 scores, 0 new, 0 changed, 523 CVEs not in the catalog kept for later');
    const f = await fact('CVE-2024-38178');
    expect(f).toMatchObject({ epssScore: 0.4138, epssDate: '2026-08-17' });
    expect(await source(f.epssSourceId)).toMatchObject({ version: 'v2025.03.14 2026-08-17', releasedAt: new Date('2026-08-17T00:00:00.000Z') });
    // The crawler's file (dated by its name) is older now: importing a copy of it keeps the newer scores.
    writeFileSync(join(scratch, 'epss_2026-08-16-again.csv'), `${readFileSync(EPSS, 'utf8')}\n`);
    expect((await importIntelFile(db.dataSource, join(scratch, 'epss_2026-08-16-again.csv'), T2))!.summary).toMatchObject({ keptNewer: 523, new: 0 });
    expect((await fact('CVE-2024-38178')).epssDate).toBe('2026-08-17');
  });
});
