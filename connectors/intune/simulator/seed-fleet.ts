/**
 * A seeded Intune tenant: mostly Windows at mixed patch levels derived from the catalog's fixed builds, plus phones
 * and Macs, BYOD, stale and never-synced devices, and devices Entra does not know. Values follow what Intune really
 * reports for each kind of device.
 */
import { graphDate } from './dates';
import { diskBytes, GIB, HYPER_V_VM, mac, WHITE_BOX, WINDOWS_HARDWARE, WindowsHardware } from './hardware';
import { buildManagedDevice, ComplianceState, DeviceEnrollmentType, ManagedDevice, ManagementAgent, NO_ENTRA_DEVICE_ID, UNSET_DATE } from './managed-device';
import { SeededRandom } from '../../sdk/testkit/seeded-random';

const MINUTE = 60_000;
const DAY = 86_400_000;

// Windows releases in rough proportion to a real estate in 2026: 23H2 and 24H2 most, a tail of 22H2 and 25H2.
const RELEASE_CYCLE = [22631, 26100, 19045, 22631, 26100, 22621, 19045, 26200, 22631, 26100];

type Level = 'old' | 'between' | 'fixed' | 'latest' | 'newer';
/**
 * The first active devices of each release take these levels in turn, so any release with two of them has one
 * device behind its latest fixed build and one at it; later ones are drawn at random.
 */
const LEVEL_PLAN: readonly Level[] = ['latest', 'old', 'between', 'fixed', 'newer', 'latest', 'between', 'old'];

type Platform = 'windows' | 'ios' | 'android' | 'macos';
const NON_WINDOWS_CYCLE: readonly Platform[] = ['ios', 'android', 'macos', 'ios'];

type Sync = 'active' | 'stale' | 'never';

const FIRST_NAMES = ['Jane', 'Amir', 'Olivia', 'Kenji', 'Priya', 'Tom', 'Sofia', 'Liam', 'Chloe', 'Mateo', 'Grace', 'Noah', 'Aisha', 'Ben', 'Freya', 'Dmitri', 'Hannah', 'Lucas', 'Mei', 'Owen'];
const LAST_NAMES = ['Doe', 'Khan', 'Smith', 'Tanaka', 'Patel', 'Wright', 'Garcia', 'Murphy', 'Brown', 'Rossi', 'Evans', 'Novak', 'Okafor', 'Hughes', 'Larsen', 'Ivanov', 'Clarke', 'Silva', 'Chen', 'Price'];
const ALNUM = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '0123456789';

interface Person {
  first: string;
  userId: string;
  userPrincipalName: string;
  userDisplayName: string;
  alias: string;
}

/** `count` devices drawn from `r`; `revisions`: release build → its fixed update build revisions, ascending. */
export function seedDevices(r: SeededRandom, nowMs: number, namePrefix: string, revisions: Map<number, number[]>, count: number): ManagedDevice[] {
  return new Seeder(r, nowMs, namePrefix, revisions).devices(count);
}

/** Builds the seeded devices; its counters keep each kind's mix independent of the fleet's size. */
class Seeder {
  private windows = 0;
  private nonWindows = 0;
  private readonly perPlatform = new Map<Platform, number>();
  private readonly activePerRelease = new Map<number, number>();
  private readonly people = new Set<string>();
  private readonly domain: string;

  constructor(
    private readonly r: SeededRandom,
    private readonly nowMs: number,
    private readonly prefix: string,
    private readonly revisions: Map<number, number[]>,
  ) {
    this.domain = `${prefix.toLowerCase().replace(/[^a-z0-9-]/g, '') || 'contoso'}.example`;
  }

  devices(count: number): ManagedDevice[] {
    return Array.from({ length: count }, (_, i) => this.device(i));
  }

  private device(i: number): ManagedDevice {
    // About 8% stale, two enrolled devices that never synced, a quarter not Windows.
    const sync: Sync = i === 9 || i === 38 ? 'never' : i % 13 === 5 ? 'stale' : 'active';
    const platform: Platform = sync !== 'never' && i % 4 === 3 ? NON_WINDOWS_CYCLE[this.nonWindows++ % NON_WINDOWS_CYCLE.length] : 'windows';
    const k = this.perPlatform.get(platform) ?? 0;
    this.perPlatform.set(platform, k + 1);

    const { lastSyncMs, enrolledMs } = this.times(sync);
    const common: Partial<ManagedDevice> & { id: string } = {
      id: this.r.guid(),
      enrolledDateTime: graphDate(enrolledMs),
      lastSyncDateTime: lastSyncMs === null ? UNSET_DATE : graphDate(lastSyncMs),
      managementCertificateExpirationDate: graphDate(certificateExpiry(enrolledMs, this.nowMs)),
    };
    const number = String(100 + 2 * i + this.r.int(2)).padStart(4, '0');
    switch (platform) {
      case 'windows':
        return this.windowsDevice(common, sync, number, enrolledMs);
      case 'ios':
        return this.iPhone(common, k, enrolledMs);
      case 'android':
        return this.android(common, enrolledMs);
      case 'macos':
        return this.mac(common, enrolledMs);
    }
  }

  /** Offsets are days plus an odd number of minutes and some seconds, never whole days, so no day threshold lands on a device. */
  private times(sync: Sync): { lastSyncMs: number | null; enrolledMs: number } {
    const odd = () => (2 * this.r.int(690) + 1) * MINUTE + this.r.int(60) * 1000;
    if (sync === 'never') return { lastSyncMs: null, enrolledMs: this.nowMs - this.r.between(1, 4) * DAY - odd() };
    const days = sync === 'stale' ? this.r.between(40, 150) : this.r.chance(0.6) ? 0 : this.r.between(1, 12);
    const lastSyncMs = this.nowMs - days * DAY - odd();
    return { lastSyncMs, enrolledMs: lastSyncMs - this.r.between(20, 900) * DAY - odd() };
  }

  private person(): Person {
    // Each user once while names last; a big fleet then reuses them, as people do own several devices.
    let first = this.r.pick(FIRST_NAMES);
    let last = this.r.pick(LAST_NAMES);
    for (let tries = 0; this.people.has(`${first} ${last}`) && tries < 20; tries++) {
      first = this.r.pick(FIRST_NAMES);
      last = this.r.pick(LAST_NAMES);
    }
    this.people.add(`${first} ${last}`);
    const upn = `${first}.${last}@${this.domain}`.toLowerCase();
    return { first, userId: this.r.guid(), userPrincipalName: upn, userDisplayName: `${first} ${last}`, alias: `${first[0]}${last}`.toLowerCase() };
  }

  private userFields(person: Person | null): Partial<ManagedDevice> {
    if (!person) return {};
    return { userId: person.userId, userPrincipalName: person.userPrincipalName, emailAddress: person.userPrincipalName, userDisplayName: person.userDisplayName };
  }

  private windowsDevice(common: Partial<ManagedDevice> & { id: string }, sync: Sync, number: string, enrolledMs: number): ManagedDevice {
    const r = this.r;
    const w = this.windows++;
    const hw: WindowsHardware = w === 6 ? WHITE_BOX : w % 11 === 9 ? HYPER_V_VM : r.pick(WINDOWS_HARDWARE);
    const build = this.releaseFor(w);
    const ubr = this.ubr(build, sync);

    // Management flavours, most specific first. "Unjoined": onboarded to Defender for Endpoint and managed through it
    // (msSense) without ever joining Entra, so Intune has no Entra device id for it.
    const unjoined = w % 15 === 7;
    const kiosk = !unjoined && w % 15 === 12;
    const legacyAgent = w === 4;
    const coManaged = !unjoined && !kiosk && !legacyAgent && w % 5 === 2;
    const personal = !unjoined && !kiosk && !coManaged && w % 17 === 10;
    const autopilot = !unjoined && !kiosk && !personal && !legacyAgent && w % 3 === 0;
    const person = unjoined || kiosk ? null : this.person();

    const agent: ManagementAgent = unjoined ? 'msSense' : legacyAgent ? 'intuneClient' : coManaged ? 'configurationManagerClientMdm' : 'mdm';
    const enrollment: DeviceEnrollmentType = unjoined || legacyAgent ? 'unknown'
      : kiosk ? 'windowsBulkUserless'
      : coManaged ? 'windowsCoManagement'
      : personal ? 'userEnrollment'
      : autopilot ? 'windowsAzureADJoin'
      : r.chance(0.5) ? 'windowsAzureADJoin' : 'windowsAutoEnrollment';

    const compliance: ComplianceState =
      sync === 'never' ? 'unknown'
      : coManaged && w % 10 === 2 ? 'configManager'
      : w === 5 ? 'inGracePeriod'
      : w === 8 ? 'error'
      : w === 11 ? 'conflict'
      : w === 13 ? 'unknown'
      : sync === 'stale' || w % 9 === 3 ? 'noncompliant'
      : r.chance(0.06) ? 'noncompliant' : 'compliant';

    const storage = diskBytes(r, r.pick(hw.storageGB));
    // A personal machine keeps the random name Windows gave it at setup.
    const deviceName = personal ? `DESKTOP-${r.chars(ALNUM, 7)}` : `${this.prefix}-${hw.form}-${number}`;
    return buildManagedDevice({
      ...common,
      ...this.userFields(person),
      deviceName,
      managedDeviceOwnerType: personal ? 'personal' : 'company',
      operatingSystem: 'Windows',
      complianceState: compliance,
      jailBroken: 'Unknown',
      managementAgent: agent,
      osVersion: `10.0.${build}.${ubr}`,
      azureADRegistered: !unjoined,
      deviceEnrollmentType: enrollment,
      azureADDeviceId: unjoined ? NO_ENTRA_DEVICE_ID : r.guid(),
      isEncrypted: hw.form === 'LT' ? r.chance(0.95) : hw.form === 'DT' ? r.chance(0.6) : false,
      model: hw.model,
      manufacturer: hw.manufacturer,
      complianceGracePeriodExpirationDateTime: compliance === 'inGracePeriod' ? graphDate(this.nowMs + r.between(1, 3) * DAY + 7 * MINUTE) : '9999-12-31T23:59:59Z',
      serialNumber: hw.serial(r),
      configurationManagerClientEnabledFeatures: coManaged
        ? { inventory: true, modernApps: true, resourceAccess: true, deviceConfiguration: false, compliancePolicy: compliance === 'configManager', windowsUpdateForBusiness: false }
        : null,
      wiFiMacAddress: hw.wifiOui ? mac(r, hw.wifiOui) : null,
      totalStorageSpaceInBytes: storage,
      freeStorageSpaceInBytes: Math.round(storage * (0.15 + r.next() * 0.6)),
      managedDeviceName: managedDeviceName(person, 'Windows', enrolledMs),
      ethernetMacAddress: mac(r, hw.ethernetOui),
      physicalMemoryInBytes: r.pick(hw.memoryGiB) * GIB,
      enrollmentProfileName: autopilot ? 'Autopilot - User-driven' : null,
    });
  }

  private releaseFor(w: number): number {
    const known = RELEASE_CYCLE.filter((b) => this.revisions.has(b));
    return known.length ? known[w % known.length] : [...this.revisions.keys()][0] ?? 22631;
  }

  private ubr(build: number, sync: Sync): number {
    const r = this.r;
    const ubrs = this.revisions.get(build) ?? [4169];
    let level: Level;
    if (sync === 'active') {
      const k = this.activePerRelease.get(build) ?? 0;
      this.activePerRelease.set(build, k + 1);
      level = k < LEVEL_PLAN.length ? LEVEL_PLAN[k] : pickWeighted(r, [['latest', 30], ['between', 25], ['fixed', 20], ['old', 15], ['newer', 10]]);
    } else {
      // A stale device stopped reporting some time ago, usually behind.
      level = pickWeighted(r, [['old', 45], ['between', 35], ['fixed', 20]]);
    }
    return revisionAt(r, level, ubrs);
  }

  private iPhone(common: Partial<ManagedDevice> & { id: string }, k: number, enrolledMs: number): ManagedDevice {
    const r = this.r;
    // The third iPhone is a shared, userless DEP device: no user, so no Entra registration either.
    const shared = k === 2;
    const personal = k % 3 === 1;
    const viaExchange = k === 3;
    const person = shared ? null : this.person();
    const imei = `35 ${r.chars(DIGITS, 6)} ${r.chars(DIGITS, 6)} ${r.chars(DIGITS, 1)}`;
    return buildManagedDevice({
      ...common,
      ...this.userFields(person),
      deviceName: person ? `${person.first}'s iPhone` : `${this.prefix}-SHARED-IPHONE-${String(k).padStart(2, '0')}`,
      managedDeviceOwnerType: personal ? 'personal' : 'company',
      operatingSystem: 'iOS',
      complianceState: r.chance(0.85) ? 'compliant' : 'noncompliant',
      jailBroken: 'False',
      managementAgent: viaExchange ? 'easMdm' : 'mdm',
      osVersion: '17.5.1',
      easActivated: viaExchange,
      easDeviceId: viaExchange ? r.chars(ALNUM, 20) : '',
      easActivationDateTime: viaExchange ? graphDate(enrolledMs + 13 * MINUTE) : UNSET_DATE,
      azureADRegistered: !shared,
      deviceEnrollmentType: shared ? 'appleBulkWithoutUser' : personal ? 'userEnrollment' : 'appleBulkWithUser',
      azureADDeviceId: shared ? NO_ENTRA_DEVICE_ID : r.guid(),
      isSupervised: !personal,
      exchangeLastSuccessfulSyncDateTime: viaExchange ? (common.lastSyncDateTime as string) : UNSET_DATE,
      exchangeAccessState: viaExchange ? 'allowed' : 'none',
      exchangeAccessStateReason: viaExchange ? 'compliant' : 'none',
      isEncrypted: true,
      model: 'iPhone 14',
      manufacturer: 'Apple',
      imei,
      serialNumber: r.chars(ALNUM, 10),
      phoneNumber: shared ? '' : `+4477009${r.chars(DIGITS, 5)}`,
      wiFiMacAddress: mac(r, 'F0B3EC'),
      subscriberCarrier: shared ? '' : 'EE',
      meid: imei.replace(/ /g, '').slice(0, 14),
      totalStorageSpaceInBytes: 128_000_000_000,
      freeStorageSpaceInBytes: r.between(20, 90) * 1_000_000_000,
      managedDeviceName: managedDeviceName(person, 'iPhone', enrolledMs),
      requireUserEnrollmentApproval: false,
      iccid: shared ? null : `8944${r.chars(DIGITS, 16)}`,
      udid: `00008110-${r.chars('0123456789ABCDEF', 16)}`,
      physicalMemoryInBytes: 6 * GIB,
      enrollmentProfileName: personal ? null : shared ? 'ADE Shared iPhone' : 'ADE Corporate iPhone',
    });
  }

  private android(common: Partial<ManagedDevice> & { id: string }, enrolledMs: number): ManagedDevice {
    const r = this.r;
    const person = this.person();
    const imei = `35${r.chars(DIGITS, 13)}`;
    // Bring-your-own phones with a work profile: personal, registered in Entra by the Company Portal.
    return buildManagedDevice({
      ...common,
      ...this.userFields(person),
      deviceName: `${person.first}'s Galaxy S23`,
      managedDeviceOwnerType: 'personal',
      operatingSystem: 'Android',
      complianceState: r.chance(0.8) ? 'compliant' : 'inGracePeriod',
      jailBroken: 'False',
      managementAgent: 'mdm',
      osVersion: '14',
      azureADRegistered: true,
      deviceEnrollmentType: 'userEnrollment',
      azureADDeviceId: r.guid(),
      isEncrypted: true,
      model: 'SM-S911B',
      manufacturer: 'samsung',
      imei,
      serialNumber: `R5C${r.chars(ALNUM, 8)}`,
      phoneNumber: `+4477009${r.chars(DIGITS, 5)}`,
      androidSecurityPatchLevel: '2024-06-01',
      wiFiMacAddress: mac(r, 'A8515B'),
      subscriberCarrier: 'Vodafone UK',
      totalStorageSpaceInBytes: 256_000_000_000,
      freeStorageSpaceInBytes: r.between(40, 180) * 1_000_000_000,
      managedDeviceName: managedDeviceName(person, 'AndroidForWork', enrolledMs),
      iccid: `8944${r.chars(DIGITS, 16)}`,
      physicalMemoryInBytes: 8 * GIB,
    });
  }

  private mac(common: Partial<ManagedDevice> & { id: string }, enrolledMs: number): ManagedDevice {
    const r = this.r;
    const person = this.person();
    return buildManagedDevice({
      ...common,
      ...this.userFields(person),
      deviceName: `${person.first}'s MacBook Air`,
      managedDeviceOwnerType: 'company',
      operatingSystem: 'macOS',
      complianceState: r.chance(0.85) ? 'compliant' : 'noncompliant',
      jailBroken: 'Unknown',
      managementAgent: 'mdm',
      osVersion: '14.5 (23F79)',
      azureADRegistered: true,
      deviceEnrollmentType: 'appleBulkWithUser',
      azureADDeviceId: r.guid(),
      isSupervised: true,
      isEncrypted: true,
      model: 'MacBookAir10,1',
      manufacturer: 'Apple',
      serialNumber: `FVF${r.chars(ALNUM, 9)}`,
      wiFiMacAddress: mac(r, '3C0630'),
      totalStorageSpaceInBytes: 251_000_000_000,
      freeStorageSpaceInBytes: r.between(30, 160) * 1_000_000_000,
      managedDeviceName: managedDeviceName(person, 'MacOS', enrolledMs),
      udid: `${r.chars('0123456789ABCDEF', 8)}-${r.chars('0123456789ABCDEF', 4)}-${r.chars('0123456789ABCDEF', 4)}-${r.chars('0123456789ABCDEF', 4)}-${r.chars('0123456789ABCDEF', 12)}`,
      physicalMemoryInBytes: 8 * GIB,
      enrollmentProfileName: 'ADE macOS',
    });
  }
}

/** A level ("behind its oldest fixed build", "between two", ...) → an update build revision of the release. */
function revisionAt(r: SeededRandom, level: Level, ubrs: number[]): number {
  const first = ubrs[0];
  const last = ubrs[ubrs.length - 1];
  switch (level) {
    case 'old':
      return Math.max(1, first - r.between(40, 260));
    case 'between': {
      const gaps = ubrs.slice(1).map((b, j) => [ubrs[j], b]).filter(([a, b]) => b - a > 1);
      if (gaps.length === 0) return revisionAt(r, 'old', ubrs);
      const [a, b] = r.pick(gaps);
      return r.between(a + 1, b - 1);
    }
    case 'fixed':
      return ubrs.length < 2 ? last : r.pick(ubrs.slice(0, -1));
    case 'latest':
      return last;
    case 'newer':
      return last + r.between(1, 60);
  }
}

function pickWeighted<T>(r: SeededRandom, options: Array<[T, number]>): T {
  let x = r.next() * options.reduce((sum, [, w]) => sum + w, 0);
  for (const [value, w] of options) {
    x -= w;
    if (x < 0) return value;
  }
  return options[options.length - 1][0];
}

/** Intune's generated name: "<alias>_<platform>_<M/D/YYYY>_<h:mm AM>" from the enrolment time (UTC here). */
function managedDeviceName(person: Person | null, platform: string, enrolledMs: number): string {
  const d = new Date(enrolledMs);
  const h = d.getUTCHours();
  const time = `${h % 12 || 12}:${String(d.getUTCMinutes()).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
  const stamp = `${platform}_${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}_${time}`;
  return person ? `${person.alias}_${stamp}` : stamp;
}

/** MDM certificates last a year and renew themselves, so the current one expires within the year after "now". */
function certificateExpiry(enrolledMs: number, nowMs: number): number {
  let expiry = enrolledMs + 365 * DAY;
  while (expiry <= nowMs) expiry += 365 * DAY;
  return expiry;
}
