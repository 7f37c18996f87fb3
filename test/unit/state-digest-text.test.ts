/**
 * A device's state digest is stored and compared with the next run's, so its form is fixed: the digest made from the
 * run's columns must equal, byte for byte, the definition of its form (STATE_DIGEST_FORM 2: each state as a line of
 * its head's print, its names and its times, sorted, SHA-256 after the form's tag), or a digest that drifted per run
 * would never skip anything. A digest stored in the first form (JSON lines) is never taken for the second: the device
 * is compared once, in full, and then skipped.
 */
import { createHash } from 'node:crypto';
import { EVIDENCE_VALUES, PATCH_STATE_VALUES, PatchStateRecord } from '../../connectors/sdk/contract';
import { SourceDevice } from '../../src/entities';
import { planStates, STATE_DIGEST_FORM } from '../../src/sync/state-digest';
import { sourceRead } from '../helpers/sync';

/** The digest's second form, as its documentation defines it, written plainly. */
function definedDigest(records: readonly PatchStateRecord[], updateIds: ReadonlyMap<string, string>): string {
  const lines = records.map((r) => {
    const head = `[${JSON.stringify(r.updateKey)},${JSON.stringify(updateIds.get(r.updateKey) ?? null)},`;
    const times = Buffer.alloc(17);
    times[0] = (r.reportedAt ? 1 : 0) | (r.installedAt ? 2 : 0);
    times.writeDoubleLE(r.reportedAt?.getTime() ?? 0, 1);
    times.writeDoubleLE(r.installedAt?.getTime() ?? 0, 9);
    return { head, rest: Buffer.concat([Buffer.from(`${r.state}\0${r.evidence}\0`), times]) };
  });
  lines.sort((a, b) => (a.head < b.head ? -1 : a.head > b.head ? 1 : Buffer.compare(a.rest, b.rest)));
  const hash = createHash('sha256').update(`patchgraph states digest ${STATE_DIGEST_FORM}\n`);
  for (const line of lines) hash.update(createHash('sha256').update(line.head).digest().subarray(0, 16)).update(line.rest);
  return hash.digest('hex');
}

/** The first form (b805c0a to the second): every field of each state as a JSON line, sorted, SHA-256. */
function firstFormDigest(records: readonly PatchStateRecord[], updateIds: ReadonlyMap<string, string>): string {
  const iso = (d: Date | null | undefined): string => d?.toISOString() ?? '';
  const lines = records.map((r) => JSON.stringify([r.updateKey, updateIds.get(r.updateKey) ?? null, r.state, r.evidence, iso(r.reportedAt), iso(r.installedAt)]));
  lines.sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line).update('\n');
  return hash.digest('hex');
}

function seeded(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

describe('the state digest made from the run columns', () => {
  it('equals the defined digest for every device: keys with quotes, backslashes, non-ASCII and line breaks, unknown keys, times or none, any order', async () => {
    const random = seeded(20261206);
    const keys = ['KB5099985', 'kb "quoted"', 'back\\slash', 'línea\nnueva', '🛡️ emoji', '', 'unknown-to-catalog', 'KB1', 'KB2', 'KB3'];
    const updateIds = new Map(keys.filter((k) => k !== 'unknown-to-catalog').map((k, i) => [k, `update-${i}`]));
    const time = () => (random(3) === 0 ? null : new Date(Date.UTC(2026, random(12), 1 + random(28), random(24), random(60), random(60), random(1000))));
    const records: PatchStateRecord[] = [];
    const deviceIds = Array.from({ length: 40 }, (_, d) => `device-${d}`);
    for (const deviceExternalId of deviceIds) {
      for (const updateKey of keys.filter(() => random(4) !== 0)) {
        records.push({ deviceExternalId, updateKey, state: PATCH_STATE_VALUES[random(PATCH_STATE_VALUES.length)], evidence: EVIDENCE_VALUES[random(EVIDENCE_VALUES.length)], reportedAt: time(), installedAt: time() });
      }
    }
    // Interleaved, as a source that lists by update would yield them.
    records.sort(() => random(3) - 1);
    const devices = new Map(deviceIds.map((id) => [id, Object.assign(new SourceDevice(), { id, externalId: id, statesDigest: null })]));
    const plan = await planStates(sourceRead({ patchStates: records, devices: deviceIds.map((externalId) => ({ externalId }) as never), fullDeviceRead: false }), devices, updateIds);
    expect(plan.digestChanged).toHaveLength(deviceIds.length);
    for (const id of deviceIds) {
      expect(devices.get(id)!.statesDigest).toBe(definedDigest(records.filter((r) => r.deviceExternalId === id), updateIds));
    }
    // Told its own digests back, nothing is to compare.
    const again = await planStates(sourceRead({ patchStates: records, fullDeviceRead: false }), devices, updateIds);
    expect(again.toCompare.size).toBe(0);
  });
  it('sorts a device\'s lines by their heads\' rank, comparing the rest of lines only for a key a device gives twice', async () => {
    const random = seeded(7);
    const keys = Array.from({ length: 60 }, (_, k) => `microsoft:KB${5_000_000 + ((k * 7_919) % 60)}`);
    const updateIds = new Map(keys.map((k, i) => [k, `update-${i}`]));
    const deviceIds = Array.from({ length: 30 }, (_, d) => `device-${d}`);
    const records: PatchStateRecord[] = deviceIds.flatMap((deviceExternalId) =>
      keys.filter(() => random(3) !== 0).map((updateKey) => ({ deviceExternalId, updateKey, state: PATCH_STATE_VALUES[random(PATCH_STATE_VALUES.length)], evidence: 'REPORTED' as const })));
    // One device gives a key three times, in states whose lines sort otherwise than they came.
    records.push(
      { deviceExternalId: 'device-0', updateKey: keys[5], state: 'MISSING', evidence: 'REPORTED' },
      { deviceExternalId: 'device-0', updateKey: keys[5], state: 'FAILED', evidence: 'DERIVED' },
      { deviceExternalId: 'device-0', updateKey: keys[5], state: 'INSTALLED', evidence: 'REPORTED' },
    );
    records.sort(() => random(3) - 1);
    const devices = new Map(deviceIds.map((id) => [id, Object.assign(new SourceDevice(), { id, externalId: id, statesDigest: null })]));
    const sort = jest.spyOn(Array.prototype, 'sort');
    try {
      await planStates(sourceRead({ patchStates: records, devices: deviceIds.map((externalId) => ({ externalId }) as never), fullDeviceRead: false }), devices, updateIds);
      // The run's heads once, and device-0's three lines of one key: not a sort of every device's lines.
      expect(sort.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      sort.mockRestore();
    }
    for (const id of deviceIds) expect(devices.get(id)!.statesDigest).toBe(definedDigest(records.filter((r) => r.deviceExternalId === id), updateIds));
  });
  it('takes a digest stored in the first form for a changed list: each device is compared once, then skipped', async () => {
    const updateIds = new Map([['KB1', 'update-1'], ['KB2', 'update-2']]);
    const deviceIds = ['device-a', 'device-b'];
    const records: PatchStateRecord[] = deviceIds.flatMap((deviceExternalId) => [
      { deviceExternalId, updateKey: 'KB1', state: 'INSTALLED' as const, evidence: 'REPORTED' as const, installedAt: new Date('2026-11-01T10:00:00.000Z') },
      { deviceExternalId, updateKey: 'KB2', state: 'MISSING' as const, evidence: 'REPORTED' as const },
    ]);
    const devices = new Map(deviceIds.map((id) => [id, Object.assign(new SourceDevice(), {
      id, externalId: id, statesDigest: firstFormDigest(records.filter((r) => r.deviceExternalId === id), updateIds),
    })]));
    const read = () => sourceRead({ patchStates: records, devices: deviceIds.map((externalId) => ({ externalId }) as never), fullDeviceRead: true });
    const upgraded = await planStates(read(), devices, updateIds);
    expect([...upgraded.toCompare.keys()].map((d) => d.externalId)).toEqual(deviceIds);
    for (const id of deviceIds) expect(devices.get(id)!.statesDigest).toBe(definedDigest(records.filter((r) => r.deviceExternalId === id), updateIds));
    expect((await planStates(read(), devices, updateIds)).toCompare.size).toBe(0);
  });
});
