/**
 * The computers of a seeded WSUS server, or of a fleet given exactly. Seeded ones mix Windows Server 2022 hosts and
 * guests with Windows 10 and 11 workstations at every patch level the catalog allows: at its newest fixed build, past
 * it, exactly at an older one, between two, behind all. Most synchronised within the day, some days or weeks ago, one
 * never. The first few computers have fixed roles, so every State and both forms of "never" occur in any fleet of
 * eight or more, and a seed's mix does not depend on the fleet's size.
 */
import { releasesOutBy } from './catalog-updates';
import type { SimComputer, Trouble } from './computer';
import { groupFor, Placement, SimGroup } from './groups';
import { Hardware, SERVERS, WORKSTATIONS } from './hardware';
import { UNASSIGNED_COMPUTERS } from './ids';
import { applies, INSTALLED, NOT_APPLICABLE, NOT_INSTALLED, reportedStates, scanned, UNKNOWN } from './install-state';
import type { SeededRandom } from '../../sdk/testkit/seeded-random';
import { DAY, HOUR, MINUTE, SECOND } from './susdb-time';
import type { SimUpdate, UpdateKind } from './update';
import { parseOsBuild, releaseOf, Role, WindowsRelease, WORKSTATION_MIX } from './windows';

/** A computer given exactly (the demo passes the same machines to every simulator). */
export interface ComputerSpec {
  /** ComputerTargetId: a GUID (the client's SusClientId). */
  id: string;
  /** FQDN */
  name: string;
  /** A custom group's name, or "Unassigned Computers". */
  group: string;
  /** "22631.4169" (or "10.0.22631.4169") */
  osBuild: string;
  make?: string;
  model?: string;
  ipAddress?: string;
  /** Left out: synchronised within the day. Null: never synchronised, so it has reported nothing. */
  lastSyncTime?: Date | null;
  /**
   * A computer kept up to date: it has installed every update offered to it except those this selects, which it
   * reports not installed (cumulative updates still follow the build). Left out: the seeded odds decide, as for
   * seeded computers.
   */
  lacks?: (update: { kind: UpdateKind; title: string; released: Date }) => boolean;
}

type Level = 'latest' | 'newer' | 'at' | 'between' | 'older';
type Presence = 'current' | 'days' | 'weeks' | 'never';

interface Plan {
  role: Role;
  build?: number;
  level?: Level;
  trouble?: Trouble;
  presence?: Presence;
  syncFailed?: boolean;
  placement?: Placement;
}

/** The first computers, in order: a fully patched server, then one of each kind of trouble, never, and stale. */
const PLAN: readonly Plan[] = [
  { role: 'server', level: 'latest', presence: 'current', syncFailed: false },
  { role: 'workstation', build: 22631, level: 'between', trouble: 3, presence: 'current', syncFailed: false, placement: 'pilot' },
  { role: 'workstation', build: 19045, level: 'older', trouble: 5, presence: 'current', syncFailed: false },
  // Registered but never synchronised: new machines land in Unassigned Computers.
  { role: 'workstation', presence: 'never', placement: 'unassigned' },
  { role: 'server', level: 'between', trouble: 6, presence: 'current', syncFailed: false },
  { role: 'workstation', build: 26100, level: 'at', trouble: 2, presence: 'current', syncFailed: false },
  { role: 'workstation', presence: 'weeks', syncFailed: true },
  { role: 'workstation', build: 22631, level: 'latest', presence: 'current', syncFailed: false },
];

const LEVELS: ReadonlyArray<readonly [Level, number]> = [['latest', 30], ['newer', 10], ['at', 15], ['between', 25], ['older', 20]];
const TROUBLES: ReadonlyArray<readonly [Trouble, number]> = [[2, 55], [3, 15], [5, 15], [6, 15]];
const SERVER_ROLES = ['dc', 'fs', 'app', 'sql', 'hv', 'web', 'rds', 'print', 'backup', 'ca'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Times {
  lastSync: number | null;
  lastReport: number | null;
  lastSyncResult: 0 | 1 | 2;
}

/** Draws computers from one random stream, in order: the same seed and calls give the same computers. */
export class ComputerSeeder {
  private servers = 0;
  private workstationNo: number;
  private serverIps = 0;
  private workstationIps = 0;
  /** Per release, its cumulative updates' [arrival, fixed revision], to place a build among them. */
  private readonly fixed = new Map<number, Array<readonly [number, number]>>();
  /** The workstation releases out by now, and how common each is. */
  private readonly mix: ReadonlyArray<readonly [number, number]>;

  constructor(
    private readonly r: SeededRandom,
    private readonly nowMs: number,
    private readonly domain: string,
    private readonly groups: readonly SimGroup[],
    private readonly updates: readonly SimUpdate[],
  ) {
    this.workstationNo = r.between(20, 180);
    const out = releasesOutBy(nowMs);
    const mix = WORKSTATION_MIX.filter(([build]) => out.has(build));
    this.mix = mix.length > 0 ? mix : WORKSTATION_MIX;
    for (const u of updates) {
      if (u.kind !== 'cumulative' || u.release === null) continue;
      this.fixed.set(u.release, [...(this.fixed.get(u.release) ?? []), [u.arrival, u.fixedRevision!]]);
    }
  }

  /** The i-th seeded computer. */
  seeded(i: number): SimComputer {
    const r = this.r;
    const plan: Plan = PLAN[i] ?? { role: i % 8 === 4 ? 'server' : 'workstation' };
    const server = plan.role === 'server';
    const planned = plan.build !== undefined && this.mix.some(([build]) => build === plan.build) ? plan.build : undefined;
    const release = releaseOf(planned ?? (server ? 20348 : r.weighted(this.mix)));
    const name = server ? this.serverName() : `ws-${String((this.workstationNo += r.between(1, 4))).padStart(4, '0')}`;
    // A Hyper-V host is the one server that cannot be a guest.
    const hardware = this.hardware(plan.role, name.startsWith('hv'));
    const presence = plan.presence ?? r.weighted<Presence>(server ? [['current', 95], ['days', 3], ['weeks', 2]] : [['current', 76], ['days', 15], ['weeks', 9]]);
    const times = this.times(presence, plan.syncFailed);
    return this.finish({
      id: r.guid(),
      name: `${name}.${this.domain.toLowerCase()}`,
      group: groupFor(r, plan.role, this.groups, plan.placement),
      role: plan.role,
      release,
      revision: this.revision(release, plan.level ?? r.weighted(LEVELS), times.lastReport),
      make: hardware.make,
      model: hardware.model,
      bios: hardware.bios(r),
      virtual: hardware.virtual,
      ip: this.ip(plan.role),
      language: this.language(),
      ...times,
      trouble: plan.trouble ?? r.weighted(TROUBLES),
      states: new Uint8Array(0),
    });
  }

  fromSpec(spec: ComputerSpec): SimComputer {
    const r = this.r;
    if (!GUID.test(spec.id)) throw new Error(`computer ${spec.name}: id "${spec.id}" is not a GUID, which ComputerTargetId always is`);
    const build = parseOsBuild(spec.osBuild);
    if (!build) throw new Error(`computer ${spec.name}: osBuild "${spec.osBuild}" is not a Windows build like "22631.4169"`);
    const release = releaseOf(build.build);
    const seeded = spec.make === undefined && spec.model === undefined ? this.hardware(release.role) : null;
    const known = [...SERVERS, ...WORKSTATIONS].find(([h]) => h.make === spec.make && h.model === spec.model)?.[0];
    const times: Times = spec.lastSyncTime === undefined ? this.times('current', false)
      : spec.lastSyncTime === null ? this.times('never', false)
      : { lastSync: spec.lastSyncTime.getTime(), lastReport: Math.min(this.nowMs, spec.lastSyncTime.getTime() + r.between(15 * SECOND, 8 * MINUTE)), lastSyncResult: 1 };
    const builtIn = /^(all|unassigned) computers$/i.test(spec.group.trim());
    return this.finish({
      id: spec.id,
      name: spec.name,
      group: builtIn ? UNASSIGNED_COMPUTERS : spec.group,
      role: release.role,
      release,
      revision: build.revision,
      make: seeded ? seeded.make : spec.make ?? null,
      model: seeded ? seeded.model : spec.model ?? null,
      bios: (seeded ?? known)?.bios(r) ?? null,
      virtual: (seeded ?? known)?.virtual ?? /virtual|vmware/i.test(`${spec.make} ${spec.model}`),
      ip: spec.ipAddress ?? this.ip(release.role),
      language: this.language(),
      ...times,
      trouble: r.weighted(TROUBLES),
      states: new Uint8Array(0),
    }, spec.lacks);
  }

  private finish(c: SimComputer, lacks?: ComputerSpec['lacks']): SimComputer {
    c.states = lacks ? this.upToDateExcept(c, lacks) : reportedStates(this.r, c, this.updates);
    return c;
  }

  /** The states of a computer that installs what it is offered, but for what `lacks` selects. */
  private upToDateExcept(c: SimComputer, lacks: NonNullable<ComputerSpec['lacks']>): Uint8Array {
    return Uint8Array.from(this.updates, (u) => {
      if (!scanned(c, u)) return UNKNOWN;
      if (!applies(c, u)) return NOT_APPLICABLE;
      if (u.kind === 'cumulative') return u.fixedRevision! <= c.revision ? INSTALLED : NOT_INSTALLED;
      return lacks({ kind: u.kind, title: u.title, released: new Date(u.created) }) ? NOT_INSTALLED : INSTALLED;
    });
  }

  private hardware(role: Role, physical = false): Hardware {
    const choices = role === 'server' ? SERVERS : WORKSTATIONS;
    return this.r.weighted(physical ? choices.filter(([h]) => !h.virtual) : choices);
  }

  private serverName(): string {
    const n = this.servers++;
    return `${SERVER_ROLES[n % SERVER_ROLES.length]}${String(Math.floor(n / SERVER_ROLES.length) + 1).padStart(2, '0')}`;
  }

  /** Servers sit in one subnet, workstations in DHCP ranges with gaps. */
  private ip(role: Role): string {
    if (role === 'server') {
      const n = this.serverIps++;
      return `10.10.${5 + Math.floor(n / 240)}.${10 + (n % 240)}`;
    }
    const n = (this.workstationIps += this.r.between(1, 3));
    return `10.20.${1 + Math.floor(n / 250)}.${2 + (n % 250)}`;
  }

  private language(): string {
    return this.r.weighted([['en-US', 85], ['en-GB', 8], ['de-DE', 7]]);
  }

  /** A client synchronises about daily; a failed synchronisation leaves the last status report days older. */
  private times(presence: Presence, syncFailed: boolean | undefined): Times {
    const r = this.r;
    if (presence === 'never') return { lastSync: null, lastReport: null, lastSyncResult: 0 };
    const ago = presence === 'current' ? r.between(2 * MINUTE, 22 * HOUR)
      : presence === 'days' ? r.between(2, 6) * DAY + r.int(DAY)
      : r.between(14, 45) * DAY + r.int(DAY);
    const lastSync = this.nowMs - ago - r.int(SECOND);
    const failed = syncFailed ?? r.chance(0.05);
    const lastReport = failed ? lastSync - r.between(1, 4) * DAY - r.int(HOUR) : Math.min(this.nowMs, lastSync + r.between(15 * SECOND, 8 * MINUTE));
    return { lastSync, lastReport, lastSyncResult: failed ? 2 : 1 };
  }

  /** A revision of `release` at `level` among the fixed builds the computer could have had when it last reported. */
  private revision(release: WindowsRelease, level: Level, lastReport: number | null): number {
    const r = this.r;
    const by = lastReport ?? this.nowMs;
    const fixed = [...new Set((this.fixed.get(release.build) ?? []).filter(([arrival]) => arrival <= by).map(([, rev]) => rev))].sort((a, b) => a - b);
    if (fixed.length === 0) return release.typicalRevision + r.int(200);
    const last = fixed[fixed.length - 1];
    const i = r.int(fixed.length - 1);
    switch (level) {
      case 'latest':
        return last;
      case 'newer':
        // A later cumulative update than the catalog knows.
        return last + r.between(30, 600);
      case 'at':
        return fixed.length > 1 ? fixed[i] : last;
      case 'between':
        if (fixed.length > 1 && fixed[i + 1] - fixed[i] >= 2) return r.between(fixed[i] + 1, fixed[i + 1] - 1);
        return Math.max(1, fixed[0] - r.between(40, 900));
      case 'older':
        return Math.max(1, fixed[0] - r.between(40, 900));
    }
  }
}
