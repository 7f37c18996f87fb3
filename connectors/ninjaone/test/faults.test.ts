/**
 * NinjaOne behaviour the contract kit does not exercise, against the simulator over real HTTP: a query report whose
 * cursor expires while it is read, and a device that appears in the patch reports after the device list was read.
 */
import { recordProblems } from '../../sdk/testkit/checks';
import { errorText, rejectionOf, runAgainst, sortedRecords } from '../../sdk/testkit/run';
import { startNinjaOneSimulator, type NinjaOneSimulator } from '../simulator/server';
import { harness } from '../testing';

let sim: NinjaOneSimulator;

beforeEach(async () => {
  sim = await startNinjaOneSimulator({ pageSize: 4, devices: 12, seed: 7 });
});

afterEach(async () => {
  await sim.close();
});

describe('a NinjaOne query cursor that expires mid-report', () => {
  it('makes the connector read that report again from its first page, with the same records as an undisturbed run', async () => {
    const undisturbed = await runAgainst(harness, sim);
    const requestsUndisturbed = sim.stats().dataRequests;
    expect(undisturbed.result.patchStates.length).toBeGreaterThan(12);

    sim.resetStats();
    sim.expireCursorsDuringReads(2);
    const disturbed = await runAgainst(harness, sim);

    expect(sortedRecords(disturbed.result)).toEqual(sortedRecords(undisturbed.result));
    // The first page and the one continuation read before the expiry are asked for again.
    expect(sim.stats().dataRequests).toBe(requestsUndisturbed + 3);
  });

  it('fails the run as fatal when the cursor expires again on the second reading, rather than import half a report', async () => {
    sim.expireCursorsDuringReads(2, true);
    const error = await rejectionOf(runAgainst(harness, sim), 'a run whose report cursors always expire');
    expect(error).toMatchObject({ kind: 'fatal' });
    expect(errorText(error)).toMatch(/cursor expired twice/);
  });
});

describe('a device enrolled while a run reads the patch reports', () => {
  it('has its patches left for the next run, which brings the device and its states together', async () => {
    let enrolled = '';
    const first = await runAgainst(harness, sim, undefined, {
      afterStream: (stream) => {
        if (stream === 'devices') enrolled = sim.fleet.enrollDevice();
      },
    });
    const reportedForIt = [...sim.fleet.pending, ...sim.fleet.installs].filter((row) => String(row.deviceId) === enrolled);
    expect(reportedForIt.length).toBeGreaterThan(0);
    expect(first.result.devices.map((d) => d.externalId)).not.toContain(enrolled);
    expect(first.result.patchStates.filter((s) => s.deviceExternalId === enrolled)).toEqual([]);
    expect(recordProblems(first.result)).toEqual([]);

    const next = await runAgainst(harness, sim);
    expect(next.result.devices.map((d) => d.externalId)).toContain(enrolled);
    expect(next.result.patchStates.filter((s) => s.deviceExternalId === enrolled).length).toBeGreaterThan(0);
    expect(recordProblems(next.result)).toEqual([]);
  });
});
