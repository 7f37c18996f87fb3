/**
 * Demo mode's Intune: one Microsoft Graph simulator per client that uses Intune, serving the client's machines as
 * managedDevices, each read by the client's own instance of the real Intune connector.
 */
import type { DemoClient, DemoHook } from '../sdk/contract';
import { DEMO_PAGE_SIZE, demoHardwareOf } from '../shared/demo/hardware';
import type { IntuneConfig } from './config';
import { buildManagedDevice, IntuneSimulator, ManagedDevice, startIntuneSimulator } from './simulator';

const DAY = 86_400_000;
const withoutColons = (mac: unknown) => String(mac).replace(/:/g, '');

function managedDevice(row: Readonly<Record<string, any>>, domain: string): ManagedDevice {
  const [manufacturer, model] = demoHardwareOf(row);
  const lastSync = String(row.lastCheckInAt);
  const wifi: string | undefined = row.macAddresses[0];
  return buildManagedDevice({
    id: row.externalId,
    deviceName: row.hostname,
    managedDeviceName: `${row.hostname}_Windows`,
    azureADDeviceId: row.azureAdDeviceId,
    serialNumber: String(row.serialNumber),
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

/** A demo client's Intune machines, as Graph managedDevices. */
export function demoManagedDevices(client: DemoClient): ManagedDevice[] {
  return client.devices.map((row) => managedDevice(row, client.domain));
}

export const intuneDemo: DemoHook<IntuneConfig> = {
  async startSimulation(clients, now) {
    const sims = new Map<string, IntuneSimulator>();
    const close = async () => void (await Promise.all([...sims.values()].map((s) => s.close())));
    try {
      for (const client of clients) sims.set(client.name, await startIntuneSimulator({ pageSize: DEMO_PAGE_SIZE, fleet: demoManagedDevices(client), now }));
    } catch (err) {
      await close();
      throw err;
    }
    return {
      instances: clients.map((c) => ({ client: c.name, settings: sims.get(c.name)!.validConfig() as Partial<IntuneConfig> })),
      endpointOf: (client) => {
        const settings = client === null ? undefined : sims.get(client)?.validConfig();
        return settings && { authorityHost: settings.authorityHost as string, graphBaseUrl: settings.graphBaseUrl as string };
      },
      close,
    };
  },
};
