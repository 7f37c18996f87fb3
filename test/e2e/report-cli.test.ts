/**
 * `patchgraph report` as an auditor runs it: the real CLI (bin/patchgraph.js) in a child process, on the database a
 * test server uses. The file it writes is byte for byte the report the HTTP route serves for the same filters and
 * knownAt; `report verify` proves a file (or a digest) by regenerating it, and names the first line that differs.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { download } from '../helpers/http-download';
import { FROM, KNOWN_AT, loadPatchHistoryFixture, NOW, PatchHistoryFixture, TO } from '../helpers/patch-history-fixture';
import { startTestServer, TestServer } from '../helpers/server';

const ROOT = join(__dirname, '..', '..');
// Each command compiles the TypeScript first when a source changed since the last build (about a minute on a busy machine).
const CLI_TIMEOUT = 600_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe(`patchgraph report (the CLI) on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let fx: PatchHistoryFixture;
  let dir: string;
  const clock = fixedClock(NOW);
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  function cli(...args: string[]): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'patchgraph.js'), 'report', ...args], {
        cwd: ROOT, env: { ...process.env, DATABASE_URL: db.config.url, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr: stderr.replace(/^patchgraph: compil.*\n/gm, '') }));
    });
  }
  const httpReport = (format: string) => download(`${server.app.url}/reports/patch-history.${format}?tenant=${fx.contoso}&from=${FROM}&to=${TO}&knownAt=${KNOWN_AT}`, server.adminKey);
  const period = ['--tenant', 'Contoso Ltd', '--from', FROM, '--to', TO, '--known-at', KNOWN_AT];

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db, {}, { clock });
    fx = await loadPatchHistoryFixture(server, db, clock);
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-report-cli-'));
  }, CLI_TIMEOUT);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the same bytes as the HTTP route, records the report as cli:<os user>, and verifies the file', async () => {
    for (const format of ['csv', 'pdf'] as const) {
      const out = join(dir, `contoso.${format}`);
      const run = await cli('patch-history', ...period, '--format', format, '--out', out);
      expect([run.code, run.stderr]).toEqual([0, expect.stringMatching(new RegExp(`^wrote ${out.replace(/[.]/g, '\\.')}: ${format}, 10 rows, \\d+ bytes, known at ${KNOWN_AT}\\nsha256 [0-9a-f]{64}; recorded as report \\S+`))]);
      const file = readFileSync(out);
      const served = await httpReport(format);
      expect(sha256(file)).toBe(sha256(served.body));
      expect(run.stderr).toContain(`sha256 ${sha256(file)}`);
      const [event] = await db.dataSource.query("SELECT actor, data FROM audit_event WHERE action = 'report.generated' AND targetId = ? ORDER BY seq LIMIT 1", [sha256(file)]);
      expect(event.actor).toBe(`cli:${userInfo().username}`);
      expect(JSON.parse(event.data)).toMatchObject({ format, rowCount: 10, generatedBy: `cli:${userInfo().username}` });

      const verified = await cli('verify', out);
      expect([verified.code, verified.stdout]).toEqual([0, expect.stringMatching(new RegExp(`^identical: regenerating gives the same ${file.length} bytes \\(sha256 ${sha256(file)}\\); patch-history ${format}, 10 rows`))]);
    }
    expect(readdirSync(dir).sort()).toEqual(['contoso.csv', 'contoso.pdf']);
  }, CLI_TIMEOUT);

  it('verifies a digest, and names the first differing line of a file whose report no longer regenerates the same', async () => {
    const jsonl = await httpReport('jsonl');
    const byDigest = await cli('verify', '--digest', sha256(jsonl.body));
    expect([byDigest.code, byDigest.stdout]).toEqual([0, expect.stringMatching(/^identical: /)]);

    const out = join(dir, 'head-office.csv');
    expect((await cli('patch-history', ...period, '--site', fx.headOffice, '--format', 'csv', '--out', out)).code).toBe(0);
    await server.gql('mutation($id: ID!) { renameSite(input: { id: $id, name: "Main Office" }) { name } }', { id: fx.headOffice });
    try {
      const run = await cli('verify', out);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^DIFFERENT: regenerating gives 8 rows, sha256 [0-9a-f]{64}; patch-history csv, 8 rows/);
      expect(run.stdout).toMatch(/\nfirst difference: line 2: the file has "[^"]*,Head Office,[^"]*", regenerating gives "[^"]*,Main Office,[^"]*"\n$/);
    } finally {
      await server.gql('mutation($id: ID!) { renameSite(input: { id: $id, name: "Head Office" }) { name } }', { id: fx.headOffice });
    }
  }, CLI_TIMEOUT);

  it('refuses bad input in one line naming the option, writing no file and recording nothing', async () => {
    const before = Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM audit_event'))[0].n);
    const out = join(dir, 'bad.csv');
    const cases: Array<[string[], RegExp]> = [
      [['--tenant', 'Contoso Ltd', '--from', '2026-11-01', '--to', '2026-10-01', '--format', 'csv'], /^patchgraph: --from: must be before --to \(2026-11-01T00:00:00\.000Z is not before 2026-10-01T00:00:00\.000Z\)\n$/],
      [['--tenant', 'Contoso Ltd', '--from', '1 October', '--to', TO, '--format', 'csv'], /^patchgraph: --from: must be a date \(2026-10-01, meaning its start in UTC\) or an ISO 8601 date-time with a zone .*got "1 October"\n$/],
      [['--tenant', 'Northwind', '--from', FROM, '--to', TO, '--format', 'csv'], /^patchgraph: --tenant: no tenant has the id or the exact name "Northwind"\n$/],
      [['--tenant', 'Contoso Ltd', '--from', FROM, '--to', TO, '--format', 'xml'], /^patchgraph: --format: must be one of csv, jsonl, pdf, got "xml"\n$/],
      [['--tenant', 'Contoso Ltd', '--from', FROM, '--to', TO, '--known-at', '2099-01-01T00:00:00Z', '--format', 'csv'], /^patchgraph: --known-at: is in the future/],
      [['--tenant', 'Contoso Ltd', '--from', FROM, '--to', TO, '--transition', 'REMOVED', '--format', 'csv'], /^patchgraph: --transition: "REMOVED" is not one of FIRST_SEEN_MISSING/],
    ];
    for (const [args, message] of cases) {
      const run = await cli('patch-history', ...args, '--out', out);
      expect([args, run.code, run.stderr]).toEqual([args, 1, expect.stringMatching(message)]);
    }
    const unknown = await cli('verify', '--digest', '0'.repeat(64));
    expect([unknown.code, unknown.stderr]).toEqual([1, `patchgraph: --digest: no report with SHA-256 ${'0'.repeat(64)} was recorded\n`]);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM audit_event'))[0].n)).toBe(before);
  }, CLI_TIMEOUT);
});
