/**
 * The simulated account's sites and devices over time: seeded once (seed-fleet.ts) or given exactly, then moved on
 * by `mutate`, `removeDevice` and `addSite` the way time passing would. The same seed and calls always give the same
 * account.
 */
import { accountView, DattoAccount } from './account';
import type { DattoDeviceAudit } from './audit';
import { dattoDate, dateMs, DattoDevice, writesIsoDates } from './device';
import { linkLocal, mac, USB_DOCK } from './hardware';
import { SeededRandom } from '../../sdk/testkit/seeded-random';
import { nextPatchState } from './patch-state';
import { SeededDevice, Seeder } from './seed-fleet';
import { DattoSite, DELETED_DEVICES_SITE } from './site';

export interface FleetOptions {
  /** Live (not deleted) devices to seed; a few already-deleted ones come on top. */
  devices: number;
  seed: number;
  /** The fleet's "now": check-ins, audits and creation dates lie before it. */
  now: Date;
  siteNames: readonly string[];
  /** Exact sites and devices instead of seeded ones. */
  fleet?: { sites: DattoSite[]; devices: Array<{ device: DattoDevice; audit: DattoDeviceAudit | null }> };
}

const MINUTE = 60_000;

export class SimulatedDattoFleet {
  readonly accountId: number;
  readonly accountUid: string;
  readonly devices: DattoDevice[] = [];
  private readonly siteList: DattoSite[] = [];
  private readonly audits = new Map<string, DattoDeviceAudit>();
  private readonly random: SeededRandom;
  private readonly seeder: Seeder;
  private readonly deletedSite: DattoSite;

  constructor(options: FleetOptions) {
    this.random = new SeededRandom(options.seed);
    this.seeder = new Seeder(this.random, options.now.getTime());
    if (options.fleet) {
      this.siteList.push(...structuredClone(options.fleet.sites));
      this.accountUid = this.siteList[0]?.accountUid ?? this.seeder.accountUid;
      // Copies, so moving the account on never changes the caller's objects.
      for (const given of options.fleet.devices) this.add(structuredClone(given));
    } else {
      this.accountUid = this.seeder.accountUid;
      this.siteList.push(this.seeder.deletedDevicesSite());
      const clients = options.siteNames.map((name) => this.seeder.clientSite(name));
      this.siteList.push(...clients);
      for (let i = 0; i < options.devices && clients.length > 0; i++) this.add(this.seeder.device(clients[this.siteFor(i, clients.length)]));
      // Machines retired before the simulated present: about one in twenty. None in a small fleet, so the account
      // lists exactly `devices` devices there and a test's page arithmetic holds.
      const retired = options.devices >= 30 ? Math.floor(options.devices / 20) : 0;
      for (let k = 0; k < retired; k++) this.add(this.seeder.retiredDevice(clients[k % clients.length], this.siteList[0]));
    }
    this.accountId = this.seeder.accountId;
    this.deletedSite = this.siteList.find((s) => s.name === DELETED_DEVICES_SITE) ?? this.addDeletedDevicesSite();
    const unknown = this.devices.find((d) => !this.siteList.some((s) => s.uid === d.siteUid));
    if (unknown) throw new Error(`device ${unknown.hostname} names site ${unknown.siteUid}, which the fleet does not have`);
  }

  /** The sites as the API shows them now, their device counts included. */
  get sites(): DattoSite[] {
    return this.siteList.map((site) => {
      const held = this.devices.filter((d) => d.siteUid === site.uid);
      const online = held.filter((d) => d.online).length;
      return { ...site, devicesStatus: { numberOfDevices: held.length, numberOfOnlineDevices: online, numberOfOfflineDevices: held.length - online } };
    });
  }

  get account(): DattoAccount {
    return accountView(this.accountId, this.accountUid, this.devices);
  }

  device(uid: string): DattoDevice | undefined {
    return this.devices.find((d) => d.uid.toLowerCase() === uid.toLowerCase());
  }

  audit(uid: string): DattoDeviceAudit | null {
    return this.audits.get(uid) ?? null;
  }

  /**
   * Three live Windows devices check in later than any device has so far, with a new patch state (the pending
   * patches installed, or a new month's approved), a fresh audit, and on one of them a USB-C dock's NIC. Returns
   * their uids.
   */
  mutate(): string[] {
    const r = this.random;
    const candidates = this.devices.filter((d) => !d.deleted && d.deviceClass === 'device' && d.operatingSystem?.startsWith('Microsoft Windows'));
    const picked: DattoDevice[] = [];
    while (picked.length < Math.min(3, candidates.length)) {
      const d = r.pick(candidates);
      if (!picked.includes(d)) picked.push(d);
    }
    let seen = Math.max(...this.devices.map((d) => dateMs(d.lastSeen) ?? 0));
    let docked = false;
    for (const d of picked) {
      seen += r.between(1, 3) * MINUTE + r.int(MINUTE);
      const iso = writesIsoDates(d);
      const wasAwaitingReboot = d.patchManagement.patchStatus === 'RebootRequired';
      d.patchManagement = nextPatchState(r, d.patchManagement);
      if (wasAwaitingReboot) {
        d.rebootRequired = false;
        d.lastReboot = dattoDate(seen - r.between(5, 30) * MINUTE, iso);
      }
      d.online = true;
      d.lastSeen = dattoDate(seen, iso);
      // After every earlier check-in, so an audit newer than the last read is a change.
      d.lastAuditDate = dattoDate(seen - r.between(5, 50) * 1000, iso);
      const audit = this.audits.get(d.uid);
      if (audit && !docked) {
        this.dock(d, audit);
        docked = true;
      }
    }
    return picked.map((d) => d.uid).sort();
  }

  /**
   * Deletes one live device the way Datto does: it moves to the "Deleted Devices" site, flagged deleted. `uid` picks
   * the device; otherwise a live computer is drawn.
   */
  removeDevice(uid?: string): string {
    const candidates = this.devices.filter((d) => !d.deleted && (uid ? d.uid === uid : d.deviceClass === 'device'));
    if (candidates.length === 0) throw new Error(uid ? `the simulated Datto account has no live device ${uid}` : 'the simulated Datto account has no live device left to delete');
    const victim = uid ? candidates[0] : this.random.pick(candidates);
    Object.assign(victim, { deleted: true, siteId: this.deletedSite.id, siteUid: this.deletedSite.uid, siteName: this.deletedSite.name });
    return victim.uid;
  }

  /** A new client site with `devices` seeded devices (the MSP signed a new client). */
  addSite(name: string, devices: number): DattoSite {
    if (this.siteList.some((s) => s.name.toLowerCase() === name.toLowerCase())) throw new Error(`the account already has a site named ${name}`);
    const site = this.seeder.clientSite(name);
    this.siteList.push(site);
    for (let i = 0; i < devices; i++) this.add(this.seeder.device(site));
    return this.sites.find((s) => s.uid === site.uid)!;
  }

  private add({ device, audit }: SeededDevice): void {
    this.devices.push(device);
    if (audit) this.audits.set(device.uid, audit);
  }

  /** Each site gets a device first, then bigger clients (earlier sites) more of them. */
  private siteFor(i: number, sites: number): number {
    if (i < sites) return i;
    return this.random.weighted(Array.from({ length: sites }, (_, k) => [k, sites - k] as const));
  }

  private addDeletedDevicesSite(): DattoSite {
    const site = { ...this.seeder.deletedDevicesSite(), accountUid: this.accountUid };
    this.siteList.unshift(site);
    return site;
  }

  /** The laptop is plugged into a dock: a new wired NIC with a new MAC, which now holds its address. */
  private dock(device: DattoDevice, audit: DattoDeviceAudit): void {
    const r = this.random;
    const subnet = (device.intIpAddress ?? '10.0.0.1').split('.').slice(0, 3).join('.');
    const ip = `${subnet}.${r.between(100, 250)}`;
    audit.nics = [...audit.nics, { instance: USB_DOCK.instance, ipv4: ip, ipv6: linkLocal(r), macAddress: mac(r, USB_DOCK.oui), type: 'Ethernet' }];
    device.intIpAddress = ip;
  }
}
