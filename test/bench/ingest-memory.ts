/**
 * Bench case "ingest-memory": how a server's peak resident memory grows with the fleet. For each size a WSUS
 * snapshot goes through the ingest endpoint of a fresh server process (`patchgraph serve`), once, and the server's
 * peak RSS is read from the kernel (VmHWM) beside its RSS at rest before the upload: the baseline of the same
 * process. The [P12] target is a peak of at most 512 MB at 20,000 devices, whatever the fleet.
 *
 * Sizes: BENCH_MEMORY_SIZES=<computers>x<updates>,… (default 2000x150,10000x150,20000x150). A snapshot of 20,000
 * computers is larger than the ingest limits allow by default (PATCHGRAPH_INGEST_MAX_*: 128 MB decompressed, 6
 * million JSON values), so the bench raises them for its server, as an operator of such a server would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { graphql, peakRssOf, startServerProcess } from './server-process';

const NOW = new Date('2026-11-02T09:00:00.000Z');
const INGEST_KEY = 'wsus-ingest-key-for-the-bench-0123456789abcdef';

const LIMITS_FOR_LARGE_SNAPSHOTS = {
  PATCHGRAPH_INGEST_MAX_UPLOAD_MB: '1024',
  PATCHGRAPH_INGEST_MAX_SNAPSHOT_MB: '2048',
  PATCHGRAPH_INGEST_MAX_JSON_ELEMENTS: '100000000',
};

function sizes(): Array<{ computers: number; updates: number }> {
  const spec = process.env.BENCH_MEMORY_SIZES ?? '2000x150,10000x150,20000x150';
  return spec.split(',').map((one) => {
    const m = /^(\d+)x(\d+)$/.exec(one.trim());
    if (!m) throw new Error(`BENCH_MEMORY_SIZES must look like 2000x150,20000x150 (computers x updates), not "${spec}"`);
    return { computers: Number(m[1]), updates: Number(m[2]) };
  });
}

const rssNow = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

export async function benchIngestMemory(engine: string, url: string): Promise<void> {
  console.log(`\n${engine}: server peak RSS by fleet size (one full WSUS ingest per fresh server; target <= 512 MB at 20,000 devices)`);
  console.log('  computers x updates   states      ingest      states/s   RSS at rest   peak RSS');
  for (const { computers, updates } of sizes()) {
    const wsus = new WsusSimulator({ computers, updates, seed: 1, now: NOW });
    let body: Buffer | null = wsus.gzipSnapshot();
    const key = `pgk_bench_${randomBytes(18).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'patchgraph-bench-memory-'));
    const server = await startServerProcess(url, key, dataDir, LIMITS_FOR_LARGE_SNAPSHOTS);
    try {
      const { createTenant } = await graphql(server.url, key, `mutation { createTenant(input: { name: "Memory ${computers}x${updates}" }) { id } }`);
      const { createConnectorInstance } = await graphql(server.url, key, 'mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }', {
        input: { tenantId: createTenant.id, kind: 'wsus', name: `WSUS (${computers} computers)`, settings: { ingestKey: INGEST_KEY } },
      });
      const rest = rssNow(server.pid);
      const start = process.hrtime.bigint();
      const res = await wsus.upload(`${server.url}/ingest/wsus/${createConnectorInstance.id}`, INGEST_KEY, body);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      body = null;
      if (res.status !== 200) throw new Error(`the ingest answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
      const created = (res.body as { syncRun: { counts: { patchStates: { created: number } } } }).syncRun.counts.patchStates.created;
      const peak = peakRssOf(server.pid);
      console.log(
        `  ${`${computers} x ${updates}`.padEnd(20)}${created.toLocaleString('en-GB').padStart(10)}${`${seconds.toFixed(1)} s`.padStart(12)}${Math.round(created / seconds).toLocaleString('en-GB').padStart(11)}` +
          `${`${rest.toFixed(0)} MB`.padStart(14)}${`${peak.toFixed(0)} MB`.padStart(11)}`,
      );
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}
