/**
 * A device's states as lists (deviceStates): the engine must read them exactly as the records they stand for,
 * yielded one by one: the same states in the same order, the same refusal for a bad value, duplicates found across
 * lists, and no time where other states of the run have one. The WSUS connector's lists are its records.
 */
import type { Connector, DeviceRecord, PatchStateRecord, PatchStateValue, UpdateRecord } from '../../../connectors/sdk/contract';
import { deviceStates } from '../../../connectors/sdk/device-states';
import { recordsOf, type Streamed } from '../../../connectors/sdk/record-batch';
import { fixedClock } from '../../../connectors/sdk/clock';
import { createWsusConnector } from '../../../connectors/wsus/connector';
import { mapSnapshot } from '../../../connectors/wsus/mapping';
import { WsusSimulator } from '../../../connectors/wsus/simulator';
import { readSource } from '../../../src/sync/read-source';

const NOW = new Date('2026-11-02T09:00:00.000Z');
const devices: DeviceRecord[] = ['pc-1', 'pc-2', 'pc-3'].map((externalId) => ({ externalId, hostname: externalId }) as DeviceRecord);
const updates: UpdateRecord[] = ['KB1', 'KB2', 'KB3'].map((kb) => ({ key: `test:${kb}`, kb, title: kb, vendor: 'Microsoft' }));
const STATES: PatchStateValue[] = ['MISSING', 'INSTALLED', 'FAILED'];

/** Each device's lists: pc-n has every update, its states rotated by n. */
const lists = (change: (device: string, keys: string[], states: PatchStateValue[]) => void = () => undefined) => devices.map((d, n) => {
  const keys = updates.map((u) => u.key);
  const states = updates.map((_, i) => STATES[(i + n) % STATES.length]);
  change(d.externalId, keys, states);
  return { device: d.externalId, keys, states };
});

function connectorOf(items: () => Array<Streamed<PatchStateRecord>>): Connector {
  return {
    testConnection: async () => ({ message: 'ok' }),
    devices: async function* () { yield* devices; },
    updates: async function* () { yield* updates; },
    patchStates: async function* () { yield* items(); },
  };
}

/** The same lists as deviceStates items, and as the records they stand for, yielded one by one. */
const asLists = (l: ReturnType<typeof lists>) => connectorOf(() => l.map((x) => deviceStates(x.device, x.keys, x.states)));
const asRecords = (l: ReturnType<typeof lists>) => connectorOf(() => l.flatMap((x) => x.keys.map((updateKey, i) => ({ deviceExternalId: x.device, updateKey, state: x.states[i], evidence: 'REPORTED' }) as PatchStateRecord)));
const refusal = (connector: Connector) => readSource(connector, {}).then(() => 'accepted', (e: Error) => e.message);

describe('a device\'s states as lists', () => {
  it('are read as the records they stand for, in order', async () => {
    const fromLists = await readSource(asLists(lists()), {});
    const fromRecords = await readSource(asRecords(lists()), {});
    expect(fromLists.patchStates.records()).toEqual(fromRecords.patchStates.records());
    expect(fromLists.patchStates.length).toBe(9);
    expect(fromLists.patchStates.records()[4]).toEqual({ deviceExternalId: 'pc-2', updateKey: 'test:KB2', state: 'FAILED', evidence: 'REPORTED', reportedAt: null, installedAt: null });
  });

  it('open into those records for whatever reads batches, and refuse lists of different lengths', () => {
    expect([...recordsOf(deviceStates('pc-1', ['test:KB1'], ['MISSING'], 'DERIVED'))]).toEqual([{ deviceExternalId: 'pc-1', updateKey: 'test:KB1', state: 'MISSING', evidence: 'DERIVED' }]);
    expect(() => deviceStates('pc-1', ['test:KB1', 'test:KB2'], ['MISSING'])).toThrow(/same length/);
  });

  it('are refused exactly as their records: an unknown state, an empty key, no device, a state given twice', async () => {
    const cases: Array<ReturnType<typeof lists>> = [
      lists((d, _k, s) => { if (d === 'pc-2') s[1] = 'GONE' as never; }),
      lists((d, k) => { if (d === 'pc-3') k[2] = ''; }),
      lists((d, k) => { if (d === 'pc-1') k[1] = 42 as never; }),
      lists().map((x) => (x.device === 'pc-2' ? { ...x, device: '' } : x)),
      lists((d, k) => { if (d === 'pc-3') k[2] = 'test:KB1'; }),
      [...lists(), { device: 'pc-1', keys: ['test:KB3'], states: ['INSTALLED'] }],
    ];
    const refusals = [];
    for (const bad of cases) {
      const alone = await refusal(asRecords(bad));
      expect(await refusal(asLists(bad))).toBe(alone);
      refusals.push(alone);
    }
    // A key that is not a string but not empty either is for the record's check to judge (it passes): the same way.
    expect(refusals.filter((r) => r === 'accepted')).toHaveLength(1);
    expect(refusals[0]).toMatch(/patch state pc-2\/test:KB2: unknown state "GONE"/);
    expect(refusals[4]).toMatch(/pc-3 × test:KB1 was yielded twice/);
  });

  it('beside records with times: the lists\' states have none', async () => {
    const timed: PatchStateRecord = { deviceExternalId: 'pc-1', updateKey: 'test:KB1', state: 'INSTALLED', evidence: 'REPORTED', reportedAt: new Date('2026-11-01T00:00:00Z'), installedAt: new Date('2026-10-30T00:00:00Z') };
    const rest = lists().slice(1);
    const read = await readSource(connectorOf(() => [timed, ...rest.map((x) => deviceStates(x.device, x.keys, x.states))]), {});
    const records = read.patchStates.records();
    expect(records[0]).toEqual(timed);
    expect(records.slice(1).every((r) => r.reportedAt === null && r.installedAt === null)).toBe(true);
    expect(records).toHaveLength(7);
  });

  it('the WSUS connector\'s lists are the states its mapping makes', async () => {
    const snapshot = () => JSON.parse(JSON.stringify(new WsusSimulator({ computers: 60, updates: 80, seed: 9, now: NOW }).snapshot()));
    const connector = createWsusConnector({ ingestKey: 'k'.repeat(32) } as never, { clock: fixedClock(NOW), payload: snapshot() } as never);
    const read = await readSource(connector, {});
    const mapped = [...(await mapSnapshot(snapshot(), { targetGroups: 'sites', staleAfterDays: 30 })).patchStates];
    expect(read.patchStates.records()).toEqual(mapped.map((r) => ({ ...r, reportedAt: null, installedAt: null })));
    expect(mapped.length).toBeGreaterThan(1_000);
  });
});
