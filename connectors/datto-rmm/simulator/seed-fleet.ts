/**
 * A seeded MSP account: client sites of Windows 10/11 desktops and laptops, a few servers (some of them Hyper-V
 * guests), a Mac or two, an ESXi host, and a printer and a firewall found by network discovery; some devices offline
 * for days, some for weeks, a few already deleted. Every patch status occurs, each with counts that agree with it.
 * The special devices sit at fixed places in the order, so a small fleet is plain Windows and a seed's mix does not
 * depend on the fleet's size.
 */
import type { DattoDeviceAudit } from './audit';
import {
  AntivirusStatus, buildDattoDevice, dattoDate, DattoDevice, DattoUdf, emptyUdf, PatchManagement, PatchStatus,
} from './device';
import { Hardware, HYPER_V_VM, PHYSICAL_SERVERS, WHITE_BOX, WORKSTATIONS } from './hardware';
import { patchCounts } from './patch-state';
import type { SeededRandom } from '../../sdk/testkit/seeded-random';
import { macAudit, windowsAudit } from './seed-audit';
import { buildDattoSite, DattoSite, DELETED_DEVICES_SITE, sitePrefix } from './site';

export interface SeededDevice {
  device: DattoDevice;
  /** Null for what has no device audit (ESXi hosts, printers, network devices). */
  audit: DattoDeviceAudit | null;
}

type Kind = 'workstation' | 'server' | 'mac' | 'esxi' | 'printer' | 'firewall';
/** Online now; offline for days (a laptop at home); offline for weeks (a machine nobody has switched on). */
type Presence = 'online' | 'away' | 'gone';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Datto's agent version now, and the one a machine offline for weeks still runs. */
const AGENT = '4.4.2315.2315';
const OLD_AGENT = '4.4.2274.2274';

/** The first Windows devices take these in turn, so every status occurs in any fleet of six or more. */
const PATCH_PLAN: readonly PatchStatus[] = ['FullyPatched', 'ApprovedPending', 'RebootRequired', 'InstallError', 'NoPolicy', 'NoData'];

interface WindowsRelease {
  name: string;
  displayVersion: string;
  build: number;
  dotNet: string;
}
const WINDOWS_CLIENT: ReadonlyArray<readonly [WindowsRelease, number]> = [
  [{ name: 'Windows 11', displayVersion: '23H2', build: 22631, dotNet: '4.8.1' }, 30],
  [{ name: 'Windows 11', displayVersion: '24H2', build: 26100, dotNet: '4.8.1' }, 30],
  [{ name: 'Windows 10', displayVersion: '22H2', build: 19045, dotNet: '4.8' }, 25],
  [{ name: 'Windows 11', displayVersion: '22H2', build: 22621, dotNet: '4.8.1' }, 15],
];
const WINDOWS_SERVER: ReadonlyArray<readonly [WindowsRelease, number]> = [
  [{ name: 'Windows Server 2022', displayVersion: '21H2', build: 20348, dotNet: '4.8' }, 60],
  [{ name: 'Windows Server 2019', displayVersion: '1809', build: 17763, dotNet: '4.7.2' }, 40],
];

const ANTIVIRUS = ['Microsoft Defender Antivirus', 'Sophos Intercept X', 'Microsoft Defender Antivirus', 'SentinelOne Agent'];
const SERVER_ROLES: ReadonlyArray<readonly [string, string]> = [
  ['DC01', 'Domain controller'], ['FS01', 'File and print server'], ['HV01', 'Hyper-V host'], ['APP01', 'Line-of-business application server'],
  ['SQL01', 'SQL Server'], ['DC02', 'Domain controller'],
];
const DESK_ROLES = ['FRONTDESK', 'RECEPTION', 'BOARDROOM', 'TRAINING', 'STOCKROOM'];
const FIRST_NAMES = ['Jane', 'Amir', 'Olivia', 'Kenji', 'Priya', 'Tom', 'Sofia', 'Liam', 'Chloe', 'Mateo', 'Grace', 'Noah', 'Aisha', 'Ben', 'Freya', 'Dmitri', 'Hannah', 'Lucas', 'Mei', 'Owen'];
const LAST_NAMES = ['Doe', 'Khan', 'Smith', 'Tanaka', 'Patel', 'Wright', 'Garcia', 'Murphy', 'Brown', 'Rossi', 'Evans', 'Novak', 'Okafor', 'Hughes', 'Larsen', 'Ivanov', 'Clarke', 'Silva', 'Chen', 'Price'];

/** The i-th live device's kind. */
function kindAt(i: number): Kind {
  if (i === 7) return 'esxi';
  if (i === 13) return 'printer';
  if (i === 29) return 'firewall';
  if (i === 11 || i === 41) return 'mac';
  return i % 12 === 4 ? 'server' : 'workstation';
}

function presenceAt(i: number, kind: Kind): Presence {
  if (kind !== 'workstation' && kind !== 'mac') return 'online';
  return i % 13 === 8 ? 'gone' : i % 9 === 5 ? 'away' : 'online';
}

/** One device in eight writes its dates as ISO strings, as some platforms do. */
const isoAt = (i: number): boolean => i % 8 === 3;

/** What the seeder keeps per client site: its naming, network and tools. */
interface SiteContext {
  site: DattoSite;
  prefix: string;
  /** First two octets of the site's private range, "10.30". */
  net: string;
  extIp: string;
  antivirus: string;
  counters: Map<string, number>;
}

interface Person {
  first: string;
  alias: string;
}

interface Times {
  seen: number;
  audit: number;
  reboot: number;
  created: number;
}

/** Draws sites and devices from one random stream, in order: the same seed and calls give the same account. */
export class Seeder {
  readonly accountId: number;
  readonly accountUid: string;
  private live = 0;
  private windows = 0;
  private workstations = 0;
  private nextSiteId: number;
  private nextDeviceId: number;
  private readonly contexts = new Map<string, SiteContext>();
  private readonly hostnames = new Set<string>();

  constructor(
    private readonly r: SeededRandom,
    private readonly nowMs: number,
  ) {
    this.accountId = r.between(1200, 9800);
    this.accountUid = r.guid();
    this.nextSiteId = r.between(81_000, 89_000);
    this.nextDeviceId = r.between(5_400_000, 5_600_000);
  }

  /** Datto's own site for deleted devices; every account has it, created with the account. */
  deletedDevicesSite(): DattoSite {
    return buildDattoSite({ id: this.siteId(), uid: this.r.guid(), accountUid: this.accountUid, name: DELETED_DEVICES_SITE });
  }

  /** A client site; its devices come from `device`. */
  clientSite(name: string): DattoSite {
    const r = this.r;
    const k = this.contexts.size;
    const linked = k % 4 !== 3;
    const site = buildDattoSite({
      id: this.siteId(),
      uid: r.guid(),
      accountUid: this.accountUid,
      name,
      onDemand: false,
      splashtopAutoInstall: k % 3 !== 2,
      autotaskCompanyName: linked ? name : null,
      autotaskCompanyId: linked ? String(r.between(29_000_000, 29_999_999)) : null,
    });
    const prefix = sitePrefix(name, new Set([...this.contexts.values()].map((c) => c.prefix)));
    this.contexts.set(site.uid, {
      site,
      prefix,
      net: `10.${(20 + 10 * k) % 250}`,
      extIp: `203.0.113.${10 + ((17 * k) % 240)}`,
      antivirus: ANTIVIRUS[k % ANTIVIRUS.length],
      counters: new Map(),
    });
    return site;
  }

  /** The next live device, in `site` (a site this seeder made). */
  device(site: DattoSite): SeededDevice {
    const i = this.live++;
    const kind = kindAt(i);
    const ctx = this.context(site);
    const presence = presenceAt(i, kind);
    const iso = isoAt(i);
    switch (kind) {
      case 'workstation':
      case 'server':
        return this.windowsDevice(ctx, kind, presence, iso, false);
      case 'mac':
        return this.macDevice(ctx, presence, iso);
      default:
        return { device: this.discovered(ctx, kind, iso), audit: null };
    }
  }

  /** A workstation retired long ago and deleted: it sits in `deletedSite`, named as `formerSite` named it. */
  retiredDevice(formerSite: DattoSite, deletedSite: DattoSite): SeededDevice {
    const seeded = this.windowsDevice(this.context(formerSite), 'workstation', 'gone', false, true);
    Object.assign(seeded.device, { siteId: deletedSite.id, siteUid: deletedSite.uid, siteName: deletedSite.name, deleted: true });
    return seeded;
  }

  private context(site: DattoSite): SiteContext {
    const ctx = this.contexts.get(site.uid);
    if (!ctx) throw new Error(`the seeder did not make site ${site.name}`);
    return ctx;
  }

  private siteId(): number {
    const id = this.nextSiteId;
    this.nextSiteId += this.r.between(1, 700);
    return id;
  }

  private deviceId(): number {
    const id = this.nextDeviceId;
    this.nextDeviceId += this.r.between(1, 4000);
    return id;
  }

  private next(ctx: SiteContext, counter: string, gap = 1): number {
    const n = (ctx.counters.get(counter) ?? 0) + this.r.between(1, gap);
    ctx.counters.set(counter, n);
    return n;
  }

  private unique(hostname: string): string {
    let name = hostname;
    for (let n = 2; this.hostnames.has(name); n++) name = `${hostname}-${n}`;
    this.hostnames.add(name);
    return name;
  }

  private person(): Person {
    const first = this.r.pick(FIRST_NAMES);
    const last = this.r.pick(LAST_NAMES);
    return { first, alias: `${first[0]}${last}`.toLowerCase() };
  }

  /** Offsets carry a random part of an hour, so no whole-day threshold lands exactly on a device. */
  private times(presence: Presence, kind: Kind, retired: boolean): Times {
    const r = this.r;
    const jitter = () => r.int(HOUR);
    const seen = retired ? this.nowMs - r.between(60, 200) * DAY - jitter()
      : presence === 'online' ? this.nowMs - r.between(5 * SECOND, 20 * MINUTE)
      : presence === 'away' ? this.nowMs - r.between(1, 6) * DAY - jitter()
      : this.nowMs - r.between(15, 60) * DAY - jitter();
    // The agent audits about daily, so the last audit is a little before the last check-in.
    const audit = seen - r.between(2 * MINUTE, 22 * HOUR);
    const uptime = kind === 'server' || kind === 'esxi' ? r.between(3, 35) * DAY : r.between(1, 14) * DAY;
    const reboot = audit - uptime - jitter();
    return { seen, audit, reboot, created: reboot - r.between(60, 1400) * DAY - jitter() };
  }

  private windowsDevice(ctx: SiteContext, kind: 'workstation' | 'server', presence: Presence, iso: boolean, retired: boolean): SeededDevice {
    const r = this.r;
    const server = kind === 'server';
    const release = r.weighted(server ? WINDOWS_SERVER : WINDOWS_CLIENT);
    const ws = server ? -1 : this.workstations++;
    const workgroup = ws % 10 === 7;
    let hostname: string;
    let description: string | null = null;
    let hw: Hardware;
    let edition: string;
    let account: string;
    if (server) {
      const n = this.next(ctx, 'server') - 1;
      const [role, what] = SERVER_ROLES[n] ?? [`SRV${String(n + 1).padStart(2, '0')}`, null];
      hostname = this.unique(`${ctx.prefix}-${role}`);
      description = what;
      hw = role === 'HV01' || r.chance(0.4) ? r.pick(PHYSICAL_SERVERS) : HYPER_V_VM;
      edition = role === 'HV01' ? 'Datacenter' : 'Standard';
      account = 'administrator';
    } else {
      hw = ws === 5 ? WHITE_BOX : r.pick(WORKSTATIONS);
      const role = hw.form === 'Desktop' && r.chance(0.3) ? r.pick(DESK_ROLES) : null;
      hostname = this.unique(role
        ? `${ctx.prefix}-${role}-${String(this.next(ctx, role)).padStart(2, '0')}`
        : `${ctx.prefix}-${hw.form === 'Laptop' ? 'LT' : 'DT'}-${String(this.next(ctx, hw.form, 3)).padStart(3, '0')}`);
      edition = r.chance(0.85) ? 'Pro' : 'Enterprise';
      account = this.person().alias;
    }
    // A machine outside the domain logs users on against itself.
    const domain = workgroup ? 'WORKGROUP' : ctx.prefix;
    const user = `${workgroup ? hostname : ctx.prefix}\\${account}`;

    const t = this.times(presence, kind, retired);
    const w = retired ? -1 : this.windows++;
    const patch = this.windowsPatch(presence, w);
    const device = buildDattoDevice({
      id: this.deviceId(),
      uid: r.guid(),
      siteId: ctx.site.id,
      siteUid: ctx.site.uid,
      siteName: ctx.site.name,
      deviceType: server ? { category: 'Server', type: hw.form === 'VM' ? 'Virtual Machine' : 'Server' } : { category: hw.form, type: hw.form },
      hostname,
      intIpAddress: presence === 'away' ? `192.168.${r.pick([0, 1, 68])}.${r.between(2, 250)}` : this.lanAddress(ctx, server),
      operatingSystem: `Microsoft ${release.name} ${edition} ${release.displayVersion} ${release.build}`,
      lastLoggedInUser: user,
      domain,
      cagVersion: presence === 'gone' ? OLD_AGENT : AGENT,
      displayVersion: release.displayVersion,
      extIpAddress: presence === 'away' ? `198.51.100.${r.between(2, 250)}` : ctx.extIp,
      description,
      a64Bit: true,
      rebootRequired: patch.patchStatus === 'RebootRequired' || (patch.patchStatus !== 'NoData' && r.chance(0.06)),
      online: presence === 'online',
      ...this.dates(t, iso),
      udf: this.udf(),
      warrantyDate: hw.warranty ? new Date(t.created + (3 * 365 + r.between(-20, 20)) * DAY).toISOString().slice(0, 10) : null,
      antivirus: { antivirusProduct: ctx.antivirus, antivirusStatus: this.antivirusStatus(presence, w) },
      patchManagement: patch,
      softwareStatus: r.chance(0.85) ? 'Compliant' : 'Not Compliant',
    });
    // Developers' machines (one workstation in six) run WSL.
    const biosDate = dattoDate(t.created - r.between(30, 500) * DAY, iso);
    return { device, audit: windowsAudit(r, device, hw, release.dotNet, biosDate, ws % 6 === 2) };
  }

  private macDevice(ctx: SiteContext, presence: Presence, iso: boolean): SeededDevice {
    const r = this.r;
    const person = this.person();
    const t = this.times(presence, 'mac', false);
    const uid = r.guid();
    const device = buildDattoDevice({
      id: this.deviceId(),
      uid,
      siteId: ctx.site.id,
      siteUid: ctx.site.uid,
      siteName: ctx.site.name,
      deviceType: { category: 'Laptop', type: 'Laptop' },
      hostname: this.unique(`${person.first}s-MacBook-Air`),
      intIpAddress: presence === 'away' ? `192.168.1.${r.between(2, 250)}` : this.lanAddress(ctx, false),
      operatingSystem: 'macOS Sonoma 14.6.1',
      lastLoggedInUser: person.alias,
      cagVersion: AGENT,
      extIpAddress: presence === 'away' ? `198.51.100.${r.between(2, 250)}` : ctx.extIp,
      online: presence === 'online',
      ...this.dates(t, iso),
      // Datto patch management covers Windows only.
      patchManagement: { patchStatus: 'NoPolicy', patchesApprovedPending: 0, patchesNotApproved: 0, patchesInstalled: 0 },
      softwareStatus: 'Compliant',
    });
    return { device, audit: macAudit(r, device) };
  }

  /** Found by a network node's scan: no agent, no patching, no device audit. */
  private discovered(ctx: SiteContext, kind: 'esxi' | 'printer' | 'firewall', iso: boolean): DattoDevice {
    const r = this.r;
    const t = this.times('online', kind, false);
    const dates = this.dates(t, iso);
    const common = { id: this.deviceId(), uid: r.guid(), siteId: ctx.site.id, siteUid: ctx.site.uid, siteName: ctx.site.name, extIpAddress: ctx.extIp };
    const none: PatchManagement = { patchStatus: null, patchesApprovedPending: null, patchesNotApproved: null, patchesInstalled: null };
    const shared = { patchManagement: none, lastSeen: dates.lastSeen, creationDate: dates.creationDate, softwareStatus: null };
    switch (kind) {
      case 'esxi':
        return buildDattoDevice({
          ...common, ...shared,
          deviceType: { category: 'ESXi Host', type: 'ESXi Host' },
          hostname: this.unique(`${ctx.prefix}-ESX01`),
          intIpAddress: `${ctx.net}.0.5`,
          operatingSystem: 'VMware ESXi 8.0.2 build-22380479',
          lastReboot: dates.lastReboot,
          lastAuditDate: dates.lastAuditDate,
          deviceClass: 'esxihost',
        });
      case 'printer':
        return buildDattoDevice({
          ...common, ...shared,
          deviceType: { category: 'Printer', type: 'Printer' },
          hostname: this.unique(`${ctx.prefix}-MFP-01`),
          intIpAddress: `${ctx.net}.2.${10 + r.int(40)}`,
          description: 'HP Color LaserJet Pro MFP 4301fdw',
          a64Bit: null,
          rebootRequired: null,
          lastAuditDate: dates.lastAuditDate,
          snmpEnabled: true,
          deviceClass: 'printer',
          webRemoteUrl: null,
        });
      case 'firewall':
        return buildDattoDevice({
          ...common, ...shared,
          deviceType: { category: 'Network Device', type: 'Firewall' },
          hostname: this.unique(`${ctx.prefix}-FW-01`),
          intIpAddress: `${ctx.net}.0.1`,
          description: 'FortiGate 60F',
          a64Bit: null,
          rebootRequired: null,
          snmpEnabled: true,
          deviceClass: 'rmmnetworkdevice',
          webRemoteUrl: null,
          onboardedViaNetworkMonitor: true,
        });
    }
  }

  private dates(t: Times, iso: boolean): Pick<DattoDevice, 'lastSeen' | 'lastReboot' | 'lastAuditDate' | 'creationDate'> {
    return { lastSeen: dattoDate(t.seen, iso), lastReboot: dattoDate(t.reboot, iso), lastAuditDate: dattoDate(t.audit, iso), creationDate: dattoDate(t.created, iso) };
  }

  private lanAddress(ctx: SiteContext, server: boolean): string {
    if (server) return `${ctx.net}.0.${10 + this.next(ctx, 'server-ip')}`;
    const n = this.next(ctx, 'ip', 4);
    return `${ctx.net}.${1 + Math.floor(n / 200)}.${20 + (n % 200)}`;
  }

  /** `w`: the device's place among live Windows devices, or -1 for a retired one. */
  private windowsPatch(presence: Presence, w: number): PatchManagement {
    const r = this.r;
    const status: PatchStatus = w >= 0 && w < PATCH_PLAN.length ? PATCH_PLAN[w]
      : presence === 'gone' ? r.weighted([['ApprovedPending', 60], ['InstallError', 20], ['NoData', 20]] as const)
      : r.weighted([['FullyPatched', 40], ['ApprovedPending', 30], ['RebootRequired', 8], ['InstallError', 7], ['NoPolicy', 8], ['NoData', 7]] as const);
    return patchCounts(r, status);
  }

  /** Offline machines miss definition updates; one online machine has its protection switched off. */
  private antivirusStatus(presence: Presence, w: number): AntivirusStatus {
    if (presence !== 'online') return 'RunningAndNotUpToDate';
    return w === 9 ? 'NotRunning' : this.r.chance(0.06) ? 'RunningAndNotUpToDate' : 'RunningAndUpToDate';
  }

  /** Mostly empty, as on a real account: a support tier on some devices, an asset tag on others. */
  private udf(): DattoUdf {
    const udf = emptyUdf();
    if (this.r.chance(0.5)) udf.udf1 = this.r.pick(['Managed', 'Managed Plus', 'Break-fix']);
    if (this.r.chance(0.3)) udf.udf5 = `AT-${this.r.chars('0123456789', 5)}`;
    return udf;
  }
}
