/**
 * A computer as the simulated server knows it, its vComputerTarget row, and the facts a test or the demo reads back.
 * Never-synchronised shows as NULL and never-reported as 1753-01-01, the two ways SUSDB says "never".
 */
import type { WsusComputerTargetRow } from './snapshot';
import { SUSDB_NEVER, susdbMs, susdbTime } from './susdb-time';
import type { Role, WindowsRelease } from './windows';

/** What a computer does with updates it lacks: 2 waits, 3 downloaded them, 5 failed to install, 6 awaits a restart. */
export type Trouble = 2 | 3 | 5 | 6;

export interface SimComputer {
  id: string;
  name: string;
  /** The custom group it is an explicit member of, or "Unassigned Computers". */
  group: string;
  role: Role;
  release: WindowsRelease;
  /** The update build revision (UBR): 4169 of 22631.4169. */
  revision: number;
  make: string | null;
  model: string | null;
  bios: string | null;
  virtual: boolean;
  ip: string | null;
  language: string;
  /** Epoch ms; null: never synchronised. */
  lastSync: number | null;
  /** Epoch ms; null: never reported status. */
  lastReport: number | null;
  lastSyncResult: 0 | 1 | 2;
  trouble: Trouble;
  /** The State of each update, by the update's index on the server. */
  states: Uint8Array;
}

/** A computer's facts, for tests and the demo: what the rows say, as values. */
export interface WsusComputer {
  id: string;
  name: string;
  group: string;
  role: Role;
  /** "Windows 11 Version 23H2" */
  osName: string;
  /** "22631.4169" */
  osBuild: string;
  make: string | null;
  model: string | null;
  ipAddress: string | null;
  lastSyncTime: Date | null;
  lastReportedStatusTime: Date | null;
  lastSyncResult: number;
}

export function computerRow(c: SimComputer): WsusComputerTargetRow {
  return {
    ComputerTargetId: c.id,
    Name: c.name,
    IPAddress: c.ip,
    LastSyncResult: c.lastSyncResult,
    LastSyncTime: c.lastSync === null ? null : susdbTime(c.lastSync),
    LastReportedStatusTime: c.lastReport === null ? SUSDB_NEVER : susdbTime(c.lastReport),
    // The Windows Update agent's version, not the OS's: its build is the release's servicing base (19041 on
    // Windows 10 22H2), its revision the UBR, which every cumulative update raises for the whole family.
    ClientVersion: `10.0.${c.release.agentBuild}.${c.revision}`,
    OSArchitecture: 'AMD64',
    Make: c.make,
    Model: c.model,
    BiosName: c.bios,
    BiosVersion: c.bios,
    OSMajorVersion: 10,
    OSMinorVersion: 0,
    OSBuildNumber: c.release.build,
    OSServicePackMajorNumber: 0,
    OSDefaultUILanguage: c.language,
  };
}

const asDate = (ms: number | null) => (ms === null ? null : new Date(susdbMs(ms)));

export function computerFacts(c: SimComputer): WsusComputer {
  return {
    id: c.id,
    name: c.name,
    group: c.group,
    role: c.role,
    osName: c.release.name,
    osBuild: `${c.release.build}.${c.revision}`,
    make: c.make,
    model: c.model,
    ipAddress: c.ip,
    lastSyncTime: asDate(c.lastSync),
    lastReportedStatusTime: asDate(c.lastReport),
    lastSyncResult: c.lastSyncResult,
  };
}
