/// <reference types="jest" />
/**
 * The connector contract as a jest suite. Every connector folder gets the same acceptance checks, run against its
 * simulator (a real HTTP server): declaration, configuration errors, credentials, a multi-page sync whose records
 * the engine can use, the failures vendors really produce (429 with and without Retry-After, 5xx, an expired
 * token, a malformed page) and incremental reads. With an engine probe, the same source is also synced through
 * the real sync engine on the current database, to prove a failed run leaves nothing behind.
 *
 * The reference above is there because the build (tsconfig.build.json) compiles connectors/ with Node types only.
 */
import { readsIncrementally } from '../contract';
import { AuthError, ConfigError } from '../errors';
import type { EngineProbe, ProbeRun } from './engine-probe';
import type { ContractHarness, Fault, SimulatorControl, SimulatorOptions, SimulatorStats } from './harness';
import { declarationProblems, recordProblems } from './checks';
import {
  errorText,
  knownFrom,
  leakedSecrets,
  openConnector,
  recordingContext,
  rejectionOf,
  runAgainst,
  secretValues,
  type SimulatorRun,
  sortedRecords,
  type StreamName,
} from './run';

export { collectRun, collectStream, recordingContext, sortedRecords } from './run';
export type { CollectOptions, Cursors, RecordingContext, RunRecords, RunResult, StreamName } from './run';

export type OpenEngineProbe = () => Promise<EngineProbe & { close(): Promise<void> }>;

export interface ContractSuiteOptions {
  /** Opens the real sync engine on a fresh database of the current engine; adds the "through the sync engine" checks. */
  engine?: OpenEngineProbe;
}

/**
 * 20 devices in pages of 4: five device pages, so a full sync spans several pages, a fault on data request 2 or 3
 * lands in the middle of the device stream, and "a few" changed devices are far fewer than the fleet.
 */
const FLEET: Required<SimulatorOptions> = { devices: 20, pageSize: 4, seed: 7 };
/** Consecutive malformed answers: more than any sensible retry budget, so retrying cannot hide the fault. */
const MALFORMED_TIMES = 10;

/** Simulators started by a test, closed after it whatever happened, so a failing test does not leak a server. */
interface SimulatorPool {
  start(options?: SimulatorOptions): Promise<SimulatorControl>;
}

function simulatorPool(harness: ContractHarness): SimulatorPool {
  const open = new Set<SimulatorControl>();
  afterEach(async () => {
    const all = [...open];
    open.clear();
    await Promise.all(all.map((sim) => sim.close()));
  });
  return {
    async start(options = FLEET) {
      const sim = await harness.start(options);
      open.add(sim);
      return sim;
    },
  };
}

export function describeConnectorContract(harness: ContractHarness, options: ContractSuiteOptions = {}): void {
  describe(`connector contract: ${harness.definition.kind}`, () => {
    const sims = simulatorPool(harness);
    describeDeclaration(harness);
    describeConfiguration(harness, sims);
    describeFullSync(harness, sims);
    describeFaults(harness, sims);
    describeIncremental(harness, sims);
    if (options.engine) describeThroughEngine(harness, sims, options.engine);
  });
}

function describeDeclaration(harness: ContractHarness): void {
  const problems = () => declarationProblems(harness);
  it('declaration: kind is lower-case kebab', () => expect(problems().kind).toEqual([]));
  it('declaration: displayName and description are not empty', () => expect(problems().text).toEqual([]));
  it('declaration: every config setting has a description', () => expect(problems().settings).toEqual([]));
  it(`declaration: credentials are marked secret${harness.usesTokens ? ' (usesTokens: at least one)' : ''}`, () => expect(problems().secrets).toEqual([]));
}

/**
 * Where a broken configuration is noticed is the connector's choice (parseConfig, create or testConnection); that
 * it is reported as ConfigError against the right field, without echoing a secret, is not.
 */
async function configFailure(harness: ContractHarness, raw: Record<string, unknown>): Promise<unknown> {
  const { context } = recordingContext();
  return rejectionOf(
    (async () => {
      const connector = openConnector(harness, raw, context);
      try {
        await connector.testConnection();
      } finally {
        await connector.close?.();
      }
    })(),
    'parseConfig, create and testConnection with this configuration',
  );
}

function describeConfiguration(harness: ContractHarness, sims: SimulatorPool): void {
  it('invalid configurations: the harness lists some (otherwise configuration errors go untested)', () => {
    expect(harness.invalidConfigs.length).toBeGreaterThan(0);
  });

  for (const invalid of harness.invalidConfigs) {
    it(`invalid configuration "${invalid.name}" → ConfigError on field "${invalid.field}", no secret in the message`, async () => {
      const sim = await sims.start();
      const valid = sim.validConfig();
      const error = await configFailure(harness, invalid.mutate({ ...valid }));
      expect(error).toBeInstanceOf(ConfigError);
      expect({ kind: (error as ConfigError).kind, field: (error as ConfigError).field }).toEqual({ kind: 'config', field: invalid.field });
      expect(leakedSecrets(errorText(error), secretValues(harness, valid))).toEqual([]);
    });
  }

  if (harness.transport === 'push') {
    it('bad credentials: checked by the ingest endpoint for a push source, not by the connector', () => {
      expect(harness.transport).toBe('push');
    });
  } else it('bad credentials → testConnection rejects with AuthError (kind "auth") that does not repeat the secret', async () => {
    const sim = await sims.start();
    const bad = sim.badCredentialsConfig();
    const { context, logs } = recordingContext();
    const connector = openConnector(harness, bad, context);
    try {
      const error = await rejectionOf(connector.testConnection(), 'testConnection with bad credentials');
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).kind).toBe('auth');
      const secrets = [...secretValues(harness, bad), ...secretValues(harness, sim.validConfig())];
      expect(leakedSecrets(errorText(error), secrets)).toEqual([]);
      expect(leakedSecrets(JSON.stringify(logs), secrets)).toEqual([]);
    } finally {
      await connector.close?.();
    }
  });

  it('valid configuration → testConnection resolves with a message for the operator', async () => {
    const sim = await sims.start();
    const valid = sim.validConfig();
    const { context } = recordingContext();
    const connector = openConnector(harness, valid, context);
    try {
      const check = await connector.testConnection();
      expect(typeof check.message).toBe('string');
      expect(check.message.trim()).not.toBe('');
      expect(leakedSecrets(check.message, secretValues(harness, valid))).toEqual([]);
    } finally {
      await connector.close?.();
    }
  });
}

function describeFullSync(harness: ContractHarness, sims: SimulatorPool): void {
  it(`full sync over several pages (${FLEET.devices} devices, pages of ${FLEET.pageSize}) → consistent records`, async () => {
    const sim = await sims.start();
    sim.resetStats();
    const requestsAfter: Partial<Record<StreamName, number>> = {};
    const run = await runAgainst(harness, sim, {}, { afterStream: (stream) => void (requestsAfter[stream] = sim.stats().dataRequests) });
    // Paging is only exercised if the device stream itself needed several pages; a push source has one upload.
    if (harness.transport === 'push') expect(requestsAfter.devices).toBe(1);
    else expect(requestsAfter.devices).toBeGreaterThanOrEqual(3);
    expect(run.result.devices).toHaveLength(FLEET.devices);
    if (harness.reportsUpdates ?? true) {
      expect(run.result.updates.length).toBeGreaterThan(0);
      expect(run.result.patchStates.length).toBeGreaterThan(0);
    } else {
      expect({ updates: run.result.updates.length, patchStates: run.result.patchStates.length }).toEqual({ updates: 0, patchStates: 0 });
      expect(run.result.devices.filter((d) => d.patchPosture).length).toBeGreaterThan(0);
    }
    expect(recordProblems(run.result)).toEqual([]);
    expect(leakedSecrets(JSON.stringify(run.logs), secretValues(harness, sim.validConfig()))).toEqual([]);
  });
}

interface FaultedRuns {
  baseline: SimulatorRun;
  faulted: SimulatorRun;
  baselineStats: SimulatorStats;
  faultedStats: SimulatorStats;
}

/** An undisturbed run, then the same source read again with `fault` injected: the baseline says what "same records" means. */
async function runWithFault(harness: ContractHarness, sims: SimulatorPool, fault: Fault): Promise<FaultedRuns> {
  const sim = await sims.start();
  sim.resetStats();
  const baseline = await runAgainst(harness, sim);
  const baselineStats = sim.stats();
  sim.resetStats();
  sim.inject(fault);
  const faulted = await runAgainst(harness, sim);
  return { baseline, faulted, baselineStats, faultedStats: sim.stats() };
}

function expectSameRecords(runs: FaultedRuns): void {
  expect(sortedRecords(runs.faulted.result)).toEqual(sortedRecords(runs.baseline.result));
}

function describeFaults(harness: ContractHarness, sims: SimulatorPool): void {
  if (harness.transport === 'push') {
    it('HTTP faults (429, 5xx, token expiry): not applicable to a push source, whose uploads the ingest endpoint receives', () => {
      expect(harness.transport).toBe('push');
    });
    it('malformed upload → the run fails with kind "malformed_response" before any record', async () => {
      const sim = await sims.start();
      sim.resetStats();
      sim.inject({ type: 'malformed', onRequest: 1 });
      const completed: StreamName[] = [];
      const error = await rejectionOf(runAgainst(harness, sim, {}, { afterStream: (stream) => void completed.push(stream) }), 'a run over a malformed upload');
      expect((error as { kind?: unknown }).kind).toBe('malformed_response');
      expect(completed).toEqual([]);
    });
    return;
  }
  it('429 with Retry-After: 7 → waits 7000 ms, retries, same records', async () => {
    const runs = await runWithFault(harness, sims, { type: 'status', status: 429, retryAfterSeconds: 7, onRequest: 2 });
    expect(runs.faulted.sleeps).toContain(7000);
    expect(runs.faultedStats.dataRequests).toBeGreaterThan(runs.baselineStats.dataRequests);
    expectSameRecords(runs);
  });

  it('429 without Retry-After → backs off (a delay > 0), retries, same records', async () => {
    // Two refusals in a row: full-jitter backoff may draw 0 ms once, but practically never twice.
    const runs = await runWithFault(harness, sims, { type: 'status', status: 429, onRequest: 2, times: 2 });
    expect(runs.faulted.sleeps.length).toBeGreaterThan(runs.baseline.sleeps.length);
    expect(Math.max(...runs.faulted.sleeps)).toBeGreaterThan(0);
    expect(runs.faultedStats.dataRequests).toBeGreaterThanOrEqual(runs.baselineStats.dataRequests + 2);
    expectSameRecords(runs);
  });

  for (const status of [502, 503, 504] as const) {
    it(`${status} on a page → retried, same records`, async () => {
      const runs = await runWithFault(harness, sims, { type: 'status', status, onRequest: 2 });
      expect(runs.faultedStats.dataRequests).toBeGreaterThan(runs.baselineStats.dataRequests);
      expectSameRecords(runs);
    });
  }

  if (harness.usesTokens) {
    it('token expiring mid-sync → a new token is fetched, same records', async () => {
      const runs = await runWithFault(harness, sims, { type: 'expire-token', onRequest: 2 });
      expect(runs.faultedStats.unauthorized).toBeGreaterThanOrEqual(1);
      expect(runs.faultedStats.tokenRequests).toBeGreaterThanOrEqual(2);
      expectSameRecords(runs);
    });
  } else {
    // Reported as a passing test that names why, and proves the declaration: a source without tokens issues none.
    it('token expiring mid-sync: not applicable, the harness declares usesTokens: false (and the simulator issues no token)', async () => {
      expect(harness.usesTokens).toBe(false);
      const sim = await sims.start();
      sim.resetStats();
      await runAgainst(harness, sim);
      expect(sim.stats().tokenRequests).toBe(0);
    });
  }

  it('malformed page → the run fails with kind "malformed_response", no partial success', async () => {
    const sim = await sims.start();
    const secrets = secretValues(harness, sim.validConfig());
    sim.resetStats();
    sim.inject({ type: 'malformed', onRequest: 2, times: MALFORMED_TIMES });
    const completed: StreamName[] = [];
    const error = await rejectionOf(
      runAgainst(harness, sim, {}, { afterStream: (stream) => void completed.push(stream) }),
      'a run over a malformed page',
    );
    expect((error as { kind?: unknown }).kind).toBe('malformed_response');
    // Data request 2 is a device page: the device stream must fail there, not end early as if the list were complete.
    expect(completed).toEqual([]);
    expect(leakedSecrets(errorText(error), secrets)).toEqual([]);
  });
}

/** Whether the engine ever asks this connector for an incremental read (never for a pushed snapshot). */
const incrementalSource = (harness: ContractHarness) => harness.transport !== 'push' && readsIncrementally(harness.definition);

function describeIncremental(harness: ContractHarness, sims: SimulatorPool): void {
  if (!incrementalSource(harness)) {
    const why = harness.transport === 'push' ? 'every upload is a complete snapshot' : 'the connector reads in full only (no capabilities.incremental)';
    it(`incremental: not applicable, ${why}; a second full read with the first one's cursors gives the same records`, async () => {
      const sim = await sims.start();
      const first = await runAgainst(harness, sim);
      const again = await runAgainst(harness, sim, first.result.cursors);
      expect(sortedRecords(again.result)).toEqual(sortedRecords(first.result));
    });
    return;
  }
  it('incremental: a full read reports a device cursor (capabilities.incremental); with it, only the devices changed since are read', async () => {
    const sim = await sims.start();
    const full = await runAgainst(harness, sim);
    expect(full.result.cursors.devices).toEqual(expect.any(String));
    const { changedDeviceIds } = await sim.mutate();
    expect(changedDeviceIds.length).toBeGreaterThan(0);

    // The engine hands back what it stored (StreamRequest.known); a source without a change filter needs it.
    const incremental = await runAgainst(harness, sim, full.result.cursors, { known: knownFrom(full.result.devices) });
    const read = incremental.result.devices.map((d) => d.externalId).sort();
    expect(read).toEqual([...new Set(changedDeviceIds)].sort());
    expect(read.length).toBeLessThanOrEqual(full.result.devices.length / 2);
    expect(recordProblems(incremental.result, full.result)).toEqual([]);
  });
}

/** A run's status with its error, so a failing expectation says why the engine failed the run. */
function outcome(run: ProbeRun): string {
  return run.status === 'SUCCEEDED' ? 'SUCCEEDED' : `FAILED: ${run.errorMessage}`;
}

/**
 * Faults have no "clear": a window of `times` answers outlives a run that gave up at its first faulted request.
 * Throwaway reads spend what is left, so the next engine sync sees a healthy source. Needs stats reset at injection.
 */
async function spendFault(harness: ContractHarness, sim: SimulatorControl, lastFaultedRequest: number): Promise<void> {
  while (sim.stats().dataRequests < lastFaultedRequest) {
    const before = sim.stats().dataRequests;
    await runAgainst(harness, sim).catch(() => undefined);
    if (sim.stats().dataRequests === before) throw new Error('a run made no data request; cannot spend the rest of the fault');
  }
}

function describeThroughEngine(harness: ContractHarness, sims: SimulatorPool, open: OpenEngineProbe): void {
  const kind = harness.definition.kind;
  describe('through the sync engine', () => {
    let probe: EngineProbe & { close(): Promise<void> };
    beforeAll(async () => {
      probe = await open();
    });
    afterAll(async () => {
      await probe?.close();
    });

    /** One engine run; a push source's upload rides along as the payload. */
    const sync = (sim: SimulatorControl, id: string, options: { full?: boolean } = {}) => probe.sync(id, { ...options, payload: sim.payload?.() });
    const push = harness.transport === 'push';

    /** A simulator and an instance reading it, after one successful full sync. */
    async function syncedInstance(): Promise<{ sim: SimulatorControl; id: string; first: ProbeRun }> {
      const sim = await sims.start();
      const id = await probe.createInstance(kind, sim.validConfig());
      const first = await sync(sim, id);
      expect(outcome(first)).toBe('SUCCEEDED');
      return { sim, id, first };
    }

    it('a full sync succeeds and creates every device of the source', async () => {
      const { first } = await syncedInstance();
      expect(first.counts.devices.seen).toBe(FLEET.devices);
      expect(first.counts.devices.created).toBe(first.counts.devices.seen);
      if (harness.reportsUpdates ?? true) expect(first.counts.patchStates.seen).toBeGreaterThan(0);
    });

    it('re-running with unchanged source data changes nothing', async () => {
      const { sim, id } = await syncedInstance();
      const before = await probe.snapshot(id);
      const again = await sync(sim, id);
      expect(outcome(again)).toBe('SUCCEEDED');
      // The engine reads incrementally exactly when the connector says it can.
      expect(again.mode).toBe(incrementalSource(harness) ? 'INCREMENTAL' : 'FULL');
      const { devices, updates, patchStates, events } = again.counts;
      expect({
        devices: [devices.created, devices.changed],
        updates: [updates.created, updates.changed],
        patchStates: [patchStates.created, patchStates.changed],
        events,
      }).toEqual({ devices: [0, 0], updates: [0, 0], patchStates: [0, 0], events: 0 });
      expect(await probe.snapshot(id)).toBe(before);
    });

    it('a sync failing on a malformed page writes nothing; the retry applies the changes', async () => {
      const { sim, id } = await syncedInstance();
      await sim.mutate();
      const before = await probe.snapshot(id);
      sim.resetStats();
      // Full, so the run reads all five device pages and request 3 falls in the middle of the device stream (a push
      // source's single upload is its request 1).
      const faultAt = push ? 1 : 3;
      sim.inject({ type: 'malformed', onRequest: faultAt, times: MALFORMED_TIMES });
      const failed = await sync(sim, id, { full: true });
      expect(failed.status).toBe('FAILED');
      expect((failed.errorMessage ?? '').trim()).not.toBe('');
      expect(await probe.snapshot(id)).toBe(before);

      await spendFault(harness, sim, faultAt + MALFORMED_TIMES - 1);
      // Incremental from the cursors of the last committed run: had the failed run stored its cursors, the changes
      // would be skipped and the snapshot would stay the same.
      const retry = await sync(sim, id);
      expect(outcome(retry)).toBe('SUCCEEDED');
      expect(await probe.snapshot(id)).not.toBe(before);
    });

    it('a removed device is marked stale only by a successful full sync, and no other device is', async () => {
      const { sim, id } = await syncedInstance();
      // How many requests a full re-run makes, to know whether any follow the device pages (a source without
      // per-update data may make none).
      sim.resetStats();
      expect(outcome(await sync(sim, id, { full: true }))).toBe('SUCCEEDED');
      const requestsPerRun = sim.stats().dataRequests;
      const removed = await sim.removeDevice();
      // The first request after the device pages: every remaining device has been read when the run fails, which is
      // exactly when an engine that marks staleness too early would mark the removed one. Failing that, the last
      // device page: the run has read all but one page.
      const devicePages = Math.ceil((FLEET.devices - 1) / FLEET.pageSize);
      const onRequest = push ? 1 : requestsPerRun > Math.ceil(FLEET.devices / FLEET.pageSize) ? devicePages + 1 : devicePages;
      sim.resetStats();
      sim.inject({ type: 'malformed', onRequest, times: MALFORMED_TIMES });
      const failed = await sync(sim, id, { full: true });
      expect(failed.status).toBe('FAILED');
      expect(await probe.staleDevices(id)).toEqual([]);

      await spendFault(harness, sim, onRequest + MALFORMED_TIMES - 1);
      const full = await sync(sim, id, { full: true });
      expect(outcome(full)).toBe('SUCCEEDED');
      expect(await probe.staleDevices(id)).toEqual([removed]);
    });
  });
}
