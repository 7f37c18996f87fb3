/**
 * Bench case "report-csv": the patch history report as CSV over HTTP, 1,000,000 rows, from a real server (`patchgraph
 * serve` in a process of its own) with an MSP-wide key, beside a hand-written exporter in the bench process (the same
 * joins read by the same keyset batches, each row joined with commas into a sink: no HTTP, no ids, no CVE facts, no
 * digest). Reports rows per second and the server's peak resident memory (targets: at least 300,000 rows/s, at most
 * 256 MB), and checks the download: a million rows, the trailer's SHA-256 equal to the body's.
 *
 * The fleet is written by raw multi-row INSERTs: 5,000 assets of one tenant, 20 updates each (the bundled catalog's 12
 * cumulative updates with their CVEs, and 8 of the tenant's own), ten sync runs a day apart, every one changing every
 * state (first seen missing, then installed and rolled back in turn): 5,000 x 20 x 10 = 1,000,000 patch events.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { parseDatabaseUrl } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';
import { insertRows } from '../../src/db/insert-rows';
import { runMigrations } from '../../src/db/migrate';
import { loadBundledCatalog } from '../../src/catalog/bundled-catalog';
import { ConnectorInstance, Site, SyncRun, Tenant, Update } from '../../src/entities';
import { ReleaseDateSource, Severity, SyncMode, SyncRunStatus, SyncTrigger, UpdateClassification } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';
import { cpuSecondsOf, peakRssOf, startServerProcess } from './server-process';
import { sqlTime } from '../../src/db/sql-time';

/** 5,000 assets make the million rows; BENCH_REPORT_ASSETS makes a smaller run while working on it. */
const ASSETS = Number(process.env.BENCH_REPORT_ASSETS ?? 5_000);
const OWN_UPDATES = 8;
const RUNS = 10;
const FIRST_RUN = new Date('2026-10-01T06:00:00.000Z');
const BATCH = 2_000;

/**
 * Multi-row INSERTs of plain value arrays, in chunks under both engines' parameter limits, one transaction per 100,000
 * rows. Each transaction is a transaction() call: a runner's transaction started in a helper and committed by its
 * caller left the SQLite gate's owner in the helper's async context, and the caller's COMMIT waited on it for ever.
 */
async function insertValues(ds: DataSource, table: string, columns: string[], rows: Iterable<unknown[]>): Promise<number> {
  const perStatement = Math.floor(20_000 / columns.length);
  const perTransaction = Math.max(1, Math.floor(100_000 / perStatement));
  const head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  let statements: unknown[][][] = [];
  let pending: unknown[][] = [];
  let written = 0;
  const commit = async () => {
    const batch = statements;
    statements = [];
    if (batch.length === 0) return;
    await ds.transaction(async (m) => {
      for (const values of batch) await m.query(head + values.map(() => tuple).join(', '), values.flat());
    });
    for (const values of batch) written += values.length;
  };
  for (const row of rows) {
    pending.push(row);
    if (pending.length === perStatement) {
      statements.push(pending);
      pending = [];
      if (statements.length === perTransaction) await commit();
    }
  }
  if (pending.length > 0) statements.push(pending);
  await commit();
  return written;
}

export async function seed(ds: DataSource): Promise<{ tenantId: string; events: number }> {
  const tenant = Object.assign(new Tenant(), { id: newId(), name: 'Bench Ltd', createdAt: FIRST_RUN, updatedAt: FIRST_RUN });
  const site = Object.assign(new Site(), { id: newId(), tenantId: tenant.id, name: 'Head Office', createdAt: FIRST_RUN, updatedAt: FIRST_RUN });
  const connector = Object.assign(new ConnectorInstance(), {
    id: newId(), tenantId: tenant.id, kind: 'wsus', name: 'WSUS wsus01', settingsJson: '{}', secretsCiphertext: null, syncIntervalSeconds: null,
    enabled: true, cursors: null, createdAt: FIRST_RUN, updatedAt: FIRST_RUN,
  });
  const at = (run: number) => new Date(FIRST_RUN.getTime() + run * 86_400_000);
  const runs = Array.from({ length: RUNS }, (_, r) => Object.assign(new SyncRun(), {
    id: newId(), connectorInstanceId: connector.id, tenantId: tenant.id, status: SyncRunStatus.SUCCEEDED, mode: SyncMode.FULL, trigger: SyncTrigger.PUSH,
    triggeredBy: 'bench', startedAt: at(r), finishedAt: at(r), counts: '{}', errorKind: null, errorMessage: null,
  }));
  const own = Array.from({ length: OWN_UPDATES }, (_, i) => Object.assign(new Update(), {
    id: newId(), catalogKey: `bench:tool-${i}`, owner: tenant.id, kb: null, title: `Line-of-business tool ${i}, "quarterly" release`, vendor: 'Bench', products: [],
    classification: UpdateClassification.UPDATE, severity: Severity.LOW, maxCvssBaseScore: null, releasedAt: FIRST_RUN, releasedAtSource: ReleaseDateSource.SOURCE, fixedBuilds: null, supersedes: [],
    createdAt: FIRST_RUN, updatedAt: FIRST_RUN,
  }));
  let updateIds: string[] = [];
  await ds.transaction(async (m) => {
    const { updates } = await loadBundledCatalog(m, FIRST_RUN);
    updateIds = [...updates.values()].map((u) => u.id);
    await insertRows(m, Tenant, [tenant]);
    await insertRows(m, Site, [site]);
    await insertRows(m, ConnectorInstance, [connector]);
    await insertRows(m, SyncRun, runs);
    await insertRows(m, Update, own);
  });
  updateIds = [...updateIds, ...own.map((u) => u.id)];
  const t0 = sqlTime(FIRST_RUN);
  const assets = Array.from({ length: ASSETS }, (_, i) => ({ id: newId(), sd: newId(), n: i }));
  await insertValues(ds, 'asset', ['id', 'tenantId', 'siteId', 'hostname', 'serialNumber', 'osName', 'osVersion', 'osBuild', 'status', 'lastSeenAt', 'createdAt', 'updatedAt'],
    assets.map((a) => [a.id, tenant.id, a.n % 3 ? site.id : null, `BENCH-PC-${String(a.n).padStart(5, '0')}`, `SN${String(a.n * 7919).padStart(9, '0')}`, 'Windows 11 Pro', '23H2', '22631.4037', 'ACTIVE', t0, t0, t0]));
  await insertValues(ds, 'source_device', ['id', 'tenantId', 'connectorInstanceId', 'assetId', 'externalId', 'hostname', 'macAddresses', 'inactive', 'stale', 'deletedInSource', 'firstSeenAt', 'lastSeenAt'],
    assets.map((a) => [a.sd, tenant.id, connector.id, a.id, `computer-${a.n}`, `BENCH-PC-${String(a.n).padStart(5, '0')}`, '[]', 0, 0, 0, t0, t0]));
  await insertValues(ds, 'patch_state', ['id', 'tenantId', 'assetId', 'sourceDeviceId', 'updateId', 'state', 'evidence', 'effective', 'changedAt', 'observedAt'],
    (function* () {
      for (const a of assets) for (const u of updateIds) yield [newId(), tenant.id, a.id, a.sd, u, RUNS % 2 ? 'MISSING' : 'INSTALLED', 'REPORTED', 1, t0, t0];
    })());
  const states = ['MISSING', 'INSTALLED'];
  const events = await insertValues(ds, 'patch_event', ['id', 'tenantId', 'assetId', 'sourceDeviceId', 'updateId', 'syncRunId', 'fromState', 'toState', 'evidence', 'reportedAt', 'observedAt'],
    (function* () {
      for (let r = 0; r < RUNS; r++) {
        const observed = at(r);
        for (const a of assets) {
          for (const [k, u] of updateIds.entries()) {
            const reported = new Date(observed.getTime() - ((a.n * 7 + k * 13) % 600) * 60_000);
            yield [newId(), tenant.id, a.id, a.sd, u, runs[r].id, r === 0 ? null : states[(r + 1) % 2], states[r % 2], 'REPORTED', sqlTime(reported), sqlTime(observed)];
          }
        }
      }
    })());
  return { tenantId: tenant.id, events };
}

/** Samples the process's resident set size until stopped; returns the peak in MB. */
function rssMonitor(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss()) / 1_048_576;
    },
  };
}

/** The hand-written exporter: the same joins, keyset batches of the same size, each row's values joined with commas. */
async function rawExport(ds: DataSource, tenantId: string): Promise<{ rows: number; bytes: number }> {
  const select = (position: string, params: unknown[], limit: number): Promise<Array<Record<string, unknown>>> => ds.query(
    `SELECT pe.id, pe.observedAt, pe.reportedAt, pe.fromState, pe.toState, pe.syncRunId, t.name AS tenant, s.name AS site, sd.assetId, a.hostname, a.serialNumber,
       u.kb, u.title, u.classification, u.severity, ci.kind, ci.name AS connectorName, pe.evidence
     FROM patch_event pe JOIN tenant t ON t.id = pe.tenantId LEFT JOIN source_device sd ON sd.id = pe.sourceDeviceId LEFT JOIN asset a ON a.id = sd.assetId
     LEFT JOIN software_update u ON u.id = pe.updateId LEFT JOIN site s ON s.id = a.siteId LEFT JOIN connector_instance ci ON ci.id = sd.connectorInstanceId
     WHERE pe.tenantId = ? ${position} ORDER BY pe.observedAt, pe.id LIMIT ${limit}`,
    [tenantId, ...params],
  );
  let rows = 0;
  let bytes = 0;
  let cursor: { observedAt: unknown; id: string } | null = null;
  for (;;) {
    // Keyset as two index ranges (the rest of the cursor's observedAt, then later ones), as an index-minded author writes it.
    let batch: Array<Record<string, unknown>> = cursor ? await select('AND pe.observedAt = ? AND pe.id > ?', [cursor.observedAt, cursor.id], BATCH) : await select('', [], BATCH);
    if (cursor && batch.length < BATCH) batch = [...batch, ...(await select('AND pe.observedAt > ?', [cursor.observedAt], BATCH - batch.length))];
    if (batch.length === 0) break;
    let text = '';
    for (const r of batch) text += `${Object.values(r).join(',')}\n`;
    bytes += Buffer.byteLength(text);
    rows += batch.length;
    const last = batch[batch.length - 1];
    cursor = { observedAt: last.observedAt instanceof Date ? sqlTime(last.observedAt) : last.observedAt, id: String(last.id) };
  }
  return { rows, bytes };
}

/** GET the CSV on a connection of its own, hashing and counting the body as it arrives; the trailers at the end. */
function download(url: string, key: string): Promise<{ status: number; bytes: number; sha256: string; trailers: Record<string, string | undefined> }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    httpRequest(url, { agent: false, headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      res.on('end', () => resolve({ status: res.statusCode!, bytes, sha256: hash.digest('hex'), trailers: res.trailers }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

export async function benchPatchHistoryExport(engine: string, url: string): Promise<void> {
  const ds = await createDataSource(parseDatabaseUrl(url));
  await ds.initialize();
  await runMigrations(ds);
  const started = Date.now();
  const { tenantId, events } = await seed(ds);
  console.log(`\n${engine}: patch history CSV export, ${events.toLocaleString('en-GB')} patch events (${ASSETS} assets x ${12 + OWN_UPDATES} updates x ${RUNS} runs), seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  let start = process.hrtime.bigint();
  const rss = rssMonitor();
  const raw = await rawExport(ds, tenantId);
  let seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rawPeak = rss.stop();
  const rawRate = raw.rows / seconds;
  console.log(`  hand-written SQL export (same joins and batches, no HTTP)   ${Math.round(rawRate).toLocaleString('en-GB').padStart(9)} rows/s  ${seconds.toFixed(2)} s  (bench process peak RSS ${rawPeak.toFixed(0)} MB)`);
  await ds.destroy();

  const key = `pgk_bench_${randomBytes(18).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'patchgraph-bench-serve-'));
  const server = await startServerProcess(url, key, dataDir);
  try {
    const idle = peakRssOf(server.pid);
    const cpuBefore = cpuSecondsOf(server.pid);
    start = process.hrtime.bigint();
    const res = await download(`${server.url}/reports/patch-history.csv?from=2026-09-01&to=2026-11-01`, key);
    seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = cpuSecondsOf(server.pid) - cpuBefore;
    const peak = peakRssOf(server.pid);
    if (res.status !== 200) throw new Error(`the export answered ${res.status}`);
    const rows = Number(res.trailers['x-patchgraph-row-count']);
    if (rows !== events || res.trailers['x-patchgraph-content-sha256'] !== res.sha256) {
      throw new Error(`the export is wrong: ${rows} rows, trailer ${res.trailers['x-patchgraph-content-sha256']}, body ${res.sha256}`);
    }
    const rate = rows / seconds;
    console.log(`  GET /reports/patch-history.csv (server process, HTTP, ids, CVEs, SHA-256) ${Math.round(rate).toLocaleString('en-GB').padStart(9)} rows/s  ${seconds.toFixed(2)} s  server peak RSS ${peak.toFixed(0)} MB (${idle.toFixed(0)} MB before)`);
    console.log(`    ${rows.toLocaleString('en-GB')} rows, ${(res.bytes / 1_048_576).toFixed(0)} MB of CSV, trailer SHA-256 = body`);
    console.log(`    server CPU ${cpu.toFixed(2)} s, ${((cpu * 1e6) / rows).toFixed(2)} us a row (all its threads)`);
    console.log(`  => ${(rate / rawRate).toFixed(2)}x the hand-written export's rate; targets >= 300,000 rows/s: ${rate >= 300_000 ? 'met' : 'missed'}, <= 256 MB: ${peak <= 256 ? 'met' : 'missed'}`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
