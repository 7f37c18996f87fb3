/**
 * The demo's fleet as each tool sees it: what three client organisations' tools know about the same seeded machines.
 * Each tool sees a device through its own identifiers — Intune an Entra id, serial and Wi-Fi MAC; WSUS only an
 * FQDN; the RMM a host name, serial and MACs — so loading them exercises identity resolution the way real data
 * does. Patch levels use the real Microsoft catalog: a device's state for an update follows from its build.
 */
import { MICROSOFT_CATALOG } from './catalog';
import { buildAtLeast, seededRandom, WINDOWS_RELEASES } from './fleet';

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
      if (tool === 'datto-rmm') continue; // Datto's API reports device-level posture only, never per KB
      for (const u of byProduct.get(release.product) ?? []) {
        let state = buildAtLeast(build, u.fixedBuild) ? 'INSTALLED' : 'MISSING';
        if (tool === 'wsus' && state === 'MISSING') {
          const x = rand();
          if (x < 0.15) state = 'FAILED';
          else if (x < 0.3) state = 'PENDING_REBOOT';
        }
        const missingSince = new Date(Math.max(u.releasedAt.getTime() + 2 * DAY, now.getTime() - 30 * DAY)).toISOString();
        out[tool].patchStates.push({
          deviceExternalId: externalId, updateKey: u.key, state, evidence: tool === 'wsus' ? 'REPORTED' : 'DERIVED',
          reportedAt: tool === 'wsus' && state !== 'INSTALLED' ? missingSince : null,
        });
      }
    }
  }
  return out;
}

/** Each tenant's fleet seed: the same machines on every machine and every start. */
export const demoSeed = (t: DemoTenant): number => 20240813 + DEMO_TENANTS.indexOf(t);

