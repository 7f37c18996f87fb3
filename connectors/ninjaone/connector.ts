import type { Connector, ConnectorContext, DeviceRecord, PatchStateRecord, StreamRequest, UpdateRecord } from '../sdk';
import { STALE_AFTER_DAYS } from '../sdk';
import { listAfter, ninjaOneClient, readReport, VENDOR } from './api';
import { instanceUrl, type NinjaOneConfig } from './config';
import { directoryOf, laterState, mapDevice, mapPatchInstall, mapPendingPatch, mapUpdate } from './mapping';
import type { NinjaDevice, NinjaLocation, NinjaOrganization, NinjaOsPatch, NinjaOsPatchInstall } from './payloads';

interface PatchReports {
  pending: NinjaOsPatch[];
  installs: NinjaOsPatchInstall[];
}

export function createNinjaOneConnector(config: NinjaOneConfig, context: ConnectorContext): Connector {
  const client = ninjaOneClient(config, context);
  const staleAfterDays = config.staleAfterDays ?? STALE_AFTER_DAYS.default;
  // A connector lives for one run: what the device stream saw bounds the patch states the run may report.
  const devicesYielded = new Set<string>();
  let reports: Promise<PatchReports> | undefined;

  // Both reports feed the update and the patch-state streams; they are read once per run.
  const patchReports = (signal?: AbortSignal): Promise<PatchReports> =>
    (reports ??= (async () => ({
      pending: await readReport<NinjaOsPatch>(client, '/queries/os-patches', {}, signal),
      installs: await readReport<NinjaOsPatchInstall>(client, '/queries/os-patch-installs', {}, signal),
    }))());

  return {
    async testConnection(options) {
      let organizations = 0;
      for await (const _ of listAfter<NinjaOrganization>(client, '/organizations', options?.signal)) organizations += 1;
      const host = new URL(instanceUrl(config)).host;
      return { message: `Reached ${VENDOR} at ${host}; ${organizations.toLocaleString('en-US')} organization${organizations === 1 ? '' : 's'} visible` };
    },

    async *devices(request: StreamRequest): AsyncIterable<DeviceRecord> {
      const organizations: NinjaOrganization[] = [];
      for await (const organization of listAfter<NinjaOrganization>(client, '/organizations', request.signal)) organizations.push(organization);
      const locations: NinjaLocation[] = [];
      for await (const location of listAfter<NinjaLocation>(client, '/locations', request.signal)) locations.push(location);
      const directory = directoryOf(organizations, locations);
      const now = context.clock.now();
      for await (const device of listAfter<NinjaDevice>(client, '/devices-detailed', request.signal)) {
        const record = mapDevice(device, directory, { now, staleAfterDays });
        devicesYielded.add(record.externalId);
        yield record;
      }
    },

    async *updates(request: StreamRequest): AsyncIterable<UpdateRecord> {
      const { pending, installs } = await patchReports(request.signal);
      const seen = new Set<string>();
      for (const patch of [...pending, ...installs]) {
        const update = mapUpdate(patch);
        if (seen.has(update.key)) continue;
        seen.add(update.key);
        yield update;
      }
    },

    async *patchStates(request: StreamRequest): AsyncIterable<PatchStateRecord> {
      const { pending, installs } = await patchReports(request.signal);
      const states = new Map<string, PatchStateRecord>();
      const merge = (state: PatchStateRecord, isInstall: boolean) => {
        // A device enrolled after the device list was read has no record in this run; the next run brings both.
        if (!devicesYielded.has(state.deviceExternalId)) return;
        const key = `${state.deviceExternalId}\u0000${state.updateKey}`;
        const current = states.get(key);
        states.set(key, current ? laterState(current, state, isInstall) : state);
      };
      for (const patch of pending) merge(mapPendingPatch(patch), false);
      for (const install of installs) merge(mapPatchInstall(install), true);
      yield* states.values();
    },
  };
}
