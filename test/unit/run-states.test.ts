/** A run's patch states held as columns (src/sync/run-states.ts): the same records back, in parts, at a fraction of the memory. */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { PatchStateRecord } from '../../connectors/sdk/contract';
import { RunStates } from '../../src/sync/run-states';

const state = (device: string, update: string, fields: Partial<PatchStateRecord> = {}): PatchStateRecord => ({
  deviceExternalId: device, updateKey: update, state: 'MISSING', evidence: 'REPORTED', reportedAt: null, installedAt: null, ...fields,
});

const RECORDS: PatchStateRecord[] = [
  state('pc-2', 'KB1', { state: 'INSTALLED', evidence: 'DERIVED', installedAt: new Date('2026-11-01T08:00:00.123Z') }),
  state('pc-1', 'KB1', { reportedAt: new Date('2026-10-30T10:00:00Z') }),
  state('pc-2', 'KB2', { state: 'FAILED' }),
  state('pc-3', 'KB3', { state: 'NOT_APPLICABLE', evidence: 'REPORTED' }),
  state('pc-1', 'KB2', { state: 'PENDING_REBOOT' }),
  state('pc-2', 'KB3', { state: 'UNKNOWN', evidence: 'DERIVED' }),
];

describe('RunStates', () => {
  it('gives back every record as it was yielded, absent times as null', () => {
    const states = RunStates.from(RECORDS);
    expect(states).toHaveLength(6);
    expect(states.records()).toEqual(RECORDS);
    expect([...states]).toEqual(RECORDS);
    const bare = { deviceExternalId: 'pc-9', updateKey: 'KB9', state: 'MISSING', evidence: 'REPORTED' } as PatchStateRecord;
    expect(RunStates.from([bare]).records()).toEqual([{ ...bare, reportedAt: null, installedAt: null }]);
  });

  it('splits by device and by a key of the device, in yield order, and keeps a part of the run', () => {
    const states = RunStates.from(RECORDS);
    const byDevice = states.byDevice();
    expect([...byDevice.keys()]).toEqual(['pc-2', 'pc-1', 'pc-3']);
    expect(byDevice.get('pc-2')!.records()).toEqual([RECORDS[0], RECORDS[2], RECORDS[5]]);
    const byTenant = states.groupByDevice((d) => (d === 'pc-3' ? 'tenant-b' : 'tenant-a'), () => { throw new Error('no device is refused'); });
    expect([...byTenant.keys()]).toEqual(['tenant-a', 'tenant-b']);
    expect(byTenant.get('tenant-a')!.records()).toEqual([RECORDS[0], RECORDS[1], RECORDS[2], RECORDS[4], RECORDS[5]]);
    // A part of a part: the tenant's devices, then one of them.
    expect(byTenant.get('tenant-a')!.byDevice().get('pc-1')!.records()).toEqual([RECORDS[1], RECORDS[4]]);
    const kept = states.whereDevice((d) => d !== 'pc-2');
    expect(kept.records()).toEqual([RECORDS[1], RECORDS[3], RECORDS[4]]);
    expect(kept.updateKeys()).toEqual(['KB1', 'KB3', 'KB2']);
    expect(states.updateKeys()).toEqual(['KB1', 'KB2', 'KB3']);
  });

  it('groups a run by device once, and keeps the whole run as itself when every device stays: a pass over every state each less', () => {
    const states = RunStates.from(RECORDS);
    // The duplicate check and the digests both ask for the grouping: the second gets the first's.
    expect(states.byDevice()).toBe(states.byDevice());
    // A run that drops no device (the partition without deleted devices) is the run itself, its grouping and all.
    const asked: string[] = [];
    expect(states.whereDevice((d) => (asked.push(d), true))).toBe(states);
    expect(asked).toEqual(['pc-2', 'pc-1', 'pc-3']);
    expect(states.whereDevice((d) => d !== 'pc-3')).not.toBe(states);
  });

  it('refuses a device the key gives nothing for, naming its first state in yield order', () => {
    const states = RunStates.from(RECORDS);
    expect(() => states.groupByDevice((d) => (d === 'pc-1' ? undefined : 't'), (first) => { throw new Error(`${first.deviceExternalId}/${first.updateKey}`); })).toThrow('pc-1/KB1');
  });

  it('finds the pair given twice whose second copy came first, or none', () => {
    expect(RunStates.from(RECORDS).firstDuplicate()).toBeNull();
    const twice = RunStates.from([...RECORDS, state('pc-3', 'KB3'), state('pc-1', 'KB1'), state('pc-2', 'KB1')]);
    expect(twice.firstDuplicate()).toEqual({ deviceExternalId: 'pc-3', updateKey: 'KB3' });
    // The same update on two devices is no duplicate.
    expect(RunStates.from([state('a', 'KB1'), state('b', 'KB1')]).firstDuplicate()).toBeNull();
  });

  // A million states of 5,000 devices and 200 updates, with fresh strings per record as a parsed upload gives them;
  // as records they would hold about 250 MB of heap.
  async function heldPerState(at: Date | null): Promise<{ bytes: number; states: RunStates; devices: string[]; updates: string[] }> {
    setFlagsFromString('--expose_gc');
    const collect = runInNewContext('gc') as () => void;
    // Newer V8 (Node 22 and later) frees array buffers' memory on a background thread after a collection: a turn of
    // the event loop and a second collection let the columns' outgrown buffers go before memory is read.
    const gc = async () => {
      collect();
      await new Promise((resolve) => setTimeout(resolve, 50));
      collect();
    };
    const devices = Array.from({ length: 5_000 }, (_, d) => `2b1f0c3e-0000-4000-8000-${String(d).padStart(12, '0')}`);
    const updates = Array.from({ length: 200 }, (_, u) => `wsus:5c6e2d1a-0000-4000-8000-${String(u).padStart(12, '0')}`);
    await gc();
    const before = process.memoryUsage();
    const collector = RunStates.collector();
    for (const device of devices) {
      for (const update of updates) collector.add({ deviceExternalId: device.slice(0), updateKey: update.slice(0), state: 'INSTALLED', evidence: 'REPORTED', reportedAt: at, installedAt: at });
    }
    const states = collector.done();
    await gc();
    const after = process.memoryUsage();
    return { bytes: (after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers)) / states.length, states, devices, updates };
  }

  it('holds a million states in a few dozen bytes each, not as objects', async () => {
    const at = new Date('2026-11-01T08:00:00Z');
    const { bytes, states, devices, updates } = await heldPerState(at);
    expect(states).toHaveLength(1_000_000);
    expect(bytes).toBeLessThan(32);
    expect(states.byDevice().get(devices[4_321])!.records()[199]).toEqual({ deviceExternalId: devices[4_321], updateKey: updates[199], state: 'INSTALLED', evidence: 'REPORTED', reportedAt: at, installedAt: at });
  });

  it('keeps no time columns for a source that gives no times (a WSUS snapshot)', async () => {
    const { bytes, states, devices } = await heldPerState(null);
    expect(bytes).toBeLessThan(12);
    expect(states.byDevice().get(devices[17])!.records()[3]).toMatchObject({ reportedAt: null, installedAt: null });
  });

  it('gives each state its own times when only some states have them', () => {
    const at = new Date('2026-11-01T08:00:00Z');
    const mixed = [state('a', 'KB1'), state('a', 'KB2', { reportedAt: at }), state('b', 'KB1'), state('b', 'KB2', { installedAt: at })];
    expect(RunStates.from(mixed).records()).toEqual(mixed);
    // The first time comes after the columns have grown, and more states after it grow them again.
    const late = [...Array.from({ length: 3_000 }, (_, i) => state(`pc-${i}`, 'KB1')), state('pc-x', 'KB1', { reportedAt: at }), ...Array.from({ length: 3_000 }, (_, i) => state(`pc-${i}`, 'KB2'))];
    expect(RunStates.from(late).records()).toEqual(late);
  });
});
