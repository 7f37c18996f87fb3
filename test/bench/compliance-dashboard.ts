/**
 * Bench case "compliance": the MSP dashboard (counts by status and tenant, open findings by severity and age, the
 * worst assets) for a fleet of 5,000 assets in 20 tenants, as one GraphQL request over HTTP to a real server with an
 * MSP-wide key, beside the same answers from hand-written SQL (compliance-baseline.ts) on the same database in the
 * same process, for two questions: as of a past date (FLEET_AS_OF, a replay of the events) and now (the server's
 * clock, from kept answers once a request has evaluated it). Before timing, it checks that both answer the same, and
 * counts the SQL statements the request issues at 1,000 and at 5,000 assets: a fixed handful, whatever the fleet's
 * size. The first request about now after the fleet grew evaluates again; its time is printed once.
 * BENCH_COMPLIANCE_ASSETS sets the fleet's size, BENCH_RUNS the timed runs.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import { createApiKey } from '../../src/auth/api-keys';
import { loadConfig, parseDatabaseUrl } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';
import { runMigrations } from '../../src/db/migrate';
import { Role } from '../../src/entities/enums';
import { SecretBox } from '../../src/secrets/secret-box';
import { startApp } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { SyncEngine } from '../../src/sync/sync-engine';
import { fixedClock } from '../../src/util/clock';
import { ASSET_PAGE_QUERY, AssetPage, assetPageOf, BaselinePolicy, Dashboard, DashboardBaseline, DASHBOARD_QUERY, dashboardOf } from './compliance-baseline';
import { ComplianceFleet, FLEET_AS_OF, FLEET_NOW } from './compliance-fleet';

const TENANTS = 20;
const SMALL = 1_000;
/** BENCH_COMPLIANCE_ASSETS: the fleet's size (default 5,000), loaded 5,000 assets at a time. */
const ASSETS = Number(process.env.BENCH_COMPLIANCE_ASSETS ?? 5_000);
const LOAD_STEP = 5_000;
const POLICIES: BaselinePolicy[] = ['cyber-essentials-v3.3', 'cisa-bod-22-01'];
const WARM_UP = 1;
const RUNS = Number(process.env.BENCH_RUNS ?? 20);

/** Records every statement the data source sends, so a request's statements can be counted. */
class StatementLog implements TypeOrmLogger {
  statements: string[] = [];
  logQuery(query: string): void {
    this.statements.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/**
 * One POST on a connection of its own: a pooled keep-alive connection left idle while the fleet grows is closed by
 * the server, and reusing it fails with ECONNRESET. A loopback connect costs nothing beside these requests.
 */
function post(url: string, key: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The median and the 95th percentile of a timed call's wall times, in milliseconds. */
interface Timing {
  p50: number;
  p95: number;
}

/** Nearest-rank percentile of sorted times: the value at rank ceil(p × n). */
const percentile = (sorted: number[], p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];

/** p50 and p95 wall time of RUNS calls after WARM_UP unmeasured ones, printed in the suite's format. */
async function timed(label: string, fn: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < WARM_UP; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const t = { p50: percentile(times, 0.5), p95: percentile(times, 0.95) };
  console.log(`  ${label.padEnd(58)} p50 ${t.p50.toFixed(3).padStart(9)} ms, p95 ${t.p95.toFixed(3).padStart(9)} ms (${RUNS} runs; slowest ${times[times.length - 1].toFixed(1)} ms)`);
  return t;
}

/** A short description of a statement: what it reads or writes. */
function kindOf(sql: string): string {
  if (/^\s*WITH scope_assets/i.test(sql)) return 'aggregate over the evaluation';
  const table = /\b(?:FROM|INTO|UPDATE)\s+[`"]?(\w+)/i.exec(sql)?.[1] ?? '?';
  return `${sql.trim().split(/\s+/)[0].toUpperCase()} ${table}`;
}

export async function benchComplianceDashboard(engine: string, url: string): Promise<void> {
  const log = new StatementLog();
  const ds: DataSource = await createDataSource(parseDatabaseUrl(url), { logger: log });
  await ds.initialize();
  await runMigrations(ds);

  const started = Date.now();
  const fleet = await ComplianceFleet.create(ds, TENANTS);
  await fleet.addAssets(0, SMALL);
  await fleet.analyze();

  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', PATCHGRAPH_DEMO: 'false', PATCHGRAPH_RATE_LIMIT_PER_MINUTE: '100000' });
  const clock = fixedClock(FLEET_NOW);
  const { key } = await createApiKey(ds, clock, { name: 'bench-msp', role: Role.MSP_ADMIN, allTenants: true, tenantIds: [] });
  const logger = createLogger(config, new Writable({ write: (_c, _e, done) => done() }));
  const secrets = SecretBox.fromEncodedKey(randomBytes(32).toString('base64'));
  const app = await startApp({ config, dataSource: ds, clock, logger, secrets, sync: new SyncEngine({ dataSource: ds, secrets, clock }) });
  const baseline = new DashboardBaseline(ds);

  // The two questions: the past date the fleet was built around (replayed from the events), and now (no asOf: the
  // server's clock, FLEET_NOW, after every event recorded), which reads the current states.
  // BENCH_COMPLIANCE_PAST=0 leaves the past question out (its replay takes minutes on MariaDB at 50,000 assets).
  const questions = [
    ...(process.env.BENCH_COMPLIANCE_PAST === '0' ? [] : [{ label: `as of ${FLEET_AS_OF.toISOString().slice(0, 10)}`, asOf: FLEET_AS_OF, now: false }]),
    { label: 'now', asOf: FLEET_NOW, now: true },
  ];
  const request = async (policy: string, now = false): Promise<Dashboard> => {
    const variables = now ? { policy } : { policy, asOf: FLEET_AS_OF.toISOString() };
    const body = JSON.parse(await post(`${app.url}/graphql`, key, JSON.stringify({ query: DASHBOARD_QUERY, variables }))) as {
      data?: { compliance: unknown }; errors?: unknown;
    };
    if (body.errors || !body.data) throw new Error(`dashboard request failed: ${JSON.stringify(body.errors)}`);
    return dashboardOf(body.data.compliance);
  };
  /** The portal's asset list, first page, about now. */
  const PAGE_SIZE = 50;
  const assetPage = async (policy: string): Promise<AssetPage> => {
    const body = JSON.parse(await post(`${app.url}/graphql`, key, JSON.stringify({ query: ASSET_PAGE_QUERY, variables: { policy, first: PAGE_SIZE } }))) as {
      data?: { compliance: unknown }; errors?: unknown;
    };
    if (body.errors || !body.data) throw new Error(`asset page request failed: ${JSON.stringify(body.errors)}`);
    return assetPageOf(body.data.compliance);
  };
  // The key's lastUsedAt is written once a minute by a timer (KeyUsageRecorder), not by the request: left out.
  const background = /^\s*(UPDATE|INSERT)\b[^]*\bapi_key\b/i;
  const statementsOf = async (policy: string, now: boolean): Promise<string[]> => {
    log.statements = [];
    await request(policy, now);
    return log.statements.filter((s) => !background.test(s));
  };

  // A question about now is answered from kept answers (src/compliance/kept-answers.ts) once a request has
  // evaluated it: the first request evaluates and keeps, the next ones read the revisions and judge in code. Both
  // are counted; the kept request's count is the one that must not grow with the fleet.
  const small: Record<string, string[]> = {};
  for (const policy of POLICIES) {
    for (const q of questions) {
      const first = await statementsOf(policy, q.now);
      small[`${policy} ${q.label}`] = q.now ? await statementsOf(policy, q.now) : first;
      if (q.now) console.log(`  ${policy} now at ${SMALL} assets: ${first.length} statements for the request that evaluates and keeps, ${small[`${policy} ${q.label}`].length} for the next`);
    }
  }
  for (let from = SMALL; from < ASSETS; from += LOAD_STEP) await fleet.addAssets(from, Math.min(from + LOAD_STEP, ASSETS));
  // A database grown over many syncs has its statistics; this one was written in minutes and is asked at once.
  await fleet.analyze();
  const c = fleet.counts;
  console.log(`\n${engine}: compliance dashboard, ${c.assets} assets in ${TENANTS} tenants: ${c.sourceDevices} source devices, ${c.patchStates} patch states, `
    + `${c.patchEvents} patch events, ${c.riskExceptions} risk exceptions (loaded in ${((Date.now() - started) / 1000).toFixed(1)} s)`);

  for (const policy of POLICIES) {
    for (const q of questions) {
      // The fleet grew since the kept answers were computed: this request evaluates again (timed once).
      const started = process.hrtime.bigint();
      const evaluating = await statementsOf(policy, q.now);
      if (q.now) console.log(`  ${policy} now: the first request after the fleet grew evaluated again in ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0)} ms (${evaluating.length} statements)`);
      const statements = q.now ? await statementsOf(policy, q.now) : evaluating;
      const before = small[`${policy} ${q.label}`];
      const kinds = new Map<string, number>();
      for (const s of statements) kinds.set(kindOf(s), (kinds.get(kindOf(s)) ?? 0) + 1);
      console.log(`  ${policy} ${q.label}: SQL statements per request ${before.length} at ${SMALL} assets, `
        + `${statements.length} at ${ASSETS} (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})`);
      if (statements.length !== before.length) throw new Error(`${policy} ${q.label}: the request issued ${before.length} statements at ${SMALL} assets but ${statements.length} at ${ASSETS}`);

      const product = await request(policy, q.now);
      const reference = await baseline.dashboard(policy, q.asOf, FLEET_NOW, q.now);
      if (!isDeepStrictEqual(product, reference)) {
        throw new Error(`${policy} ${q.label}: the GraphQL dashboard and the hand-written SQL disagree\nGraphQL:  ${JSON.stringify(product)}\nbaseline: ${JSON.stringify(reference)}`);
      }
      const byStatus = product.byStatus.map((s) => `${s.status} ${s.count}`).join(', ');
      const open = product.openFindingsBySeverity.reduce((sum, s) => sum + s.count, 0);
      console.log(`    same answer from both: ${product.assetCount} assets (${byStatus}); ${open} open findings`);
      const raw = await timed(`hand-written SQL (3 statements${q.now ? ' over patch_state' : ''}, no HTTP, no JSON)`, () => baseline.dashboard(policy, q.asOf, FLEET_NOW, q.now));
      const api = await timed('patchgraph GraphQL over HTTP (one request, MSP-wide key)', () => request(policy, q.now));
      console.log(`  => ratio p50 ${(api.p50 / raw.p50).toFixed(2)}x, p95 ${(api.p95 / raw.p95).toFixed(2)}x hand-written SQL (target: p95 <= 250 ms and <= 1.5x)`);
      if (!q.now) continue;
      // The asset list's first page from the same kept answers: statuses judged in code, the page's findings
      // evaluated for its assets alone.
      const pageProduct = await assetPage(policy);
      const pageReference = await baseline.assetPage(policy, q.asOf, FLEET_NOW, q.now, PAGE_SIZE);
      if (!isDeepStrictEqual(pageProduct, pageReference)) {
        throw new Error(`${policy} ${q.label}: the GraphQL asset page and the hand-written SQL disagree\nGraphQL:  ${JSON.stringify(pageProduct)}\nbaseline: ${JSON.stringify(pageReference)}`);
      }
      console.log(`    asset page, first ${PAGE_SIZE}: same assets, statuses and findings' KBs from both (${pageProduct.filter((r) => r.status === 'NON_COMPLIANT').length} NON_COMPLIANT)`);
      const rawPage = await timed('hand-written SQL (2 statements over patch_state, no HTTP, no JSON)', () => baseline.assetPage(policy, q.asOf, FLEET_NOW, q.now, PAGE_SIZE));
      const apiPage = await timed(`patchgraph GraphQL over HTTP (asset page of ${PAGE_SIZE} with findings)`, () => assetPage(policy));
      console.log(`  => ratio p50 ${(apiPage.p50 / rawPage.p50).toFixed(2)}x, p95 ${(apiPage.p95 / rawPage.p95).toFixed(2)}x hand-written SQL`);
    }
  }

  await app.stop();
}
