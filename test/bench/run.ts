/**
 * `npm run bench`: what the API layers cost over raw SQL, measured in one process on the same data.
 * Figures are ratios (patchgraph time / raw SQL time), so they mean the same on a fast or slow machine.
 * Runs on SQLite, and on MariaDB too when TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/) answers.
 * Cases: "api" (a page of nested assets, a keyset page), "compliance" (the MSP dashboard, compliance-dashboard.ts) and
 * "report-csv" (the patch history report's CSV export of a million rows, patch-history-export.ts), "ingest" (a WSUS
 * snapshot through the ingest endpoint: full, unchanged and 1 % changed, wsus-ingest.ts), "load" (portal queries and
 * /healthz while a full WSUS ingest runs, against the same load idle, load-during-ingest.ts), "ingest-memory" (the
 * server's peak RSS for one full WSUS ingest at 2,000, 10,000 and 20,000 computers, ingest-memory.ts);
 * name some to run only those: `npm run bench -- compliance`. BENCH_ENGINES=mariadb (or sqlite) runs one engine only.
 */
// First, before any library reads NODE_ENV: the bench measures the libraries as `patchgraph serve` runs them.
import '../../src/cli/node-env';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/secrets/secret-box';
import { SyncEngine } from '../../src/sync/sync-engine';
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createConnection } from 'mysql2/promise';
import { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import { Access } from '../../src/access/access';
import { assetOrdering } from '../../src/access/asset.finder';
import { TenantScope } from '../../src/access/tenant-scope';
import { createApiKey } from '../../src/auth/api-keys';
import { loadConfig, parseDatabaseUrl } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';
import { insertRows } from '../../src/db/insert-rows';
import { runMigrations } from '../../src/db/migrate';
import { loadBundledCatalog } from '../../src/catalog/bundled-catalog';
import { Asset, ConnectorInstance, PatchState, SourceDevice, Tenant } from '../../src/entities';
import { AssetStatus, EvidenceKind, PatchStateValue, Role } from '../../src/entities/enums';
import { startApp } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { fixedClock } from '../../src/util/clock';
import { newId } from '../../src/util/ids';
import { benchComplianceDashboard } from './compliance-dashboard';
import { benchLoadDuringIngest } from './load-during-ingest';
import { benchPatchHistoryExport } from './patch-history-export';
import { benchIngestMemory } from './ingest-memory';
import { benchWsusIngest } from './wsus-ingest';

const ASSETS = 5_000;
const PAGE = 100;
const NOW = new Date('2026-11-02T10:00:00Z');

async function seed(ds: DataSource): Promise<void> {
  await ds.transaction(async (m) => {
    const { updates } = await loadBundledCatalog(m, NOW);
    const updateIds = [...updates.values()].map((u) => u.id);
    const tenants = Array.from({ length: 5 }, (_, i) => Object.assign(new Tenant(), { id: newId(), name: `Tenant ${i}`, createdAt: NOW, updatedAt: NOW }));
    await insertRows(m, Tenant, tenants);
    const connectors = tenants.map((t) => Object.assign(new ConnectorInstance(), {
      id: newId(), tenantId: t.id, kind: 'intune', name: 'bench', settingsJson: '{}', secretsCiphertext: null, syncIntervalSeconds: null,
      enabled: true, cursors: null, createdAt: NOW, updatedAt: NOW,
    }));
    await insertRows(m, ConnectorInstance, connectors);
    const assets: Asset[] = [];
    const sources: SourceDevice[] = [];
    const states: PatchState[] = [];
    for (let i = 0; i < ASSETS; i++) {
      const t = i % tenants.length;
      const a = Object.assign(new Asset(), {
        id: newId(), tenantId: tenants[t].id, siteId: null, hostname: `HOST-${String(i).padStart(6, '0')}`, fqdn: null, serialNumber: null,
        manufacturer: null, model: null, osName: 'Windows 11 Pro', osVersion: '23H2', osBuild: '22631.4037', status: AssetStatus.ACTIVE,
        lastSeenAt: new Date(NOW.getTime() - i * 1000), createdAt: NOW, updatedAt: NOW,
      });
      assets.push(a);
      const s = Object.assign(new SourceDevice(), {
        id: newId(), tenantId: a.tenantId, connectorInstanceId: connectors[t].id, assetId: a.id, externalId: newId(), hostname: a.hostname,
        fqdn: null, serialNumber: null, azureAdDeviceId: null, smbiosUuid: null, macAddresses: [], osName: a.osName, osVersion: a.osVersion,
        osBuild: a.osBuild, lastCheckInAt: NOW, enrolledAt: null, vendorSite: null, vendorSiteId: null, manufacturer: null, model: null, ownership: null, inactive: false,
        attributes: null, postureStatus: null, postureApprovedPending: null, postureNotApproved: null, postureInstalled: null, revision: null,
        payloadDigest: null, matchedBy: null, stale: false, firstSeenAt: NOW, lastSeenAt: NOW,
      });
      sources.push(s);
      for (const [k, updateId] of updateIds.slice(0, 6).entries()) {
        states.push(Object.assign(new PatchState(), {
          id: newId(), tenantId: a.tenantId, assetId: a.id, sourceDeviceId: s.id, updateId,
          state: (i + k) % 4 ? PatchStateValue.INSTALLED : PatchStateValue.MISSING, evidence: EvidenceKind.DERIVED,
          firstSeenMissingAt: null, installedAt: null, changedAt: NOW, observedAt: NOW, effective: true,
        }));
      }
    }
    await insertRows(m, Asset, assets);
    await insertRows(m, SourceDevice, sources);
    await insertRows(m, PatchState, states);
  });
}

async function time(label: string, iterations: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(20, iterations); i++) await fn(); // warm-up: JIT, statement caches
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  const perOp = Number(process.hrtime.bigint() - start) / 1e6 / iterations;
  console.log(`  ${label.padEnd(58)} ${perOp.toFixed(3).padStart(9)} ms/op`);
  return perOp;
}

/**
 * Runs `a` and `b` in alternating rounds of `perRound` calls after a warm-up, and returns each one's median time
 * per call over the rounds and the median of the rounds' ratios b/a, with their spread.
 */
async function interleaved(rounds: number, perRound: number, a: () => Promise<unknown>, b: () => Promise<unknown>) {
  for (let i = 0; i < perRound; i++) {
    await a();
    await b();
  }
  // CPU time too: this process's own (on SQLite, the statements' as well), which a neighbour's load moves far less
  // than the time on the clock.
  const cpu = { a: 0, b: 0 };
  const perCall = async (fn: () => Promise<unknown>, side: 'a' | 'b') => {
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < perRound; i++) await fn();
    const used = process.cpuUsage(cpuStart);
    cpu[side] += (used.user + used.system) / 1e3 / perRound / rounds;
    return Number(process.hrtime.bigint() - start) / 1e6 / perRound;
  };
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    as.push(await perCall(a, 'a'));
    bs.push(await perCall(b, 'b'));
    ratios.push(bs[r] / as[r]);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return { a: median(as), b: median(bs), ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), cpuA: cpu.a, cpuB: cpu.b };
}

/** The raw baseline runs the statements a careful hand-written server would: page, sources, states, their updates. */
function rawQueries(ds: DataSource) {
  const q = (sql: string, params: unknown[]) => ds.query(sql, params);
  const placeholders = (n: number) => Array(n).fill('?').join(', ');
  return {
    async nestedPage(after: string) {
      const assets: Array<{ id: string }> = await q(`SELECT * FROM asset WHERE hostname > ? ORDER BY hostname, id LIMIT ${PAGE + 1}`, [after]);
      const ids = assets.map((a) => a.id);
      await q(`SELECT * FROM source_device WHERE assetId IN (${placeholders(ids.length)})`, ids);
      const states: Array<{ updateId: string }> = await q(`SELECT * FROM patch_state WHERE assetId IN (${placeholders(ids.length)})`, ids);
      const updateIds = [...new Set(states.map((s) => s.updateId))];
      await q(`SELECT * FROM software_update WHERE id IN (${placeholders(updateIds.length)})`, updateIds);
      return assets;
    },
    offsetPage: (offset: number) => q(`SELECT * FROM asset ORDER BY hostname, id LIMIT ${PAGE} OFFSET ${offset}`, []),
  };
}

/** Counts the statements sent while `counting` is on, so a request's statement count can be printed. */
class StatementCount implements TypeOrmLogger {
  counting = false;
  count = 0;
  logQuery(): void {
    if (this.counting) this.count++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

async function statementsOf(counter: StatementCount, fn: () => Promise<unknown>): Promise<number> {
  counter.count = 0;
  counter.counting = true;
  try {
    await fn();
  } finally {
    counter.counting = false;
  }
  return counter.count;
}

async function benchEngine(engine: string, url: string): Promise<void> {
  const counter = new StatementCount();
  const ds = await createDataSource(parseDatabaseUrl(url), { logger: counter });
  await ds.initialize();
  await runMigrations(ds);
  console.log(`\n${engine}: seeding ${ASSETS} assets, ${ASSETS} source devices, ${ASSETS * 6} patch states`);
  await seed(ds);

  // The limiter still counts every request (its cost is the server's), but a profile's hundreds must not be refused.
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', PATCHGRAPH_DEMO: 'false', PATCHGRAPH_RATE_LIMIT_PER_MINUTE: '1000000' });
  const clock = fixedClock(NOW);
  const { key } = await createApiKey(ds, clock, { name: 'bench', role: Role.MSP_ADMIN, allTenants: true, tenantIds: [] });
  const logger = createLogger(config, new Writable({ write: (_c, _e, done) => done() }));
  const secrets = SecretBox.fromEncodedKey(randomBytes(32).toString('base64'));
  const app = await startApp({ config, dataSource: ds, clock, logger, secrets, sync: new SyncEngine({ dataSource: ds, secrets, clock }) });
  const raw = rawQueries(ds);
  const query = `query($after: String) { assets(first: ${PAGE}, after: $after) { pageInfo { endCursor }
    nodes { hostname sources { externalId } patchStates { state update { kb severity } } } } }`;
  // node:http with a keep-alive agent: fetch (undici, web streams) cost this process about a tenth of the request's
  // CPU, which a portal in a browser on another machine never takes from the server. Still a real HTTP round trip.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ query });
  const gql = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(`${app.url}/graphql`, {
        method: 'POST', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          try {
            const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { errors?: unknown; data?: unknown };
            if (res.statusCode !== 200 || answer.errors || !answer.data) throw new Error(`HTTP ${res.statusCode}: ${JSON.stringify(answer.errors)}`);
            resolve();
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', reject);
      req.end(body);
    });

  console.log(`  page of ${PAGE} assets with sources and patch states (+ update):`);
  // Interleaved rounds, each side's median: on a shared machine the load moves within a run, and a ratio of two
  // figures taken a minute apart measures the neighbours as much as the request.
  const { a: rawNested, b: apiNested, ratio, min, max, cpuA, cpuB } = await interleaved(10, 20, () => raw.nestedPage(''), gql);
  console.log(`  ${'raw SQL (4 statements, no HTTP, no JSON)'.padEnd(58)} ${rawNested.toFixed(3).padStart(9)} ms/op`);
  console.log(`  ${'patchgraph GraphQL over HTTP (auth, scope, loaders, JSON)'.padEnd(58)} ${apiNested.toFixed(3).padStart(9)} ms/op`);
  console.log(`  => ratio ${ratio.toFixed(2)}x raw SQL (median of 10 rounds' ratios; they ranged ${min.toFixed(2)}-${max.toFixed(2)}x)`);
  console.log(`  => this process's CPU per op: raw SQL ${cpuA.toFixed(3)} ms, GraphQL ${cpuB.toFixed(3)} ms (server and client), ${(cpuB / cpuA).toFixed(2)}x`);
  // The GraphQL count includes the API key's lookup, which the raw baseline has no need of.
  console.log(`  statements: raw SQL ${await statementsOf(counter, () => raw.nestedPage(''))}, GraphQL ${await statementsOf(counter, gql)} (API key lookup included)`);

  if (process.env.BENCH_API_CPU_PROFILE) {
    const file = `${process.env.BENCH_API_CPU_PROFILE}.${engine}.cpuprofile`;
    const requests = Number(process.env.BENCH_API_PROFILE_REQUESTS ?? 400);
    await cpuProfile(file, async () => {
      for (let i = 0; i < requests; i++) await gql();
    });
    console.log(`  CPU profile of ${requests} GraphQL requests (server and the bench's client, one process): ${file}`);
  }

  const access = new Access(ds, TenantScope.allTenants(), { defaultPageSize: 50, maxPageSize: 500 }, clock, { label: 'bench' }, SecretBox.fromEncodedKey(randomBytes(32).toString('base64')));
  const ordering = assetOrdering('HOSTNAME', 'ASC');
  let cursor: string | null = null;
  for (let skipped = 0; skipped < ASSETS - 2 * PAGE; skipped += 500) {
    const p = await access.assets.page({}, ordering, { first: 500, after: cursor });
    cursor = p.cursorOf(p.rows[p.rows.length - 1]);
  }
  console.log(`  a page of ${PAGE} near the end of ${ASSETS} assets:`);
  const offset = await time(`raw SQL with OFFSET ${ASSETS - 2 * PAGE}`, 200, () => raw.offsetPage(ASSETS - 2 * PAGE));
  const keyset = await time('patchgraph keyset page (finder, tenant scope, entities)', 200, () => access.assets.page({}, ordering, { first: PAGE, after: cursor }));
  console.log(`  => ratio ${(keyset / offset).toFixed(2)}x raw OFFSET SQL`);

  agent.destroy();
  await app.stop();
}

/**
 * Samples the CPU while `fn` runs (BENCH_API_CPU_PROFILE): the request's own costs, without the seeding and warm-up a
 * whole-process --cpu-prof would be mostly made of. Open the file in Chrome's DevTools or speedscope.
 */
async function cpuProfile(file: string, fn: () => Promise<void>): Promise<void> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  try {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
    await post('Profiler.start');
    await fn();
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
  } finally {
    session.disconnect();
  }
}

/** Bench cases by name: `npm run bench -- compliance` runs one, `npm run bench` all. Each gets a fresh database. */
const CASES: Record<string, (engine: string, url: string) => Promise<void>> = {
  api: benchEngine,
  compliance: benchComplianceDashboard,
  'report-csv': benchPatchHistoryExport,
  ingest: benchWsusIngest,
  'ingest-memory': benchIngestMemory,
  load: benchLoadDuringIngest,
};

async function main() {
  const selected = process.argv.slice(2);
  const unknown = selected.filter((name) => !(name in CASES));
  if (unknown.length) {
    console.error(`bench: no case named ${unknown.join(', ')}; the cases are ${Object.keys(CASES).join(', ')}`);
    process.exit(2);
  }
  const cases = selected.length ? selected : Object.keys(CASES);
  const engines = (process.env.BENCH_ENGINES ?? 'sqlite,mariadb').split(',').map((e) => e.trim());
  const unknownEngine = engines.filter((e) => e !== 'sqlite' && e !== 'mariadb');
  if (unknownEngine.length) {
    console.error(`bench: BENCH_ENGINES names sqlite and/or mariadb, not "${process.env.BENCH_ENGINES}"`);
    process.exit(2);
  }
  if (engines.includes('sqlite')) {
    const dir = mkdtempSync(join(tmpdir(), 'patchgraph-bench-'));
    try {
      for (const name of cases) await CASES[name]('sqlite', `sqlite:${join(dir, `${name}.db`)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true }); // a 5,000-asset fleet is a quarter of a gigabyte
    }
  }
  if (!engines.includes('mariadb')) return;
  const base = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/';
  let admin;
  try {
    admin = await createConnection({ uri: base, connectTimeout: 3000 });
  } catch (err) {
    console.log(`\nmariadb: skipped, ${base} did not answer (${(err as Error).message})`);
    return;
  }
  try {
    for (const name of cases) {
      const db = `pgbench_${process.pid}_${name}`;
      await admin.query(`CREATE DATABASE \`${db}\``);
      try {
        await CASES[name]('mariadb', base.replace(/\/[^/]*$/, `/${db}`));
      } finally {
        await admin.query(`DROP DATABASE \`${db}\``);
      }
    }
  } finally {
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
