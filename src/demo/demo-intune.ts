/**
 * The demo's Intune tenants are read by the real Intune connector from a Graph simulator running in this process,
 * one per client tenant, serving the same machines the other demo tools see. The simulators live as long as the
 * server; on a restart they come up on new ports and the demo's Intune instances are pointed at them again.
 */
import { DataSource } from 'typeorm';
import { buildManagedDevice, IntuneSimulator, ManagedDevice, startIntuneSimulator } from '../../connectors/intune/simulator';
import { ConnectorAdmin } from '../access/connector-admin';
import { TenantScope } from '../access/tenant-scope';
import { ConnectorInstance, Tenant } from '../entities';
import { SecretBox } from '../secrets/secret-box';
import { Clock } from '../util/clock';
import { buildDemoExports, DEMO_TENANTS, DEMO_TOOL_NAMES, demoSeed, DemoTenant } from './demo-exports';

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
  close(): Promise<void>;
}

type Row = Record<string, any>;

function managedDevice(row: Row, domain: string): ManagedDevice {
  const serial = String(row.serialNumber);
  const [manufacturer, model] = HARDWARE[serial.slice(0, 3)] ?? ['System manufacturer', 'System Product Name'];
  const lastSync = String(row.lastCheckInAt);
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
    enrolledDateTime: new Date(Date.parse(lastSync) - 240 * DAY).toISOString(),
    wiFiMacAddress: String(row.macAddresses[0]).replace(/:/g, ''),
    userPrincipalName: `${String(row.hostname).toLowerCase()}.user@${domain}`,
    isEncrypted: true,
  });
}

/** The Intune part of a demo tenant's fleet, as Graph managedDevices. */
export function demoManagedDevices(t: DemoTenant, now: Date): ManagedDevice[] {
  return buildDemoExports(t, now, demoSeed(t)).intune.devices.map((row) => managedDevice(row, t.domain));
}

export async function startDemoSimulators(now: Date): Promise<DemoSimulators> {
  const sims = new Map<string, IntuneSimulator>();
  try {
    for (const t of DEMO_TENANTS.filter((x) => x.tools.includes('intune'))) {
      sims.set(t.name, await startIntuneSimulator({ pageSize: DEMO_PAGE_SIZE, fleet: demoManagedDevices(t, now), now }));
    }
  } catch (err) {
    await Promise.all([...sims.values()].map((s) => s.close()));
    throw err;
  }
  return {
    settingsFor: (tenantName) => sims.get(tenantName)?.validConfig(),
    close: async () => void (await Promise.all([...sims.values()].map((s) => s.close()))),
  };
}

/**
 * After a restart: starts the simulators again and points the demo's Intune instances at their new ports (a
 * settings change, audited like any other). Returns null when the database holds no demo Intune instance.
 */
export async function resumeDemoSimulators(deps: { dataSource: DataSource; secrets: SecretBox; clock: Clock }): Promise<DemoSimulators | null> {
  const instances = await deps.dataSource.getRepository(ConnectorInstance).findBy({ kind: 'intune', name: DEMO_TOOL_NAMES.intune });
  if (instances.length === 0) return null;
  const simulators = await startDemoSimulators(deps.clock.now());
  const admin = new ConnectorAdmin(deps.dataSource, TenantScope.allTenants(), deps.clock, { label: 'demo' }, deps.secrets);
  for (const instance of instances) {
    const tenant = instance.tenantId ? await deps.dataSource.getRepository(Tenant).findOneBy({ id: instance.tenantId }) : null;
    const settings = tenant ? simulators.settingsFor(tenant.name) : undefined;
    if (!settings) continue;
    await admin.update({ id: instance.id, settings: { authorityHost: settings.authorityHost, graphBaseUrl: settings.graphBaseUrl } });
  }
  return simulators;
}
