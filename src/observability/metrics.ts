/**
 * The Prometheus series patchgraph exports. One Metrics (and one registry) per server, not prom-client's global
 * registry: tests start several servers in one process, and each must count only its own work.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { SyncCounts } from '../../connectors/sdk/sync-counts';

/** Request and operation latencies: from a cached answer (5 ms) to a large report (over 10 s). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Sync runs: a small incremental run takes well under a second, a 2,000-device full read minutes. */
const RUN_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
/** Waits that should be near zero and matter when they are not: lease acquisition, a scheduler's lateness. */
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900];
/** A WSUS snapshot upload, compressed: 1 KB to the 64 MB default limit and beyond. */
const BYTE_BUCKETS = [1_024, 16_384, 131_072, 1_048_576, 4_194_304, 16_777_216, 67_108_864, 268_435_456];
/** Patch states in one snapshot: a lab to 2,000 computers × 300 updates and more. */
const STATE_BUCKETS = [10, 100, 1_000, 10_000, 100_000, 600_000, 1_000_000, 5_000_000];

/** Operation names a server keeps apart; past this many, new names count as "other", so a client cannot grow the series. */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

export type SyncOutcome = 'succeeded' | 'failed';

export class Metrics {
  readonly registry = new Registry();
  private readonly operationNames = new Set<string>();

  readonly httpDuration = new Histogram({
    name: 'patchgraph_http_request_duration_seconds', help: 'HTTP requests answered, by method, route and status code.',
    labelNames: ['method', 'route', 'status'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry],
  });
  readonly graphqlDuration = new Histogram({
    name: 'patchgraph_graphql_operation_duration_seconds', help: 'GraphQL operations, by operation name and type (query, mutation), from receipt to the answer.',
    labelNames: ['operation', 'type'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry],
  });
  readonly graphqlErrors = new Counter({
    name: 'patchgraph_graphql_errors_total', help: 'Errors in GraphQL answers, by extensions.code.',
    labelNames: ['code'] as const, registers: [this.registry],
  });
  readonly syncRuns = new Counter({
    name: 'patchgraph_sync_runs_total', help: 'Sync runs finished, by connector kind and outcome (succeeded, failed) and, for failures, error kind.',
    labelNames: ['kind', 'outcome', 'error_kind'] as const, registers: [this.registry],
  });
  readonly syncDuration = new Histogram({
    name: 'patchgraph_sync_run_duration_seconds', help: 'Sync run duration from lease to outcome, by connector kind and outcome.',
    labelNames: ['kind', 'outcome'] as const, buckets: RUN_BUCKETS, registers: [this.registry],
  });
  readonly rowsRead = new Counter({
    name: 'patchgraph_sync_rows_read_total', help: 'Records sync runs read from their sources, by connector kind and record kind (devices, updates, states).',
    labelNames: ['connector', 'kind'] as const, registers: [this.registry],
  });
  readonly rowsWritten = new Counter({
    name: 'patchgraph_sync_rows_written_total', help: 'Rows successful sync runs created or changed, by connector kind and row kind (devices, updates, states, events).',
    labelNames: ['connector', 'kind'] as const, registers: [this.registry],
  });
  readonly vendorRateLimited = new Counter({
    name: 'patchgraph_vendor_rate_limited_total', help: 'HTTP 429 answers from vendor APIs, by connector kind.',
    labelNames: ['connector'] as const, registers: [this.registry],
  });
  readonly vendorRetries = new Counter({
    name: 'patchgraph_vendor_retries_total', help: 'Vendor requests retried, by connector kind and cause (rate_limited, server_error, timeout_or_network, other).',
    labelNames: ['connector', 'cause'] as const, registers: [this.registry],
  });
  readonly leaseWait = new Histogram({
    name: 'patchgraph_sync_lease_wait_seconds', help: 'Time to take a sync lease, by result (acquired, taken_over, busy: another sync holds it).',
    labelNames: ['result'] as const, buckets: WAIT_BUCKETS, registers: [this.registry],
  });
  readonly ingestBytes = new Histogram({
    name: 'patchgraph_ingest_snapshot_bytes', help: 'Size of accepted snapshot uploads to /ingest as sent (compressed), by their Content-Length, in bytes.',
    buckets: BYTE_BUCKETS, registers: [this.registry],
  });
  readonly ingestStates = new Histogram({
    name: 'patchgraph_ingest_snapshot_states', help: 'Patch states in each pushed snapshot a sync applied (WSUS uploads, and the demo\'s WSUS snapshots at its first start).',
    buckets: STATE_BUCKETS, registers: [this.registry],
  });
  readonly schedulerLag = new Histogram({
    name: 'patchgraph_scheduler_lag_seconds', help: "How late a due instance's scheduled sync started (or was queued) after its interval came round.",
    labelNames: ['kind'] as const, buckets: WAIT_BUCKETS, registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    // Node's own series (CPU, memory, event loop lag, GC, handles), under their usual names so stock dashboards work.
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The operation name as a label: known-shaped names until the cap, then "other"; none is "anonymous". */
  operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'other';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    this.operationNames.add(name);
    return name;
  }

  /** extensions.code as a label: codes are the schema's own upper-case words; anything else is one bucket. */
  static errorCodeLabel(code: unknown): string {
    return typeof code === 'string' && ERROR_CODE.test(code) ? code : 'UNKNOWN';
  }

  syncFinished(kind: string, outcome: SyncOutcome, errorKind: string | null, seconds: number, counts: SyncCounts | null): void {
    this.syncRuns.inc({ kind, outcome, error_kind: errorKind ?? '' });
    this.syncDuration.observe({ kind, outcome }, seconds);
    if (!counts) return;
    this.rowsRead.inc({ connector: kind, kind: 'devices' }, counts.devices.seen);
    this.rowsRead.inc({ connector: kind, kind: 'updates' }, counts.updates.seen);
    this.rowsRead.inc({ connector: kind, kind: 'states' }, counts.patchStates.seen);
    this.rowsWritten.inc({ connector: kind, kind: 'devices' }, counts.devices.created + counts.devices.changed + counts.devices.stale);
    this.rowsWritten.inc({ connector: kind, kind: 'updates' }, counts.updates.created + counts.updates.changed);
    this.rowsWritten.inc({ connector: kind, kind: 'states' }, counts.patchStates.created + counts.patchStates.changed);
    this.rowsWritten.inc({ connector: kind, kind: 'events' }, counts.events);
  }

  /** The cause of a vendor retry, from the status that caused it (none: a timeout, a network error). */
  static retryCause(status: number | undefined): string {
    if (status === 429) return 'rate_limited';
    if (status === undefined) return 'timeout_or_network';
    if (status >= 500) return 'server_error';
    return 'other';
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
