/**
 * A simulated WSUS server: seeded computers, groups, updates, states and approvals that move on as time passes, read
 * out as the collector would read SUSDB's PUBLIC_VIEWS (`rows`, `installationRows`) or upload them (`snapshot`,
 * `gzipSnapshot`, `upload`). The same seed, options and calls always give byte-identical snapshots.
 */
import { gzipSync } from 'node:zlib';
import { approvalRow, seedApprovals, SimApproval } from './approvals';
import { catalogUpdates } from './catalog-updates';
import { computerFacts, computerRow, SimComputer, WsusComputer } from './computer';
import { customGroups, DEFAULT_GROUPS, groupRows, membershipRows, SimGroup } from './groups';
import { applies, DOWNLOADED, FAILED, INSTALLED, MISSING_STATES, NOT_APPLICABLE, NOT_INSTALLED, scanned, UNKNOWN } from './install-state';
import { otherUpdates } from './other-updates';
import { SeededRandom } from '../../sdk/testkit/seeded-random';
import { ComputerSeeder, ComputerSpec } from './seed-computers';
import {
  SNAPSHOT_FORMAT, SNAPSHOT_VERSION, WsusInstallationRow, WsusInstallationTriple, WsusSnapshot, WsusSnapshotRows,
} from './snapshot';
import { MINUTE, SECOND } from './susdb-time';
import { SimUpdate, updateRow } from './update';
import { uploadSnapshot, UploadResult } from './upload';

export interface WsusSimulatorOptions {
  /** Seeded computers; default 40. Ignored when `fleet` gives them. */
  computers?: number;
  /** Updates; default 60: the catalog's real cumulative updates first, then the other kinds a server holds. */
  updates?: number;
  /** Default 1. */
  seed?: number;
  /** The server's "now": generatedAt, and every time lies before it. Default: the current time. */
  now?: Date;
  /** Default "wsus01.corp.example". */
  serverName?: string;
  /** The AD domain; computer names are FQDNs in it. Default "corp.example". */
  domain?: string;
  /** Custom target groups; default Servers, Workstations, Pilot. */
  groups?: string[];
  /** Exact computers (the demo passes the machines it shares with the other simulators). */
  fleet?: { computers: ComputerSpec[] };
  /** Leave State 1 (not applicable) rows out, as the collector does by default. Default true. */
  omitNotApplicable?: boolean;
}

/** (Get-WsusServer).Version on Windows Server 2022. */
const WSUS_VERSION = '10.0.20348.2849';
const COLLECTOR = { name: 'patchgraph-wsus-collector', version: '1.0.0' };
/** Not installed or downloaded: what can newly fail. */
const WAITING: ReadonlySet<number> = new Set([NOT_INSTALLED, DOWNLOADED]);

function count(value: number | undefined, fallback: number, what: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what} must be a whole number of at least 0, not ${n}`);
  return n;
}

export class WsusSimulator {
  readonly serverId: string;
  readonly serverName: string;
  private nowMs: number;
  private readonly r: SeededRandom;
  private readonly updates: SimUpdate[];
  private readonly groups: SimGroup[];
  private readonly computerList: SimComputer[];
  private approvals: SimApproval[];
  private readonly omitNotApplicable: boolean;

  constructor(options: WsusSimulatorOptions = {}) {
    const computers = count(options.computers, 40, 'computers');
    const updates = count(options.updates, 60, 'updates');
    const domain = options.domain ?? 'corp.example';
    this.r = new SeededRandom(options.seed ?? 1);
    this.nowMs = (options.now ?? new Date()).getTime();
    this.serverName = options.serverName ?? 'wsus01.corp.example';
    this.omitNotApplicable = options.omitNotApplicable ?? true;
    this.serverId = this.r.guid();

    const cumulative = catalogUpdates(this.r, this.nowMs).slice(0, updates);
    this.updates = [...cumulative, ...otherUpdates(this.r, this.nowMs, updates - cumulative.length)];

    const specs = options.fleet?.computers;
    this.groups = customGroups(this.serverId, [...(options.groups ?? DEFAULT_GROUPS), ...(specs ?? []).map((s) => s.group)]);
    const seeder = new ComputerSeeder(this.r, this.nowMs, domain, this.groups, this.updates);
    this.computerList = specs ? specs.map((s) => seeder.fromSpec(s)) : Array.from({ length: computers }, (_, i) => seeder.seeded(i));
    const ids = new Set(this.computerList.map((c) => c.id.toLowerCase()));
    if (ids.size !== this.computerList.length) throw new Error('the fleet names a computer id twice; ComputerTargetIds are unique');

    const netbios = domain.split('.')[0].toUpperCase().slice(0, 15);
    this.approvals = seedApprovals(this.r, this.nowMs, this.updates, this.groups, netbios);
  }

  /** The server's current time. */
  get now(): Date {
    return new Date(this.nowMs);
  }

  /** The current computers and their facts (copies). */
  get computers(): ReadonlyArray<WsusComputer> {
    return this.computerList.map(computerFacts);
  }

  snapshot(): WsusSnapshot {
    return {
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      server: { id: this.serverId, name: this.serverName, version: WSUS_VERSION },
      generatedAt: new Date(this.nowMs).toISOString(),
      collector: { ...COLLECTOR, includesNotApplicable: !this.omitNotApplicable },
      rows: this.rows(),
    };
  }

  gzipSnapshot(): Buffer {
    return gzipSync(Buffer.from(JSON.stringify(this.snapshot()), 'utf8'));
  }

  /** The rows the snapshot carries, as the views return them (installations as the envelope's triples). */
  rows(): WsusSnapshotRows {
    return {
      computerTargets: this.computerList.map(computerRow),
      targetGroups: groupRows(this.groups),
      groupMemberships: membershipRows(this.computerList, this.groups),
      updates: this.updates.map(updateRow),
      installations: this.installations((c, u, s): WsusInstallationTriple => [c, u, s]),
      approvals: this.approvals.map(approvalRow),
    };
  }

  /** vUpdateInstallationInfoBasic as the view returns it: one object per row. */
  installationRows(): WsusInstallationRow[] {
    return this.installations((ComputerTargetId, UpdateId, State) => ({ ComputerTargetId, UpdateId, State }));
  }

  /**
   * `ms` later: up to three computers with missing updates install them all (their build moves to the newest
   * cumulative update), another reports a new failure, and an old update is declined (its approvals go with it).
   * Returns the ids of the computers whose rows changed; no other computer's rows change.
   */
  advance(ms: number): { changedComputerIds: string[] } {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`advance() takes a time in ms of at least 0, not ${ms}`);
    this.nowMs += ms;
    const reported = this.computerList.filter((c) => c.lastReport !== null);
    const installers = this.sample(reported.filter((c) => this.lacksAny(c, MISSING_STATES)), 3);
    for (const c of installers) this.installAll(c);
    const changed = [...installers];
    const failing = reported.filter((c) => !installers.includes(c) && this.lacksAny(c, WAITING));
    if (failing.length > 0) {
      const c = this.r.pick(failing);
      this.failOne(c);
      changed.push(c);
    }
    this.declineOne();
    return { changedComputerIds: changed.map((c) => c.id).sort() };
  }

  /** Deletes one computer from WSUS (Remove-WsusComputer); returns its id. */
  removeComputer(): string {
    if (this.computerList.length === 0) throw new Error('the simulated WSUS server has no computer left to remove');
    const [removed] = this.computerList.splice(this.r.int(this.computerList.length), 1);
    return removed.id;
  }

  /** POSTs the gzip snapshot (or `body`) as the collector does; resolves with the answer's status and body. */
  upload(url: string, key: string, body?: Buffer): Promise<UploadResult> {
    return uploadSnapshot(url, key, body ?? this.gzipSnapshot());
  }

  private installations<T>(row: (computerId: string, updateId: string, state: number) => T): T[] {
    const out: T[] = [];
    const ids = this.updates.map((u) => u.id);
    for (const c of this.computerList) {
      const states = c.states;
      for (let j = 0; j < states.length; j++) {
        if (states[j] === NOT_APPLICABLE && this.omitNotApplicable) continue;
        out.push(row(c.id, ids[j], states[j]));
      }
    }
    return out;
  }

  /** Whether `c` reports one of `states` for an update still in use (not declined). */
  private lacksAny(c: SimComputer, states: ReadonlySet<number>): boolean {
    return this.updates.some((u, j) => !u.declined && states.has(c.states[j]));
  }

  private sample<T>(items: readonly T[], n: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < n && pool.length > 0) out.push(...pool.splice(this.r.int(pool.length), 1));
    return out;
  }

  /** The computer synchronises and reports now, a little after its previous synchronisation at the latest. */
  private checkIn(c: SimComputer): void {
    const r = this.r;
    const at = Math.min(this.nowMs, Math.max((c.lastSync ?? 0) + SECOND, this.nowMs - r.between(1, 10) * MINUTE - r.int(MINUTE)));
    c.lastSync = at;
    c.lastReport = Math.min(this.nowMs, at + r.between(15 * SECOND, 3 * MINUTE));
    c.lastSyncResult = 1;
  }

  private installAll(c: SimComputer): void {
    this.checkIn(c);
    const newest = Math.max(c.revision, ...this.updates.filter((u) => u.kind === 'cumulative' && applies(c, u) && scanned(c, u)).map((u) => u.fixedRevision!));
    c.revision = newest;
    this.updates.forEach((u, j) => {
      if (!scanned(c, u)) return;
      if (!applies(c, u)) c.states[j] = NOT_APPLICABLE;
      else if (u.kind === 'cumulative') c.states[j] = u.fixedRevision! <= c.revision ? INSTALLED : NOT_INSTALLED;
      else if (!u.declined && (c.states[j] === UNKNOWN || MISSING_STATES.has(c.states[j]))) c.states[j] = INSTALLED;
    });
  }

  /** The newest update `c` was waiting for fails to install; updates that arrived since its last report get a status. */
  private failOne(c: SimComputer): void {
    this.checkIn(c);
    let target = -1;
    this.updates.forEach((u, j) => {
      if (!u.declined && WAITING.has(c.states[j]) && (target < 0 || u.arrival > this.updates[target].arrival)) target = j;
    });
    c.states[target] = FAILED;
    this.updates.forEach((u, j) => {
      if (c.states[j] !== UNKNOWN || !scanned(c, u)) return;
      if (!applies(c, u)) c.states[j] = NOT_APPLICABLE;
      else c.states[j] = u.kind === 'cumulative' && u.fixedRevision! <= c.revision ? INSTALLED : NOT_INSTALLED;
    });
  }

  /** The administrator declines the oldest update still in use, a superseded one before any cumulative update. */
  private declineOne(): void {
    const live = this.updates.filter((u) => !u.declined);
    const others = live.filter((u) => u.kind !== 'cumulative');
    const pool = others.length > 0 ? others : live;
    if (pool.length === 0) return;
    const oldest = pool.reduce((a, b) => (b.created < a.created ? b : a));
    oldest.declined = true;
    this.approvals = this.approvals.filter((a) => a.updateId !== oldest.id);
  }
}
