/**
 * The simulated tenant's devices over time: seeded once (seed-fleet.ts), or given exactly, then moved on by
 * `mutate` and `removeDevice` the way time passing would. The same seed and calls always give the same devices.
 */
import { graphDate } from './dates';
import { ManagedDevice } from './managed-device';
import { SeededRandom } from '../../sdk/testkit/seeded-random';
import { seedDevices } from './seed-fleet';

export interface FleetOptions {
  devices: number;
  seed: number;
  /** The fleet's "now": check-ins and enrolments lie before it. */
  now: Date;
  /** Host-name prefix, e.g. "CONTOSO"; the users' mail domain is derived from it ("contoso.example"). */
  namePrefix: string;
  /** Exact devices instead of seeded ones. */
  fleet?: ManagedDevice[];
}

/** Devices that have not synced for longer than this are stale: `mutate` and `removeDevice` leave them alone. */
export const STALE_AFTER_DAYS = 30;

const MINUTE = 60_000;
const DAY = 86_400_000;

export class SimulatedIntuneFleet {
  devices: ManagedDevice[];
  private readonly random: SeededRandom;
  private readonly nowMs: number;

  /** `revisions`: build number → fixed update build revisions, ascending (catalog.ts `fixedRevisions`). */
  constructor(options: FleetOptions, revisions: Map<number, number[]>) {
    this.random = new SeededRandom(options.seed);
    this.nowMs = Math.floor(options.now.getTime() / 1000) * 1000;
    this.devices = options.fleet
      ? options.fleet.map((d) => ({ ...d }))
      : seedDevices(this.random, this.nowMs, options.namePrefix, revisions, options.devices);
  }

  /** Synced within STALE_AFTER_DAYS of the fleet's "now" (never-synced devices are not active). */
  isActive(device: ManagedDevice): boolean {
    if (device.lastSyncDateTime.startsWith('0001-')) return false;
    return this.nowMs - Date.parse(device.lastSyncDateTime) <= STALE_AFTER_DAYS * DAY;
  }

  /**
   * Three active Windows devices check in, each having installed the newest cumulative update for its release (or a
   * later revision when it already had it); their check-ins are later than any the fleet has seen, so an incremental
   * read from the previous high-water mark finds exactly them. Returns their ids.
   */
  mutate(revisions: Map<number, number[]>): string[] {
    const candidates = this.devices.filter((d) => d.operatingSystem === 'Windows' && this.isActive(d));
    const picked: ManagedDevice[] = [];
    while (picked.length < Math.min(3, candidates.length)) {
      const d = candidates[this.random.int(candidates.length)];
      if (!picked.includes(d)) picked.push(d);
    }
    const newest = Math.max(...this.devices.map((d) => Date.parse(d.lastSyncDateTime)));
    for (const d of picked) {
      const [major, minor, build, ubr] = d.osVersion.split('.').map(Number);
      const latest = revisions.get(build)?.at(-1) ?? ubr;
      const next = ubr < latest ? latest : ubr + this.random.between(1, 9);
      d.osVersion = `${major}.${minor}.${build}.${next}`;
      d.lastSyncDateTime = graphDate(newest + this.random.between(1, 3) * MINUTE + this.random.int(60) * 1000);
    }
    return picked.map((d) => d.id).sort();
  }

  /** Removes one active Windows device (as when it is retired or deleted in Intune); returns its id. */
  removeDevice(): string {
    const candidates = this.devices.filter((d) => d.operatingSystem === 'Windows' && this.isActive(d));
    if (candidates.length === 0) throw new Error('the simulated Intune tenant has no active Windows device left to remove');
    const victim = candidates[this.random.int(candidates.length)];
    this.devices = this.devices.filter((d) => d !== victim);
    return victim.id;
  }
}
