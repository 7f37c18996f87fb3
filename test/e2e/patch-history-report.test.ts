/**
 * The patch history report end to end, on both engines: a history made by real syncs (file-import through the
 * server, the bundled Microsoft catalog, the intel baseline's KEV and EPSS), read back as GraphQL pages, CSV, JSON
 * Lines and PDF over HTTP. The expected rows are written out by hand below, row by row; ids come from the database.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Role } from '../../src/entities/enums';
import { importIntelFile } from '../../src/intel/import-intel';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { fixedClock } from '../../src/util/clock';
import { TenantScope } from '../../src/access/tenant-scope';
import { PatchHistorySource, StreamedSlice } from '../../src/reports/patch-history-source';
import { CSV_HEADER, csvLine } from '../../src/reports/formats/csv';
import { csvStreamChunks } from '../../src/reports/formats/csv-stream';
import { MAX_OPEN_STREAMS, takeEventStream } from '../../src/reports/event-stream';
import { PatchHistoryFilter } from '../../src/reports/patch-history-filter';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { download, Download } from '../helpers/http-download';
import { KB1, KB2 } from '../helpers/inventory';
import { AGENT, FIRST_DETECTED_POLICY, FROM, KNOWN_AT, loadPatchHistoryFixture, NOW, PatchHistoryFixture, T1, T2, T3, T4, TO } from '../helpers/patch-history-fixture';
import { startTestServer, TestServer } from '../helpers/server';

const ROW_FIELDS = `eventId tenant site assetId hostname serialNumber kb updateTitle classification severity cves { cveId cvss kevDateAdded epss }
  transition fromState toState reportedAt observedAt sourceTool connectorName syncRunId evidence changeRecord policyDueAt policyDueMet`;
const PAGE = `query($f: PatchHistoryFilterInput!, $first: Int, $after: String) { patchHistory(filter: $f, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor } nodes { ${ROW_FIELDS} } } }`;

type Row = Record<string, any>;
type Expected = [host: string, update: { key: string }, transition: string, from: string | null, to: string, reportedAt: string | null, observedAt: string, due?: [string | null, boolean | null]];

const HOSTS: Record<string, { serial: string; site: string | null }> = {
  'CON-PC-01': { serial: 'SN-PC-0001', site: 'Head Office' },
  'CON-PC-02': { serial: 'SN-PC-0002', site: null },
  'CON-SRV-01': { serial: 'SN-SRV-0001', site: 'Head Office' },
};

/**
 * Contoso's rows in October as known on 25 October, in the order the syncs recorded them. Left out: CON-PC-02's
 * KB5041585 (installed before October, by its reported time), CON-SRV-01's KB5043076 (first seen not applicable),
 * CON-PC-02's KB5043076 going from FAILED back to MISSING (still missing), and everything of the 28 October sync.
 * The last element: the due time under the first-detection policy (7 days after the asset was first seen lacking a
 * critical fix) and whether it was installed by then.
 */
const EXPECTED: Expected[] = [
  ['CON-PC-01', KB1, 'FIRST_SEEN_MISSING', null, 'MISSING', '2026-10-05T07:30:00.000Z', T1, ['2026-10-12T07:30:00.000Z', true]],
  ['CON-PC-01', KB2, 'FIRST_SEEN_MISSING', null, 'MISSING', null, T1, ['2026-10-12T08:00:00.000Z', false]],
  ['CON-PC-01', AGENT, 'FIRST_SEEN_INSTALLED', null, 'INSTALLED', '2026-10-02T12:00:00.000Z', T1],
  ['CON-PC-02', KB2, 'FAILED', null, 'FAILED', '2026-10-05T06:00:00.000Z', T1, ['2026-10-12T06:00:00.000Z', false]],
  ['CON-SRV-01', KB1, 'PENDING_REBOOT', null, 'PENDING_REBOOT', '2026-10-04T22:00:00.000Z', T1, ['2026-10-11T22:00:00.000Z', false]],
  ['CON-PC-01', KB1, 'INSTALLED', 'MISSING', 'INSTALLED', '2026-10-11T09:15:00.000Z', T2, ['2026-10-12T07:30:00.000Z', true]],
  ['CON-PC-01', AGENT, 'ROLLED_BACK', 'INSTALLED', 'MISSING', '2026-10-12T07:00:00.000Z', T2],
  ['CON-SRV-01', KB1, 'INSTALLED', 'PENDING_REBOOT', 'INSTALLED', null, T2, ['2026-10-11T22:00:00.000Z', false]],
  ['CON-PC-01', KB2, 'NO_LONGER_APPLICABLE', 'MISSING', 'NOT_APPLICABLE', null, T3, ['2026-10-12T08:00:00.000Z', false]],
  ['CON-PC-02', KB2, 'INSTALLED', 'MISSING', 'INSTALLED', '2026-10-19T20:00:00.000Z', T3, ['2026-10-12T06:00:00.000Z', false]],
];
const AFTER_KNOWN_AT: Expected = ['CON-PC-01', AGENT, 'INSTALLED', 'MISSING', 'INSTALLED', '2026-10-27T16:00:00.000Z', T4];

describe(`patch history report on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let fx: PatchHistoryFixture;
  const clock = fixedClock(NOW);
  const keys: Record<string, string> = {};
  let facts: Map<string, Row>;

  const data = async (query: string, variables?: Record<string, unknown>, key?: string) => {
    const res = await server.gql(query, variables, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  };
  const url = (format: string, params: Record<string, string | string[]>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
    return `${server.app.url}/reports/patch-history.${format}?${q}`;
  };
  const contosoParams = (extra: Record<string, string | string[]> = {}) => ({ tenant: fx.contoso, from: FROM, to: TO, knownAt: KNOWN_AT, ...extra });
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  /** The expected rows as the report writes them; ids and catalog facts looked up independently of the report. */
  async function expectedRows(list: Expected[], policy = false): Promise<Row[]> {
    const rows: Array<Row & { raw: string }> = [];
    for (const [host, update, transition, fromState, toState, reportedAt, observedAt, due] of list) {
      const [event] = await db.dataSource.query(
        `SELECT pe.id, pe.syncRunId, sd.assetId FROM patch_event pe JOIN source_device sd ON sd.id = pe.sourceDeviceId JOIN software_update u ON u.id = pe.updateId
         WHERE sd.hostname = ? AND u.catalogKey = ? AND pe.toState = ? AND ${fromState ? 'pe.fromState = ?' : 'pe.fromState IS NULL'}`,
        [host, update.key, toState, ...(fromState ? [fromState] : [])],
      );
      const u = facts.get(update.key)!;
      rows.push({
        raw: event.id,
        eventId: toGlobalId('PatchEvent', event.id), tenant: 'Contoso Ltd', site: HOSTS[host].site, assetId: toGlobalId('Asset', event.assetId),
        hostname: host, serialNumber: HOSTS[host].serial, kb: u.kb, updateTitle: u.title, classification: u.classification, severity: u.severity, cves: u.cves,
        transition, fromState, toState, reportedAt, observedAt, sourceTool: 'file-import', connectorName: 'Contoso inventory',
        syncRunId: toGlobalId('SyncRun', event.syncRunId), evidence: 'REPORTED', changeRecord: null,
        policyDueAt: policy && due ? due[0] : null, policyDueMet: policy && due ? due[1] : null,
      });
    }
    // Report order within a tenant: observed time, then event id.
    rows.sort((a, b) => (a.observedAt !== b.observedAt ? (a.observedAt < b.observedAt ? -1 : 1) : a.raw < b.raw ? -1 : 1));
    return rows.map(({ raw, ...r }) => r);
  }

  /** The CSV form of a row, written here independently of the report's code. */
  const csvRecord = (r: Row): Record<string, string> => {
    const max = (k: 'cvss' | 'epss') => r.cves.map((c: Row) => c[k]).filter((v: number | null) => v !== null).reduce((m: number | null, v: number) => (m === null || v > m ? v : m), null);
    const cvss = max('cvss');
    const epss = max('epss');
    const text = (v: unknown) => (v === null ? '' : String(v));
    return {
      eventId: r.eventId, tenant: r.tenant, site: text(r.site), assetId: r.assetId, hostname: r.hostname, serialNumber: r.serialNumber, kb: text(r.kb), updateTitle: r.updateTitle,
      classification: r.classification, severity: r.severity, cves: r.cves.map((c: Row) => c.cveId).join('; '), maxCvss: cvss === null ? '' : cvss.toFixed(1),
      kevCves: r.cves.filter((c: Row) => c.kevDateAdded).map((c: Row) => c.cveId).join('; '), maxEpss: text(epss), transition: r.transition, fromState: text(r.fromState),
      toState: r.toState, reportedAt: text(r.reportedAt), observedAt: r.observedAt, sourceTool: r.sourceTool, connectorName: r.connectorName, syncRunId: r.syncRunId,
      evidence: r.evidence, changeRecord: '', policyDueAt: text(r.policyDueAt), policyDueMet: text(r.policyDueMet),
    };
  };

  async function graphqlRows(filter: Record<string, unknown>, key?: string, first = 3): Promise<{ rows: Row[]; totalCount: number }> {
    const rows: Row[] = [];
    let after: string | null = null;
    let totalCount = 0;
    for (;;) {
      const page: any = (await data(PAGE, { f: filter, first, after }, key)).patchHistory;
      rows.push(...page.nodes);
      totalCount = page.totalCount;
      if (!page.pageInfo.hasNextPage) return { rows, totalCount };
      after = page.pageInfo.endCursor;
    }
  }

  const pdfText = (pdf: Buffer): string => {
    const dir = mkdtempSync(join(tmpdir(), 'patchgraph-pdf-'));
    try {
      writeFileSync(join(dir, 'r.pdf'), pdf);
      return execFileSync('pdftotext', ['-layout', join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const minute = (iso: string | null) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : '');

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db, {}, { clock });
    fx = await loadPatchHistoryFixture(server, db, clock);
    keys.contosoAuditor = await server.keyFor(Role.AUDITOR, [keyOfTenant(fx.contoso)]);
    keys.fabrikamAuditor = await server.keyFor(Role.AUDITOR, [keyOfTenant(fx.fabrikam)]);
    const updates = (await data('{ updates(first: 50) { nodes { kb title classification severity vulnerabilities { cveId cvssBaseScore kevDateAdded epssScore } } } }')).updates.nodes;
    const byKb = (kb: string | null, title: string) => updates.find((u: Row) => (kb ? u.kb === kb : u.title === title));
    facts = new Map([KB1, KB2, AGENT].map((u) => {
      const found = byKb((u as { kb?: string }).kb ?? null, u.title);
      const cves = [...found.vulnerabilities].sort((a: Row, b: Row) => (a.cveId < b.cveId ? -1 : 1))
        .map((v: Row) => ({ cveId: v.cveId, cvss: v.cvssBaseScore, kevDateAdded: v.kevDateAdded, epss: v.epssScore }));
      return [u.key, { kb: found.kb, title: found.title, classification: found.classification, severity: found.severity, cves }];
    }));
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  function keyOfTenant(globalId: string): string {
    return Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
  }

  it('the fixture gives the catalog facts the rows must carry: 43 CVEs on KB5041585, one in KEV with its EPSS score', () => {
    const kb1 = facts.get(KB1.key)!;
    expect(kb1.cves).toHaveLength(43);
    expect(kb1.cves.find((c: Row) => c.cveId === 'CVE-2024-38178')).toEqual({ cveId: 'CVE-2024-38178', cvss: 7.5, kevDateAdded: '2024-08-13', epss: 0.4138 });
    expect(facts.get(AGENT.key)!.cves).toEqual([]);
  });

  let csv: Download;
  let jsonl: Download;
  let pdf: Download;

  it('GraphQL pages through exactly the expected rows, row by row', async () => {
    const expected = await expectedRows(EXPECTED);
    const { rows, totalCount } = await graphqlRows({ tenantId: fx.contoso, from: `${FROM}T00:00:00Z`, to: `${TO}T00:00:00Z`, knownAt: KNOWN_AT }, keys.contosoAuditor);
    expect(totalCount).toBe(10);
    expect(rows).toEqual(expected);
  });

  it('the row source gives the same rows read in batches of 3 (keyset across batches and tenants) as in one', async () => {
    const filter = { tenantIds: null, from: new Date(`${FROM}T00:00:00Z`), to: new Date(`${TO}T00:00:00Z`), knownAt: new Date(KNOWN_AT), siteIds: null, assetIds: null, kbs: null, cveIds: null, severities: null, transitions: null, policy: null };
    const read = async (batchSize: number, readAhead = false, stopAfter = Infinity) => {
      const out: Row[] = [];
      for await (const { row } of (await PatchHistorySource.open(db.dataSource, TenantScope.allTenants(), filter, null, { batchSize, readAhead })).rows()) {
        out.push(row);
        if (out.length === stopAfter) break;
      }
      return out;
    };
    const whole = await read(2000);
    expect(whole.filter((r) => r.tenant === 'Contoso Ltd')).toEqual(await expectedRows(EXPECTED));
    expect(whole).toHaveLength(11);
    expect(await read(3)).toEqual(whole);
    // Reading the next batch ahead (as reports do) changes nothing, nor does a reader that stops with one in flight.
    expect(await read(3, true)).toEqual(whole);
    expect(await read(1, true)).toEqual(whole);
    expect(await read(3, true, 4)).toEqual(whole.slice(0, 4));
  });

  it('the streamed CSV export writes the bytes csvLine writes from the keyset rows, also when its device lookup holds two devices (of three) and lets go of them slice after slice', async () => {
    const whole: PatchHistoryFilter = { tenantIds: null, from: new Date(`${FROM}T00:00:00Z`), to: new Date(`${TO}T00:00:00Z`), knownAt: new Date(KNOWN_AT), siteIds: null, assetIds: null, kbs: null, cveIds: null, severities: null, transitions: null, policy: null };
    const [site] = await db.dataSource.query("SELECT id FROM site WHERE name = 'Head Office'");
    const [asset] = await db.dataSource.query("SELECT id FROM asset WHERE hostname = 'CON-PC-01'");
    const keyset = async (filter: PatchHistoryFilter) => {
      let text = CSV_HEADER;
      for await (const { row } of (await PatchHistorySource.open(db.dataSource, TenantScope.allTenants(), filter, null)).rows()) text += csvLine(row);
      return text;
    };
    const streamed = async (filter: PatchHistoryFilter, capacity?: number) => {
      const source = await PatchHistorySource.open(db.dataSource, TenantScope.allTenants(), filter, null);
      let rows = 0;
      let evictions = 0;
      async function* watched(slices: AsyncIterable<StreamedSlice>) {
        for await (const slice of slices) {
          yield slice;
          evictions = slice.devices.evictions;
        }
      }
      const chunks: Buffer[] = [];
      const stream = takeEventStream(db.dataSource)!;
      try {
        for await (const chunk of csvStreamChunks(watched(source.streamedSlices(stream, capacity)), (n) => (rows += n))) chunks.push(chunk);
      } finally {
        stream.release();
      }
      return { text: Buffer.concat(chunks).toString('utf8'), rows, evictions };
    };
    for (const filter of [whole, { ...whole, siteIds: [String(site.id)] }, { ...whole, assetIds: [String(asset.id)] }, { ...whole, siteIds: [] }]) {
      const expected = await keyset(filter);
      const lines = expected.split('\r\n').length - 2;
      expect(await streamed(filter)).toEqual({ text: expected, rows: lines, evictions: 0 });
      const small = await streamed(filter, 2);
      expect(small.text).toBe(expected);
      // Slices of two rows over three devices: a slice naming one held and one not, beside another held, lets go of both.
      if (filter === whole) expect(small.evictions).toBeGreaterThan(2);
    }
    expect((await keyset(whole)).split('\r\n').length - 2).toBe(11);
  });

  it('CSV over HTTP: the same rows, metadata in headers, row count and SHA-256 as trailers', async () => {
    csv = await download(url('csv', contosoParams()), keys.contosoAuditor);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(csv.headers['x-patchgraph-known-at']).toBe(KNOWN_AT);
    expect(csv.headers['x-patchgraph-generated-at']).toBe(NOW);
    expect(csv.headers['x-patchgraph-generated-by']).toMatch(/^api-key:test-AUDITOR \(/);
    expect(JSON.parse(String(csv.headers['x-patchgraph-filters']))).toEqual({
      tenantIds: [fx.contoso], from: `${FROM}T00:00:00.000Z`, to: `${TO}T00:00:00.000Z`, knownAt: KNOWN_AT,
      siteIds: null, assetIds: null, kbs: null, cveIds: null, severities: null, transitions: null, policy: null,
    });
    const [head] = await db.dataSource.query('SELECT seq, hash FROM audit_chain_head WHERE chainKey = ?', [keyOfTenant(fx.contoso)]);
    expect(csv.headers['x-patchgraph-audit-chain-heads']).toBe(`${keyOfTenant(fx.contoso)}:${head.seq - 1}:${(await chainEvent(head.seq - 1)).hash}`);
    expect(csv.trailers['x-patchgraph-row-count']).toBe('10');
    expect(csv.trailers['x-patchgraph-content-sha256']).toBe(sha256(csv.body));
    const records = parse(csv.body, { columns: true, bom: false }) as Array<Record<string, string>>;
    expect(records).toEqual((await expectedRows(EXPECTED)).map(csvRecord));
    expect(csv.body.subarray(0, 8).toString()).toBe('eventId,');
  });


  async function chainEvent(seq: number) {
    const [e] = await db.dataSource.query('SELECT hash, action, data FROM audit_event WHERE chainKey = ? AND seq = ?', [keyOfTenant(fx.contoso), seq]);
    return e;
  }

  it('records each report as a report.generated audit event in the tenant\'s chain: filters, knownAt, format, rows, SHA-256, chain head', async () => {
    const [head] = await db.dataSource.query('SELECT seq FROM audit_chain_head WHERE chainKey = ?', [keyOfTenant(fx.contoso)]);
    const e = await chainEvent(head.seq);
    expect(e.action).toBe('report.generated');
    const record = JSON.parse(e.data);
    expect(record).toMatchObject({
      report: 'patch-history', format: 'csv', generatedAt: NOW, rowCount: 10, byteCount: csv.body.length, sha256: sha256(csv.body),
      filter: { tenantIds: [keyOfTenant(fx.contoso)], from: `${FROM}T00:00:00.000Z`, to: `${TO}T00:00:00.000Z`, knownAt: KNOWN_AT, policy: null },
      chainHeads: [{ chainKey: keyOfTenant(fx.contoso), seq: head.seq - 1, hash: (await chainEvent(head.seq - 1)).hash }],
    });
    expect(record.generatedBy).toMatch(/^api-key:test-AUDITOR/);
    expect(csv.trailers['x-patchgraph-report-id']).toBe(toGlobalId('AuditEvent', (await db.dataSource.query('SELECT id FROM audit_event WHERE chainKey = ? AND seq = ?', [keyOfTenant(fx.contoso), head.seq]))[0].id));
  });
  it('at most two CSV downloads stream at once, each holding a connection; a third, while they are open, reads by keyset batches and sends the same bytes', async () => {
    const held = Array.from({ length: MAX_OPEN_STREAMS }, () => takeEventStream(db.dataSource));
    try {
      expect(held.every(Boolean)).toBe(true);
      expect(takeEventStream(db.dataSource)).toBeNull();
      const third = await download(url('csv', contosoParams()), keys.contosoAuditor);
      expect({ status: third.status, body: third.body, sha256: third.trailers['x-patchgraph-content-sha256'] }).toEqual({ status: 200, body: csv.body, sha256: sha256(csv.body) });
    } finally {
      for (const stream of held) stream?.release();
    }
    // The downloads gave their places back, the ones that streamed and the one that did not.
    const again = Array.from({ length: MAX_OPEN_STREAMS }, () => takeEventStream(db.dataSource));
    expect(again.every(Boolean)).toBe(true);
    for (const stream of again) stream?.release();
  });

  it('JSON Lines over HTTP: one row object per line, the same rows', async () => {
    jsonl = await download(url('jsonl', contosoParams()), keys.contosoAuditor);
    expect(jsonl.status).toBe(200);
    expect(jsonl.trailers['x-patchgraph-content-sha256']).toBe(sha256(jsonl.body));
    const lines = jsonl.body.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual(await expectedRows(EXPECTED));
  });

  it('PDF over HTTP: a summary page, then one line per row with the same values', async () => {
    pdf = await download(url('pdf', contosoParams()), keys.contosoAuditor);
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.trailers['x-patchgraph-content-sha256']).toBe(sha256(pdf.body));
    expect(pdf.trailers['x-patchgraph-row-count']).toBe('10');
    const text = pdfText(pdf.body);
    const [summary, ...detail] = text.split('\f');
    expect(summary).toMatch(/Tenant\s+Contoso Ltd/);
    expect(summary).toMatch(/Known at\s+2026-10-25 00:00 UTC/);
    expect(summary).toMatch(/Events\s+10\b/);
    for (const [transition, n] of [['FIRST_SEEN_MISSING', 2], ['INSTALLED', 3], ['FIRST_SEEN_INSTALLED', 1], ['FAILED', 1], ['PENDING_REBOOT', 1], ['ROLLED_BACK', 1], ['NO_LONGER_APPLICABLE', 1]] as const) {
      expect(summary).toMatch(new RegExp(`\\b${transition}\\s+${n}\\b`));
    }
    expect(summary).toMatch(/CRITICAL\s+8\b/);
    expect(summary).toMatch(/LOW\s+2\b/);
    // Compliance by the policy assigned to Contoso (Cyber Essentials), as of the period's end (knownAt, earlier).
    expect(summary).toMatch(/Cyber Essentials[^\n]*\s\d+\s+\d+\s+\d+\s+\d+\s+\d+/);
    expect(summary).toContain('Installs per day');
    // Each row, on its own line, in report order: the PDF's cells are the rows' values.
    const lines = detail.join('\n').split('\n').filter((l) => /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(l) && !/^\s*Patch history,/.test(l));
    const expected = await expectedRows(EXPECTED);
    expect(lines).toHaveLength(expected.length);
    expected.forEach((r, i) => {
      const cells = [minute(r.reportedAt), minute(r.observedAt), r.hostname, r.site, r.kb, r.severity, r.transition, r.sourceTool, r.evidence].filter(Boolean);
      const at = cells.reduce((from: number, cell: string) => {
        const found = lines[i].indexOf(cell, from);
        expect([i, cell, found >= 0]).toEqual([i, cell, true]);
        return found + cell.length;
      }, 0);
      expect(at).toBeGreaterThan(0);
      expect(lines[i]).toContain(r.updateTitle.slice(0, 12));
    });
  });

  it('a policy adds each row\'s due time (first detection + 7 days) and whether it was met, and keeps the updates it covers', async () => {
    const expected = await expectedRows(EXPECTED.filter((e) => e[7]), true);
    const { rows } = await graphqlRows({ tenantId: fx.contoso, from: `${FROM}T00:00:00Z`, to: `${TO}T00:00:00Z`, knownAt: KNOWN_AT, policy: FIRST_DETECTED_POLICY.key }, keys.contosoAuditor, 50);
    expect(rows).toEqual(expected);
    const viaCsv = await download(url('csv', contosoParams({ policy: FIRST_DETECTED_POLICY.key })), keys.contosoAuditor);
    expect(parse(viaCsv.body, { columns: true })).toEqual(expected.map(csvRecord));
  });

  it('filters by site, asset, KB, CVE, severity and transition', async () => {
    const all = await expectedRows(EXPECTED);
    const base = { tenantId: fx.contoso, from: `${FROM}T00:00:00Z`, to: `${TO}T00:00:00Z`, knownAt: KNOWN_AT };
    const ids = (rows: Row[]) => rows.map((r) => r.eventId);
    const pc01 = all.find((r) => r.hostname === 'CON-PC-01')!.assetId;
    const cases: Array<[Record<string, unknown>, (r: Row) => boolean]> = [
      [{ siteIds: [fx.headOffice] }, (r) => r.site === 'Head Office'],
      [{ assetIds: [pc01] }, (r) => r.hostname === 'CON-PC-01'],
      [{ kbs: ['kb5043076'] }, (r) => r.kb === 'KB5043076'],
      [{ cveIds: ['CVE-2024-38178'] }, (r) => r.kb === 'KB5041585'],
      [{ severities: ['LOW'] }, (r) => r.severity === 'LOW'],
      [{ transitions: ['INSTALLED', 'ROLLED_BACK'] }, (r) => ['INSTALLED', 'ROLLED_BACK'].includes(r.transition)],
      [{ kbs: [] }, () => false],
    ];
    for (const [filter, keep] of cases) {
      const { rows, totalCount } = await graphqlRows({ ...base, ...filter }, keys.contosoAuditor, 50);
      expect([filter, ids(rows)]).toEqual([filter, ids(all.filter(keep))]);
      expect(totalCount).toBe(rows.length);
    }
    const viaHttp = await download(url('jsonl', contosoParams({ transition: 'INSTALLED,ROLLED_BACK', site: fx.headOffice })), keys.contosoAuditor);
    expect(viaHttp.body.toString().trim().split('\n').map((l) => JSON.parse(l).eventId)).toEqual(ids(all.filter((r) => r.site === 'Head Office' && ['INSTALLED', 'ROLLED_BACK'].includes(r.transition))));
  });

  it('verifyReport regenerates each format from its record and finds the same bytes', async () => {
    for (const d of [csv, jsonl, pdf]) {
      const digest = d.trailers['x-patchgraph-content-sha256']!;
      const v = (await data('query($d: String!) { verifyReport(sha256: $d) { sha256 identical format rowCount regeneratedRowCount regeneratedSha256 knownAt generatedBy filters reportId auditChainHeads { chainKey seq hash } } }', { d: digest }, keys.contosoAuditor)).verifyReport;
      expect(v).toMatchObject({ sha256: digest, identical: true, rowCount: 10, regeneratedRowCount: 10, regeneratedSha256: digest, knownAt: KNOWN_AT, reportId: d.trailers['x-patchgraph-report-id'] });
      expect(v.filters.tenantIds).toEqual([fx.contoso]);
    }
  });

  it('after a later sync and a new EPSS day, the same knownAt gives the same bytes in every format; without it the new event and score are in', async () => {
    await fx.syncAfterKnownAt();
    // A later EPSS file scores CVE-2024-38178 anew: the facts held at knownAt stay in the old report.
    const dir = mkdtempSync(join(tmpdir(), 'patchgraph-epss-'));
    writeFileSync(join(dir, 'epss.csv'), '#model_version:v2025.03.14,score_date:2026-10-30T00:00:00+0000\ncve,epss,percentile\nCVE-2024-38178,0.912340000,0.996000000\n');
    await importIntelFile(db.dataSource, join(dir, 'epss.csv'), new Date(T4));
    rmSync(dir, { recursive: true, force: true });
    for (const [format, before] of [['csv', csv], ['jsonl', jsonl], ['pdf', pdf]] as const) {
      const again = await download(url(format, contosoParams()), keys.contosoAuditor);
      expect([format, sha256(again.body)]).toEqual([format, sha256(before.body)]);
    }
    const v = (await data('query($d: String!) { verifyReport(sha256: $d) { identical } }', { d: sha256(pdf.body) }, keys.contosoAuditor)).verifyReport;
    expect(v.identical).toBe(true);
    const now = await download(url('jsonl', { tenant: fx.contoso, from: FROM, to: TO }), keys.contosoAuditor);
    expect(now.headers['x-patchgraph-known-at']).toBe(NOW);
    const epssNow = (r: Row) => ({ ...r, cves: r.cves.map((c: Row) => (c.cveId === 'CVE-2024-38178' ? { ...c, epss: 0.91234 } : c)) });
    expect(now.body.toString().trim().split('\n').map((l) => JSON.parse(l))).toEqual((await expectedRows([...EXPECTED, AFTER_KNOWN_AT])).map(epssNow));
  });

  it('a report with a regenerated difference is not identical, and says so', async () => {
    // Rename a site: the rows name it, so regenerating the Head Office report no longer gives its bytes.
    const before = await download(url('csv', contosoParams({ site: fx.headOffice })), keys.contosoAuditor);
    const digest = before.trailers['x-patchgraph-content-sha256']!;
    await data('mutation($id: ID!) { renameSite(input: { id: $id, name: "Main Office" }) { name } }', { id: fx.headOffice });
    try {
      const v = (await data('query($d: String!) { verifyReport(sha256: $d) { identical rowCount regeneratedRowCount regeneratedSha256 } }', { d: digest }, keys.contosoAuditor)).verifyReport;
      expect(v).toMatchObject({ identical: false, rowCount: 8, regeneratedRowCount: 8 });
      expect(v.regeneratedSha256).not.toBe(digest);
    } finally {
      await data('mutation($id: ID!) { renameSite(input: { id: $id, name: "Head Office" }) { name } }', { id: fx.headOffice });
    }
  });

  describe('scoping', () => {
    it('another tenant\'s auditor cannot name Contoso, sees only its own rows, and cannot verify Contoso\'s reports', async () => {
      const res = await download(url('csv', contosoParams()), keys.fabrikamAuditor);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body.toString())).toEqual({ errors: [{ message: expect.stringContaining('was not found'), extensions: { code: 'NOT_FOUND' } }] });
      const own = await download(url('jsonl', { from: FROM, to: TO, knownAt: KNOWN_AT }), keys.fabrikamAuditor);
      const rows = own.body.toString().trim().split('\n').map((l) => JSON.parse(l));
      expect(rows.map((r) => [r.tenant, r.hostname, r.kb, r.transition])).toEqual([['Fabrikam Inc', 'FAB-PC-01', 'KB5041585', 'FIRST_SEEN_MISSING']]);
      const gql = await server.gql('query($d: String!) { verifyReport(sha256: $d) { identical } }', { d: sha256(csv.body) }, keys.fabrikamAuditor);
      expect(gql.body.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
      const page = await server.gql(PAGE, { f: { tenantId: fx.contoso, from: `${FROM}T00:00:00Z`, to: `${TO}T00:00:00Z` } }, keys.fabrikamAuditor);
      expect(page.body.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    });

    it('an MSP-wide key sees both tenants, tenant by tenant, and its report goes to the global chain', async () => {
      const all = await download(url('jsonl', { from: FROM, to: TO, knownAt: KNOWN_AT }), server.adminKey);
      const rows = all.body.toString().trim().split('\n').map((l) => JSON.parse(l));
      const tenants = [...new Set(rows.map((r) => r.tenant))];
      expect(tenants.sort()).toEqual(['Contoso Ltd', 'Fabrikam Inc']);
      expect(rows.filter((r) => r.tenant === 'Contoso Ltd')).toEqual(await expectedRows(EXPECTED));
      const [e] = await db.dataSource.query("SELECT data FROM audit_event WHERE chainKey = 'global' AND action = 'report.generated' ORDER BY seq DESC LIMIT 1");
      expect(JSON.parse(e.data)).toMatchObject({ format: 'jsonl', sha256: sha256(all.body), filter: { tenantIds: null } });
    });

    it('refuses a request without a valid key', async () => {
      const res = await download(url('csv', contosoParams()), null);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect((await download(url('csv', contosoParams()), 'pgk_not-a-key-at-all-0000000000')).status).toBe(401);
    });
  });

  describe('bad filters get typed errors naming the field, over HTTP and GraphQL', () => {
    const cases: Array<[Record<string, string>, number, string, string, RegExp]> = [
      [{ from: '2026-11-01', to: '2026-10-01' }, 400, 'BAD_USER_INPUT', 'from', /must be before to/],
      [{ from: '2026-13-01', to: '2026-11-01' }, 400, 'BAD_USER_INPUT', 'from', /must be a date/],
      [{ from: '2026-10-01T08:00', to: '2026-11-01' }, 400, 'BAD_USER_INPUT', 'from', /with a zone/],
      [{ to: '2026-11-01' }, 400, 'BAD_USER_INPUT', 'from', /is required/],
      [{ from: '2026-10-01', to: '2026-11-01', knownAt: '2027-01-01' }, 400, 'BAD_USER_INPUT', 'knownAt', /in the future/],
      [{ from: '2026-10-01', to: '2026-11-01', knownAt: '2026-09-01' }, 400, 'BAD_USER_INPUT', 'knownAt', /before from/],
      [{ from: '2026-10-01', to: '2026-11-01', transition: 'UNINSTALLED' }, 400, 'BAD_USER_INPUT', 'transition', /not one of FIRST_SEEN_MISSING/],
      [{ from: '2026-10-01', to: '2026-11-01', kb: 'Q123' }, 400, 'BAD_USER_INPUT', 'kb', /not a KB number/],
      [{ from: '2026-10-01', to: '2026-11-01', cve: 'CVE-24-1' }, 400, 'BAD_USER_INPUT', 'cve', /not a CVE id/],
      [{ from: '2026-10-01', to: '2026-11-01', policy: 'no-such-policy' }, 400, 'BAD_USER_INPUT', 'policy', /no policy "no-such-policy"/],
      [{ from: '2026-10-01', to: '2026-11-01', tenant: 'not-an-id' }, 400, 'BAD_USER_INPUT', 'tenant', /not an id issued by this API/],
      [{ from: '2026-10-01', to: '2026-11-01', tenant: toGlobalId('Tenant', '00000000-0000-4000-8000-000000000000') }, 404, 'NOT_FOUND', '', /Tenant .* was not found/],
    ];
    it.each(cases.map((c, i) => [i, ...c] as const))('case %i: %j → %i %s', async (_i, params, status, code, field, message) => {
      const before = Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM audit_event'))[0].n);
      const res = await download(url('csv', params), keys.contosoAuditor);
      expect(res.status).toBe(status);
      const body = JSON.parse(res.body.toString());
      expect(body.errors[0].extensions).toEqual(field ? { code, field } : { code });
      expect(body.errors[0].message).toMatch(message);
      expect(Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM audit_event'))[0].n)).toBe(before);
    });

    it('GraphQL names the filter field', async () => {
      const bad = async (f: Record<string, unknown>) => (await server.gql(PAGE, { f }, keys.contosoAuditor)).body.errors![0].extensions;
      expect(await bad({ from: '2026-11-01T00:00:00Z', to: '2026-10-01T00:00:00Z' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.from' });
      expect(await bad({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', kbs: ['nope'] })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.kbs' });
      expect(await bad({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', policy: 'nope' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.policy' });
      const cursor = (await data(PAGE, { f: { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', knownAt: KNOWN_AT }, first: 1 }, keys.contosoAuditor)).patchHistory.pageInfo.endCursor;
      expect((await server.gql(PAGE, { f: { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', knownAt: T3 }, after: cursor }, keys.contosoAuditor)).body.errors![0].extensions)
        .toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      const bogus = await server.gql('query { verifyReport(sha256: "abc") { identical } }', undefined, keys.contosoAuditor);
      expect(bogus.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sha256' });
    });
  });
});
