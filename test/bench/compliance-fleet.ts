/**
 * An MSP's fleet for the compliance dashboard: tenants with two sites each, assets seen by Intune (build-derived
 * states), WSUS (per-KB reported states) or both, and some by Datto RMM alone (posture only), with the patch events
 * a year and a half of syncs would have recorded for the bundled catalog's cumulative updates and for the updates
 * only WSUS reports. Written with multi-row inserts, straight into the tables, so 5,000 assets load in seconds.
 *
 * The data is a function of the asset's index (a seeded generator per asset): a fleet grown from 1,000 to 5,000
 * assets holds the same first 1,000 as a fleet of 1,000.
 */
import { DataSource, EntityManager } from 'typeorm';
import { raiseAssetRevisions } from '../../src/compliance/revisions';
import { insertRows } from '../../src/db/insert-rows';
import { sqlTime } from '../../src/db/sql-time';
import { loadBundledCatalog } from '../../src/catalog/bundled-catalog';
import { Asset, ConnectorInstance, PatchEvent, PatchState, RiskException, Site, SourceDevice, Tenant, Update } from '../../src/entities';
import { AssetStatus, EvidenceKind, NOT_REMEDIATED_STATES, PatchPostureStatus, PatchStateValue, ReleaseDateSource, Severity, UpdateClassification } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';

/** The clock of the server under test: every event was recorded by then. */
export const FLEET_NOW = new Date('2026-11-02T10:00:00.000Z');
/**
 * The date the dashboard is asked about: the February 2026 updates are ten days old (due soon under Cyber
 * Essentials), the 2024 ones long overdue where missing, Windows 10 22H2 out of servicing unless enrolled in ESU.
 */
export const FLEET_AS_OF = new Date('2026-02-21T12:00:00.000Z');

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * The OS releases of the fleet, the builds machines report (a few cumulative-update revisions each, as in a real
 * fleet) and the bundled catalog's cumulative update of each month for it. Intune's v1.0 API reports "Windows" with
 * no edition: a 23H2 machine between the Pro and Enterprise ends of servicing cannot be judged (OS_EDITION_UNKNOWN).
 */
const OS_MIX = [
  { share: 0.32, osName: 'Windows 11 Enterprise', osVersion: '23H2', build: '22631', revisions: [3880, 4037, 4169, 6649], kbs: ['KB5041585', 'KB5043076', 'KB5075941'] },
  { share: 0.1, osName: 'Windows 11 Pro', osVersion: '23H2', build: '22631', revisions: [3880, 4037, 4169, 6649], kbs: ['KB5041585', 'KB5043076', 'KB5075941'] },
  { share: 0.03, osName: 'Windows', osVersion: '23H2', build: '22631', revisions: [4037, 4169, 6649], kbs: ['KB5041585', 'KB5043076', 'KB5075941'] },
  { share: 0.2, osName: 'Windows 11 Pro', osVersion: '24H2', build: '26100', revisions: [1457, 1742, 7781], kbs: ['KB5041571', 'KB5043080', 'KB5077181'] },
  { share: 0.2, osName: 'Windows 10 Pro', osVersion: '22H2', build: '19045', revisions: [4651, 4780, 4894, 6937], kbs: ['KB5041580', 'KB5043064', 'KB5075912'] },
  { share: 0.15, osName: 'Windows Server 2022 Standard', osVersion: '21H2', build: '20348', revisions: [2582, 2655, 2700, 4773], kbs: ['KB5041160', 'KB5042881', 'KB5075906'] },
] as const;

/**
 * What WSUS reports beside the cumulative updates (Defender definitions, .NET, Edge, Office, the malicious software
 * removal tool): each tenant's own catalog entries, as the sync engine writes updates no trusted data knows. Released
 * between 1 December 2025 and 20 February 2026, so no 14-day allowance spans a change of UK clocks.
 */
const WSUS_EXTRAS: ReadonlyArray<{ title: string; severity: Severity; classification: UpdateClassification; released: string }> = [
  ...['2025-12-02', '2026-01-06', '2026-01-20', '2026-02-03', '2026-02-17'].map((d) => ({
    title: `Security Intelligence Update for Microsoft Defender Antivirus ${d}`, severity: Severity.UNSPECIFIED, classification: UpdateClassification.DEFINITION, released: d })),
  ...['2025-12-09', '2026-01-13', '2026-02-10'].map((d) => ({
    title: `Cumulative Update for .NET Framework 3.5 and 4.8.1 ${d}`, severity: Severity.IMPORTANT, classification: UpdateClassification.SECURITY, released: d })),
  ...['2025-12-11', '2026-01-15', '2026-02-12'].map((d) => ({
    title: `Microsoft Edge-Stable Channel ${d}`, severity: Severity.MODERATE, classification: UpdateClassification.SECURITY, released: d })),
  ...['2025-12-09', '2026-01-13', '2026-02-10'].map((d) => ({
    title: `Security Update for Microsoft Office LTSC 2021 ${d}`, severity: Severity.CRITICAL, classification: UpdateClassification.SECURITY, released: d })),
  ...['2025-12-09', '2026-01-13', '2026-02-10'].map((d) => ({
    title: `Windows Malicious Software Removal Tool x64 ${d}`, severity: Severity.LOW, classification: UpdateClassification.UPDATE, released: d })),
  { title: 'Update for Windows Defender platform 4.18.25010', severity: Severity.UNSPECIFIED, classification: UpdateClassification.UPDATE, released: '2026-01-27' },
];

/** mulberry32: a small seeded generator, so every run builds the same fleet. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface FleetTenant {
  tenant: Tenant;
  sites: Site[];
  intune: ConnectorInstance;
  wsus: ConnectorInstance;
  extras: Update[];
}

export interface FleetCounts {
  assets: number;
  sourceDevices: number;
  patchStates: number;
  patchEvents: number;
  riskExceptions: number;
}

/** Installed/missing history of one (source, update): the events, and the state the source reports now. */
interface History {
  events: Array<{ from: PatchStateValue | null; to: PatchStateValue; at: Date }>;
}

export class ComplianceFleet {
  readonly counts: FleetCounts = { assets: 0, sourceDevices: 0, patchStates: 0, patchEvents: 0, riskExceptions: 0 };

  private constructor(
    private readonly dataSource: DataSource,
    readonly tenants: FleetTenant[],
    private readonly datto: ConnectorInstance,
    private readonly catalog: Map<string, Update>,
  ) {}

  /** The catalog, `tenantCount` tenants with two sites, their Intune and WSUS instances, one MSP-wide Datto account. */
  static async create(dataSource: DataSource, tenantCount: number): Promise<ComplianceFleet> {
    return dataSource.transaction(async (m) => {
      const { updates } = await loadBundledCatalog(m, new Date('2024-06-01T00:00:00Z'));
      const created = new Date('2024-06-01T00:00:00Z');
      const tenants: FleetTenant[] = [];
      for (let t = 0; t < tenantCount; t++) {
        const tenant = Object.assign(new Tenant(), { id: newId(), name: `Client ${String(t + 1).padStart(2, '0')}`, createdAt: created, updatedAt: created });
        const sites = ['Head Office', 'Branch'].map((name) => Object.assign(new Site(), { id: newId(), tenantId: tenant.id, name, createdAt: created, updatedAt: created }));
        const [intune, wsus] = ['intune', 'wsus'].map((kind) => connector(tenant.id, kind, created));
        const extras = WSUS_EXTRAS.map((x, i) => Object.assign(new Update(), {
          id: newId(), catalogKey: `wsus:${tenant.id}:${i}`, owner: tenant.id, kb: null, title: x.title, vendor: 'Microsoft', products: [],
          classification: x.classification, severity: x.severity, maxCvssBaseScore: null, releasedAt: new Date(`${x.released}T18:00:00.000Z`),
          releasedAtSource: ReleaseDateSource.SOURCE,
          supersedes: [], fixedBuilds: null, createdAt: created, updatedAt: created,
        }));
        tenants.push({ tenant, sites, intune, wsus, extras });
      }
      const datto = connector(null, 'datto-rmm', created);
      await insertRows(m, Tenant, tenants.map((t) => t.tenant));
      await insertRows(m, Site, tenants.flatMap((t) => t.sites));
      await insertRows(m, ConnectorInstance, [...tenants.flatMap((t) => [t.intune, t.wsus]), datto]);
      await insertRows(m, Update, tenants.flatMap((t) => t.extras));
      return new ComplianceFleet(dataSource, tenants, datto, updates);
    });
  }

  /**
   * The fleet the compliance tests compare answers on: 240 assets in 4 tenants, with 60 WSUS sources stale since
   * 40 days before FLEET_NOW, beside the fleet's inactive ones.
   */
  static async forTests(dataSource: DataSource): Promise<ComplianceFleet> {
    const fleet = await ComplianceFleet.create(dataSource, 4);
    await fleet.addAssets(0, 240);
    await fleet.markStale(60, new Date(FLEET_NOW.getTime() - 40 * DAY));
    await fleet.analyze();
    return fleet;
  }

  /**
   * Refreshes MariaDB's table statistics. InnoDB recalculates them in the background some seconds after a bulk write;
   * until then it plans for the empty tables the migrations made, and evaluating this fleet took 2-4 s a statement
   * instead of 0.1-0.3 s. A production database reaches its size over many syncs; a test's is written at once and
   * asked straight after. SQLite keeps no statistics unless asked (ANALYZE), and the product never asks.
   */
  async analyze(): Promise<void> {
    if (this.dataSource.options.type === 'better-sqlite3') return;
    await this.dataSource.query(`ANALYZE TABLE ${this.dataSource.entityMetadatas.map((m) => `\`${m.tableName}\``).join(', ')}`);
  }

  /**
   * Marks `count` WSUS sources stale, last checked in at `lastCheckInAt`: beside the fleet's inactive sources, stale
   * ones that lose to a current source of the same asset (written around the sync, as a test's setting).
   */
  async markStale(count: number, lastCheckInAt: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE source_device SET stale = 1, lastCheckInAt = ? WHERE id IN (SELECT id FROM (SELECT id FROM source_device WHERE connectorInstanceId IN (
         SELECT id FROM connector_instance WHERE kind = 'wsus') ORDER BY id LIMIT ${Math.trunc(count)}) x)`,
      [sqlTime(lastCheckInAt)],
    );
  }

  /** Adds the assets with index `from` (inclusive) to `to` (exclusive), with their sources, states and events. */
  async addAssets(from: number, to: number): Promise<void> {
    const assets: Asset[] = [];
    const sources: SourceDevice[] = [];
    const states: PatchState[] = [];
    const events: PatchEvent[] = [];
    const exceptions: RiskException[] = [];
    const cus = [...new Set(OS_MIX.flatMap((o) => o.kbs))].map((kb) => this.catalog.get(kb)!);

    for (let i = from; i < to; i++) {
      const rnd = generator(i * 7919 + 17);
      const ft = this.tenants[i % this.tenants.length];
      const os = pick(rnd(), OS_MIX);
      const onboarded = rnd() < 0.02 ? new Date('2026-04-01T09:00:00Z') : new Date(Date.UTC(2024, 5, 1) + Math.floor(rnd() * 60) * DAY);
      // A few machines stopped reporting in January 2026 (lost, or switched off).
      const lastSeen = rnd() < 0.03 ? new Date(Date.UTC(2026, 0, 5) + Math.floor(rnd() * 20) * DAY) : new Date(FLEET_NOW.getTime() - Math.floor(rnd() * 48) * HOUR);
      const server = os.osName.includes('Server');
      const asset = Object.assign(new Asset(), {
        id: newId(), tenantId: ft.tenant.id, siteId: i % 3 === 2 ? null : ft.sites[i % 3].id, hostname: `${server ? 'SRV' : 'PC'}-${String(i).padStart(5, '0')}`,
        fqdn: null, serialNumber: null, manufacturer: null, model: null, osName: os.osName, osVersion: os.osVersion, osBuild: `${os.build}.${os.revisions[Math.floor(rnd() * os.revisions.length)]}`,
        assetClassOverride: null, esuUntil: os.build === '19045' && rnd() < 0.5 ? '2026-10-13' : null, status: AssetStatus.ACTIVE,
        lastSeenAt: lastSeen, createdAt: onboarded, updatedAt: lastSeen,
      });
      assets.push(asset);

      // Evidence: Datto alone (posture only), Intune alone (workstations), WSUS alone, or Intune and WSUS.
      const e = rnd();
      const kind = os.osName === 'Windows' ? 'intune' : e < 0.08 ? 'datto' : e < 0.23 && !server ? 'intune' : e < 0.6 || server ? 'wsus' : 'both';
      // Some WSUS servers were retired in December 2025: their clients' WSUS records went inactive, and the
      // evaluation must prefer the current (Intune) record of those machines.
      const wsusRetired = kind === 'both' && rnd() < 0.1 ? new Date(Date.UTC(2025, 11, 15, 10)) : null;
      const source = (connectorInstance: ConnectorInstance, fields: Partial<SourceDevice> = {}) => Object.assign(new SourceDevice(), {
        id: newId(), tenantId: asset.tenantId, connectorInstanceId: connectorInstance.id, assetId: asset.id, externalId: newId(), hostname: asset.hostname,
        fqdn: null, serialNumber: null, azureAdDeviceId: null, smbiosUuid: null, macAddresses: [], osName: asset.osName, osVersion: asset.osVersion,
        osBuild: asset.osBuild, lastCheckInAt: lastSeen, enrolledAt: null, vendorSite: null, vendorSiteId: null, manufacturer: null, model: null,
        ownership: null, inactive: false, attributes: null, postureStatus: null, postureApprovedPending: null, postureNotApproved: null,
        postureInstalled: null, revision: null, payloadDigest: null, matchedBy: null, pinnedAssetId: null, forbiddenAssetIds: null, stale: false,
        firstSeenAt: onboarded, lastSeenAt: lastSeen, ...fields,
      });
      if (kind === 'datto') {
        sources.push(source(this.datto, {
          postureStatus: pick(rnd(), [{ share: 0.6, v: PatchPostureStatus.FULLY_PATCHED }, { share: 0.2, v: PatchPostureStatus.APPROVED_PENDING }, { share: 0.1, v: PatchPostureStatus.REBOOT_REQUIRED }, { share: 0.1, v: PatchPostureStatus.NO_POLICY }]).v,
          postureApprovedPending: Math.floor(rnd() * 4), postureNotApproved: Math.floor(rnd() * 3), postureInstalled: 100 + Math.floor(rnd() * 150),
        }));
        continue;
      }

      // When this machine installs an update: most machines within days of release, some weeks late, a few
      // neglected ones miss updates for good.
      const care = pick(rnd(), [{ share: 0.6, never: 0.004, late: 0.05 }, { share: 0.3, never: 0.03, late: 0.3 }, { share: 0.1, never: 0.25, late: 0.6 }]);
      const installAt = (released: Date, r: () => number): Date | null => {
        if (r() < care.never) return null;
        const days = r() < care.late ? 10 + r() * 120 : 1 + r() * 9;
        return new Date(released.getTime() + days * DAY);
      };
      const firstSight = (released: Date) => new Date(Math.max(released.getTime(), onboarded.getTime()) + (2 + rnd() * 30) * HOUR);
      const cut = (d: Date | null, until = lastSeen) => (d && d <= until && d <= FLEET_NOW ? d : null);

      const applicable = os.kbs.map((kb) => this.catalog.get(kb)!);
      const installs = new Map<string, Date | null>();
      for (const u of [...applicable, ...ft.extras]) installs.set(u.id, cut(installAt(u.releasedAt, rnd)));
      // A machine whose WSUS server was retired had the September 2024 update pending until a January clean-up that
      // only Intune saw: WSUS's last (REPORTED) word says missing, the current (DERIVED) record says installed.
      if (wsusRetired) installs.set(applicable[1].id, cut(new Date(Date.UTC(2026, 0, 12) + rnd() * 5 * DAY)));

      const record = (sd: SourceDevice, u: Update, history: History, evidence: EvidenceKind, reported: boolean) => {
        if (history.events.length === 0) return;
        const written: PatchEvent[] = [];
        for (const ev of history.events) {
          // WSUS gives the time the client reported; patchgraph records it at its next sync, an hour or so later, and
          // never after FLEET_NOW, the clock of the server that answers.
          const observedAt = new Date(Math.min(ev.at.getTime() + (reported ? (1 + rnd() * 3) * HOUR : 0), FLEET_NOW.getTime()));
          written.push(Object.assign(new PatchEvent(), {
            id: newId(), tenantId: asset.tenantId, assetId: asset.id, sourceDeviceId: sd.id, updateId: u.id, syncRunId: null,
            fromState: ev.from, toState: ev.to, evidence, reportedAt: reported ? ev.at : null, observedAt,
          }));
        }
        events.push(...written);
        const last = history.events[history.events.length - 1];
        // The state and event summary the sync would have stored (write-states.ts): the last event as recorded (by
        // observedAt, then id), which a late WSUS report can make differ from the last in the history's own order.
        const recorded = written.reduce((a, b) => (b.observedAt > a.observedAt || (b.observedAt.getTime() === a.observedAt.getTime() && b.id > a.id) ? b : a));
        const at = (e: PatchEvent) => e.reportedAt ?? e.observedAt;
        const times = (list: PatchEvent[]) => list.map((e) => at(e).getTime());
        const open = times(written.filter((e) => NOT_REMEDIATED_STATES.includes(e.toState)));
        states.push(Object.assign(new PatchState(), {
          id: newId(), tenantId: asset.tenantId, assetId: asset.id, sourceDeviceId: sd.id, updateId: u.id, state: recorded.toState, evidence,
          effective: true, firstSeenMissingAt: history.events[0].to === PatchStateValue.MISSING ? history.events[0].at : null,
          installedAt: last.to === PatchStateValue.INSTALLED ? last.at : null, changedAt: last.at, observedAt: last.at,
          lastEventAt: at(recorded), firstOpenAt: open.length ? new Date(Math.min(...open)) : null, maxEventAt: new Date(Math.max(...times(written))),
        }));
      };
      const history = (u: Update, lag: number, until = lastSeen): History => {
        const seen = firstSight(u.releasedAt);
        if (seen > until || seen > FLEET_NOW) return { events: [] };
        const done = installs.get(u.id) ?? null;
        if (done && done <= seen) return { events: [{ from: null, to: PatchStateValue.INSTALLED, at: seen }] };
        const out: History['events'] = [{ from: null, to: PatchStateValue.MISSING, at: seen }];
        let state: PatchStateValue = PatchStateValue.MISSING;
        if (rnd() < 0.06) {
          const failed = new Date(seen.getTime() + (1 + rnd() * 5) * DAY);
          if (failed <= until && (!done || failed < done)) {
            out.push({ from: state, to: PatchStateValue.FAILED, at: failed });
            state = PatchStateValue.FAILED;
          }
        }
        const installedSeen = done && cut(new Date(done.getTime() + lag), until);
        if (installedSeen) out.push({ from: state, to: PatchStateValue.INSTALLED, at: installedSeen });
        return { events: out };
      };

      if (kind === 'intune' || kind === 'both') {
        // Intune derives the states of the cumulative updates from the build it last saw, at its next check-in.
        const sd = source(ft.intune, { enrolledAt: onboarded });
        sources.push(sd);
        for (const u of applicable) record(sd, u, history(u, (2 + rnd() * 20) * HOUR), EvidenceKind.DERIVED, false);
      }
      if (kind === 'wsus' || kind === 'both') {
        // WSUS reports every update it manages: this OS's cumulative updates, the others' as not applicable, and its own.
        const until = wsusRetired ?? lastSeen;
        const sd = source(ft.wsus, wsusRetired ? { inactive: true, lastCheckInAt: wsusRetired, lastSeenAt: wsusRetired } : {});
        sources.push(sd);
        for (const u of [...applicable, ...ft.extras]) record(sd, u, history(u, 0, until), EvidenceKind.REPORTED, true);
        for (const u of cus.filter((c) => !applicable.includes(c))) {
          const seen = firstSight(u.releasedAt);
          if (seen <= until) record(sd, u, { events: [{ from: null, to: PatchStateValue.NOT_APPLICABLE, at: seen }] }, EvidenceKind.REPORTED, true);
        }
      }

      // A few accepted risks: lab machines excused from patching for a while, a machine whose line-of-business app
      // breaks on a cumulative update or a CVE's fix, and a whole site holding back .NET or Edge for a month (one of
      // them expired before the date asked about).
      if (i % 50 === 9) {
        exceptions.push(exception(asset.tenantId, { assetId: asset.id, validFrom: '2025-11-20', expiresAt: '2026-05-31' }));
      }
      if (i % 250 === 7) {
        exceptions.push(exception(asset.tenantId, { assetId: asset.id, updateId: applicable[2].id, validFrom: '2026-02-12', expiresAt: '2026-04-30' }));
      }
      if (i % 997 === 11) {
        exceptions.push(exception(asset.tenantId, { assetId: asset.id, cveId: 'CVE-2024-38178', validFrom: '2024-08-20', expiresAt: '2027-01-01' }));
      }
      if (i % 1000 === 3 && asset.siteId) {
        exceptions.push(exception(asset.tenantId, { siteId: asset.siteId, updateId: ft.extras[6].id, policyKey: 'cyber-essentials-v3.3', validFrom: '2026-01-14', expiresAt: '2026-03-01' }));
        exceptions.push(exception(asset.tenantId, { siteId: asset.siteId, updateId: ft.extras[5].id, validFrom: '2025-12-10', expiresAt: '2026-01-31' }));
      }
    }

    await this.dataSource.transaction(async (m: EntityManager) => {
      await insertRows(m, Asset, assets);
      await insertRows(m, SourceDevice, sources);
      await insertRows(m, PatchState, states);
      await insertRows(m, PatchEvent, events);
      await insertRows(m, RiskException, exceptions);
      // As a sync's refreshAssets would: kept compliance answers read these tenants' assets again.
      for (const tenantId of new Set(assets.map((a) => a.tenantId))) await raiseAssetRevisions(m, tenantId, []);
    });
    this.counts.assets += assets.length;
    this.counts.sourceDevices += sources.length;
    this.counts.patchStates += states.length;
    this.counts.patchEvents += events.length;
    this.counts.riskExceptions += exceptions.length;
  }
}

function pick<T extends { share: number }>(x: number, options: readonly T[]): T {
  let acc = 0;
  for (const o of options) {
    acc += o.share;
    if (x < acc) return o;
  }
  return options[options.length - 1];
}

function connector(tenantId: string | null, kind: string, at: Date): ConnectorInstance {
  return Object.assign(new ConnectorInstance(), {
    id: newId(), tenantId, kind, name: `${kind} (fleet)`, settingsJson: '{}', secretsCiphertext: null, syncIntervalSeconds: null, enabled: true, cursors: null,
    createdAt: at, updatedAt: at,
  });
}

function exception(tenantId: string, o: { siteId?: string; assetId?: string; updateId?: string; cveId?: string; policyKey?: string; validFrom: string; expiresAt: string }): RiskException {
  const validFrom = new Date(`${o.validFrom}T09:00:00.000Z`);
  return Object.assign(new RiskException(), {
    id: newId(), tenantId, siteId: o.siteId ?? null, assetId: o.assetId ?? null, updateId: o.updateId ?? null, cveId: o.cveId ?? null, policyKey: o.policyKey ?? null,
    owner: 'Client IT lead', reason: 'Line-of-business application fails on this update', compensatingControl: 'Isolated VLAN', validFrom,
    expiresAt: new Date(`${o.expiresAt}T09:00:00.000Z`), createdAt: validFrom, createdBy: 'bench', revokedAt: null, revokedBy: null,
  });
}
