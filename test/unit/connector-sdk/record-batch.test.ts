/**
 * A stream may yield `batch(records)` instead of one record at a time (SDK 1.1). The engine must read a batch exactly
 * as the same records yielded alone: same records in the same order, every record checked, duplicates found across
 * batches, the same refusal for a bad record. The WSUS connector, which holds a whole snapshot in memory, batches.
 */
import type { Connector, DeviceRecord, PatchStateRecord, UpdateRecord } from '../../../connectors/sdk/contract';
import { batch, eachRecord, inBatches, recordsOf, type Streamed } from '../../../connectors/sdk/record-batch';
import { collectStream } from '../../../connectors/sdk/testkit/run';
import { fixedClock } from '../../../connectors/sdk/clock';
import { createWsusConnector } from '../../../connectors/wsus/connector';
import { WsusSimulator } from '../../../connectors/wsus/simulator';
import { readSource, type SourceRead } from '../../../src/sync/read-source';

const NOW = new Date('2026-11-02T09:00:00.000Z');

const devices: DeviceRecord[] = ['pc-1', 'pc-2', 'pc-3'].map((externalId) => ({ externalId, hostname: externalId }) as DeviceRecord);
const updates: UpdateRecord[] = ['KB1', 'KB2'].map((kb) => ({ key: `test:${kb}`, kb, title: kb, vendor: 'Microsoft' }));
const states: PatchStateRecord[] = devices.flatMap((d) => updates.map((u, i) => ({
  deviceExternalId: d.externalId, updateKey: u.key, state: i === 0 ? 'MISSING' : 'INSTALLED', evidence: 'REPORTED', reportedAt: new Date('2026-11-01T00:00:00Z'),
}) as PatchStateRecord));

async function* singly<T>(records: readonly T[]): AsyncGenerator<Streamed<T>> {
  yield* records;
}

async function* inTwos<T>(records: readonly T[]): AsyncGenerator<Streamed<T>> {
  yield* inBatches(records, 2);
}

function connectorOf(stream: <T>(records: readonly T[]) => AsyncIterable<Streamed<T>>, parts: { devices?: DeviceRecord[]; states?: PatchStateRecord[] } = {}): Connector {
  return {
    testConnection: async () => ({ message: 'ok' }),
    devices: () => stream(parts.devices ?? devices),
    updates: () => stream(updates),
    patchStates: () => stream(parts.states ?? states),
  };
}

const plain = (read: SourceRead) => ({ devices: read.devices, updates: read.updates, patchStates: read.patchStates.records() });
const refusal = (connector: Connector) => readSource(connector, {}).then(() => 'accepted', (e: Error) => e.message);

describe('record batches', () => {
  it('opens a batch into its records, keeps a single record as it is, and refuses a batch without an array', async () => {
    expect(recordsOf(batch(devices))).toBe(devices);
    expect(recordsOf(devices[0])).toEqual([devices[0]]);
    expect(() => batch('pc-1' as never)).toThrow(TypeError);
    expect(() => recordsOf({ [Symbol.for('patchgraph.connector-sdk.record-batch')]: 'pc-1' } as never)).toThrow(/no array/);
    const mixed = async function* (): AsyncGenerator<Streamed<DeviceRecord>> {
      yield devices[0];
      yield batch(devices.slice(1));
      yield batch([]);
    };
    const opened: DeviceRecord[] = [];
    for await (const d of eachRecord(mixed())) opened.push(d);
    expect(opened).toEqual(devices);
    expect(await collectStream(mixed())).toEqual(devices);
  });

  it('cuts records into batches of the size asked, reading a lazy list only as far as the batch it makes', () => {
    let made = 0;
    const lazy = function* (): Generator<number> {
      for (let i = 0; i < 7; i++) yield ++made;
    };
    const batches = inBatches(lazy(), 3);
    expect(recordsOf(batches.next().value!)).toEqual([1, 2, 3]);
    expect(made).toBe(3);
    expect([...batches].map((b) => recordsOf(b))).toEqual([[4, 5, 6], [7]]);
    expect(() => inBatches([1], 0).next()).toThrow(RangeError);
  });

  it('the engine reads batched streams exactly as the same records yielded one by one', async () => {
    const one = await readSource(connectorOf(singly), {});
    const batched = await readSource(connectorOf(inTwos), {});
    expect(plain(batched)).toEqual(plain(one));
    expect(batched.patchStates.length).toBe(states.length);
  });

  it('checks every record of a batch, with the refusal the record would get alone', async () => {
    const bad = states.map((s, i) => (i === 3 ? { ...s, state: 'GONE' as never } : s));
    const alone = await refusal(connectorOf(singly, { states: bad }));
    expect(alone).toMatch(/patch state pc-2\/test:KB2: unknown state "GONE"/);
    expect(await refusal(connectorOf(inTwos, { states: bad }))).toBe(alone);
  });

  it('finds a record yielded twice across two batches', async () => {
    const twice = [...devices, devices[0]];
    const alone = await refusal(connectorOf(singly, { devices: twice }));
    expect(alone).toMatch(/devices: pc-1 was yielded twice/);
    expect(await refusal(connectorOf(inTwos, { devices: twice }))).toBe(alone);
    const stateTwice = [...states, states[4]];
    expect(await refusal(connectorOf(inTwos, { states: stateTwice }))).toBe(await refusal(connectorOf(singly, { states: stateTwice })));
  });

  it('the WSUS connector hands over a mapped snapshot a computer at a time, not a promise per state', async () => {
    const snapshot = JSON.parse(JSON.stringify(new WsusSimulator({ computers: 120, updates: 150, seed: 5, now: NOW }).snapshot()));
    const connector = createWsusConnector({ ingestKey: 'k'.repeat(32) } as never, { clock: fixedClock(NOW), payload: snapshot } as never);
    const request = { mode: 'full' as const, cursor: null, setCursor: () => undefined };
    const items: Array<Streamed<PatchStateRecord>> = [];
    for await (const item of connector.patchStates(request)) items.push(item);
    const records = items.flatMap((item) => [...recordsOf(item)]);
    expect(records.length).toBeGreaterThan(5_000);
    // One item per computer with states (deviceStates): yielded one by one, there would be as many items as states.
    expect(items.length).toBe(new Set(records.map((r) => r.deviceExternalId)).size);
    expect(items.length).toBeLessThanOrEqual(120);
  });
});
