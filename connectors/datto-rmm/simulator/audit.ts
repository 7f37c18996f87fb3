/**
 * Datto RMM's DeviceAudit (`/v2/audit/device/{uid}`): the hardware inventory of a "device"-class machine, in the
 * API's order. Printers and ESXi hosts have audits of other shapes at other paths, which the simulator does not serve.
 */
import type { DattoDate } from './device';

export interface DattoNic {
  instance: string;
  ipv4: string | null;
  ipv6: string | null;
  /** Six colon-separated upper-case pairs: "A4:C3:F0:12:34:56". */
  macAddress: string;
  type: string;
}

export interface DattoDeviceAudit {
  portalUrl: string;
  webRemoteUrl: string | null;
  systemInfo: {
    manufacturer: string;
    model: string;
    /** Bytes. */
    totalPhysicalMemory: number;
    username: string | null;
    dotNetVersion: string | null;
    totalCpuCores: number;
  };
  nics: DattoNic[];
  bios: { instance: string | null; releaseDate: DattoDate; serialNumber: string; smBiosVersion: string | null };
  baseBoard: { manufacturer: string; product: string };
  displays: Array<{ instance: string; screenHeight: number; screenWidth: number }>;
  logicalDisks: Array<{ description: string; diskIdentifier: string; freespace: number; size: number }>;
  mobileInfo: Array<{ iccid: string; imei: string; number: string; operator: string }>;
  processors: Array<{ name: string }>;
  videoBoards: Array<{ displayAdapter: string }>;
  attachedDevices: Array<Record<string, string | null>>;
  snmpInfo: null;
  physicalMemory: Array<{ module: string; size: number; type: string; speed: string; serialNumber: string; partNumber: string; bank: string }>;
}

/** A complete audit from the parts a caller cares about; lists default to empty, as Datto sends them. */
export function buildDeviceAudit(fields: Partial<DattoDeviceAudit> & Pick<DattoDeviceAudit, 'portalUrl' | 'systemInfo' | 'bios' | 'baseBoard'>): DattoDeviceAudit {
  const defaults: DattoDeviceAudit = {
    portalUrl: fields.portalUrl,
    webRemoteUrl: null,
    systemInfo: fields.systemInfo,
    nics: [],
    bios: fields.bios,
    baseBoard: fields.baseBoard,
    displays: [],
    logicalDisks: [],
    mobileInfo: [],
    processors: [],
    videoBoards: [],
    attachedDevices: [],
    snmpInfo: null,
    physicalMemory: [],
  };
  return { ...defaults, ...fields };
}
