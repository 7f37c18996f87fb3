/**
 * Bench case "load": whether a real server (`patchgraph serve` in a process of its own) stays responsive while a
 * full WSUS ingest runs in it. The portal's load (a page of assets with their missing updates, by a few concurrent
 * clients driven by autocannon) and a liveness probe (GET /healthz every 50 ms) run twice on the same process and the
 * same data: idle, then during a full upload of a fleet into another tenant. Figures come as ratios of the two, so
 * they mean the same on a fast or slow machine; the targets ([P12], issue 17: portal p99 <= 1 s, /healthz <= 100 ms
 * while a full ingest runs) are absolute.
 *
 * Size: BENCH_LOAD_SIZE=<computers>x<updates> (default 2000x300, as BENCH_INGEST_SIZE). The portal's data is a
 * quarter-size fleet uploaded first. BENCH_LOAD_IDLE_SECONDS (default 10) is how long the idle run lasts,
 * BENCH_LOAD_CLIENTS (default 4) how many portal clients run at once (0: the probe alone).
 *
 * BENCH_LOAD_GAPS=1 also lists every event-loop gap over 100 ms the server had during the ingest, each with the
 * project functions that held the loop (event-loop-gaps.ts, preloaded into the server with a CPU profiler on).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { parseDatabaseUrl } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';
import { runMigrations } from '../../src/db/migrate';
import { describeGap, Gap } from './event-loop-gaps';
import { graphql, startServerProcess } from './server-process';

const NOW = new Date('2026-11-02T09:00:00.000Z');
const HEALTHZ_EVERY_MS = 50;
const TARGET_PORTAL_P99_MS = 1_000;
const TARGET_HEALTHZ_MS = 100;

function size(): { computers: number; updates: number } {
  const spec = process.env.BENCH_LOAD_SIZE ?? '2000x300';
  const m = /^(\d+)x(\d+)$/.exec(spec);
  if (!m) throw new Error(`BENCH_LOAD_SIZE must look like 2000x300 (computers x updates), not "${spec}"`);
  return { computers: Number(m[1]), updates: Number(m[2]) };
}

function positive(name: string, fallback: number, orZero = false): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !orZero)) throw new Error(`${name} must be a positive number, not "${process.env[name]}"`);
  return value;
}

interface Latencies {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function latencies(ms: number[]): Latencies {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : NaN);
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}

/** GET /healthz every 50 ms until stopped; a probe that overran its slot is followed at once, so a stall shows as its own latency. */
function probeHealthz(url: string): { stop(): Promise<{ latencies: Latencies; errors: number }> } {
  const ms: number[] = [];
  let errors = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = performance.now();
      try {
        const res = await fetch(`${url}/healthz`);
        await res.arrayBuffer();
        if (res.status !== 200) errors++;
      } catch {
        errors++;
      }
      const elapsed = performance.now() - start;
      ms.push(elapsed);
      if (elapsed < HEALTHZ_EVERY_MS) await new Promise((r) => setTimeout(r, HEALTHZ_EVERY_MS - elapsed));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { latencies: latencies(ms), errors };
    },
  };
}

interface PortalLoad {
  perSecond: number;
  latencies: Latencies;
  /** Connection errors, timeouts, non-2xx answers and 200s whose body carries GraphQL errors. */
  errors: number;
  /** What the errors were: status codes and the first GraphQL error message, so a failed run says why. */
  errorKinds: string[];
}

/**
 * The portal's clients, each sending its next request when its last is answered, until stopped (or for `seconds`).
 * Latencies are kept per response, since autocannon's own histogram has no 95th percentile.
 */
function portalLoad(url: string, key: string, tenantId: string, clients: number, seconds?: number): { stop(): void; done: Promise<PortalLoad> } {
  if (clients === 0) {
    // The probe alone: no portal, for a run that only lists the server's own stalls.
    let stop = () => {};
    const done = new Promise<PortalLoad>((resolve) => {
      const finish = () => resolve({ perSecond: 0, latencies: latencies([]), errors: 0, errorKinds: [] });
      const timer = seconds ? setTimeout(finish, seconds * 1000) : undefined;
      stop = () => {
        clearTimeout(timer);
        finish();
      };
    });
    return { stop: () => stop(), done };
  }
  const query = `query($tenantIds: [ID!]) { assets(first: 50, filter: { tenantIds: $tenantIds }, orderBy: { field: HOSTNAME, direction: ASC }) {
    nodes { hostname missingUpdateCount patchStates(states: [MISSING, FAILED]) { state update { title kb severity } } } } }`;
  const ms: number[] = [];
  let graphqlErrors = 0;
  let firstGraphqlError: string | undefined;
  const requestErrors = new Map<string, number>();
  let instance: autocannon.Instance;
  const done = new Promise<PortalLoad>((resolve, reject) => {
    instance = autocannon({
      url: `${url}/graphql`,
      connections: clients,
      duration: seconds ?? 24 * 3600,
      timeout: 60,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables: { tenantIds: [tenantId] } }),
      requests: [{
        onResponse: (status, body) => {
          if (status === 200 && body.includes('"errors"')) {
            graphqlErrors++;
            firstGraphqlError ??= body.slice(0, 300);
          }
        },
      }],
    }, (err, result) => {
      if (err) return reject(err);
      resolve({
        perSecond: ms.length / result.duration,
        latencies: latencies(ms),
        errors: result.errors + result.timeouts + result.non2xx + graphqlErrors,
        errorKinds: [
          ...(result.errors ? [`${result.errors} connection errors (${result.timeouts} timeouts${[...requestErrors].map(([m, n]) => `, ${n}x ${m}`).join('')})`] : []),
          ...Object.entries(result.statusCodeStats ?? {}).filter(([code]) => code !== '200').map(([code, { count }]) => `${count} HTTP ${code}`),
          ...(graphqlErrors ? [`${graphqlErrors} GraphQL errors, the first: ${firstGraphqlError}`] : []),
        ],
      });
    });
    instance.on('response', (_client, _status, _bytes, responseTime) => ms.push(responseTime));
    instance.on('reqError', (err: Error & { code?: string }) => {
      const kind = err.code ?? err.message;
      requestErrors.set(kind, (requestErrors.get(kind) ?? 0) + 1);
    });
  });
  return { stop: () => instance.stop(), done };
}

interface Round {
  healthz: { latencies: Latencies; errors: number };
  portal: PortalLoad;
}

const fmt = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : 'n/a');
const ratio = (during: number, idle: number) => (idle > 0 ? `${(during / idle).toFixed(2)}x` : 'n/a');

function report(idle: Round, busy: Round, ingestSeconds: number, states: number): void {
  const row = (label: string, i: number, b: number, show = fmt) =>
    console.log(`  ${label.padEnd(30)} ${show(i).padStart(12)} ${show(b).padStart(14)} ${ratio(b, i).padStart(9)}`);
  console.log(`  ${''.padEnd(30)} ${'idle'.padStart(12)} ${'during ingest'.padStart(14)} ${'ratio'.padStart(9)}`);
  row('/healthz p50', idle.healthz.latencies.p50, busy.healthz.latencies.p50);
  row('/healthz p99', idle.healthz.latencies.p99, busy.healthz.latencies.p99);
  row('/healthz max', idle.healthz.latencies.max, busy.healthz.latencies.max);
  row('portal requests/s', idle.portal.perSecond, busy.portal.perSecond, (n) => n.toFixed(1));
  row('portal p50', idle.portal.latencies.p50, busy.portal.latencies.p50);
  row('portal p95', idle.portal.latencies.p95, busy.portal.latencies.p95);
  row('portal p99', idle.portal.latencies.p99, busy.portal.latencies.p99);
  row('portal max', idle.portal.latencies.max, busy.portal.latencies.max);
  console.log(`  requests: /healthz ${idle.healthz.latencies.count} idle, ${busy.healthz.latencies.count} during; portal ${idle.portal.latencies.count} idle, ${busy.portal.latencies.count} during`);
  console.log(`  errors: /healthz ${idle.healthz.errors} idle, ${busy.healthz.errors} during; portal ${idle.portal.errors} idle, ${busy.portal.errors} during`);
  for (const [when, round] of [['idle', idle], ['during', busy]] as const) {
    if (round.portal.errorKinds.length) console.log(`  portal errors ${when}: ${round.portal.errorKinds.join('; ')}`);
  }
  console.log(`  the ingest under load: ${ingestSeconds.toFixed(2)} s (${Math.round(states / ingestSeconds).toLocaleString('en-GB')} states/s)`);
  const portalHolds = busy.portal.latencies.p99 <= TARGET_PORTAL_P99_MS && busy.portal.errors === 0;
  const healthzHolds = busy.healthz.latencies.max <= TARGET_HEALTHZ_MS && busy.healthz.errors === 0;
  console.log(`  => targets during the ingest: portal p99 <= ${TARGET_PORTAL_P99_MS} ms ${portalHolds ? 'holds' : 'MISSED'} (${fmt(busy.portal.latencies.p99)}); `
    + `/healthz <= ${TARGET_HEALTHZ_MS} ms (every probe) ${healthzHolds ? 'holds' : 'MISSED'} (max ${fmt(busy.healthz.latencies.max)}, p99 ${fmt(busy.healthz.latencies.p99)})`);
}

/** The server's gaps during the ingest, longest first, with what held the loop in each. */
function reportGaps(file: string, window: [number, number] | undefined): void {
  const lines = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Gap | { attributed: Gap[]; originMs: number });
  const final = lines.find((l): l is { attributed: Gap[]; originMs: number } => 'attributed' in l);
  const gaps = final ? final.attributed.map((g) => ({ ...g, at: g.at + final.originMs })) : [];
  const during = window ? gaps.filter((g) => g.at + g.ms >= window[0] && g.at <= window[1]) : gaps;
  console.log(`  event-loop gaps over 100 ms in the server during the ingest: ${during.length}, ${Math.round(during.reduce((s, g) => s + g.ms, 0))} ms in all`);
  for (const g of [...during].sort((a, b) => b.ms - a.ms)) console.log(describeGap({ ...g, at: g.at - (window?.[0] ?? 0) }));
}

async function createWsus(serverUrl: string, key: string, name: string, ingestKey: string): Promise<{ tenantId: string; ingestUrl: string }> {
  const { createTenant } = await graphql(serverUrl, key, 'mutation($name: String!) { createTenant(input: { name: $name }) { id } }', { name });
  const { createConnectorInstance } = await graphql(serverUrl, key, 'mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }', {
    input: { tenantId: createTenant.id, kind: 'wsus', name: `WSUS of ${name}`, settings: { ingestKey } },
  });
  return { tenantId: createTenant.id, ingestUrl: `${serverUrl}/ingest/wsus/${createConnectorInstance.id}` };
}

async function uploadOrThrow(wsus: WsusSimulator, ingestUrl: string, ingestKey: string, body: Buffer): Promise<number> {
  const res = await wsus.upload(ingestUrl, ingestKey, body);
  if (res.status !== 200) throw new Error(`the ingest answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
  return (res.body as { syncRun: { counts: { patchStates: { created: number } } } }).syncRun.counts.patchStates.created;
}

export async function benchLoadDuringIngest(engine: string, url: string): Promise<void> {
  const { computers, updates } = size();
  const idleSeconds = positive('BENCH_LOAD_IDLE_SECONDS', 10);
  const clients = positive('BENCH_LOAD_CLIENTS', 4, true);
  const gapsWanted = process.env.BENCH_LOAD_GAPS === '1';
  const portalFleet = new WsusSimulator({ computers: Math.max(50, Math.round(computers / 4)), updates: Math.max(20, Math.round(updates / 4)), seed: 2, now: NOW });
  const fleet = new WsusSimulator({ computers, updates, seed: 1, now: NOW });
  console.log(`\n${engine}: portal and /healthz load during a WSUS ingest of ${computers} computers x ${updates} updates`
    + ` (portal data: ${portalFleet.computers.length} computers; ${clients} portal clients; /healthz every ${HEALTHZ_EVERY_MS} ms)`);

  const ds = await createDataSource(parseDatabaseUrl(url));
  await ds.initialize();
  await runMigrations(ds);
  await ds.destroy();

  const key = `pgk_bench_${randomBytes(18).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'patchgraph-bench-load-'));
  const gapsFile = join(dataDir, 'gaps.jsonl');
  const serverArgs = process.env.BENCH_SERVER_NODE_ARGS;
  if (gapsWanted) process.env.BENCH_SERVER_NODE_ARGS = `${serverArgs ?? ''} --require ${join(__dirname, 'event-loop-gaps.js')}`;
  const server = await startServerProcess(url, key, dataDir, gapsWanted ? { BENCH_GAPS_FILE: gapsFile, BENCH_GAPS_PROFILE: '1' } : {});
  // Put back as it was: assigning undefined to process.env would store the string "undefined".
  if (gapsWanted && serverArgs === undefined) delete process.env.BENCH_SERVER_NODE_ARGS;
  else if (gapsWanted) process.env.BENCH_SERVER_NODE_ARGS = serverArgs;
  let ingestWindow: [number, number] | undefined;
  try {
    const portalKey = `wsus-portal-key-${randomBytes(16).toString('hex')}`;
    const portal = await createWsus(server.url, key, 'Portal trust', portalKey);
    await uploadOrThrow(portalFleet, portal.ingestUrl, portalKey, portalFleet.gzipSnapshot());
    const ingestKey = `wsus-ingest-key-${randomBytes(16).toString('hex')}`;
    const target = await createWsus(server.url, key, 'Ingest trust', ingestKey);
    const body = fleet.gzipSnapshot(); // built before the clock starts: the collector's work, not the server's

    // The probe alone first: with the portal's clients the server is busy even idle, and its queue is in every probe.
    const alone = probeHealthz(server.url);
    await new Promise((r) => setTimeout(r, 3_000));
    const floor = (await alone.stop()).latencies;
    console.log(`  /healthz alone (no portal load, no ingest): p50 ${fmt(floor.p50)}, p99 ${fmt(floor.p99)}, max ${fmt(floor.max)}`);

    const idleHealthz = probeHealthz(server.url);
    const idlePortal = portalLoad(server.url, key, portal.tenantId, clients, idleSeconds);
    const idle: Round = { portal: await idlePortal.done, healthz: await idleHealthz.stop() };

    const busyHealthz = probeHealthz(server.url);
    const busyPortal = portalLoad(server.url, key, portal.tenantId, clients);
    const start = process.hrtime.bigint();
    // hrtime is the system's monotonic clock in every process, so the server's gaps can be cut to this window.
    const clockAtStart = Number(start) / 1e6;
    let states: number;
    let ingestSeconds: number;
    let busyHealthzStopped: Round['healthz'] | undefined;
    try {
      states = await uploadOrThrow(fleet, target.ingestUrl, ingestKey, body);
      ingestSeconds = Number(process.hrtime.bigint() - start) / 1e9;
      ingestWindow = [clockAtStart, clockAtStart + ingestSeconds * 1000];
    } finally {
      busyPortal.stop();
      busyHealthzStopped = await busyHealthz.stop(); // else a failed upload leaves the probe running and the bench never exits
    }
    const busy: Round = { portal: await busyPortal.done, healthz: busyHealthzStopped };
    report(idle, busy, ingestSeconds, states);
  } finally {
    await server.stop();
    if (gapsWanted && existsSync(gapsFile)) reportGaps(gapsFile, ingestWindow);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
