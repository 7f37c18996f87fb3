/**
 * The demo's fleet as each tool sees it: what three client organisations' tools know about the same seeded machines.
 * Each tool sees a device through its own identifiers — Intune an Entra id, serial and Wi-Fi MAC; WSUS only an
 * FQDN; the RMM a host name, serial and MACs — so loading them exercises identity resolution the way real data
 * does. Patch levels use the real Microsoft catalog: a device's state for an update follows from its build.
 *
 * After the seeded machines, each client gets a few built explicitly (host numbers 101 and up), so the demo always
 * shows the cases a seeded fleet would only hit by chance (see DEMO_TRAPS).
 */
import { MICROSOFT_CATALOG } from '../catalog/bundled-catalog';
import { buildAtLeast } from '../../connectors/shared/demo/builds';
import { seededRandom } from '../../connectors/shared/demo/random';
import { WindowsRelease, WINDOWS_RELEASES } from './windows-releases';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export type DemoTool = 'intune' | 'wsus' | 'datto-rmm';

export interface DemoTenant {
  name: string;
  code: string;
  domain: string;
  sites: string[];
  /** Which tools manage this client's devices. */
  tools: DemoTool[];
  devices: number;
}

export const DEMO_TENANTS: DemoTenant[] = [
  { name: 'Contoso Academy Trust', code: 'CAT', domain: 'contoso-academy.example', sites: ['Hillside Primary', 'Riverside Secondary'], tools: ['intune', 'wsus'], devices: 16 },
  { name: 'Fabrikam Logistics', code: 'FAB', domain: 'fabrikam.example', sites: ['Head Office', 'Warehouse'], tools: ['intune', 'datto-rmm'], devices: 12 },
  { name: 'Northwind Dental', code: 'NWD', domain: 'northwind-dental.example', sites: ['Leeds Surgery', 'York Surgery'], tools: ['datto-rmm', 'wsus'], devices: 10 },
];

export const DEMO_TOOL_NAMES: Record<DemoTool, string> = {
  intune: 'Microsoft Intune (demo Graph simulator)',
  wsus: 'WSUS (demo collector)',
  'datto-rmm': 'Datto RMM (demo simulator)',
};

/** The instance name the demo fleet gives a tool, else the connector's own display name. */
export function demoToolName(kind: string, displayName: string): string {
  return (DEMO_TOOL_NAMES as Record<string, string | undefined>)[kind] ?? displayName;
}

type Row = Record<string, unknown>;

interface Exported {
  devices: Row[];
  patchStates: Row[];
}

/** Updates of the catalog that apply to each Windows product, with the build that fixes them. */
function updatesByProduct(): Map<string, Array<{ key: string; fixedBuild: string; releasedAt: Date }>> {
  const map = new Map<string, Array<{ key: string; fixedBuild: string; releasedAt: Date }>>();
  for (const u of MICROSOFT_CATALOG.updates) {
    for (const [product, fixedBuild] of Object.entries(u.fixedBuilds)) {
      map.set(product, [...(map.get(product) ?? []), { key: `microsoft:${u.kb}`, fixedBuild, releasedAt: new Date(u.releasedAt) }]);
    }
  }
  return map;
}

function guid(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function mac(rand: () => number, oui: string): string {
  const tail = Array.from({ length: 3 }, () => Math.floor(rand() * 256).toString(16).padStart(2, '0').toUpperCase());
  return [...oui.match(/../g)!, ...tail].join(':');
}

/** Builds each tool's export for one tenant; deterministic for a given `now`. */
export function buildDemoExports(t: DemoTenant, now: Date, seed: number): Record<DemoTool, Exported> {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const byProduct = updatesByProduct();
  const out = Object.fromEntries(t.tools.map((tool) => [tool, { devices: [], patchStates: [] }])) as unknown as Record<DemoTool, Exported>;

  for (let i = 1; i <= t.devices; i++) {
    const server = i % 6 === 0;
    const release = server ? WINDOWS_RELEASES[3] : pick(WINDOWS_RELEASES.slice(0, 3));
    const r = rand();
    const level = r < 0.5 ? 3 : r < 0.7 ? 2 : r < 0.85 ? 1 : 0;
    const build = release.levels[level];
    const hostname = `${t.code}-${server ? 'SRV' : pick(['LT', 'PC'])}-${String(i).padStart(3, '0')}`;
    const fqdn = `${hostname.toLowerCase()}.${t.domain}`;
    // One device per client has not checked in for weeks; one white-box PC reports the board maker's placeholder.
    const lastCheckInAt = new Date(now.getTime() - (i === t.devices ? 45 * DAY : Math.floor(rand() * 72) * HOUR)).toISOString();
    const whiteBox = i === 3;
    const serial = whiteBox ? 'To Be Filled By O.E.M.' : `${pick(['5CD', 'PF3', 'CZC', 'MXL'])}${Math.floor(rand() * 36 ** 6).toString(36).toUpperCase().padStart(6, '0')}`;
    const ethernet = mac(rand, 'A4BB6D');
    const wifi = mac(rand, '3C6AA7');
    const site = t.sites[i % t.sites.length];
    const aad = guid(rand);
    const tools = t.tools.filter((k) => (server ? k !== 'intune' : k !== 'wsus' || rand() < 0.5));

    for (const tool of tools) {
      const externalId = guid(rand);
      const device: Row =
        tool === 'intune'
          ? { externalId, hostname, serialNumber: serial, azureAdDeviceId: aad, macAddresses: [wifi], osName: release.osName, osVersion: `10.0.${build}`, osBuild: build, lastCheckInAt }
          : tool === 'wsus'
            ? { externalId, fqdn, osName: release.osName, osVersion: `10.0.${build}`, osBuild: build, lastCheckInAt, vendorSite: site }
            : { externalId, hostname, fqdn, serialNumber: serial, macAddresses: [ethernet, wifi], osName: release.osName, osVersion: release.osVersion, osBuild: build, lastCheckInAt, vendorSite: site };
      out[tool].devices.push(device);
      out[tool].patchStates.push(...patchStatesOf(tool, externalId, release, build, now, rand, byProduct));
    }
  }
  for (const trap of DEMO_TRAPS[t.code] ?? []) {
    const trand = seededRandom(seed + trap.hostNumber);
    for (const [tool, rows] of Object.entries(trap.records(t, now)) as Array<[DemoTool, Row[]]>) {
      for (const device of rows) {
        out[tool].devices.push({ ...device, built: true });
        const release = WINDOWS_RELEASES.find((r) => r.osName === device.osName);
        if (!release) throw new Error(`demo machine ${String(device.hostname ?? device.fqdn)}: no Windows release is named ${String(device.osName)}`);
        out[tool].patchStates.push(...patchStatesOf(tool, String(device.externalId), release, String(device.osBuild), now, trand, byProduct));
      }
    }
  }
  return out;
}

/** A machine's per-KB states as its tool has them: WSUS reports each, Intune's are derived from the build. */
function patchStatesOf(
  tool: DemoTool, externalId: string, release: WindowsRelease, build: string, now: Date, rand: () => number,
  byProduct: ReturnType<typeof updatesByProduct>,
): Row[] {
  if (tool === 'datto-rmm') return []; // Datto's API reports device-level posture only, never per KB
  return (byProduct.get(release.product) ?? []).map((u) => {
    let state = buildAtLeast(build, u.fixedBuild) ? 'INSTALLED' : 'MISSING';
    if (tool === 'wsus' && state === 'MISSING') {
      const x = rand();
      if (x < 0.15) state = 'FAILED';
      else if (x < 0.3) state = 'PENDING_REBOOT';
    }
    const missingSince = new Date(Math.max(u.releasedAt.getTime() + 2 * DAY, now.getTime() - 30 * DAY)).toISOString();
    return {
      deviceExternalId: externalId, updateKey: u.key, state, evidence: tool === 'wsus' ? 'REPORTED' : 'DERIVED',
      reportedAt: tool === 'wsus' && state !== 'INSTALLED' ? missingSince : null,
    };
  });
}

/**
 * A machine built explicitly, as each tool sees it. Rows carry the seeded rows' fields and, where the seeded
 * defaults would be wrong for it, `manufacturer`, `model`, `enrolledAt` (Intune enrolledDateTime, Datto
 * creationDate), `ethernetMac` (Intune shows it only on a single-device GET), `nics` and `deviceType` (Datto).
 */
export interface DemoTrap {
  /** The host number its names use (101 and up: the seeded machines use 1 to `devices`). */
  hostNumber: number;
  records(t: DemoTenant, now: Date): Partial<Record<DemoTool, Row[]>>;
}

const ago = (now: Date, ms: number) => new Date(now.getTime() - ms).toISOString();
const fqdnOf = (t: DemoTenant, hostname: string) => `${hostname.toLowerCase()}.${t.domain}`;

/**
 * A VMware VM's serial is its BIOS UUID. Copying a VM's files and registering the copy as moved ("I Moved It"), as
 * some template workflows do, keeps the UUID: every copy then reports the same serial.
 */
export const CLONED_VM_SERIAL = 'VMware-42 1a 2b 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8';

const VMWARE_VM = { manufacturer: 'VMware, Inc.', model: 'VMware7,1' };

/** One of two VMware Horizon desktops copied from one template: a live machine of its own in Intune and in Datto. */
function clonedVdiVm(hostNumber: number, p: { intuneId: string; entraId: string; dattoUid: string; mac: string; checkIn: number; cloned: number }): DemoTrap {
  return {
    hostNumber,
    records: (t, now) => {
      const hostname = `${t.code}-VM-${hostNumber}`;
      const release = WINDOWS_RELEASES[1]; // Windows 11 Enterprise 24H2: VMware Horizon desktops, enrolled in Intune
      const build = release.levels[3];
      const common = { hostname, serialNumber: CLONED_VM_SERIAL, osName: release.osName, osBuild: build, lastCheckInAt: ago(now, p.checkIn), ...VMWARE_VM };
      return {
        // A VM has no Wi-Fi adapter, and Graph lists no ethernetMacAddress: Intune shows no MAC at all.
        intune: [{ ...common, externalId: p.intuneId, azureAdDeviceId: p.entraId, macAddresses: [], ethernetMac: p.mac, osVersion: `10.0.${build}`, enrolledAt: ago(now, p.cloned - 40 * 60_000) }],
        'datto-rmm': [{
          ...common, externalId: p.dattoUid, fqdn: fqdnOf(t, hostname), macAddresses: [p.mac], osVersion: release.osVersion, vendorSite: t.sites[0],
          enrolledAt: ago(now, p.cloned - 25 * 60_000), nics: [{ instance: 'vmxnet3 Ethernet Adapter', type: 'Ethernet' }],
          deviceType: { category: 'Desktop', type: 'Virtual Machine' }, baseBoard: { manufacturer: 'Intel Corporation', product: '440BX Desktop Reference Platform' },
          biosReleasedAt: '2023-02-03T00:00:00.000Z',
        }],
      };
    },
  };
}

/** Which of WSUS's updates a machine lacks (the WSUS demo's ComputerSpec.lacks, a row field the demo hands it). */
type LacksUpdate = (update: { kind: string; title: string; released: Date }) => boolean;

/**
 * A desktop in Intune and WSUS at `build`. Whichever tool heard from it last decides a cumulative update's effective
 * state: Intune's derived one or WSUS's reported one. `lacks` picks the other updates it reports not installed (see
 * ComputerSpec.lacks); without it, WSUS's seeded odds decide them.
 */
function desktopInIntuneAndWsus(hostNumber: number, release: WindowsRelease, build: string, p: { serial: string; manufacturer: string; model: string; intuneId: string; entraId: string; wsusId: string; mac: string; checkIn: number; wsusCheckIn: number; enrolled: number; lacks?: (now: Date) => LacksUpdate }): DemoTrap {
  return {
    hostNumber,
    records: (t, now) => {
      const hostname = `${t.code}-PC-${hostNumber}`;
      const common = { osName: release.osName, osVersion: `10.0.${build}`, osBuild: build };
      return {
        intune: [{
          ...common, externalId: p.intuneId, hostname, serialNumber: p.serial, azureAdDeviceId: p.entraId, macAddresses: [], ethernetMac: p.mac,
          manufacturer: p.manufacturer, model: p.model, lastCheckInAt: ago(now, p.checkIn), enrolledAt: ago(now, p.enrolled),
        }],
        wsus: [{
          ...common, externalId: p.wsusId, fqdn: fqdnOf(t, hostname), lastCheckInAt: ago(now, p.wsusCheckIn), vendorSite: t.sites[0], manufacturer: p.manufacturer, model: p.model,
          ...(p.lacks ? { lacks: p.lacks(now) } : {}),
        }],
      };
    },
  };
}

const ELITEBOOK = { manufacturer: 'HP', model: 'HP EliteBook 840 G10 Notebook PC' };

/**
 * The explicitly built machines of each client, by client code: the cases the identity, evidence and compliance
 * rules exist for.
 * - FAB-VM-101/102: two live VMs with one BIOS serial, in Intune and Datto. The serial identifies neither
 *   (SERIAL_SHARED_BY_LIVE_RECORDS); each joins its own host name across the tools: two assets.
 * - CAT-LT-101: a re-imaged laptop. Intune keeps the old record (inactive, an old build, so its derived states say
 *   MISSING) beside the new one, enrolled after the old one went quiet; WSUS knows the machine by FQDN. One asset,
 *   whose counts read only the current records.
 * - CAT-PC-102/103: Windows 10 22H2 and Windows 11 23H2 one Patch Tuesday behind, in Intune and WSUS: each lacks
 *   its own release's KB of the month (KB5075912, KB5075941), never the other's.
 * - CAT-PC-104: a Windows 10 22H2 desktop on February 2026's build (the trust's ESU covers it), in Intune and WSUS,
 *   with every update WSUS offers it installed but Edge's releases of the last 14 days. Cyber Essentials gives an
 *   update with no vendor severity 14 days from release, and the WSUS simulator always has an Edge release 13 to 14
 *   days old (other-updates.ts): it falls due within a day, so the machine is DUE_SOON. (The seeded machines that
 *   lack that release also lack an overdue fix, so they are NON_COMPLIANT.)
 * Every id, serial and MAC is fixed, and every time is relative to `now`, so the demo is the same for a given `now`.
 */
export const DEMO_TRAPS: Record<string, DemoTrap[]> = {
  FAB: [
    clonedVdiVm(101, { intuneId: '1b6f0c2e-5d84-4a7e-9c31-2f8a6d0e4b17', entraId: '7c2e9a41-03b6-4f58-8d1e-6a4b2c9f0e35', dattoUid: '4e91d2a7-6c30-4b8f-a215-9d7e3c0b5f68', mac: '00:50:56:9A:3C:5E', checkIn: 2 * HOUR, cloned: 62 * DAY }),
    clonedVdiVm(102, { intuneId: '2d4a8e61-9f17-4c3b-b0e5-7a1c6f2d8e94', entraId: 'a9f3c7d2-14e8-4b60-9a7c-3e5d1b8f2c06', dattoUid: '8b3f6a1d-2e94-4c7b-a058-1f6d9e2c4a73', mac: '00:50:56:9A:7D:12', checkIn: 5 * HOUR, cloned: 62 * DAY - 47 * 60_000 }),
  ],
  CAT: [
    {
      hostNumber: 101,
      records: (t, now) => {
        const hostname = `${t.code}-LT-101`;
        const release = WINDOWS_RELEASES[0]; // Windows 11 Pro 23H2
        const laptop = { hostname, serialNumber: '5CD4127XQM', macAddresses: ['3C:6A:A7:5E:21:9B'], osName: release.osName, ...ELITEBOOK };
        const [oldBuild, newBuild] = [release.levels[0], release.levels[3]];
        return {
          intune: [
            // Stuck on July 2024's build (its updates kept failing) until IT wiped it; Intune keeps the old record.
            { ...laptop, externalId: '0a7d3e95-b261-4f0c-8e4a-5c9b1d7f3a28', azureAdDeviceId: '5f1c8b3e-7a20-4d96-b4e1-0c8d2a6f9e57', osVersion: `10.0.${oldBuild}`, osBuild: oldBuild,
              lastCheckInAt: ago(now, 50 * DAY + 3 * HOUR), enrolledAt: ago(now, 460 * DAY) },
            // Wiped and enrolled again through Autopilot: a new managed device and a new Entra device.
            { ...laptop, externalId: 'c3e8f1a6-4b7d-4e29-9f05-8d2a6c1b7e43', azureAdDeviceId: 'e2b7d4a9-8c13-4f6e-a5d0-3b9f7c1e6a82', osVersion: `10.0.${newBuild}`, osBuild: newBuild,
              lastCheckInAt: ago(now, 4 * HOUR), enrolledAt: ago(now, 14 * DAY + 2 * HOUR) },
          ],
          // A fresh installation reports to WSUS under a new SusClientId, by its FQDN as always.
          wsus: [{ externalId: '9d5b2f7e-3a81-4c6d-b0f9-6e4a1c8d2b35', fqdn: fqdnOf(t, hostname), osName: release.osName, osVersion: `10.0.${newBuild}`, osBuild: newBuild,
            lastCheckInAt: ago(now, 7 * HOUR), vendorSite: t.sites[1], ...ELITEBOOK }],
        };
      },
    },
    // January 2026's builds (KB5073724 → 19045.6809, KB5073455 → 22631.6491): both lack February's, each its own KB.
    desktopInIntuneAndWsus(102, WINDOWS_RELEASES[2], '19045.6809', {
      serial: 'CZC1427HQ8', manufacturer: 'HP', model: 'HP EliteDesk 800 G6 Desktop Mini PC', intuneId: '5e2c9a7f-1d43-4b86-8e0a-2f7b4d9c6e15', entraId: '3a8d6f2c-9e51-4c07-b3a4-7d1e5b9f0c62',
      wsusId: 'b74e1c9a-6d28-4f53-a9e7-0c3f5b8d2a16', mac: 'EC:8E:B5:4E:7A:21', checkIn: 9 * HOUR, wsusCheckIn: 12 * HOUR, enrolled: 301 * DAY + 5 * HOUR,
    }),
    desktopInIntuneAndWsus(103, WINDOWS_RELEASES[0], '22631.6491', {
      serial: '8QKT4Y3', manufacturer: 'Dell Inc.', model: 'OptiPlex 7010', intuneId: '6f3d0b8e-2e54-4c97-9f1b-3a8c5e0d7f26', entraId: '4b9e7a3d-0f62-4d18-c4b5-8e2f6c0a1d73',
      wsusId: 'c85f2d0b-7e39-4a64-baf8-1d4a6c9e3b27', mac: 'F8:BC:12:8B:15:E3', checkIn: 11 * HOUR, wsusCheckIn: 2 * HOUR, enrolled: 287 * DAY + 2 * HOUR,
    }),
    // February 2026's build, the newest the catalog knows, like the best-kept seeded machines; Edge alone is behind.
    desktopInIntuneAndWsus(104, WINDOWS_RELEASES[2], WINDOWS_RELEASES[2].levels[3], {
      serial: 'CZC2318KT4', manufacturer: 'HP', model: 'HP ProDesk 400 G7 Microtower PC', intuneId: '7a4e1c8d-3f65-4da8-a02c-4b9d6f1e8a37', entraId: '5c0f8b4e-1a73-4e29-b5c6-9f3a7d1b2e84',
      wsusId: 'd96a3e1c-8f4a-4b75-8c09-2e5b7d0f4c38', mac: '9C:7B:EF:2A:61:D4', checkIn: 3 * HOUR, wsusCheckIn: 5 * HOUR, enrolled: 412 * DAY + 6 * HOUR,
      lacks: (now) => (u) => u.kind === 'edge' && u.released.getTime() > now.getTime() - 14 * DAY,
    }),
  ],
};

/** Each tenant's fleet seed: the same machines on every machine and every start. */
export const demoSeed = (t: DemoTenant): number => 20240813 + DEMO_TENANTS.indexOf(t);

