/** The run's state plan digests a full fleet's states in slices: the same plan, and the event loop served meanwhile. */
import type { PatchStateRecord } from '../../connectors/sdk/contract';
import { turnAlways } from '../../connectors/sdk/time-slices';
import { SourceDevice } from '../../src/entities';
import { planStates } from '../../src/sync/state-digest';
import { sourceRead } from '../helpers/sync';

function fleet(devices: number, updates: number, extra: PatchStateRecord[] = []) {
  const byExternalId = new Map<string, SourceDevice>();
  const patchStates: PatchStateRecord[] = [];
  const updateIds = new Map<string, string>();
  for (let u = 0; u < updates; u++) updateIds.set(`microsoft:KB50${String(u).padStart(5, '0')}`, `update-${u}`);
  for (let d = 0; d < devices; d++) {
    const device = Object.assign(new SourceDevice(), { id: `device-${d}`, externalId: `pc-${d}`, statesDigest: null });
    byExternalId.set(device.externalId, device);
    for (const key of updateIds.keys()) patchStates.push({ deviceExternalId: device.externalId, updateKey: key, state: (d + key.length) % 3 ? 'INSTALLED' : 'MISSING', evidence: 'REPORTED' });
  }
  const read = sourceRead({ devices: [...byExternalId.keys()].map((externalId) => ({ externalId })) as never, patchStates: [...patchStates, ...extra], fullDeviceRead: true });
  return { read, byExternalId, updateIds };
}

describe('planStates in slices', () => {
  it('lets a timer run before it finishes, and plans what one pass plans', async () => {
    const a = fleet(50, 30);
    let finished = false;
    let timerSawItUnfinished: boolean | undefined;
    setTimeout(() => {
      timerSawItUnfinished = !finished;
    }, 0);
    const sliced = await planStates(a.read, a.byExternalId, a.updateIds, turnAlways());
    finished = true;
    expect(timerSawItUnfinished).toBe(true);

    const b = fleet(50, 30);
    const whole = await planStates(b.read, b.byExternalId, b.updateIds, { due: () => false, turn: () => Promise.resolve() });
    expect(sliced.digestChanged.map((d) => [d.externalId, d.statesDigest])).toEqual(whole.digestChanged.map((d) => [d.externalId, d.statesDigest]));
    expect([...sliced.toCompare].map(([d, states]) => [d.externalId, states.records()])).toEqual([...whole.toCompare].map(([d, states]) => [d.externalId, states.records()]));
    expect(sliced.digestChanged).toHaveLength(50);
  });

  it('still refuses a state of a device the full read did not list, after turns', async () => {
    const a = fleet(20, 30, [{ deviceExternalId: 'pc-unknown', updateKey: 'microsoft:KB5000000', state: 'MISSING', evidence: 'REPORTED' }]);
    await expect(planStates(a.read, a.byExternalId, a.updateIds, turnAlways())).rejects.toThrow(/pc-unknown\/microsoft:KB5000000: the device is not in this full read/);
  });
});
