/**
 * `patchgraph intel fetch` against a local mirror standing in for the official addresses (the variables
 * PATCHGRAPH_INTEL_*_URL are how an operator points it at a mirror too): the repository's real KEV catalog and CVE
 * record served over real HTTP, downloaded, imported into a real database; a feed that fails is named, makes the
 * exit code 1 and writes nothing, while the others are still imported.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { intelFetchCommand } from '../../src/cli/intel.command';
import { loadConfig } from '../../src/config/config';
import { loadBundledCatalog } from '../../src/catalog/bundled-catalog';
import { AuditEvent, IntelSource, Vulnerability } from '../../src/entities';
import { feedRequest, OFFICIAL_URLS } from '../../src/intel/fetch-intel';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';

const ROOT = join(__dirname, '..', '..');
const KEV = readFileSync(join(ROOT, 'intel/baseline/kev/known_exploited_vulnerabilities_2026.08.21.json'));
const CVE = readFileSync(join(ROOT, 'intel/baseline/cve-json5/2024/38xxx/CVE-2024-38178.json'));

describe(`patchgraph intel fetch on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: Server;
  let base: string;
  const seen: string[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    db = await openTestDatabase();
    await db.dataSource.transaction((m) => loadBundledCatalog(m, new Date('2026-11-01T09:00:00Z')));
    server = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.accept}`);
      if (req.url === '/feeds/known_exploited_vulnerabilities.json') res.writeHead(200, { 'content-type': 'application/json' }).end(KEV);
      else if (req.url === '/api/cve/CVE-2024-38178') res.writeHead(200, { 'content-type': 'application/json' }).end(CVE);
      else res.writeHead(503).end('maintenance');
    });
    // Kept-alive sockets outlive a slow import, so each attempt below reaches the server.
    server.keepAliveTimeout = 600_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    Object.assign(process.env, {
      PATCHGRAPH_INTEL_KEV_URL: `${base}/feeds/known_exploited_vulnerabilities.json`, PATCHGRAPH_INTEL_CVE_URL: `${base}/api/cve`,
      PATCHGRAPH_INTEL_MSRC_URL: `${base}/cvrf/v3.0/cvrf`,
    });
  });
  afterAll(async () => {
    process.env = saved;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await db.drop();
  });

  async function fetchFeeds(feeds: string[], options: { out?: string } = {}) {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (d) => (stdout += d));
    err.on('data', (d) => (stderr += d));
    const config = { ...loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent' }), database: db.config };
    const code = await intelFetchCommand(config, feeds, options, { out, err, clock: { now: () => new Date('2026-12-05T08:00:00Z') } });
    return { code, stdout, stderr };
  }

  it('names the official addresses by default', () => {
    const env = {};
    expect(feedRequest('kev', env).url).toBe(OFFICIAL_URLS.kev);
    expect(feedRequest('msrc:2024-Aug', env).url).toBe('https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/2024-Aug');
    expect(feedRequest('cve:CVE-2024-38178', env).url).toBe('https://cveawg.mitre.org/api/cve/CVE-2024-38178');
  });

  it('downloads the KEV catalog and a CVE record, imports them, and keeps the files with --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchgraph-fetch-'));
    try {
      const { code, stdout, stderr } = await fetchFeeds(['kev', 'cve:CVE-2024-38178'], { out: dir });
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout.split('\n')).toEqual([
        `fetched ${base}/feeds/known_exploited_vulnerabilities.json: ${KEV.length} bytes`,
        `fetched ${base}/api/cve/CVE-2024-38178: ${CVE.length} bytes`,
        expect.stringMatching(/^KEV 2026\.08\.21: 1674 entries, 1674 new/),
        expect.stringMatching(/^CVE record CVE-2024-38178/),
        '',
      ]);
      expect(readFileSync(join(dir, 'known_exploited_vulnerabilities.json')).equals(KEV)).toBe(true);
      expect(await db.dataSource.getRepository(Vulnerability).findOneByOrFail({ cveId: 'CVE-2024-38178' })).toMatchObject({ kevDueDate: '2024-09-03', cvssSourceId: expect.any(String) });
      expect(seen).toContain('/feeds/known_exploited_vulnerabilities.json application/json');
      // Each import is on the MSP-wide audit chain, naming who imported which version of which file.
      const audited = await db.dataSource.getRepository(AuditEvent).findBy({ action: 'intel.imported' });
      expect(audited.map((e) => [e.chainKey, e.actor.startsWith('cli:'), JSON.parse(e.data).version]).sort()).toEqual([
        ['global', true, '2026.08.21'], ['global', true, expect.stringMatching(/^CVE-2024-38178 /)],
      ].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a feed that keeps failing is named and makes the exit code 1, with nothing of it written; the others are imported', async () => {
    const sources = await db.dataSource.getRepository(IntelSource).count();
    const { code, stdout, stderr } = await fetchFeeds(['msrc:2024-Aug', 'kev']);
    expect(code).toBe(1);
    expect(seen.filter((r) => r.startsWith('/cvrf/v3.0/cvrf/2024-Aug '))).toEqual(Array(3).fill('/cvrf/v3.0/cvrf/2024-Aug application/xml'));
    expect(stderr).toBe(`patchgraph: intel fetch: ${base}/cvrf/v3.0/cvrf/2024-Aug: answered HTTP 503 (3 attempts); nothing from it was imported\n`);
    expect(stdout).toMatch(/^fetched .*\nKEV 2026\.08\.21: unchanged \(imported 2026-12-05T08:00:00\.000Z\)\n$/);
    expect(await db.dataSource.getRepository(IntelSource).count()).toBe(sources);
  });

  it('refuses an unknown feed before reaching the network', async () => {
    const before = seen.length;
    const { code, stderr } = await fetchFeeds(['kev', 'msrc:2024-August']);
    expect(code).toBe(1);
    expect(stderr).toBe('patchgraph: intel fetch: "msrc:2024-August" is not a feed: name kev, epss, msrc:<YYYY-Mon> (e.g. msrc:2024-Aug) or cve:<CVE id>\n');
    expect(seen.length).toBe(before);
  });
});
