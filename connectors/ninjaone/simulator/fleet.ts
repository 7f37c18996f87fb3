/**
 * The simulator's NinjaOne account: organizations with their locations, a seeded fleet of Windows devices as
 * /v2/devices-detailed describes them, and the two patch reports (/v2/queries/os-patches and os-patch-installs).
 * The same seed and size give the same account on every machine.
 */
import { SeededRandom } from '../../sdk/testkit/simulator';
import type { NinjaDevice, NinjaLocation, NinjaOrganization, NinjaOsPatch, NinjaOsPatchInstall } from '../payloads';

const HOUR_S = 3600;
const DAY_S = 24 * HOUR_S;

interface OsRelease {
  name: string;
  buildNumber: string;
  releaseId: string;
  nodeClass: 'WINDOWS_WORKSTATION' | 'WINDOWS_SERVER';
}

const RELEASES: readonly OsRelease[] = [
  { name: 'Windows 11 Professional Edition', buildNumber: '22631', releaseId: '23H2', nodeClass: 'WINDOWS_WORKSTATION' },
  { name: 'Windows 10 Professional Edition', buildNumber: '19045', releaseId: '22H2', nodeClass: 'WINDOWS_WORKSTATION' },
  { name: 'Windows Server 2022 Standard Edition', buildNumber: '20348', releaseId: '21H2', nodeClass: 'WINDOWS_SERVER' },
];

interface CatalogPatch {
  id: string;
  name: string;
  kbNumber: string | null;
  severity: string;
  type: string;
  /** Builds the patch applies to; empty for every release. */
  builds: string[];
}

/** Patches as NinjaOne names them (Windows Update titles); one driver without a KB, as NinjaOne lists drivers. */
const CATALOG: ReadonlyArray<Omit<CatalogPatch, 'id'>> = [
  { name: '2024-08 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5041585)', kbNumber: 'KB5041585', severity: 'CRITICAL', type: 'SECURITY_UPDATES', builds: ['22631'] },
  { name: '2024-07 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5040442)', kbNumber: 'KB5040442', severity: 'CRITICAL', type: 'SECURITY_UPDATES', builds: ['22631'] },
  { name: '2024-08 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5041580)', kbNumber: 'KB5041580', severity: 'CRITICAL', type: 'SECURITY_UPDATES', builds: ['19045'] },
  { name: '2024-07 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5040427)', kbNumber: 'KB5040427', severity: 'IMPORTANT', type: 'SECURITY_UPDATES', builds: ['19045'] },
  { name: '2024-08 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems (KB5041160)', kbNumber: 'KB5041160', severity: 'CRITICAL', type: 'SECURITY_UPDATES', builds: ['20348'] },
  { name: 'Windows Malicious Software Removal Tool x64 - v5.128 (KB890830)', kbNumber: '890830', severity: 'MODERATE', type: 'UPDATE_ROLLUPS', builds: [] },
  { name: 'Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.417.89.0)', kbNumber: '2267602', severity: 'LOW', type: 'DEFINITION_UPDATES', builds: [] },
  { name: 'Intel Corporation - Display - 31.0.101.4502', kbNumber: null, severity: 'UNSPECIFIED', type: 'DRIVERS', builds: ['22631', '19045'] },
];

const ORGANIZATIONS = [
  { name: 'Contoso Ltd', prefix: 'CON', domain: 'contoso.local', locations: ['Head Office', 'Warehouse'] },
  { name: 'Fabrikam Inc', prefix: 'FAB', domain: 'fabrikam.local', locations: ['Main Site', 'Remote Workers'] },
  { name: 'Northwind Traders', prefix: 'NWT', domain: 'northwind.local', locations: ['Seattle'] },
] as const;

const MANUFACTURERS = [
  { manufacturer: 'Dell Inc.', models: ['Latitude 5440', 'OptiPlex 7010', 'PowerEdge R650'] },
  { manufacturer: 'LENOVO', models: ['21HD003GUK', '11T8S0G200'] },
  { manufacturer: 'HP', models: ['HP EliteBook 840 G10', 'HP ProDesk 400 G9'] },
] as const;

export interface NinjaAccount {
  organizations: NinjaOrganization[];
  locations: NinjaLocation[];
  devices: NinjaDevice[];
  pending: NinjaOsPatch[];
  installs: NinjaOsPatchInstall[];
}

export class NinjaFleet implements NinjaAccount {
  readonly organizations: NinjaOrganization[] = [];
  readonly locations: NinjaLocation[] = [];
  devices: NinjaDevice[] = [];
  pending: NinjaOsPatch[] = [];
  installs: NinjaOsPatchInstall[] = [];
  private readonly random: SeededRandom;
  private readonly catalog: CatalogPatch[];
  /** Epoch seconds the fleet was built at: every time in it is relative to this. */
  private nowS: number;

  constructor(options: { devices?: number; seed?: number; now: Date }) {
    this.random = new SeededRandom(options.seed ?? 42);
    this.nowS = Math.floor(options.now.getTime() / 1000);
    this.catalog = CATALOG.map((patch) => ({ ...patch, id: this.random.guid() }));
    let locationId = 1;
    ORGANIZATIONS.forEach((org, index) => {
      const id = index + 1;
      this.organizations.push({ id, name: org.name });
      for (const name of org.locations) this.locations.push({ id: locationId++, name, organizationId: id });
    });
    const count = options.devices ?? 12;
    for (let i = 0; i < count; i++) this.addDevice(100 + i);
  }

  private addDevice(id: number): void {
    const r = this.random;
    const orgIndex = id % ORGANIZATIONS.length;
    const org = ORGANIZATIONS[orgIndex];
    const organizationId = orgIndex + 1;
    const location = r.pick(this.locations.filter((l) => l.organizationId === organizationId));
    const release = r.weighted<OsRelease>([[RELEASES[0], 5], [RELEASES[1], 3], [RELEASES[2], 2]]);
    const vendor = r.pick(MANUFACTURERS);
    const kind = release.nodeClass === 'WINDOWS_SERVER' ? 'SRV' : 'WS';
    const systemName = `${org.prefix}-${kind}-${String(id).padStart(4, '0')}`;
    const mac = Array.from({ length: 6 }, (_, i) => (i === 0 ? '00' : r.chars('0123456789ABCDEF', 2))).join(':');
    // A few devices have been silent for weeks, as a real fleet's laptops are.
    const silentDays = r.chance(0.15) ? r.between(35, 90) : 0;
    this.devices.push({
      id,
      organizationId,
      locationId: location.id,
      nodeClass: release.nodeClass,
      approvalStatus: 'APPROVED',
      offline: silentDays > 0,
      displayName: systemName,
      systemName,
      dnsName: `${systemName.toLowerCase()}.${org.domain}`,
      netbiosName: systemName,
      created: this.nowS - r.between(120, 900) * DAY_S + r.next(),
      lastContact: this.nowS - silentDays * DAY_S - r.between(60, 4 * HOUR_S) + r.next(),
      lastUpdate: this.nowS - r.between(60, HOUR_S) + r.next(),
      ipAddresses: [`10.${organizationId}.${location.id}.${(id % 250) + 2}`],
      macAddresses: [mac],
      os: { manufacturer: 'Microsoft Corporation', name: release.name, architecture: '64-bit', buildNumber: release.buildNumber, releaseId: release.releaseId, needsReboot: r.chance(0.1) },
      system: {
        name: systemName,
        manufacturer: vendor.manufacturer,
        model: r.pick(vendor.models),
        serialNumber: r.chars('ABCDEFGHJKLMNPQRSTUVWXYZ0123456789', 10),
        biosSerialNumber: r.chars('ABCDEFGHJKLMNPQRSTUVWXYZ0123456789', 10),
        domain: org.domain,
        virtualMachine: release.nodeClass === 'WINDOWS_SERVER' && r.chance(0.5),
      },
    });
    for (const patch of this.catalog) {
      if (patch.builds.length && !patch.builds.includes(release.buildNumber)) continue;
      this.addPatchRows(id, patch);
    }
  }

  private addPatchRows(deviceId: number, patch: CatalogPatch): void {
    const r = this.random;
    const row = { id: patch.id, deviceId, name: patch.name, kbNumber: patch.kbNumber, severity: patch.severity, type: patch.type };
    const scanned = this.nowS - r.between(HOUR_S, 2 * DAY_S) + r.next();
    const outcome = r.weighted<string>([['INSTALLED', 5], ['APPROVED', 2], ['PENDING', 1], ['FAILED', 1], ['REJECTED', 1]]);
    if (outcome === 'INSTALLED') {
      const installedAt = this.nowS - r.between(2, 40) * DAY_S + r.next();
      this.installs.push({ ...row, status: 'INSTALLED', installedAt, timestamp: installedAt });
      return;
    }
    if (outcome === 'FAILED') {
      // A failed install shows in both reports: the attempt, and the patch still waiting on the device.
      const attempted = scanned - r.between(HOUR_S, DAY_S);
      this.installs.push({ ...row, status: 'FAILED', installedAt: attempted, timestamp: attempted });
    }
    this.pending.push({ ...row, status: outcome, timestamp: scanned });
  }

  /** Time passing: a few devices check in again and install one waiting patch each. Returns their ids. */
  mutate(): string[] {
    this.nowS += HOUR_S;
    const changed: string[] = [];
    for (const device of this.devices.slice(0, 3)) {
      device.lastContact = this.nowS - this.random.between(10, 600) + this.random.next();
      device.offline = false;
      const waiting = this.pending.findIndex((p) => p.deviceId === device.id && p.status === 'APPROVED');
      if (waiting >= 0) {
        const [patch] = this.pending.splice(waiting, 1);
        this.installs.push({ ...patch, status: 'INSTALLED', installedAt: this.nowS - 300, timestamp: this.nowS - 300 });
      }
      changed.push(String(device.id));
    }
    return changed;
  }

  /** Removes the newest device, as deleting it in NinjaOne does, with its rows in both reports. */
  removeDevice(): string {
    const device = this.devices.pop();
    if (!device) throw new Error('the simulated NinjaOne account has no device left to remove');
    this.pending = this.pending.filter((p) => p.deviceId !== device.id);
    this.installs = this.installs.filter((p) => p.deviceId !== device.id);
    return String(device.id);
  }

  /** A device enrolled after a sync read the device list: it appears in the reports before the next device read. */
  enrollDevice(): string {
    const id = Math.max(99, ...this.devices.map((d) => d.id)) + 1;
    this.addDevice(id);
    return String(id);
  }
}
