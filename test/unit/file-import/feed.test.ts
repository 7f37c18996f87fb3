import { fileImportConnector, parseFileImportConfig } from '../../../connectors/file-import';
import { FileImportSimulator, SIMULATOR_CLIENT_SECRET, startFileImportSimulator } from '../../../connectors/file-import/simulator';
import type { Connector, ConnectorContext } from '../../../connectors/sdk/contract';
import { AuthError, MalformedResponseError, TransientError } from '../../../connectors/sdk/errors';
import { type HttpLogEvent, RateLimiterRegistry } from '../../../connectors/sdk/http';
import { systemClock } from '../../../src/util/clock';
import { failure, read } from './streams';
import { configureFileImport } from '../../../connectors/file-import/policy';

// The simulator listens on 127.0.0.1, which a server refuses unless its operator allows private addresses.
beforeAll(() => configureFileImport({ importDir: null, allowPrivateUrls: true, privateUrlAllowList: [] }));

/** Real HTTP against the simulator; only waiting is faked: sleeps are recorded and return at once. */
let sim: FileImportSimulator;
let sleeps: number[];
let logs: HttpLogEvent[];

function context(): ConnectorContext {
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  return { clock: systemClock, sleep, log: (e) => logs.push(e), rateLimiters: new RateLimiterRegistry({ sleep }) };
}

function connect(raw: Record<string, unknown> = sim.validConfig()): Connector {
  return fileImportConnector.create(parseFileImportConfig(raw), context());
}

beforeEach(async () => {
  sleeps = [];
  logs = [];
  sim = await startFileImportSimulator({ pageSize: 7, devices: 20, seed: 3 });
});
afterEach(() => sim.close());

describe('file-import over an HTTP feed (simulator)', () => {
  it('gets a client-credentials token once and follows `next` verbatim across every page', async () => {
    const { records, cursors } = await read<{ externalId: string }>(connect(), 'devices');
    expect(records.map((d) => d.externalId).sort()).toEqual(sim.fleet.devices.map((d) => d.externalId).sort());
    const paths = sim.requests();
    expect(paths).toHaveLength(3); // 20 devices, 7 a page
    expect(paths[0]).toBe('/v1/devices?limit=7');
    // Pages 2 and 3 are the server's own next links, sent as they were given.
    expect(paths.slice(1).every((p) => /^\/v1\/devices\?limit=7&after=[\w-]+$/.test(p))).toBe(true);
    expect(sim.stats()).toEqual({ dataRequests: 3, tokenRequests: 1, unauthorized: 0 });
    expect(cursors).toEqual([maxModifiedAt(sim.fleet.devices)]);
    expect(sleeps).toEqual([]);
  });

  it('reads all three streams with the same row validation as files', async () => {
    const connector = connect();
    const updates = await read<{ key: string; releasedAt: Date }>(connector, 'updates');
    expect(updates.records).toHaveLength(sim.fleet.updates.length);
    expect(updates.records[0].releasedAt).toBeInstanceOf(Date);
    const states = await read<{ state: string }>(connector, 'patchStates');
    expect(states.records).toHaveLength(sim.fleet.patchStates.length);
    expect(new Set(states.records.map((s) => s.state)).size).toBe(6);
  });

  it('passes the cursor as `since` and gets only what changed after it', async () => {
    const connector = connect();
    const first = await read(connector, 'devices');
    const { changedDeviceIds } = await sim.mutate();
    expect(changedDeviceIds.length).toBeGreaterThan(0);
    sim.resetStats();
    const second = await read<{ externalId: string }>(connector, 'devices', first.cursors[0]);
    expect(second.records.map((d) => d.externalId).sort()).toEqual(changedDeviceIds);
    expect(sim.requests()[0]).toBe(`/v1/devices?limit=7&since=${encodeURIComponent(first.cursors[0])}`);
    expect(second.cursors).toEqual([maxModifiedAt(sim.fleet.devices)]);
    expect(second.cursors[0] > first.cursors[0]).toBe(true);
    // Nothing changed since: an empty page, and the cursor stays.
    const third = await read(connector, 'devices', second.cursors[0]);
    expect(third).toEqual({ records: [], cursors: [second.cursors[0]] });
  });

  it('validates feed items like file rows, naming page, item and field', async () => {
    sim.fleet.devices.sort((a, b) => a.modifiedAt.localeCompare(b.modifiedAt) || a.externalId.localeCompare(b.externalId));
    sim.fleet.devices[9].lastCheckInAt = 'yesterday';
    const error = await failure(read(connect(), 'devices'));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toMatch(/^Inventory feed \/devices page 2 item 3, field lastCheckInAt: "yesterday" is not an ISO 8601 date/);

    sim.fleet.devices[9].lastCheckInAt = '2026-02-19T08:00:00Z';
    Object.assign(sim.fleet.devices[15], { colour: 'blue' });
    const unknown = await failure(read(connect(), 'devices'));
    expect(unknown.message).toContain('page 3 item 2, field "colour": unknown field');
  });

  it('testConnection gets a token and reads one device', async () => {
    const check = await connect().testConnection();
    expect(check.message).toBe(`Reached the inventory feed at ${sim.origin}/v1 with a token from ${new URL(sim.origin).host}; it lists devices`);
    expect(sim.requests()).toEqual(['/v1/devices?limit=1']);
    expect(sim.stats().tokenRequests).toBe(1);
  });

  it('surfaces bad credentials as AuthError, without the secret in the message', async () => {
    const error = await failure(connect(sim.badCredentialsConfig()).testConnection());
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toContain('invalid_client');
    expect(error.message).not.toContain('not-the-secret');
    expect(sim.stats().dataRequests).toBe(0);
    const streamError = await failure(read(connect(sim.badCredentialsConfig()), 'devices'));
    expect(streamError).toBeInstanceOf(AuthError);
  });

  it('refreshes an expired token once and carries on', async () => {
    sim.inject({ type: 'expire-token', onRequest: 2 });
    const { records } = await read(connect(), 'devices');
    expect(records).toHaveLength(20);
    expect(sim.stats()).toEqual({ dataRequests: 4, tokenRequests: 2, unauthorized: 1 });
  });

  it('waits out a 503 for the Retry-After the feed asks, through the context sleep', async () => {
    sim.inject({ type: 'status', status: 503, retryAfterSeconds: 7, onRequest: 2, times: 2 });
    const { records } = await read(connect(), 'devices');
    expect(records).toHaveLength(20);
    expect(sleeps).toEqual([7000, 7000]);
    expect(sim.stats().dataRequests).toBe(5);
  });

  it('gives up with TransientError when the feed keeps failing', async () => {
    sim.inject({ type: 'status', status: 502, onRequest: 1, times: 10 });
    const error = await failure(read(connect(), 'devices'));
    expect(error).toBeInstanceOf(TransientError);
    expect(sleeps).toHaveLength(4);
  });

  it('refuses a truncated page as MalformedResponseError, without retrying or reporting a cursor', async () => {
    sim.inject({ type: 'malformed', onRequest: 2 });
    const cursors: string[] = [];
    const error = await failure(
      (async () => {
        for await (const _ of connect().devices({ mode: 'full', cursor: null, setCursor: (c) => cursors.push(c) })) void _;
      })(),
    );
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toContain('invalid JSON');
    expect(cursors).toEqual([]);
    expect(sim.stats().dataRequests).toBe(2);
  });

  it('never logs the client secret or a token', async () => {
    sim.inject({ type: 'expire-token', onRequest: 1 });
    await read(connect(), 'devices');
    const text = JSON.stringify(logs);
    expect(logs.length).toBeGreaterThan(0);
    expect(text).not.toContain(SIMULATOR_CLIENT_SECRET);
    expect(text).not.toMatch(/Bearer [\w-]{20,}/);
  });

  it('removeDevice takes the device out of the next full read', async () => {
    const removed = await sim.removeDevice();
    const { records } = await read<{ externalId: string; deviceExternalId?: string }>(connect(), 'devices');
    expect(records).toHaveLength(19);
    expect(records.map((d) => d.externalId)).not.toContain(removed);
    const states = await read<{ deviceExternalId: string }>(connect(), 'patchStates');
    expect(states.records.map((s) => s.deviceExternalId)).not.toContain(removed);
  });
});

function maxModifiedAt(rows: Array<{ modifiedAt: string }>): string {
  return rows.map((r) => r.modifiedAt).sort().at(-1)!;
}
