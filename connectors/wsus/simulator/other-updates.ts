/**
 * What else a WSUS server synchronises besides cumulative updates, back from `now`: .NET Framework cumulative updates
 * and servicing stack updates per release, Defender security intelligence several times a day, Edge every couple of
 * weeks, the monthly Malicious Software Removal Tool, and vendor drivers. KB numbers are invented from 5099999
 * downwards, so they never meet a real one in the bundled catalog; Edge and drivers have none, as in real SUSDBs.
 */
import { releasesOutBy } from './catalog-updates';
import { nameGuid } from './ids';
import type { SeededRandom } from '../../sdk/testkit/seeded-random';
import { DAY, HOUR, MINUTE, patchTuesday, yearMonth } from './susdb-time';
import type { SimUpdate, UpdateKind } from './update';
import { RELEASES, WindowsRelease } from './windows';

type OtherKind = Exclude<UpdateKind, 'cumulative'>;

/** The mix, slot by slot: any 20 in a row hold 4 definitions, 5 .NET, 3 Edge, 3 drivers, 3 MSRT and 2 SSUs. */
const SLOTS: readonly OtherKind[] = [
  'definition', 'dotnet', 'edge', 'driver', 'msrt', 'servicing-stack', 'dotnet', 'definition', 'edge', 'driver',
  'dotnet', 'msrt', 'definition', 'servicing-stack', 'dotnet', 'edge', 'driver', 'definition', 'dotnet', 'msrt',
];

const DOTNET_RELEASES = [20348, 19045, 22631, 26100, 26200, 22621].map((b) => RELEASES.find((r) => r.build === b)!);
// Since 2021 most releases get their servicing stack inside the cumulative update; these still see standalone ones.
const SSU_RELEASES = [19045, 20348].map((b) => RELEASES.find((r) => r.build === b)!);
const ALL_WINDOWS = [...new Set(RELEASES.map((r) => r.wsusProduct))];
const ALL_DRIVERS = [...new Set(RELEASES.flatMap((r) => (r.driverProduct ? [r.driverProduct] : [])))];

interface DriverLine {
  vendor: string;
  driverClass: string;
  makes: readonly string[];
  version(n: number): string;
}
const DRIVERS: readonly DriverLine[] = [
  { vendor: 'Dell Inc.', driverClass: 'Firmware', makes: ['Dell Inc.'], version: (n) => `1.${18 + n}.0` },
  { vendor: 'Intel Corporation', driverClass: 'Net', makes: ['Dell Inc.', 'HP', 'LENOVO'], version: (n) => `23.${60 + 10 * n}.0.5` },
  { vendor: 'HP Inc.', driverClass: 'Firmware', makes: ['HP'], version: (n) => `1.${17 + n}.0.0` },
  { vendor: 'Realtek Semiconductor Corp.', driverClass: 'MEDIA', makes: ['HP', 'LENOVO'], version: (n) => `6.0.${9549 + 12 * n}.1` },
  { vendor: 'Lenovo Ltd.', driverClass: 'Firmware', makes: ['LENOVO'], version: (n) => `0.1.${34 + n}.0` },
  { vendor: 'Intel Corporation', driverClass: 'Display', makes: ['Dell Inc.', 'HP', 'LENOVO', 'Microsoft Corporation'], version: (n) => `31.0.101.${5186 + 70 * n}` },
];

type Draft = Omit<SimUpdate, 'id' | 'kb' | 'kbPrefixed' | 'bitAsInteger'> & { hasKb: boolean };

export function otherUpdates(r: SeededRandom, nowMs: number, count: number): SimUpdate[] {
  const out = releasesOutBy(nowMs);
  const shipped = (releases: readonly WindowsRelease[]) => (releases.some((rel) => out.has(rel.build)) ? releases.filter((rel) => out.has(rel.build)) : releases);
  const perRelease = { dotnet: shipped(DOTNET_RELEASES), ssu: shipped(SSU_RELEASES) };
  const made = new Map<OtherKind, number>();
  // This month's updates only once they are out and synchronised.
  const thisMonth = patchTuesday(nowMs, 0) + 6 * HOUR <= nowMs ? 0 : 1;
  const drafts: Draft[] = [];
  for (let i = 0; i < count; i++) {
    const kind = SLOTS[i % SLOTS.length];
    const k = made.get(kind) ?? 0;
    made.set(kind, k + 1);
    drafts.push(draft(r, kind, k, nowMs, thisMonth, perRelease));
  }
  // Older updates have lower KB numbers, as Microsoft's do.
  const order = drafts.map((d, i) => ({ d, i })).sort((a, b) => a.d.created - b.d.created || a.i - b.i);
  let nextKb = 5_099_999 - order.filter(({ d }) => d.hasKb).length + 1;
  const kbs = new Map<number, string>();
  for (const { d, i } of order) if (d.hasKb) kbs.set(i, String(nextKb++));
  // One declined update among those written as 0/1, so a reader meets IsDeclined = 1 too.
  const firstDeclined = drafts.findIndex((d) => d.declined);
  return drafts.map(({ hasKb, ...d }, i) => {
    const kb = kbs.get(i) ?? null;
    const title = d.title.replace('{KB}', `KB${kb}`);
    return { ...d, id: nameGuid(`wsus-update:${title}`), title, kb, kbPrefixed: i % 11 === 5, bitAsInteger: i % 7 === 3 || i === firstDeclined };
  });
}

interface PerRelease {
  dotnet: readonly WindowsRelease[];
  ssu: readonly WindowsRelease[];
}

function draft(r: SeededRandom, kind: OtherKind, k: number, nowMs: number, thisMonth: number, perRelease: PerRelease): Draft {
  switch (kind) {
    case 'dotnet': {
      const release = perRelease.dotnet[k % perRelease.dotnet.length];
      const monthsBack = Math.floor(k / perRelease.dotnet.length);
      return {
        ...monthly(r, patchTuesday(nowMs, thisMonth + monthsBack), release, kind, (month) => `${month} Cumulative Update for ${release.dotNetTitle} for x64 ({KB})`,
          { severity: 'Important', classification: 'Security Updates', restart: true }),
        // Each month's supersedes the last; half a year on, the administrator has declined the old ones.
        declined: monthsBack >= 6,
      };
    }
    case 'servicing-stack': {
      const release = perRelease.ssu[k % perRelease.ssu.length];
      const created = patchTuesday(nowMs, thisMonth + 2 * Math.floor(k / perRelease.ssu.length));
      // The oldest standalone SSUs were superseded long ago and declined in a clean-up.
      return {
        ...monthly(r, created, release, kind, (month) => `${month} Servicing Stack Update for ${release.inTitle} for x64-based Systems ({KB})`,
          { severity: null, classification: 'Critical Updates', restart: false }),
        declined: k >= 6,
      };
    }
    case 'definition': {
      // Three or four a day; older ones are superseded, expire, and the server declines them.
      const created = nowMs - 2 * HOUR - k * 7 * HOUR - r.int(3 * HOUR);
      return {
        ...base(r, created, kind), hasKb: true,
        title: `Security Intelligence Update for Microsoft Defender Antivirus - {KB} (Version ${defenderVersion(created)}) - Current Channel (Broad)`,
        severity: k % 3 === 1 ? null : 'Unspecified', classification: 'Definition Updates', products: ['Microsoft Defender Antivirus'],
        declined: k >= 5,
      };
    }
    case 'edge': {
      const created = nowMs - 2 * DAY - k * 11 * DAY - r.int(DAY);
      // Edge 120 shipped on 7 December 2023, and a major version about every 31½ days since (142 on 31 October 2025).
      const major = 120 + Math.floor((created - Date.UTC(2023, 11, 7)) / (31.5 * DAY));
      // Two or three releases share a major version; their patch numbers differ.
      const build = `${major}.0.${2210 + 63 * (major - 120)}.${150 - 30 * (k % 5) - r.int(25)}`;
      return {
        ...base(r, created, kind), hasKb: false,
        title: `Microsoft Edge-Stable Channel Version ${major} Update for x64 based Editions (Build ${build})`,
        severity: null, classification: 'Updates', products: ['Microsoft Edge'],
      };
    }
    case 'msrt': {
      const created = patchTuesday(nowMs, thisMonth + k);
      const d = new Date(created);
      const version = 120 + (d.getUTCFullYear() - 2024) * 12 + d.getUTCMonth();
      return {
        ...base(r, created, kind), hasKb: true,
        title: `Windows Malicious Software Removal Tool x64 - v5.${version} ({KB})`,
        severity: null, classification: 'Update Rollups', products: ALL_WINDOWS,
      };
    }
    case 'driver': {
      const line = DRIVERS[k % DRIVERS.length];
      const created = nowMs - r.between(3, 40) * DAY - Math.floor(k / DRIVERS.length) * 45 * DAY - r.int(DAY);
      return {
        ...base(r, created, kind), hasKb: false,
        title: `${line.vendor} - ${line.driverClass} - ${line.version(Math.floor(k / DRIVERS.length))}`,
        severity: null, classification: 'Drivers', products: ALL_DRIVERS, makes: line.makes, restart: line.driverClass === 'Firmware',
      };
    }
  }
}

function base(r: SeededRandom, created: number, kind: OtherKind): Omit<Draft, 'title' | 'severity' | 'classification' | 'products' | 'hasKb'> {
  return {
    revision: kind === 'definition' ? 200 : r.pick([1, 1, 2, 100, 101]),
    kind,
    created,
    // The server's next synchronisation after Microsoft published it.
    arrival: created + r.between(20, 100) * MINUTE,
    declined: false,
    release: null,
    fixedRevision: null,
    makes: null,
    restart: false,
  };
}

function monthly(
  r: SeededRandom, created: number, release: WindowsRelease, kind: OtherKind, title: (month: string) => string,
  what: { severity: string | null; classification: string; restart: boolean },
): Draft {
  return {
    ...base(r, created, kind), hasKb: true, title: title(yearMonth(created)), products: [release.wsusProduct],
    release: release.build, ...what,
  };
}

/** Defender's security intelligence version climbs by about 1.7 minor versions a month (1.381 in January 2023). */
function defenderVersion(ms: number): string {
  const months = (ms - Date.UTC(2023, 0, 1)) / (30.44 * DAY);
  const minor = 381 + Math.floor(months * 1.7);
  const build = Math.floor(((months * 1.7) % 1) * 700);
  return `1.${minor}.${build}.0`;
}
