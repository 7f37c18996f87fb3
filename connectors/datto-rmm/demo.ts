/**
 * Demo mode's Datto RMM: the MSP's one Datto account serves every client that uses Datto, one site per client
 * location plus the MSP's own machines in a site no client owns. One MSP-wide instance of the real Datto connector
 * reads it; demo mode maps the clients' sites to them after the first sync, as an operator would, and leaves the
 * MSP's own site unmapped, as a new site waits.
 */
import { MICROSOFT_CATALOG } from '../shared/microsoft/microsoft-catalog';
import { buildAtLeast } from '../shared/demo/builds';
import { DEMO_PAGE_SIZE, demoHardwareOf } from '../shared/demo/hardware';
import { seededRandom } from '../shared/demo/random';
import type { DemoClient, DemoHook } from '../sdk/contract';
import type { DattoRmmConfig } from './config';
import { buildDattoDevice, buildDattoSite, buildDeviceAudit, DattoDevice, DattoDeviceAudit, DattoSite, PatchStatus, startDattoSimulator } from './simulator';

const DAY = 86_400_000;

/** The MSP's own machines in Datto, in a site no client owns. */
const MSP_SITE = 'Contoso MSP (internal)';

/** Datto's site name for a client location: one Datto site per location, as many MSPs set it up. */
const dattoSiteName = (client: DemoClient, site: string) => `${client.name} - ${site}`;

const guidFrom = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

type Row = Readonly<Record<string, any>>;

/** Datto's patchStatus for a demo machine, from how far its build is behind the bundled catalog's fixed builds. */
function patchStatusOf(row: Row, rand: () => number): { status: PatchStatus; pending: number } {
  const fixed = MICROSOFT_CATALOG.updates.flatMap((u) => Object.values(u.fixedBuilds).map((b) => b.split('.').slice(2).join('.')));
  const build = String(row.osBuild);
  const pending = fixed.filter((b) => b.split('.')[0] === build.split('.')[0] && !buildAtLeast(build, b)).length;
  if (pending === 0) return { status: 'FullyPatched', pending };
  const r = rand();
  return { status: r < 0.15 ? 'InstallError' : r < 0.3 ? 'RebootRequired' : 'ApprovedPending', pending };
}

/** The MSP's Datto account over the given clients' Datto machines, plus the MSP's own. */
export function demoDattoAccount(clients: readonly DemoClient[], now: Date): { sites: DattoSite[]; devices: Array<{ device: DattoDevice; audit: DattoDeviceAudit | null }> } {
  const accountUid = guidFrom(0xacc);
  const sites = new Map<string, DattoSite>();
  const siteFor = (name: string) => {
    if (!sites.has(name)) sites.set(name, buildDattoSite({ id: 1000 + sites.size, uid: guidFrom(0x5170 + sites.size), accountUid, name }));
    return sites.get(name)!;
  };
  const devices: Array<{ device: DattoDevice; audit: DattoDeviceAudit | null }> = [];
  const add = (row: Row, siteName: string, rand: () => number) => {
    const site = siteFor(siteName);
    const [manufacturer, model] = demoHardwareOf(row);
    const seen = Date.parse(String(row.lastCheckInAt));
    const { status, pending } = patchStatusOf(row, rand);
    const macs: string[] = row.macAddresses ?? [];
    const nics: Array<{ instance: string; type: string }> = row.nics ?? macs.map((_, i) => (i === 0 ? { instance: 'Intel(R) Ethernet Connection', type: 'Ethernet' } : { instance: 'Intel(R) Wi-Fi 6E AX211', type: 'Wireless' }));
    devices.push({
      device: buildDattoDevice({
        id: 500000 + devices.length, uid: row.externalId, hostname: row.hostname, siteId: site.id, siteUid: site.uid, siteName: site.name,
        domain: row.fqdn ? String(row.fqdn).split('.').slice(1).join('.') : null, operatingSystem: `Microsoft ${row.osName} ${String(row.osBuild).split('.')[0]}`,
        displayVersion: row.osVersion, lastSeen: seen, lastAuditDate: seen - 3_600_000, creationDate: row.enrolledAt ? Date.parse(row.enrolledAt) : seen - 400 * DAY,
        deviceType: row.deviceType ?? (String(row.hostname).includes('-SRV-') ? { category: 'Server', type: 'Server' } : { category: 'Desktop', type: 'Desktop' }),
        rebootRequired: status === 'RebootRequired',
        patchManagement: { patchStatus: status, patchesApprovedPending: pending, patchesNotApproved: Math.floor(rand() * 3), patchesInstalled: 120 + Math.floor(rand() * 60) },
      }),
      audit: buildDeviceAudit({
        portalUrl: `https://demo.centrastage.net/csm/search?qs=uid%3A${row.externalId}`,
        systemInfo: { manufacturer, model, totalPhysicalMemory: 17179869184, username: null, dotNetVersion: '4.8.1', totalCpuCores: 8 },
        bios: { instance: null, releaseDate: row.biosReleasedAt ? Date.parse(row.biosReleasedAt) : seen - 300 * DAY, serialNumber: String(row.serialNumber), smBiosVersion: null },
        baseBoard: row.baseBoard ?? { manufacturer, product: model },
        nics: macs.map((mac, i) => ({ instance: nics[i].instance, ipv4: null, ipv6: null, macAddress: mac, type: nics[i].type })),
      }),
    });
  };
  for (const client of clients) {
    const rand = seededRandom(client.seed + 7);
    for (const row of client.devices.filter((r) => !r.built)) add(row, dattoSiteName(client, String(row.vendorSite)), rand);
  }
  const rand = seededRandom(42);
  for (const n of [1, 2]) {
    add({ externalId: guidFrom(0xb0b0 + n), hostname: `MSP-TECH-0${n}`, serialNumber: `5CD9${n}77QXZ`, osName: 'Windows 11 Pro', osVersion: '24H2', osBuild: '26100.7840',
      lastCheckInAt: new Date(now.getTime() - n * 3_600_000).toISOString(), macAddresses: [`A4:BB:6D:00:00:0${n}`] }, MSP_SITE, rand);
  }
  // The clients' explicitly built machines last, so the seeded ones keep their Datto ids and patch statuses.
  for (const client of clients) {
    const rand = seededRandom(client.seed + 101);
    for (const row of client.devices.filter((r) => r.built)) add(row, dattoSiteName(client, String(row.vendorSite)), rand);
  }
  return { sites: [...sites.values()], devices };
}

export const dattoRmmDemo: DemoHook<DattoRmmConfig> = {
  async startSimulation(clients, now) {
    const simulator = await startDattoSimulator({ pageSize: DEMO_PAGE_SIZE, fleet: demoDattoAccount(clients, now), now });
    const siteMappings = clients.flatMap((c) => c.sites.map((site) => ({ vendorSite: dattoSiteName(c, site), client: c.name, site })));
    return {
      instances: [{ client: null, settings: simulator.validConfig() as Partial<DattoRmmConfig>, siteMappings }],
      endpointOf: (client) => (client === null ? { apiUrl: simulator.validConfig().apiUrl as string } : undefined),
      close: () => simulator.close(),
    };
  },
};
