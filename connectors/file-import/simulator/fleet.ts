/**
 * A seeded, deterministic fleet in the inventory wire format (JSON values, ISO dates), with the change history a
 * real source has: every record carries modifiedAt from the fleet's own logical clock, and `mutate` moves that
 * clock on, so incremental reads have something to find.
 */
import type { PatchStateValue } from '../../sdk/contract';
import { CATALOG, CatalogEntry, RELEASES, WindowsRelease } from './catalog';

export interface DeviceRow {
  externalId: string;
  hostname: string;
  fqdn: string | null;
  serialNumber: string | null;
  azureAdDeviceId: string | null;
  smbiosUuid: string | null;
  macAddresses: string[];
  osName: string;
  osVersion: string;
  osBuild: string;
  lastCheckInAt: string;
  vendorSite: string;
  modifiedAt: string;
}

export interface UpdateRow {
  key: string;
  kb: string;
  title: string;
  vendor: string;
  products: string[];
  classification: string;
  severity: string;
  releasedAt: string;
  supersedes: string[];
  modifiedAt: string;
}

export interface PatchStateRow {
  deviceExternalId: string;
  updateKey: string;
  state: PatchStateValue;
  evidence: 'REPORTED';
  reportedAt: string | null;
  installedAt: string | null;
  modifiedAt: string;
}

export interface FleetOptions {
  /** Number of devices; default 40. */
  devices?: number;
  /** Same seed, same fleet; default 1. */
  seed?: number;
  /** The fleet's "now": check-ins are in the days before it. Default 2026-02-20T09:00:00Z. */
  now?: Date;
}

export const DEFAULT_FLEET_NOW = new Date('2026-02-20T09:00:00.000Z');

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Site {
  name: string;
  prefix: string;
  /** Null for staff working from home: their machines are Entra-joined, not in a domain. */
  domain: string | null;
}

const SITES: readonly Site[] = [
  { name: 'Northwind HQ', prefix: 'NW', domain: 'northwind.local' },
  { name: 'Northwind Leeds', prefix: 'NWL', domain: 'northwind.local' },
  { name: 'Fabrikam Dental - Harrogate', prefix: 'FD', domain: 'fabrikamdental.local' },
  { name: 'Remote staff', prefix: 'NWR', domain: null },
];

interface Maker {
  oui: string;
  serial: (r: Random) => string;
}

const ALNUM = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const MAKERS: readonly Maker[] = [
  { oui: 'D4:81:D7', serial: (r) => r.chars(ALNUM, 7) }, // Dell service tag
  { oui: '8C:16:45', serial: (r) => `PF${r.chars(ALNUM, 6)}` }, // Lenovo
  { oui: '3C:52:82', serial: (r) => `5CG${r.chars('0123456789', 4)}${r.chars(ALNUM, 3)}` }, // HP
];
const VMWARE_OUI = '00:50:56';
const INTEL_WIFI_OUI = '3C:6A:A7';
/** A white-box PC: the board vendor never filled in the serial or the UUID. Identity resolution must ignore both. */
const WHITE_BOX = { oui: 'BC:5F:F4', serial: 'To Be Filled By O.E.M.', uuid: '03000200-0400-0500-0006-000700080009' };

/** mulberry32: small, seedable, and the same on every machine. */
class Random {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chars(alphabet: string, n: number): string {
    return Array.from({ length: n }, () => alphabet[this.int(alphabet.length)]).join('');
  }
  hex(n: number): string {
    return this.chars('0123456789abcdef', n);
  }
  guid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${'89ab'[this.int(4)]}${this.hex(3)}-${this.hex(12)}`;
  }
  mac(oui: string): string {
    return `${oui}:${this.hex(2)}:${this.hex(2)}:${this.hex(2)}`.toUpperCase();
  }
}

/** What the fleet knows about a device beyond its row: which release it runs and how far it is patched. */
interface DeviceState {
  release: WindowsRelease;
  /** Index into release.builds: how many of the release's cumulative updates are installed. */
  level: number;
}

/** The first devices get one each of the states a pending update can be in, so every fleet shows all of them. */
const PENDING_STATES: readonly PatchStateValue[] = ['MISSING', 'PENDING_REBOOT', 'FAILED', 'UNKNOWN'];

export class SimulatedFleet {
  devices: DeviceRow[] = [];
  readonly updates: UpdateRow[];
  patchStates: PatchStateRow[] = [];
  private readonly meta = new Map<string, DeviceState>();
  private readonly random: Random;
  /** The logical clock: every change is stamped with it, and it only moves forward. */
  private clockMs: number;

  constructor(options: FleetOptions = {}) {
    const count = options.devices ?? 40;
    this.random = new Random(options.seed ?? 1);
    this.clockMs = (options.now ?? DEFAULT_FLEET_NOW).getTime();
    this.updates = CATALOG.map((entry) => this.updateRow(entry));
    for (let i = 0; i < count; i++) this.addDevice(i);
  }

  /** The newest modifiedAt of any record: the fleet's current high-water mark. */
  get now(): Date {
    return new Date(this.clockMs);
  }

  /** Some devices check in, one cumulative update further along; their states change with them. */
  mutate(): string[] {
    if (this.devices.length === 0) return [];
    this.clockMs += HOUR;
    const stamp = this.iso(this.clockMs);
    const n = Math.max(1, Math.round(this.devices.length / 10));
    const picked = new Set<DeviceRow>();
    while (picked.size < Math.min(n, this.devices.length)) picked.add(this.devices[this.random.int(this.devices.length)]);
    for (const device of picked) {
      const state = this.meta.get(device.externalId)!;
      state.level = Math.min(state.level + 1, state.release.builds.length - 1);
      Object.assign(device, { osBuild: state.release.builds[state.level], lastCheckInAt: stamp, modifiedAt: stamp });
      for (const row of this.patchStates.filter((s) => s.deviceExternalId === device.externalId)) {
        const m = state.release.updates.indexOf(kbOf(row.updateKey));
        if (m >= 0 && m < state.level && row.state !== 'INSTALLED') {
          Object.assign(row, { state: 'INSTALLED', installedAt: stamp, reportedAt: stamp, modifiedAt: stamp });
        }
      }
    }
    return [...picked].map((d) => d.externalId).sort();
  }

  /** Removes the newest device and its states; returns its external id. */
  removeDevice(): string {
    const device = this.devices.pop();
    if (!device) throw new Error('the simulated fleet has no devices left to remove');
    this.meta.delete(device.externalId);
    this.patchStates = this.patchStates.filter((s) => s.deviceExternalId !== device.externalId);
    return device.externalId;
  }

  private addDevice(i: number): void {
    const r = this.random;
    const site = SITES[i % SITES.length];
    const server = i % 10 === 0 && site.domain !== null;
    const whiteBox = i === 6;
    const virtual = server && r.next() < 0.5;
    const release = server ? RELEASES[3] : RELEASES[pickWeighted(r, [0.4, 0.35, 0.25])];
    const level = i < PENDING_STATES.length ? i % 3 : pickWeighted(r, [0.1, 0.2, 0.3, 0.4]);
    const hostname = `${site.prefix}-${server ? 'SRV' : i % 3 === 0 ? 'DT' : 'LT'}-${String(i + 1).padStart(3, '0')}`;
    const maker = MAKERS[r.int(MAKERS.length)];
    const oui = whiteBox ? WHITE_BOX.oui : virtual ? VMWARE_OUI : maker.oui;
    const macs = [r.mac(oui)];
    if (!server && !whiteBox && hostname.includes('-LT-')) macs.push(r.mac(INTEL_WIFI_OUI));
    const stale = i % 17 === 16;
    const lastCheckIn = this.clockMs - (stale ? 20 * DAY + r.int(20 * DAY) : r.int(72 * HOUR));
    const externalId = `dev-${String(i + 1).padStart(4, '0')}`;
    const device: DeviceRow = {
      externalId,
      hostname,
      fqdn: site.domain ? `${hostname.toLowerCase()}.${site.domain}` : null,
      serialNumber: whiteBox ? WHITE_BOX.serial : virtual ? vmwareSerial(r) : maker.serial(r),
      azureAdDeviceId: server ? null : r.guid(),
      smbiosUuid: whiteBox ? WHITE_BOX.uuid : r.guid().toUpperCase(),
      macAddresses: macs,
      osName: release.osName,
      osVersion: release.osVersion,
      osBuild: release.builds[level],
      lastCheckInAt: this.iso(lastCheckIn),
      vendorSite: site.name,
      modifiedAt: this.iso(lastCheckIn),
    };
    this.devices.push(device);
    this.meta.set(externalId, { release, level });
    const pending = i < PENDING_STATES.length ? PENDING_STATES[i] : PENDING_STATES[pickWeighted(r, [0.4, 0.2, 0.2, 0.2])];
    for (const entry of CATALOG) this.patchStates.push(this.stateRow(device, release, level, entry, pending, lastCheckIn));
  }

  private stateRow(device: DeviceRow, release: WindowsRelease, level: number, entry: CatalogEntry, pending: PatchStateValue, lastCheckIn: number): PatchStateRow {
    const r = this.random;
    const released = Date.parse(entry.releasedAt);
    const m = release.updates.indexOf(entry.kb);
    let state: PatchStateValue;
    if (!entry.products.includes(release.product)) state = 'NOT_APPLICABLE';
    else if (m < 0) state = r.next() < 0.85 ? 'INSTALLED' : 'MISSING';
    else state = m < level ? 'INSTALLED' : m === level ? pending : 'MISSING';
    const installed = state === 'INSTALLED' ? Math.min(released + DAY + r.int(9 * DAY), lastCheckIn) : null;
    const reported = state === 'UNKNOWN' ? null : state === 'INSTALLED' ? installed! : Math.min(released + 6 * HOUR + r.int(2 * DAY), lastCheckIn);
    return {
      deviceExternalId: device.externalId,
      updateKey: `microsoft:${entry.kb}`,
      state,
      evidence: 'REPORTED',
      reportedAt: reported === null ? null : this.iso(reported),
      installedAt: installed === null ? null : this.iso(installed),
      modifiedAt: this.iso(reported ?? lastCheckIn),
    };
  }

  private updateRow(entry: CatalogEntry): UpdateRow {
    return {
      key: `microsoft:${entry.kb}`,
      kb: entry.kb,
      title: entry.title,
      vendor: 'Microsoft',
      products: entry.products,
      classification: entry.classification,
      severity: entry.severity,
      releasedAt: entry.releasedAt,
      supersedes: entry.supersedes,
      modifiedAt: this.iso(Date.parse(entry.releasedAt) + HOUR),
    };
  }

  /** Never later than the clock: a fleet whose "now" is before a release must not carry changes from the future. */
  private iso(ms: number): string {
    return new Date(Math.min(ms, this.clockMs)).toISOString();
  }
}

function pickWeighted(r: Random, weights: number[]): number {
  let x = r.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i];
    if (x < 0) return i;
  }
  return weights.length - 1;
}

/** VMware's BIOS serial: "VMware-" and the VM's UUID as 16 hex bytes, split in two halves. */
function vmwareSerial(r: Random): string {
  const bytes = ['42', ...Array.from({ length: 15 }, () => r.hex(2))];
  return `VMware-${bytes.slice(0, 8).join(' ')}-${bytes.slice(8).join(' ')}`;
}

function kbOf(updateKey: string): string {
  return updateKey.slice(updateKey.indexOf(':') + 1);
}
