/**
 * The evidence pack end to end, on both engines: the patch history fixture (real file-import syncs through the server,
 * the bundled catalog, the intel baseline) plus two risk exceptions (one in force at the date, one expired before it)
 * and a change record raised in the period, then GET /reports/evidence-pack.zip and the CLI. The ZIP is read back with
 * yauzl; the CSV rows are written out by hand below. A second server on the same database has a small size limit.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import * as yauzl from 'yauzl';
import { createDataSource } from '../../src/db/data-source';
import { Role } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { download } from '../helpers/http-download';
import { KNOWN_AT, loadPatchHistoryFixture, NOW, PatchHistoryFixture } from '../helpers/patch-history-fixture';
import { startTestServer, TestServer } from '../helpers/server';

const ROOT = join(__dirname, '..', '..');
const CLI_TIMEOUT = 600_000;
const CE = 'cyber-essentials-v3.3';
/** Compliance as of the end of 14 October 2026: between the fixture's second and third syncs. */
const DATE = '2026-10-14';
const AS_OF = '2026-10-15T00:00:00.000Z';
const FROM_DEFAULT = '2026-09-15T00:00:00.000Z';
const FILES = ['evidence-pack.pdf', 'compliance-assets.csv', 'findings.csv', 'exceptions.csv', 'change-records.csv', 'chain-verification.json', 'manifest.json'];

type Row = Record<string, string>;

/** The entries of a ZIP, in their stored order, with their DOS times as yauzl reads them. */
function unzip(zip: Buffer): Promise<Array<{ name: string; content: Buffer; compression: number; mtime: Date }>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, file) => {
      if (err || !file) return reject(err);
      const out: Array<{ name: string; content: Buffer; compression: number; mtime: Date }> = [];
      file.on('entry', (entry: yauzl.Entry) => {
        file.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out.push({ name: entry.fileName, content: Buffer.concat(chunks), compression: entry.compressionMethod, mtime: entry.getLastModDate({ timezone: 'UTC' }) });
            file.readEntry();
          });
        });
      });
      file.on('end', () => resolve(out));
      file.on('error', reject);
      file.readEntry();
    });
  });
}

describe(`evidence pack on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let fx: PatchHistoryFixture;
  let dir: string;
  const clock = fixedClock(NOW);
  const keys: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const data = async (query: string, variables?: Record<string, unknown>, key?: string) => {
    const res = await server.gql(query, variables, key);
    if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
    return res.body.data;
  };
  const url = (params: Record<string, string>) => `${server.app.url}/reports/evidence-pack.zip?${new URLSearchParams(params)}`;
  const packParams = (extra: Record<string, string> = {}) => ({ tenant: fx.contoso, policy: CE, date: DATE, knownAt: KNOWN_AT, ...extra });
  const csvOf = (files: Array<{ name: string; content: Buffer }>, name: string): Row[] => parse(files.find((f) => f.name === name)!.content, { columns: true });
  const pdfText = (pdf: Buffer): string => {
    writeFileSync(join(dir, 'p.pdf'), pdf);
    return execFileSync('pdftotext', ['-layout', join(dir, 'p.pdf'), '-'], { encoding: 'utf8' });
  };
  function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return cliWith({}, ...args);
  }
  function cliWith(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'patchgraph.js'), 'report', ...args], {
        cwd: ROOT, env: { ...process.env, DATABASE_URL: db.config.url, LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr: stderr.replace(/^patchgraph: compil.*\n/gm, '') }));
    });
  }

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db, {}, { clock });
    fx = await loadPatchHistoryFixture(server, db, clock);
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-evidence-pack-'));
    const tenantKey = (g: string) => Buffer.from(g, 'base64url').toString('utf8').split(':')[1];
    keys.contosoAuditor = await server.keyFor(Role.AUDITOR, [tenantKey(fx.contoso)]);
    keys.contosoClientAdmin = await server.keyFor(Role.CLIENT_ADMIN, [tenantKey(fx.contoso)]);
    keys.fabrikamAuditor = await server.keyFor(Role.AUDITOR, [tenantKey(fx.fabrikam)]);
    const assets = (await data('{ assets(first: 10) { nodes { id hostname } } }')).assets.nodes;
    for (const a of assets) ids[a.hostname] = a.id;
    const updates = (await data('{ updates(first: 50) { nodes { id kb } } }')).updates.nodes;
    ids.KB5043076 = updates.find((u: { kb: string }) => u.kb === 'KB5043076').id;

    // On 6 October: CON-PC-02's KB5043076 accepted until the new year; CON-PC-01's only until 13 October.
    clock.set('2026-10-06T09:00:00.000Z');
    const exception = (assetId: string, expiresAt: string, owner: string) => data(
      'mutation($i: CreateRiskExceptionInput!) { createRiskException(input: $i) { id } }',
      { i: { tenantId: fx.contoso, assetId, updateId: ids.KB5043076, owner, reason: 'Line-of-business app breaks with this update; vendor fix due', compensatingControl: 'No inbound internet', expiresAt } },
    );
    ids.inForce = (await exception(ids['CON-PC-02'], '2027-01-01T00:00:00.000Z', 'Dana Reyes, office manager')).createRiskException.id;
    ids.expired = (await exception(ids['CON-PC-01'], '2026-10-13T00:00:00.000Z', 'Sam Ortiz, director')).createRiskException.id;

    // On 8 October a normal change for KB5043076 on CON-PC-01 is raised and submitted; it is approved after knownAt.
    clock.set('2026-10-08T10:00:00.000Z');
    const change = (await data('mutation($input: ChangeRequestInput!) { createChangeRequest(input: $input) { id reference } }', {
      input: {
        tenantId: fx.contoso, type: 'NORMAL', title: 'Deploy KB5043076 to CON-PC-01', description: 'September cumulative update', kbs: ['KB5043076'],
        targets: { assetIds: [ids['CON-PC-01']] }, risk: 'LOW', impact: 'One reboot', rollbackPlan: 'Uninstall the update',
        plannedStart: '2026-10-09T18:00:00.000Z', plannedEnd: '2026-10-09T20:00:00.000Z',
      },
    })).createChangeRequest;
    ids.change = change.id;
    ids.reference = change.reference;
    await data('mutation($id: ID!) { submitChangeRequest(id: $id) { state } }', { id: change.id });
    clock.set(NOW);
  }, CLI_TIMEOUT);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  let pack: Buffer;
  let files: Array<{ name: string; content: Buffer; compression: number; mtime: Date }>;
  let cves: Array<{ cveId: string; cvssBaseScore: number | null; kevDateAdded: string | null }>;
  let title: string;

  it('serves one ZIP of seven files in a fixed order, stored, dated knownAt, with a manifest of their SHA-256', async () => {
    const res = await download(url(packParams()), keys.contosoAuditor);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="evidence-pack_${CE}_2026-10-15.zip"`);
    expect(res.headers['x-patchgraph-content-sha256']).toBe(sha256(res.body));
    expect(res.headers['x-patchgraph-as-of']).toBe(AS_OF);
    expect(res.headers['x-patchgraph-known-at']).toBe(KNOWN_AT);
    pack = res.body;
    files = await unzip(pack);
    expect(files.map((f) => f.name)).toEqual(FILES);
    for (const f of files) {
      expect([f.name, f.compression, f.mtime.toISOString()]).toEqual([f.name, 0, KNOWN_AT]);
    }
    const manifest = JSON.parse(files[6].content.toString());
    expect(manifest.files).toEqual(files.slice(0, 6).map((f) => ({ name: f.name, bytes: f.content.length, sha256: sha256(f.content) })));
    expect(manifest).toMatchObject({
      tenant: { name: 'Contoso Ltd' }, policy: { key: CE, version: 'builtin', name: 'UK Cyber Essentials v3.3 (Danzell)' },
      asOf: AS_OF, from: FROM_DEFAULT, knownAt: KNOWN_AT, generatedBy: expect.stringMatching(/^api-key:test-AUDITOR/),
      counts: { assets: 3, findings: 2, exceptions: 1, changeRecords: 1 }, chain: { ok: true },
    });
    const [event] = await db.dataSource.query("SELECT chainKey, data FROM audit_event WHERE action = 'report.generated' ORDER BY seq DESC LIMIT 1");
    expect(JSON.parse(event.data)).toMatchObject({ report: 'evidence-pack', format: 'zip', sha256: sha256(pack), byteCount: pack.length, rowCount: 2, policyVersion: 'builtin' });
    const update = (await data('query($id: ID!) { update(id: $id) { title vulnerabilities { cveId cvssBaseScore kevDateAdded } } }', { id: ids.KB5043076 })).update;
    cves = update.vulnerabilities;
    title = update.title;
  });

  it('compliance-assets.csv: each asset with its status as of the date, worst first', () => {
    expect(csvOf(files, 'compliance-assets.csv')).toEqual([
      { hostname: 'CON-PC-01', site: 'Head Office', status: 'NON_COMPLIANT', reasons: 'FINDING', findings: '1', assetId: ids['CON-PC-01'] },
      { hostname: 'CON-PC-02', site: '', status: 'EXEMPT', reasons: 'FINDING', findings: '1', assetId: ids['CON-PC-02'] },
      { hostname: 'CON-SRV-01', site: 'Head Office', status: 'COMPLIANT', reasons: '', findings: '0', assetId: ids['CON-SRV-01'] },
    ]);
  });

  it('findings.csv: KB5043076 overdue on CON-PC-01 (its exception expired on 13 October) and exempt on CON-PC-02', () => {
    // Cyber Essentials: 14 days from release. Overdue hours from the due time to the end of 14 October 2026.
    const due = '2024-09-24T07:00:00.000Z';
    const overdue = String(Math.floor((Date.parse(AS_OF) - Date.parse(due)) / 3_600_000));
    const sorted = [...cves].sort((a, b) => (a.cveId < b.cveId ? -1 : 1));
    const scores = sorted.map((c) => c.cvssBaseScore).filter((x): x is number => x !== null);
    const common = {
      kb: 'KB5043076', update: title, severity: 'CRITICAL', cves: sorted.map((c) => c.cveId).join('; '),
      maxCvss: Math.max(...scores).toFixed(1), kevCves: sorted.filter((c) => c.kevDateAdded).map((c) => c.cveId).join('; '), rule: 'high-risk-14d',
      clockStartAt: '2024-09-10T07:00:00.000Z', clockStartFirstSeen: 'false', dueAt: due, evidence: 'REPORTED',
    };
    expect(sorted).toHaveLength(29);
    expect(title).toMatch(/^2024-09 Cumulative Update for Windows 11 .*\(KB5043076\)$/);
    expect(common.kevCves).not.toBe('');
    expect(csvOf(files, 'findings.csv')).toEqual([
      { asset: 'CON-PC-01', ...common, status: 'NON_COMPLIANT', state: 'MISSING', overdueHours: overdue, exception: '' },
      { asset: 'CON-PC-02', ...common, status: 'EXEMPT', state: 'MISSING', overdueHours: '', exception: ids.inForce },
    ].map((r) => ({
      asset: r.asset, kb: r.kb, update: r.update, severity: r.severity, cves: r.cves, maxCvss: r.maxCvss, kevCves: r.kevCves, rule: r.rule, status: r.status,
      state: r.state, clockStartAt: r.clockStartAt, clockStartFirstSeen: r.clockStartFirstSeen, dueAt: r.dueAt, overdueHours: r.overdueHours, evidence: r.evidence, exception: r.exception,
    })));
  });

  it('exceptions.csv: only the exception in force at the date, with the findings it covers', () => {
    expect(csvOf(files, 'exceptions.csv')).toEqual([{
      exception: ids.inForce, site: '', asset: 'CON-PC-02', kb: 'KB5043076', cve: '', policy: '', owner: 'Dana Reyes, office manager',
      reason: 'Line-of-business app breaks with this update; vendor fix due', compensatingControl: 'No inbound internet', validFrom: '2026-10-06T09:00:00.000Z',
      expiresAt: '2027-01-01T00:00:00.000Z', createdAt: '2026-10-06T09:00:00.000Z', createdBy: expect.stringMatching(/^api-key:test-admin \(/), findingsCovered: '1',
    }]);
  });

  it('change-records.csv: the change raised in the period, in the state recorded by knownAt', () => {
    expect(csvOf(files, 'change-records.csv')).toEqual([{
      reference: ids.reference, type: 'NORMAL', state: 'SUBMITTED', title: 'Deploy KB5043076 to CON-PC-01', risk: 'LOW', updates: 'KB5043076',
      plannedStart: '2026-10-09T18:00:00.000Z', plannedEnd: '2026-10-09T20:00:00.000Z', startedAt: '', finishedAt: '', requestedBy: expect.stringMatching(/^api-key:test-admin \(/),
      approvedBy: '', createdAt: '2026-10-08T10:00:00.000Z',
    }]);
  });

  it('chain-verification.json: the tenant\'s chain verified over the period, with its head at knownAt', async () => {
    const [head] = await db.dataSource.query('SELECT seq, hash FROM audit_event WHERE chainKey = ? AND occurredAt <= ? ORDER BY seq DESC LIMIT 1', [Buffer.from(fx.contoso, 'base64url').toString().split(':')[1], '2026-10-25 00:00:00.000']);
    expect(JSON.parse(files[5].content.toString())).toEqual({
      chainKey: Buffer.from(fx.contoso, 'base64url').toString().split(':')[1], from: FROM_DEFAULT, to: AS_OF, ok: true,
      auditEventsChecked: expect.any(Number), runsChecked: 3, eventsChecked: expect.any(Number), unsealedEvents: 0,
      headAtKnownAt: { seq: Number(head.seq), hash: head.hash, occurredAt: '2026-10-08T10:00:00.000Z' }, breaks: [],
    });
  });

  it('the PDF says what was asked, the compliance summary, the verification result and each part', () => {
    const text = pdfText(files[0].content).replace(/ +/g, ' ');
    for (const expected of [
      'Evidence pack', 'Tenant Contoso Ltd', 'Policy UK Cyber Essentials v3.3 (Danzell) (cyber-essentials-v3.3, version builtin)', 'Policy source NCSC/IASME, Cyber Essentials',
      'Compliance as of 2026-10-15 00:00 UTC', 'Known at 2026-10-25 00:00 UTC', 'Generated by api-key:test-AUDITOR',
      'Compliant 1', 'Exempt 1', 'Non-compliant 1', 'Total 3', 'VERIFIED: the chain is intact over the period', 'Sync runs (Merkle roots) 3',
      'CON-PC-01 KB5043076', 'Non-compliant 2024-09-10 07:00 2024-09-24 07:00', 'yes: Dana Reyes', `${ids.reference} NORMAL SUBMITTED Deploy KB5043076 to CON-PC-01`,
    ]) expect([expected, text.includes(expected)]).toEqual([expected, true]);
    expect(text).not.toContain('Sam Ortiz');
  });

  it('regenerating with the same knownAt after a new sync and the change\'s approval gives the same bytes, and verifyReport says so', async () => {
    await fx.syncAfterKnownAt();
    clock.set('2026-10-30T12:00:00.000Z');
    const approved = await server.gql('mutation($id: ID!) { approveChangeRequest(id: $id) { state } }', { id: ids.change }, keys.contosoClientAdmin);
    clock.set(NOW);
    expect(approved.body.errors).toBeUndefined();
    const again = await download(url(packParams()), keys.contosoAuditor);
    expect(sha256(again.body)).toBe(sha256(pack));
    const v = (await data('query($d: String!) { verifyReport(sha256: $d) { identical format rowCount regeneratedSha256 } }', { d: sha256(pack) }, keys.contosoAuditor)).verifyReport;
    expect(v).toEqual({ identical: true, format: 'zip', rowCount: 2, regeneratedSha256: sha256(pack) });
    // Without knownAt the pack knows the approval.
    const nowPack = (await download(url({ tenant: fx.contoso, policy: CE, date: DATE }), keys.contosoAuditor)).body;
    const now = await unzip(nowPack);
    expect(csvOf(now, 'change-records.csv')[0]).toMatchObject({ state: 'APPROVED', approvedBy: expect.stringMatching(/CLIENT_ADMIN/) });
    // Its knownAt is a millisecond before now, so its own report.generated event (recorded at now) is not in it.
    expect(JSON.parse(now[6].content.toString()).knownAt).toBe(new Date(Date.parse(NOW) - 1).toISOString());
    const nowVerified = (await data('query($d: String!) { verifyReport(sha256: $d) { identical } }', { d: sha256(nowPack) }, keys.contosoAuditor)).verifyReport;
    expect(nowVerified).toEqual({ identical: true });
  });

  it('the CLI writes the same CSVs as the route, records the pack, and report verify proves it', async () => {
    const out = join(dir, 'pack.zip');
    const run = await cli('evidence-pack', '--tenant', 'Contoso Ltd', '--policy', CE, '--date', DATE, '--known-at', KNOWN_AT, '--out', out);
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(run.stderr).toMatch(/^wrote .*pack\.zip: evidence pack for Contoso Ltd, cyber-essentials-v3\.3 \(version builtin\) as of 2026-10-15T00:00:00\.000Z/);
    expect(run.stderr).toContain('3 assets, 2 findings, 1 exceptions in force, 1 change records; audit chain verified');
    const cliFiles = await unzip(readFileSync(out));
    expect(cliFiles.map((f) => f.name)).toEqual(FILES);
    for (const i of [1, 2, 3, 4, 5]) expect([cliFiles[i].name, cliFiles[i].content.equals(files[i].content)]).toEqual([files[i].name, true]);
    expect(pdfText(cliFiles[0].content)).toMatch(/Generated by\s+cli:/);
    const verified = await cli('verify', out);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^identical: regenerating gives the same \d+ bytes .*evidence-pack zip, 2 rows, known at 2026-10-25T00:00:00\.000Z/);
  }, CLI_TIMEOUT);

  it('the CLI refuses bad arguments in one line naming the option, and writes nothing', async () => {
    const before = Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM audit_event'))[0].n);
    const cases: Array<[string[], RegExp]> = [
      [['--tenant', 'Nobody Ltd', '--policy', CE, '--date', DATE, '--out', join(dir, 'x.zip')], /--tenant: no tenant has the id or the exact name "Nobody Ltd"/],
      [['--tenant', 'Contoso Ltd', '--policy', CE, '--date', DATE, '--from', '2026-11-01', '--out', join(dir, 'x.zip')], /--from: must be before --date/],
      [['--tenant', 'Contoso Ltd', '--policy', CE, '--date', DATE], /--out: is required/],
    ];
    for (const [args, message] of cases) {
      const run = await cli('evidence-pack', ...args);
      expect([args, run.code, run.stderr.trim().split('\n').length]).toEqual([args, 1, 1]);
      expect(run.stderr).toMatch(message);
    }
    expect(Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM audit_event'))[0].n)).toBe(before);
  }, CLI_TIMEOUT);

  describe('scoping', () => {
    it('another tenant\'s auditor cannot name Contoso, and a request without a valid key is refused', async () => {
      const res = await download(url(packParams()), keys.fabrikamAuditor);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body.toString())).toEqual({ errors: [{ message: expect.stringContaining('was not found'), extensions: { code: 'NOT_FOUND' } }] });
      const none = await download(url(packParams()), null);
      expect([none.status, none.headers['www-authenticate']]).toEqual([401, 'Bearer']);
    });

    it('a tenant\'s own pack holds only its own assets', async () => {
      const own = await unzip((await download(url(packParams({ tenant: fx.fabrikam })), keys.fabrikamAuditor)).body);
      expect(csvOf(own, 'compliance-assets.csv').map((r) => [r.hostname, r.status])).toEqual([['FAB-PC-01', 'NON_COMPLIANT']]);
      expect(csvOf(own, 'exceptions.csv')).toEqual([]);
      expect(csvOf(own, 'change-records.csv')).toEqual([]);
    });
  });

  describe('bad arguments get typed errors naming the field, and record nothing', () => {
    const cases: Array<[Record<string, string | undefined>, number, string, string, RegExp]> = [
      [{ tenant: undefined }, 400, 'BAD_USER_INPUT', 'tenant', /is required/],
      [{ policy: undefined }, 400, 'BAD_USER_INPUT', 'policy', /is required/],
      [{ date: undefined }, 400, 'BAD_USER_INPUT', 'date', /is required/],
      [{ date: '2026-13-01' }, 400, 'BAD_USER_INPUT', 'date', /must be a date/],
      [{ from: '2026-10-20' }, 400, 'BAD_USER_INPUT', 'from', /must be before date/],
      [{ knownAt: '2026-10-10T00:00:00Z' }, 400, 'BAD_USER_INPUT', 'knownAt', /is before date/],
      [{ knownAt: '2027-01-01T00:00:00Z' }, 400, 'BAD_USER_INPUT', 'knownAt', /in the future/],
      [{ policy: 'no-such-policy' }, 400, 'BAD_USER_INPUT', 'policy', /no policy "no-such-policy"/],
      [{ tenant: 'not-an-id' }, 400, 'BAD_USER_INPUT', 'tenant', /not an id issued by this API/],
      [{ tenant: toGlobalId('Tenant', '00000000-0000-4000-8000-000000000000') }, 404, 'NOT_FOUND', '', /Tenant .* was not found/],
    ];
    it.each(cases.map((c, i) => [i, ...c] as const))('case %i: %j → %i %s', async (_i, change, status, code, field, message) => {
      const before = Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM audit_event'))[0].n);
      const params = Object.fromEntries(Object.entries({ ...packParams(), ...change }).filter(([, v]) => v !== undefined)) as Record<string, string>;
      const res = await download(url(params), keys.contosoAuditor);
      expect(res.status).toBe(status);
      const body = JSON.parse(res.body.toString());
      expect(body.errors[0].extensions).toEqual(field ? { code, field } : { code });
      expect(body.errors[0].message).toMatch(message);
      expect(Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM audit_event'))[0].n)).toBe(before);
    });
  });
  describe('the size limit (PATCHGRAPH_EVIDENCE_PACK_MAX_ROWS) fails closed', () => {
    // Contoso's pack gathers CON-PC-01 and its finding (2 rows), then stops at CON-PC-02; Fabrikam's is 2 rows.
    const LIMIT = '2';
    let small: TestServer;
    const reportsGenerated = async () => Number((await db.dataSource.query("SELECT COUNT(*) AS n FROM audit_event WHERE action = 'report.generated'"))[0].n);
    beforeAll(async () => {
      // A second server with the small limit, on its own connection to the same database (stop() closes it).
      const dataSource = await createDataSource(db.config);
      await dataSource.initialize();
      small = await startTestServer({ ...db, dataSource }, { PATCHGRAPH_EVIDENCE_PACK_MAX_ROWS: LIMIT }, { clock });
    });
    afterAll(async () => {
      await small?.stop();
    });

    it('refuses a pack past the limit with 413 REPORT_TOO_LARGE naming the limit, records nothing, and still serves a pack within it', async () => {
      const before = await reportsGenerated();
      const key = await small.keyFor(Role.AUDITOR, [Buffer.from(fx.contoso, 'base64url').toString('utf8').split(':')[1]]);
      const res = await download(`${small.app.url}/reports/evidence-pack.zip?${new URLSearchParams(packParams())}`, key);
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(res.body.toString());
      expect(body.errors[0].extensions).toEqual({ code: 'REPORT_TOO_LARGE', limit: 2, setting: 'PATCHGRAPH_EVIDENCE_PACK_MAX_ROWS' });
      // Stopped while gathering, at the second asset, not after the whole tenant was read.
      expect(body.errors[0].message).toBe(
        'The evidence pack would hold more than 2 rows (2 assets, 1 findings, 0 exceptions, 0 change records when it stopped), the limit PATCHGRAPH_EVIDENCE_PACK_MAX_ROWS sets; '
        + 'nothing was generated or recorded. Ask for a later from (a shorter period, fewer change records) or a policy with fewer rules, or ask the operator to raise PATCHGRAPH_EVIDENCE_PACK_MAX_ROWS',
      );
      expect(await reportsGenerated()).toBe(before);
      // The main server's default limit serves the same request.
      expect((await download(url(packParams()), keys.contosoAuditor)).status).toBe(200);
      expect(await reportsGenerated()).toBe(before + 1);
      const within = await download(`${small.app.url}/reports/evidence-pack.zip?${new URLSearchParams(packParams({ tenant: fx.fabrikam }))}`, keys.fabrikamAuditor);
      expect(within.status).toBe(200);
      expect(await reportsGenerated()).toBe(before + 2);
    });

    it('the CLI refuses in one line naming the limit, exits 1, and leaves no file, partial file or record', async () => {
      const before = await reportsGenerated();
      const out = join(dir, 'too-large.zip');
      const run = await cliWith({ PATCHGRAPH_EVIDENCE_PACK_MAX_ROWS: LIMIT }, 'evidence-pack', '--tenant', 'Contoso Ltd', '--policy', CE, '--date', DATE, '--known-at', KNOWN_AT, '--out', out);
      expect([run.code, run.stdout, run.stderr.trim().split('\n').length]).toEqual([1, '', 1]);
      expect(run.stderr).toMatch(/^patchgraph: The evidence pack would hold more than 2 rows .*the limit PATCHGRAPH_EVIDENCE_PACK_MAX_ROWS sets; nothing was generated or recorded/);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).filter((f) => f.includes('too-large'))).toEqual([]);
      expect(await reportsGenerated()).toBe(before);
    }, CLI_TIMEOUT);

    it('a limit that is not a positive integer is a configuration error', async () => {
      const run = await cliWith({ PATCHGRAPH_EVIDENCE_PACK_MAX_ROWS: '0' }, 'evidence-pack', '--tenant', 'Contoso Ltd', '--policy', CE, '--date', DATE, '--out', join(dir, 'y.zip'));
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/PATCHGRAPH_EVIDENCE_PACK_MAX_ROWS.*must be an integer between 1 and 100000000, got "0"/);
    }, CLI_TIMEOUT);
  });
});
