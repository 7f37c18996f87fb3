/**
 * Fixtures for the evidence-rules end-to-end tests: exact Intune managed devices and Datto RMM devices (with their
 * audits) on real hardware, and file-import update records taken from the bundled Microsoft catalog.
 */
import { buildDattoDevice, buildDattoSite, buildDeviceAudit, DattoDevice, DattoDeviceAudit, DattoSite } from '../../connectors/datto-rmm/simulator';
import { buildManagedDevice, ManagedDevice } from '../../connectors/intune/simulator';
import { MICROSOFT_CATALOG } from '../../connectors/shared/microsoft/microsoft-catalog';

/** The test server's fixed clock, and the simulators' "now". */
export const NOW = new Date('2026-11-02T10:00:00.000Z');

/** Windows 11 23H2 cumulative updates and the 22631 revision each is fixed in. */
export const KB = { AUG24: 'KB5041585', SEP24: 'KB5043076', FEB26: 'KB5075941' } as const; // .4037, .4169, .6649

/** A VMware clone carries its template's BIOS serial, spaces and all. */
export const CLONE_SERIAL = 'VMware-42 1a 2b 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8';

const guid = (kind: number, n: number) => `${kind.toString(16).padStart(8, '0')}-7d1c-4e2a-9b3f-${n.toString(16).padStart(12, '0')}`;

export interface Hardware {
  manufacturer: string;
  model: string;
}
export const HARDWARE = {
  latitude: { manufacturer: 'Dell Inc.', model: 'Latitude 5440' },
  optiplex: { manufacturer: 'Dell Inc.', model: 'OptiPlex 7010' },
  elitebook: { manufacturer: 'HP', model: 'HP EliteBook 840 G10 Notebook PC' },
  elitedesk: { manufacturer: 'HP', model: 'HP EliteDesk 800 G6 Small Form Factor PC' },
  vmware: { manufacturer: 'VMware, Inc.', model: 'VMware7,1' },
} satisfies Record<string, Hardware>;

/** A company-owned, Entra-joined Windows 11 device at `build` (e.g. "22631.4169"); `n` makes its ids. */
export function intuneWindows(n: number, deviceName: string, serialNumber: string, build: string, o: { lastSync: string; enrolled: string; hw: Hardware; wifi?: string }): ManagedDevice {
  return buildManagedDevice({
    id: guid(0x1a7e, n), deviceName, serialNumber, ...o.hw, osVersion: `10.0.${build}`, lastSyncDateTime: o.lastSync, enrolledDateTime: o.enrolled,
    azureADDeviceId: guid(0xe7a, n), wiFiMacAddress: o.wifi?.replace(/:/g, '') ?? null, managementAgent: 'mdm', isEncrypted: true,
  });
}

const FABRIKAM: DattoSite = buildDattoSite({ id: 71011, uid: guid(0x5173, 1), accountUid: guid(0xacc7, 1), name: 'Fabrikam Logistics' });

export interface DattoMachine {
  device: DattoDevice;
  audit: DattoDeviceAudit;
}

/** A Windows machine as Datto RMM lists and audits it; dates ISO, sent as epoch milliseconds like Datto does. */
export function dattoWindows(n: number, hostname: string, serialNumber: string, o: { os: string; lastSeen: string; created: string; hw: Hardware; nic: [string, string] }): DattoMachine {
  const virtual = o.hw === HARDWARE.vmware;
  const device = buildDattoDevice({
    id: 8_812_000 + n, uid: guid(0xda77, n), hostname, siteId: FABRIKAM.id, siteUid: FABRIKAM.uid, siteName: FABRIKAM.name, domain: 'fabrikam.local',
    operatingSystem: o.os, displayVersion: '23H2', intIpAddress: `10.40.2.${n}`, lastLoggedInUser: 'FABRIKAM\\svc-vdi',
    lastSeen: Date.parse(o.lastSeen), lastAuditDate: Date.parse(o.lastSeen) - 3_600_000, creationDate: Date.parse(o.created),
    patchManagement: { patchStatus: 'FullyPatched', patchesApprovedPending: 0, patchesNotApproved: 0, patchesInstalled: 212 },
  });
  const audit = buildDeviceAudit({
    portalUrl: device.portalUrl,
    systemInfo: { ...o.hw, totalPhysicalMemory: 16 * 2 ** 30, username: 'FABRIKAM\\svc-vdi', dotNetVersion: '4.8.1', totalCpuCores: 4 },
    bios: virtual
      ? { instance: 'INTEL  - 6040000', releaseDate: Date.parse('2023-01-11T00:00:00Z'), serialNumber, smBiosVersion: 'VMW71.00V.21100432.B64.2301110304' }
      : { instance: 'DELL   - 1072009', releaseDate: Date.parse('2024-05-14T00:00:00Z'), serialNumber, smBiosVersion: '1.14.0' },
    baseBoard: virtual ? { manufacturer: 'Intel Corporation', product: '440BX Desktop Reference Platform' } : { manufacturer: 'Dell Inc.', product: '0X8DXD' },
    nics: [{ instance: o.nic[0], ipv4: `10.40.2.${n}`, ipv6: null, macAddress: o.nic[1], type: 'Ethernet' }],
  });
  return { device, audit };
}

export const dattoFleet = (devices: DattoMachine[]) => ({ sites: [FABRIKAM], devices });

/** One machine as each tool sees it. */
export interface Machine {
  hostname: string;
  intune: ManagedDevice;
  datto: DattoMachine;
}

const ENTERPRISE = 'Microsoft Windows 11 Enterprise 23H2 22631';
const VMXNET3 = 'vmxnet3 Ethernet Adapter';

/** Two live VMware clones of one template: same BIOS serial, own host names, own (VMware, never matched) MACs. */
export const VDI_01: Machine = {
  hostname: 'FAB-VDI-01',
  intune: intuneWindows(101, 'FAB-VDI-01', CLONE_SERIAL, '22631.4169', { lastSync: '2026-11-02T08:10:00Z', enrolled: '2026-03-02T09:00:00Z', hw: HARDWARE.vmware }),
  datto: dattoWindows(101, 'FAB-VDI-01', CLONE_SERIAL, { os: ENTERPRISE, lastSeen: '2026-11-02T09:50:00Z', created: '2026-03-02T08:40:00Z', hw: HARDWARE.vmware, nic: [VMXNET3, '00:50:56:A1:3C:01'] }),
};
export const VDI_02: Machine = {
  hostname: 'FAB-VDI-02',
  intune: intuneWindows(102, 'FAB-VDI-02', CLONE_SERIAL, '22631.6649', { lastSync: '2026-11-02T09:20:00Z', enrolled: '2026-03-09T09:00:00Z', hw: HARDWARE.vmware }),
  datto: dattoWindows(102, 'FAB-VDI-02', CLONE_SERIAL, { os: ENTERPRISE, lastSeen: '2026-11-02T09:52:00Z', created: '2026-03-09T08:45:00Z', hw: HARDWARE.vmware, nic: [VMXNET3, '00:50:56:A1:3C:02'] }),
};
/** A physical desktop Datto heard from more recently than Intune; Datto reports no build. */
export const OPTIPLEX: Machine = {
  hostname: 'FAB-OPTI-0107',
  intune: intuneWindows(107, 'FAB-OPTI-0107', 'H4RT2X3', '22631.4169', { lastSync: '2026-11-02T08:00:00Z', enrolled: '2025-04-22T13:30:00Z', hw: HARDWARE.optiplex }),
  datto: dattoWindows(107, 'FAB-OPTI-0107', 'H4RT2X3', {
    os: 'Microsoft Windows 11 Pro 23H2 22631', lastSeen: '2026-11-02T09:55:00Z', created: '2025-04-22T12:10:00Z', hw: HARDWARE.optiplex,
    nic: ['Intel(R) Ethernet Connection (17) I219-LM', 'B0:4F:13:A2:5C:71'],
  }),
};

/** file-import update records for these KBs, as the bundled Microsoft catalog describes them. */
export function fileImportUpdates(kbs: string[]): Array<Record<string, unknown>> {
  return kbs.map((kb) => {
    const u = MICROSOFT_CATALOG.updates.find((x) => x.kb === kb)!;
    return { key: `microsoft:${kb}`, kb, title: u.title, vendor: 'Microsoft', products: u.products, classification: u.classification, severity: u.severity, releasedAt: u.releasedAt };
  });
}
