/**
 * Bench case "ingest": a WSUS server's snapshot through the ingest endpoint of a real server (`patchgraph serve` in a
 * process of its own), as the collector posts it, beside a baseline in the bench process: the same (computer,
 * update, state) rows written by raw multi-row upserts into a minimal keyed table of the same database. Then the
 * same snapshot again (nothing changed) and one where about 1 % of the computers changed, each against the full run:
 * the cost should follow the change, not the fleet. A second baseline writes a patch state and its event per row, by
 * the same multi-row inserts, into copies of patchgraph's own two tables with their keys and indexes: what the schema
 * itself costs, with no JavaScript of ours. Reports states per second, the ratios, and the server's peak
 * resident memory, and each upload's CPU time in the server (all its threads), which a machine shared with other jobs
 * moves less than the wall time.
 *
 * Size: BENCH_INGEST_SIZE=<computers>x<updates> (default 2000x300, the fleet the [P12] measurements used).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { DataSource, QueryRunner } from 'typeorm';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { parseDatabaseUrl } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';
import { runMigrations } from '../../src/db/migrate';
import { newId } from '../../src/util/ids';
import { cpuSecondsOf, graphql, peakRssOf, startServerProcess, untilIdle } from './server-process';
import { sqlTime } from '../../src/db/sql-time';

const NOW = new Date('2026-11-02T09:00:00.000Z');
const INGEST_KEY = 'wsus-ingest-key-for-the-bench-0123456789abcdef';

function size(): { computers: number; updates: number } {
  const spec = process.env.BENCH_INGEST_SIZE ?? '2000x300';
  const m = /^(\d+)x(\d+)$/.exec(spec);
  if (!m) throw new Error(`BENCH_INGEST_SIZE must look like 2000x300 (computers x updates), not "${spec}"`);
  return { computers: Number(m[1]), updates: Number(m[2]) };
}

/** How many times the unchanged snapshot is posted again (BENCH_INGEST_SAME_RUNS, default 1): its spread, run to run. */
function sameRuns(): number {
  const runs = Number(process.env.BENCH_INGEST_SAME_RUNS ?? '1');
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error(`BENCH_INGEST_SAME_RUNS must be a whole number from 1 to 20, not "${process.env.BENCH_INGEST_SAME_RUNS}"`);
  return runs;
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

type Row = readonly [string, string, number];

/** Seconds to write `rows`, `perStatement` at a time by `write`, in one transaction, its commit included. */
async function timedTransaction(ds: DataSource, rows: readonly Row[], perStatement: number, write: (runner: QueryRunner, slice: readonly Row[]) => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  const runner = ds.createQueryRunner();
  await runner.startTransaction();
  try {
    for (let i = 0; i < rows.length; i += perStatement) await write(runner, rows.slice(i, i + perStatement));
    await runner.commitTransaction();
  } finally {
    await runner.release();
  }
  return seconds(start);
}

/** The baseline: every state as one row of a table keyed on (computer, update), by multi-row upserts in one transaction. */
async function rawUpsert(ds: DataSource, engine: string, rows: readonly Row[]): Promise<number> {
  await ds.query('DROP TABLE IF EXISTS bench_state');
  await ds.query('CREATE TABLE bench_state (computer_id VARCHAR(36) NOT NULL, update_id VARCHAR(36) NOT NULL, state INT NOT NULL, PRIMARY KEY (computer_id, update_id))');
  const upsert = engine === 'sqlite'
    ? ' ON CONFLICT (computer_id, update_id) DO UPDATE SET state = excluded.state'
    : ' ON DUPLICATE KEY UPDATE state = VALUES(state)';
  const elapsed = await timedTransaction(ds, rows, 5_000, async (runner, slice) => {
    await runner.query(`INSERT INTO bench_state (computer_id, update_id, state) VALUES ${slice.map(() => '(?, ?, ?)').join(', ')}${upsert}`, slice.flat());
  });
  await ds.query('DROP TABLE bench_state');
  return elapsed;
}

/**
 * The DDL of a copy of one of our tables, named bench_<table>, with its keys and indexes and without its foreign keys
 * (their parents are not written here; on SQLite they measured nothing, and without them the baseline is, if anything,
 * faster) or triggers.
 */
async function copyOfTable(ds: DataSource, engine: string, table: string): Promise<string[]> {
  const copy = `bench_${table}`;
  if (engine === 'sqlite') {
    const objects: Array<{ type: string; sql: string }> = await ds.query(`SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('table', 'index') AND sql IS NOT NULL`, [table]);
    return objects.map(({ type, sql }) => (type === 'table'
      ? sql.replace(`"${table}"`, `"${copy}"`).replace(/, CONSTRAINT "\w+" FOREIGN KEY [^,]*?(?=, CONSTRAINT|\)$)/g, '')
      : sql.replace(/INDEX "(\w+)" ON "(\w+)"/, (_, index: string) => `INDEX "bench_${index}" ON "${copy}"`)));
  }
  const [row]: Array<Record<string, string>> = await ds.query(`SHOW CREATE TABLE \`${table}\``);
  const lines = row['Create Table'].replace(`CREATE TABLE \`${table}\``, `CREATE TABLE \`${copy}\``).split('\n').filter((l) => !/^\s*CONSTRAINT `\w+` FOREIGN KEY/.test(l));
  // The line before the closing one may now end in a comma it no longer needs.
  const close = lines.findIndex((l) => l.startsWith(')'));
  lines[close - 1] = lines[close - 1].replace(/,$/, '');
  return [lines.join('\n')];
}

/**
 * The second baseline: for every row a patch state and its first event, as a first sync writes them, by multi-row
 * inserts of 500 rows in one transaction, into copies of patch_state and patch_event with their keys and indexes.
 */
async function rawOwnTables(ds: DataSource, engine: string, rows: readonly Row[]): Promise<number> {
  const tables = ['patch_state', 'patch_event'];
  for (const t of tables) await ds.query(`DROP TABLE IF EXISTS bench_${t}`);
  for (const t of tables) for (const ddl of await copyOfTable(ds, engine, t)) await ds.query(ddl);
  const q = (name: string) => (engine === 'sqlite' ? `"${name}"` : `\`${name}\``);
  const stateColumns = ['id', 'tenantId', 'assetId', 'sourceDeviceId', 'updateId', 'state', 'evidence', 'firstSeenMissingAt', 'installedAt', 'changedAt', 'observedAt', 'effective', 'lastEventAt', 'firstOpenAt', 'maxEventAt'];
  const eventColumns = ['id', 'tenantId', 'assetId', 'sourceDeviceId', 'updateId', 'syncRunId', 'fromState', 'toState', 'reportedAt', 'observedAt', 'evidence'];
  const insert = (table: string, columns: string[], n: number) =>
    `INSERT INTO ${q(`bench_${table}`)} (${columns.map(q).join(', ')}) VALUES ${Array.from({ length: n }, () => `(${columns.map(() => '?').join(', ')})`).join(', ')}`;
  const tenantId = newId();
  const syncRunId = newId();
  const now = sqlTime(NOW);
  // Each computer's asset and source device ids, made once, as identity resolution would.
  const deviceIds = new Map<string, [string, string]>();
  const elapsed = await timedTransaction(ds, rows, 500, async (runner, slice) => {
    const states: unknown[] = [];
    const events: unknown[] = [];
    for (const [computer, update, code] of slice) {
      let ids = deviceIds.get(computer);
      if (!ids) deviceIds.set(computer, (ids = [newId(), newId()]));
      const [assetId, sourceDeviceId] = ids;
      const installed = code === 4;
      const state = installed ? 'INSTALLED' : 'MISSING';
      states.push(newId(), tenantId, assetId, sourceDeviceId, update, state, 'REPORTED', installed ? null : now, installed ? now : null, now, now, 1, now, installed ? null : now, now);
      events.push(newId(), tenantId, assetId, sourceDeviceId, update, syncRunId, null, state, now, now, 'REPORTED');
    }
    await runner.query(insert('patch_state', stateColumns, slice.length), states);
    await runner.query(insert('patch_event', eventColumns, slice.length), events);
  });
  for (const t of tables) await ds.query(`DROP TABLE bench_${t}`);
  return elapsed;
}

interface Upload {
  seconds: number;
  /** The server's CPU time over the upload, every thread: steadier than the wall time on a machine shared with others. */
  cpu: number;
  counts: { patchStates: { created: number; changed: number }; events: number };
}

/** One upload timed from a server with nothing left running from the last one (its WAL checkpoint: `waited`). */
async function upload(wsus: WsusSimulator, url: string, pid: number, body = wsus.gzipSnapshot()): Promise<Upload & { waited: number }> {
  const waited = await untilIdle(pid);
  const cpuBefore = cpuSecondsOf(pid);
  const start = process.hrtime.bigint();
  const res = await wsus.upload(url, INGEST_KEY, body);
  const elapsed = seconds(start);
  const cpu = cpuSecondsOf(pid) - cpuBefore;
  if (res.status !== 200) throw new Error(`the ingest answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
  return { seconds: elapsed, cpu, counts: (res.body as { syncRun: { counts: Upload['counts'] } }).syncRun.counts, waited };
}

/**
 * The snapshot an hour later, in which 1 % of the computers (those with something missing) installed everything
 * they lacked: only their rows differ. (The simulator's advance() also declines an update, which changes a row of
 * every computer that had it: not a 1 % change.)
 */
function onePercentInstalled(wsus: WsusSimulator): { body: Buffer; changed: Set<string> } {
  const snapshot = wsus.snapshot();
  const lacking = new Set(snapshot.rows.installations.filter(([, , state]) => state === 2 || state === 3 || state === 5).map(([computer]) => computer));
  const changed = new Set([...lacking].sort().slice(0, Math.max(1, Math.round(wsus.computers.length / 100))));
  snapshot.rows.installations = snapshot.rows.installations.map(([computer, update, state]) =>
    [computer, update, changed.has(computer) && (state === 2 || state === 3 || state === 5) ? 4 : state]);
  snapshot.generatedAt = new Date(Date.parse(snapshot.generatedAt) + 3_600_000).toISOString();
  return { body: gzipSync(Buffer.from(JSON.stringify(snapshot), 'utf8')), changed };
}

export async function benchWsusIngest(engine: string, url: string): Promise<void> {
  const { computers, updates } = size();
  const wsus = new WsusSimulator({ computers, updates, seed: 1, now: NOW });
  const states = wsus.installationRows().map((r) => [r.ComputerTargetId, r.UpdateId, r.State] as const);
  console.log(`\n${engine}: WSUS ingest, ${computers} computers x ${updates} updates = ${states.length.toLocaleString('en-GB')} installation rows`);

  const ds = await createDataSource(parseDatabaseUrl(url));
  await ds.initialize();
  await runMigrations(ds);
  const rawSeconds = await rawUpsert(ds, engine, states);
  const ownSeconds = await rawOwnTables(ds, engine, states);
  await ds.destroy();
  const rawRate = states.length / rawSeconds;
  const ownRate = states.length / ownSeconds;
  console.log(`  raw multi-row upsert into a minimal keyed table     ${Math.round(rawRate).toLocaleString('en-GB').padStart(9)} rows/s    ${rawSeconds.toFixed(2)} s`);
  console.log(`  raw inserts of a state and an event into our tables ${Math.round(ownRate).toLocaleString('en-GB').padStart(9)} rows/s    ${ownSeconds.toFixed(2)} s  (each row a state and its event, into copies of patch_state and patch_event with their keys and indexes)`);

  const key = `pgk_bench_${randomBytes(18).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'patchgraph-bench-ingest-'));
  const server = await startServerProcess(url, key, dataDir);
  try {
    const { createTenant } = await graphql(server.url, key, 'mutation { createTenant(input: { name: "Bench trust" }) { id } }');
    const { createConnectorInstance } = await graphql(server.url, key, 'mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }', {
      input: { tenantId: createTenant.id, kind: 'wsus', name: `WSUS (${computers} computers)`, settings: { ingestKey: INGEST_KEY } },
    });
    const ingestUrl = `${server.url}/ingest/wsus/${createConnectorInstance.id}`;
    const idle = peakRssOf(server.pid);

    const full = await upload(wsus, ingestUrl, server.pid);
    const stored = full.counts.patchStates.created;
    console.log(`  full ingest (HTTP, parse, identity, states, events) ${Math.round(stored / full.seconds).toLocaleString('en-GB').padStart(9)} states/s  ${full.seconds.toFixed(2)} s  (${stored.toLocaleString('en-GB')} states, ${full.counts.events.toLocaleString('en-GB')} events; server CPU ${full.cpu.toFixed(2)} s)`);

    for (let run = 0; run < sameRuns(); run++) {
      const same = await upload(wsus, ingestUrl, server.pid);
      // Counted as the full run's, and told, not hidden: a deployment pays it after every large sync.
      if (run === 0) console.log(`  (the server worked on for ${Math.max(0, same.waited - 1.5).toFixed(1)}-${same.waited.toFixed(1)} s after the full run answered${engine === 'sqlite' ? ', its WAL checkpoint' : ''}; each run below starts from an idle server)`);
      console.log(`  the same snapshot again                                          ${same.seconds.toFixed(2)} s  = ${((same.seconds / full.seconds) * 100).toFixed(1)} % of the full run (${same.counts.events} events; server CPU ${same.cpu.toFixed(2)} s = ${((same.cpu / full.cpu) * 100).toFixed(1)} %)`);
    }

    const { body, changed } = onePercentInstalled(wsus);
    const onePercent = await upload(wsus, ingestUrl, server.pid, body);
    console.log(`  ${changed.size} computers changed (${((changed.size / computers) * 100).toFixed(1)} %)                                ${onePercent.seconds.toFixed(2)} s  = ${((onePercent.seconds / full.seconds) * 100).toFixed(1)} % of the full run (${onePercent.counts.events} events; server CPU ${onePercent.cpu.toFixed(2)} s = ${((onePercent.cpu / full.cpu) * 100).toFixed(1)} %)`);

    const peak = peakRssOf(server.pid);
    console.log(`  server peak RSS ${peak.toFixed(0)} MB (${idle.toFixed(0)} MB before)`);
    console.log(`  => full ingest ${(stored / full.seconds / rawRate).toFixed(2)}x the raw upsert's rate, ${(stored / full.seconds / ownRate).toFixed(2)}x the raw inserts into our tables; targets (SQLite >= 100k states/s, MariaDB >= 50k, >= 0.5x raw; no change <= 5 %; 1 % changed <= 10 %)`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
