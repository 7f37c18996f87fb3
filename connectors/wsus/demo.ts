/**
 * Demo mode's WSUS: each client's collector uploads a snapshot of the client's WSUS server, holding the machines the
 * other demo tools see, in their target groups (the client's sites), at their patch levels, with WSUS's other
 * updates (Defender, .NET, Edge…) around the cumulative ones. Demo mode hands it to the engine as the ingest route
 * does.
 */
import { randomBytes } from 'node:crypto';
import type { DemoClient, DemoHook } from '../sdk/contract';
import type { WsusConfig } from './config';
import { ComputerSpec, WsusSimulator, WsusSnapshot } from './simulator';

export function demoSnapshot(client: DemoClient, now: Date): WsusSnapshot {
  const server = new WsusSimulator({
    seed: client.seed, now, updates: 40, serverName: `wsus01.${client.domain}`, domain: client.domain, groups: [...client.sites],
    fleet: {
      computers: client.devices.map((r) => ({
        id: String(r.externalId), name: String(r.fqdn), group: String(r.vendorSite), osBuild: String(r.osBuild), lastSyncTime: new Date(String(r.lastCheckInAt)),
        // The seeded machines' hardware is the simulator's pick; an explicitly built one brings its own.
        ...(r.manufacturer ? { make: String(r.manufacturer), model: String(r.model) } : {}),
        ...(r.lacks ? { lacks: r.lacks as ComputerSpec['lacks'] } : {}),
      })),
    },
  });
  return server.snapshot();
}

export const wsusDemo: DemoHook<WsusConfig> = {
  tenantInstance: (client, now) => ({ settings: { ingestKey: randomBytes(32).toString('base64url') }, payload: demoSnapshot(client, now) }),
};
