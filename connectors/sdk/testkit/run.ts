/**
 * Running a connector in tests the way the sync engine runs it: streams consumed one after the other (devices,
 * updates, patch states), cursors collected through `setCursor`, and a context whose waits are recorded instead of
 * slept, so a test of Retry-After or backoff takes milliseconds.
 */
import { fixedClock } from '../clock';
import { compactMac } from '../mac';
import { parseConfig, secretNames } from '../config';
import { readsIncrementally, type Connector, type ConnectorContext, type DeviceRecord, type KnownDevice, type PatchStateRecord, type RunMode, type StreamRequest, type UpdateRecord } from '../contract';
import type { Sleep } from '../http/backoff';
import { eachRecord, type Streamed } from '../record-batch';
import type { HttpLogEvent } from '../http/http-client';
import { RateLimiterRegistry } from '../http/rate-limiter';
import type { ContractHarness, SimulatorControl } from './harness';

export type StreamName = 'devices' | 'updates' | 'patchStates';

/** The order the engine reads streams in: patch states refer to devices and updates read before them. */
export const STREAM_ORDER: readonly StreamName[] = ['devices', 'updates', 'patchStates'];

/** What each stream reported through `setCursor` (the last value wins), or null when it reported nothing. */
export type Cursors = Record<StreamName, string | null>;

export interface RunRecords {
  devices: DeviceRecord[];
  updates: UpdateRecord[];
  patchStates: PatchStateRecord[];
}

export interface RunResult extends RunRecords {
  cursors: Cursors;
}

export interface CollectOptions {
  /** The run's `request.mode`: by default 'incremental' when a device cursor is given, as the engine would ask. */
  mode?: RunMode;
  signal?: AbortSignal;
  /** What the engine would hold from earlier runs (StreamRequest.known); see knownFrom. */
  known?: StreamRequest['known'];
  /** Called after each stream ended normally, before the next starts; lets a test look at the simulator in between. */
  afterStream?(stream: StreamName): void | Promise<void>;
}

/** Every record of a stream, in order: a batch's records as if yielded one by one, as the engine reads them. */
export async function collectStream<T>(stream: AsyncIterable<Streamed<T>>): Promise<T[]> {
  const items: T[] = [];
  // One at a time: spreading a batch into push's arguments fails past the engine's argument limit.
  for await (const record of eachRecord(stream)) items.push(record);
  return items;
}

/**
 * Consumes the three streams in the engine's order and returns every record and the cursors reported. `cursors`
 * are what a previous run reported. A failing stream rejects the whole run, as it fails the engine's run: there is
 * no partial result.
 */
export async function collectRun(connector: Connector, cursors: Partial<Cursors> = {}, options: CollectOptions = {}): Promise<RunResult> {
  const reported: Cursors = { devices: null, updates: null, patchStates: null };
  const mode = options.mode ?? (cursors.devices == null ? 'full' : 'incremental');
  const request = (stream: StreamName): StreamRequest => ({
    mode,
    cursor: cursors[stream] ?? null,
    setCursor: (cursor) => {
      reported[stream] = cursor;
    },
    signal: options.signal,
    known: options.known,
  });
  const devices = await collectStream(connector.devices(request('devices')));
  await options.afterStream?.('devices');
  const updates = await collectStream(connector.updates(request('updates')));
  await options.afterStream?.('updates');
  const patchStates = await collectStream(connector.patchStates(request('patchStates')));
  await options.afterStream?.('patchStates');
  return { devices, updates, patchStates, cursors: reported };
}

/** StreamRequest.known as the engine would answer it after storing these devices (MACs normalised as it does). */
export function knownFrom(devices: DeviceRecord[]): NonNullable<StreamRequest['known']> {
  const byId = new Map(
    devices.map((d): [string, KnownDevice] => [d.externalId, {
      revision: d.revision ?? null,
      serialNumber: d.serialNumber ?? null,
      smbiosUuid: d.smbiosUuid ?? null,
      macAddresses: [...new Set((d.macAddresses ?? []).map(compactMac).filter((m): m is string => m !== null))].sort(),
      manufacturer: d.manufacturer ?? null,
      model: d.model ?? null,
    }]),
  );
  return (id) => byId.get(id);
}

/** A ConnectorContext that never really waits, plus what it saw. */
export interface RecordingContext {
  context: ConnectorContext;
  /** Every delay passed to `sleep`, in milliseconds, in order (retries, Retry-After, rate-limit waits). */
  sleeps: number[];
  logs: HttpLogEvent[];
}

export function recordingContext(start: Date = new Date()): RecordingContext {
  const clock = fixedClock(start);
  const sleeps: number[] = [];
  const logs: HttpLogEvent[] = [];
  // Waiting advances the fixed clock instead of real time: token lifetimes and rate-limit windows still run out,
  // so a limiter that waits for its window does not spin forever, yet nothing takes wall-clock time.
  const sleep: Sleep = async (ms, signal) => {
    signal?.throwIfAborted();
    sleeps.push(ms);
    clock.advance(Math.max(0, ms));
  };
  return {
    // A registry of its own per context: limiters are shared by account key, and runs of one test must not eat
    // the quota of the next.
    context: { clock, sleep, log: (event) => logs.push(event), rateLimiters: new RateLimiterRegistry({ clock, sleep }) },
    sleeps,
    logs,
  };
}

/** Validates raw configuration and creates a connector, as the engine does for each run. */
export function openConnector(harness: ContractHarness, raw: Record<string, unknown>, context: ConnectorContext): Connector {
  return harness.definition.create(parseConfig(harness.definition, raw), context);
}

/** The outcome of one run against a simulator, with what its context recorded. */
export interface SimulatorRun extends RecordingContext {
  result: RunResult;
}

/**
 * One run with the simulator's valid configuration and a fresh connector, closed afterwards whatever happened. The
 * mode is the engine's choice: incremental only for an incremental-capable connector given a device cursor (and
 * never for a pushed snapshot).
 */
export async function runAgainst(
  harness: ContractHarness,
  sim: SimulatorControl,
  cursors: Partial<Cursors> = {},
  options: CollectOptions = {},
): Promise<SimulatorRun> {
  const recording = recordingContext();
  const payload = sim.payload?.();
  const connector = openConnector(harness, sim.validConfig(), { ...recording.context, payload });
  const incremental = readsIncrementally(harness.definition) && payload === undefined && cursors.devices != null;
  try {
    return { ...recording, result: await collectRun(connector, cursors, { mode: incremental ? 'incremental' : 'full', ...options }) };
  } finally {
    await connector.close?.();
  }
}

/** The records of a run in a fixed order, so two runs of the same source compare equal whatever order they stream in. */
export function sortedRecords(run: RunRecords): RunRecords {
  const by = <T>(key: (item: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return {
    devices: [...run.devices].sort(by((d) => d.externalId)),
    updates: [...run.updates].sort(by((u) => u.key)),
    patchStates: [...run.patchStates].sort(by((s) => `${s.deviceExternalId}\u0000${s.updateKey}`)),
  };
}

/**
 * The secret values of a raw configuration, the ones no message may repeat. Very short values are left out: they
 * would "appear" in ordinary text by chance, and a real credential is never that short.
 */
export function secretValues(harness: ContractHarness, raw: Record<string, unknown>): string[] {
  return secretNames(harness.definition.configClass)
    .map((name) => raw[name])
    .filter((value): value is string => typeof value === 'string' && value.length >= 6);
}

/** The secrets among `secrets` that occur in `text`. */
export function leakedSecrets(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((secret) => text.includes(secret) || text.includes(encodeURIComponent(secret)));
}

/** What an error would show anywhere: its message and its JSON form (what logs and sync-run records store). */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return JSON.stringify(error) ?? String(error);
  const json = typeof (error as { toJSON?: unknown }).toJSON === 'function' ? JSON.stringify(error) : '';
  return `${error.message}\n${json}`;
}

/** The error a promise rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`${what} was expected to fail, but it succeeded`);
}
