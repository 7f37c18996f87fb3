/**
 * `patchgraph intel import` and `intel status` through the real CLI (bin/patchgraph.js) against a test database,
 * on the repository's real baseline and samples; then the imported facts and their versions over real GraphQL.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBundledCatalog } from '../../src/catalog/bundled-catalog';
import { CveIntel, IntelSource, Vulnerability } from '../../src/entities';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer } from '../helpers/server';

const ROOT = join(__dirname, '..', '..');
const KEV_2026 = 'intel/baseline/kev/known_exploited_vulnerabilities_2026.08.21.json';
const KEV_2025 = 'intel/samples/kev/known_exploited_vulnerabilities_2025.08.25_subset.json';

// Each CLI run first compiles whatever changed since the last build (bin/patchgraph.js); on a busy machine that
// alone can take minutes, so the build is brought up to date once before the tests and they get room to spare.
jest.setTimeout(600_000);

describe(`patchgraph intel on ${ENGINE}`, () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    (require('../../scripts/build.js') as { build(options: { ifChanged: boolean }): void }).build({ ifChanged: true });
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-intel-cli-'));
    await db.dataSource.transaction((m) => loadBundledCatalog(m, new Date('2026-11-01T09:00:00Z')));
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.config.url, PATCHGRAPH_DATA_DIR: dir, LOG_FORMAT: 'json', DEBUG: '' };
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'patchgraph.js'), 'intel', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr: stderr.replace(/^patchgraph: (compiling|compiled).*\n/gm, '') })));
  }
  const count = (entity: typeof IntelSource | typeof CveIntel) => db.dataSource.getRepository(entity).count();

  it('imports an older and a newer KEV catalog, says per file what changed, and "unchanged" the second time', async () => {
    const first = await cli('import', KEV_2025, KEV_2026);
    expect(first).toEqual({
      code: 0,
      stdout:
        'KEV 2025.08.25: 52 entries, 52 new, 0 due dates changed, 45 CVEs not in the catalog kept for later\n' +
        'KEV 2026.08.21: 1674 entries, 1622 new, 15 due dates changed, 30 ransomware use changed, 1662 CVEs not in the catalog kept for later\n',
      stderr: '',
    });
    const v = await db.dataSource.getRepository(Vulnerability).findOneByOrFail({ cveId: 'CVE-2024-38178' });
    expect(v).toMatchObject({ kevDateAdded: '2024-08-13', kevDueDate: '2024-09-03', kevRansomware: false });

    const sources = await count(IntelSource);
    const again = await cli('import', 'intel/baseline/kev', KEV_2025);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^KEV 2026\.08\.21: unchanged \(imported \S+Z\)\nKEV 2025\.08\.25: unchanged \(imported \S+Z\)\n$/);
    expect(await count(IntelSource)).toBe(sources);

    const status = await cli('status');
    expect(status.code).toBe(0);
    const lines = status.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^KIND\s+VERSION\s+RELEASED\s+IMPORTED\s+RECORDS\s+FILE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([['KEV', '2025.08.25', '2025-08-25'], ['KEV', '2026.08.21', '2026-08-21']]);
    const json = JSON.parse((await cli('status', '--json')).stdout) as Array<{ version: string; sha256: string; summary: Record<string, number> }>;
    expect(json.find((s) => s.version === '2026.08.21')).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), summary: { dueDatesChanged: 15 } });
  });

  it('walks a directory, recognising files by content and skipping what is not intel', async () => {
    const walk = join(dir, 'downloads');
    mkdirSync(join(walk, 'nested'), { recursive: true });
    writeFileSync(join(walk, 'README.md'), '# notes\n');
    writeFileSync(join(walk, 'nested', 'settings.json'), '{"theme":"dark"}\n');
    // A CVE record and EPSS scores under names that say nothing of their format.
    writeFileSync(join(walk, 'nested', 'record.json'), readFileSync(join(ROOT, 'intel/baseline/cve-json5/2024/38xxx/CVE-2024-38178.json')));
    const rows = readFileSync(join(ROOT, 'intel/baseline/epss/epss_first-api_via-emba_2026-08-16_subset.csv'), 'utf8').replace(/;/g, ',');
    writeFileSync(join(walk, 'scores.data'), `#model_version:v2025.03.14,score_date:2026-08-16T00:00:00+0000\ncve,epss,percentile\n${rows}`);
    const run = await cli('import', walk);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter(Boolean)).toEqual([
      'CVE record CVE-2024-38178 (updated 2024-10-16): CVSS 7.5 (CVSS 3.1, cna), new, in the catalog',
      `${join(walk, 'nested', 'settings.json')}: skipped, not an intel file`,
      'EPSS 2026-08-16 model v2025.03.14: 523 scores, 523 new, 0 changed, 400 CVEs not in the catalog kept for later',
    ]);
  });

  it('refuses a bad file with one line naming it and the fault, writing nothing of it', async () => {
    const bad = join(dir, 'kev-bad.json');
    writeFileSync(bad, readFileSync(join(ROOT, KEV_2026), 'utf8').replace('"cveID": "CVE-2024-38178"', '"cveID": "CVE-24-38178"'));
    const before = [await count(IntelSource), await count(CveIntel)];
    const run = await cli('import', bad);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(new RegExp(`^patchgraph: intel import: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: vulnerabilities\\[\\d+\\]\\.cveID: not a CVE id: "CVE-24-38178"; nothing from this file was written\\n$`));
    expect([await count(IntelSource), await count(CveIntel)]).toEqual(before);

    const notIntel = join(dir, 'settings.json');
    writeFileSync(notIntel, '{"theme":"dark"}');
    expect(await cli('import', notIntel)).toMatchObject({ code: 1, stderr: `patchgraph: intel import: ${notIntel}: not a KEV catalog, MSRC CVRF document, CVE JSON 5 record or EPSS file; nothing from this file was written\n` });
    expect(await cli('import', join(dir, 'missing.json'))).toMatchObject({ code: 1, stdout: '', stderr: `patchgraph: intel import: ${join(dir, 'missing.json')}: no such file or directory\n` });
    expect([await count(IntelSource), await count(CveIntel)]).toEqual(before);
  });

  it('GraphQL Vulnerability shows the new facts and the intel versions they came from', async () => {
    expect((await cli('import', 'intel/samples/msrc-cvrf', 'intel/baseline/epss')).code).toBe(0);
    const server = await startTestServer(db);
    try {
      const res = await server.gql(`{ vulnerabilities(filter: { cveIds: ["CVE-2024-38178", "CVE-2024-38014"] }) { nodes {
        cveId kevDateAdded kevDueDate kevRansomware epssScore epssPercentile epssDate cvssBaseScore cvssVersion
        kevSource { kind version releasedAt } epssSource { kind version } cvssSource { kind version } vendorSource { kind version importedAt records }
      } } }`);
      expect(res.body.errors).toBeUndefined();
      const [v14, v178] = res.body.data.vulnerabilities.nodes;
      expect(v178).toEqual({
        cveId: 'CVE-2024-38178', kevDateAdded: '2024-08-13', kevDueDate: '2024-09-03', kevRansomware: false,
        epssScore: 0.4138, epssPercentile: 0.98552, epssDate: '2026-08-16', cvssBaseScore: 7.5, cvssVersion: '3.1',
        kevSource: { kind: 'KEV', version: '2026.08.21', releasedAt: '2026-08-21T17:46:43.601Z' },
        epssSource: { kind: 'EPSS', version: 'model unknown 2026-08-16' },
        cvssSource: { kind: 'CVE_JSON5', version: 'CVE-2024-38178 2024-10-16T01:53:15.510Z' },
        vendorSource: { kind: 'MSRC_CVRF', version: '2024-Aug 2026-06-28T01:56:08.000Z', importedAt: expect.any(String), records: 5 },
      });
      // Not in the CVRF sample, no CVE record imported: its score and title are the bundled catalog's.
      expect(v14).toMatchObject({ cveId: 'CVE-2024-38014', kevSource: { version: '2026.08.21' }, cvssSource: null, vendorSource: null });
    } finally {
      await server.stop();
    }
  });
});
