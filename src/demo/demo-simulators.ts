/**
 * The demo's vendor tools run in this process as simulators, serving the same machines the other demo tools see:
 * a Microsoft Graph per Intune client, read by the real Intune connector, and one Datto RMM account for the MSP,
 * read by the real Datto connector as an MSP-wide instance whose sites are mapped to the clients. The simulators
 * live as long as the server; on a restart they come up on new ports and the demo's instances are pointed at them.
 */
import { DataSource } from 'typeorm';
import { buildDattoDevice, buildDattoSite, buildDeviceAudit, DattoDevice, DattoDeviceAudit, DattoSimulator, DattoSite, PatchStatus, startDattoSimulator } from '../../connectors/datto-rmm/simulator';
import { buildManagedDevice, IntuneSimulator, ManagedDevice, startIntuneSimulator } from '../../connectors/intune/simulator';
import { ConnectorAdmin } from '../access/connector-admin';
import { TenantScope } from '../access/tenant-scope';
import { ConnectorInstance, Tenant } from '../entities';
import { SecretBox } from '../secrets/secret-box';
import { Clock } from '../util/clock';
import { buildDemoExports, DEMO_TENANTS, DEMO_TOOL_NAMES, demoSeed, DemoTenant } from './demo-fleet';
import { MICROSOFT_CATALOG } from '../../connectors/shared/microsoft/microsoft-catalog';
import { buildAtLeast, seededRandom } from './windows-releases';

const DAY = 86_400_000;
/** Small pages, so the demo's syncs page through nextLinks as a real tenant's do. */
const DEMO_PAGE_SIZE = 5;

// The serial prefixes the demo fleet uses, as the hardware Intune would report with them.
const HARDWARE: Record<string, [manufacturer: string, model: string]> = {
  '5CD': ['HP', 'HP EliteBook 840 G10'],
  PF3: ['LENOVO', '21HD0042UK'],
  CZC: ['HP', 'HP ProDesk 400 G9 Desktop Mini'],
  MXL: ['HP', 'HP EliteDesk 800 G9 Small Form Factor'],
};

export interface DemoSimulators {
  /** Settings of the tenant's demo Intune instance; undefined for a tenant without Intune. */
  settingsFor(tenantName: string): Record<string, unknown> | undefined;
  /** Settings of the MSP's demo Datto RMM instance. */
  dattoSettings(): Record<string, unknown>;
  /** The Datto sites of each client location, to map them as an operator would: [Datto site name, tenant, site]. */
  dattoSites(): Array<{ name: string; tenant: string; site: string | null }>;
  close(): Promise<void>;
}

type Row = Record<string, any>;

/** A machine's make and model: its own when the fleet gives them, else the hardware its serial's prefix names. */
function hardwareOf(row: Row): [manufacturer: string, model: string] {
  if (row.manufacturer && row.model) return [String(row.manufacturer), String(row.model)];
  return HARDWARE[String(row.serialNumber).slice(0, 3)] ?? ['System manufacturer', 'System Product Name'];
}

const withoutColons = (mac: unknown) => String(mac).replace(/:/g, '');

function managedDevice(row: Row, domain: string): ManagedDevice {
  const serial = String(row.serialNumber);
  const [manufacturer, model] = hardwareOf(row);
  const lastSync = String(row.lastCheckInAt);
  const wifi: string | undefined = row.macAddresses[0];
  return buildManagedDevice({
    id: row.externalId,
    deviceName: row.hostname,
    managedDeviceName: `${row.hostname}_Windows`,
    azureADDeviceId: row.azureAdDeviceId,
    serialNumber: serial,
    manufacturer,
    model,
    osVersion: row.osVersion,
    lastSyncDateTime: lastSync,
    enrolledDateTime: row.enrolledAt ?? new Date(Date.parse(lastSync) - 240 * DAY).toISOString(),
    // A machine without Wi-Fi (a desktop, a VM) has none; Graph fills ethernetMacAddress only on a single-device GET.
    wiFiMacAddress: wifi === undefined ? null : withoutColons(wifi),
    ethernetMacAddress: row.ethernetMac ? withoutColons(row.ethernetMac) : null,
    userPrincipalName: `${String(row.hostname).toLowerCase()}.user@${domain}`,
    isEncrypted: true,
  });
}

/** The Intune part of a demo tenant's fleet, as Graph managedDevices. */
export function demoManagedDevices(t: DemoTenant, now: Date): ManagedDevice[] {
  return buildDemoExports(t, now, demoSeed(t)).intune.devices.map((row) => managedDevice(row, t.domain));
}

/** The MSP's own machines in Datto, in a site no client owns: the demo leaves it unmapped, as a new site would be. */
const MSP_SITE = 'Contoso MSP (internal)';

/** Datto's site name for a client location: one Datto site per location, as many MSPs set it up. */
const dattoSiteName = (t: DemoTenant, site: string) => `${t.name} - ${site}`;

const guidFrom = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** Datto's patchStatus for a demo machine, from how far its build is behind (the demo catalog's fixed builds). */
function patchStatusOf(row: Row, rand: () => number): { status: PatchStatus; pending: number } {
  const fixed = MICROSOFT_CATALOG.updates.flatMap((u) => Object.values(u.fixedBuilds).map((b) => b.split('.').slice(2).join('.')));
  const build = String(row.osBuild);
  const pending = fixed.filter((b) => b.split('.')[0] === build.split('.')[0] && !buildAtLeast(build, b)).length;
  if (pending === 0) return { status: 'FullyPatched', pending };
  const r = rand();
  return { status: r < 0.15 ? 'InstallError' : r < 0.3 ? 'RebootRequired' : 'ApprovedPending', pending };
}

/** The MSP's Datto account: every demo client that uses Datto, one site per client location, plus the MSP's own. */
export function demoDattoAccount(now: Date): { sites: DattoSite[]; devices: Array<{ device: DattoDevice; audit: DattoDeviceAudit | null }> } {
  const accountUid = guidFrom(0xacc);
  const sites = new Map<string, DattoSite>();
  const siteFor = (name: string) => {
    if (!sites.has(name)) sites.set(name, buildDattoSite({ id: 1000 + sites.size, uid: guidFrom(0x5170 + sites.size), accountUid, name }));
    return sites.get(name)!;
  };
  const devices: Array<{ device: DattoDevice; audit: DattoDeviceAudit | null }> = [];
  const add = (row: Row, siteName: string, rand: () => number) => {
    const site = siteFor(siteName);
    const [manufacturer, model] = hardwareOf(row);
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
  const dattoTenants = DEMO_TENANTS.filter((x) => x.tools.includes('datto-rmm'));
  const rows = new Map(dattoTenants.map((t) => [t, buildDemoExports(t, now, demoSeed(t))['datto-rmm'].devices]));
  for (const t of dattoTenants) {
    const rand = seededRandom(demoSeed(t) + 7);
    for (const row of rows.get(t)!.filter((r) => !r.built)) add(row, dattoSiteName(t, String(row.vendorSite)), rand);
  }
  const rand = seededRandom(42);
  for (const n of [1, 2]) {
    add({ externalId: guidFrom(0xb0b0 + n), hostname: `MSP-TECH-0${n}`, serialNumber: `5CD9${n}77QXZ`, osName: 'Windows 11 Pro', osVersion: '24H2', osBuild: '26100.7840',
      lastCheckInAt: new Date(now.getTime() - n * 3_600_000).toISOString(), macAddresses: [`A4:BB:6D:00:00:0${n}`] }, MSP_SITE, rand);
  }
  // The clients' explicitly built machines last, so the seeded ones keep their Datto ids and patch statuses.
  for (const t of dattoTenants) {
    const rand = seededRandom(demoSeed(t) + 101);
    for (const row of rows.get(t)!.filter((r) => r.built)) add(row, dattoSiteName(t, String(row.vendorSite)), rand);
  }
  return { sites: [...sites.values()], devices };
}

export async function startDemoSimulators(now: Date): Promise<DemoSimulators> {
  const sims = new Map<string, IntuneSimulator>();
  let datto: DattoSimulator | undefined;
  const close = async () => void (await Promise.all([...sims.values(), ...(datto ? [datto] : [])].map((s) => s.close())));
  try {
    for (const t of DEMO_TENANTS.filter((x) => x.tools.includes('intune'))) {
      sims.set(t.name, await startIntuneSimulator({ pageSize: DEMO_PAGE_SIZE, fleet: demoManagedDevices(t, now), now }));
    }
    datto = await startDattoSimulator({ pageSize: DEMO_PAGE_SIZE, fleet: demoDattoAccount(now), now });
  } catch (err) {
    await close();
    throw err;
  }
  const dattoSim = datto;
  return {
    settingsFor: (tenantName) => sims.get(tenantName)?.validConfig(),
    dattoSettings: () => dattoSim.validConfig(),
    dattoSites: () =>
      DEMO_TENANTS.filter((t) => t.tools.includes('datto-rmm')).flatMap((t) => t.sites.map((site) => ({ name: dattoSiteName(t, site), tenant: t.name, site }))),
    close,
  };
}

/**
 * After a restart: starts the simulators again and points the demo's Intune instances at their new ports (a
 * settings change, audited like any other). Returns null when the database holds no demo Intune instance.
 */
export async function resumeDemoSimulators(deps: { dataSource: DataSource; secrets: SecretBox; clock: Clock }): Promise<DemoSimulators | null> {
  const instances = await deps.dataSource.getRepository(ConnectorInstance).findBy({ kind: 'intune', name: DEMO_TOOL_NAMES.intune });
  const dattoInstances = await deps.dataSource.getRepository(ConnectorInstance).findBy({ kind: 'datto-rmm', name: DEMO_TOOL_NAMES['datto-rmm'] });
  if (instances.length === 0 && dattoInstances.length === 0) return null;
  const simulators = await startDemoSimulators(deps.clock.now());
  const admin = new ConnectorAdmin(deps.dataSource, TenantScope.allTenants(), deps.clock, { label: 'demo' }, deps.secrets);
  for (const instance of instances) {
    const tenant = instance.tenantId ? await deps.dataSource.getRepository(Tenant).findOneBy({ id: instance.tenantId }) : null;
    const settings = tenant ? simulators.settingsFor(tenant.name) : undefined;
    if (!settings) continue;
    await admin.update({ id: instance.id, settings: { authorityHost: settings.authorityHost, graphBaseUrl: settings.graphBaseUrl } });
  }
  for (const instance of dattoInstances) await admin.update({ id: instance.id, settings: { apiUrl: simulators.dattoSettings().apiUrl } });
  return simulators;
}
