/**
 * The event summary on patch_state (lastEventAt, firstOpenAt, maxEventAt) as the sync writes it: after every run of a
 * history with regressions, failures, vendor-reported times and an evidence change, the summary is what the events
 * say, and compliance now from the current states answers what the replay answers. A vendor that reports a time in
 * the future sends questions before it to the replay. Driven through applyRun with hand-built reads, on both engines.
 */
import type { DeviceRecord, PatchStateRecord, UpdateRecord } from '../../connectors/sdk/contract';
import { TenantScope } from '../../src/access/tenant-scope';
import { ComplianceReport } from '../../src/compliance/compliance-report';
import { ComplianceEvaluation, ComplianceQuestion, toDate } from '../../src/compliance/evaluation';
import { KeptAnswers } from '../../src/compliance/kept-answers';
import { PRESETS } from '../../src/compliance/presets';
import { ConnectorInstance, PatchEvent, PatchState } from '../../src/entities';
import { NOT_REMEDIATED_STATES } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { applyRead, ReadParts, SYNC_T0, sourceRead, syncHarness } from '../helpers/sync';

const HOUR = 3_600_000;

describe(`patch state event summary written by the sync, on ${ENGINE}`, () => {
  let db: TestDatabase;
  let instance: ConnectorInstance;
  let clock = SYNC_T0.getTime();

  const KBS = ['KB9200001', 'KB9200002', 'KB9200003'];
  const updates: UpdateRecord[] = KBS.map((kb) => ({ key: `test:${kb}`, kb, title: `${kb} test update`, vendor: 'Microsoft', releasedAt: new Date('2026-10-13T17:00:00Z') }));
  const DEVICES = ['d1', 'd2', 'd3'];
  const devices: DeviceRecord[] = DEVICES.map((id) => ({ externalId: id, hostname: `PC-${id}`, serialNumber: `SER-SUMMARY-${id}` }));
  type State = PatchStateRecord['state'];
  const rec = (device: string, kb: string, state: State, reportedAt: Date | null = null, evidence: 'REPORTED' | 'DERIVED' = 'REPORTED'): PatchStateRecord => ({
    deviceExternalId: device, updateKey: `test:${kb}`, state, evidence, reportedAt,
  });

  beforeAll(async () => {
    db = await openTestDatabase();
    const h = syncHarness(db.dataSource);
    const tenant = await new Factory(db.dataSource).tenant();
    instance = await h.admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'summary', settings: { path: '/dev/null' }, enabled: false });
  });
  afterAll(() => db?.drop());

  /** One sync run an hour after the last, reporting every device's full list of states. */
  async function sync(patchStates: PatchStateRecord[]): Promise<Date> {
    clock += HOUR;
    const now = new Date(clock);
    const parts: ReadParts = { devices: devices.map((d) => ({ ...d, lastCheckInAt: now })), updates, patchStates, fullDeviceRead: true };
    await applyRead(db.dataSource, instance, sourceRead(parts), { now, syncRunId: newId() });
    return now;
  }

  /** Every stored state's summary next to the one its events give, evidence times compared in milliseconds. */
  async function summaries() {
    const states = await db.dataSource.getRepository(PatchState).find();
    const events = await db.dataSource.getRepository(PatchEvent).find();
    const ms = (d: unknown) => (d === null || d === undefined ? null : toDate(d).getTime());
    return states.map((s) => {
      const own = events.filter((e) => e.sourceDeviceId === s.sourceDeviceId && e.updateId === s.updateId)
        .sort((a, b) => a.observedAt.getTime() - b.observedAt.getTime() || (a.id < b.id ? -1 : 1));
      const at = (e: PatchEvent) => (e.reportedAt ?? e.observedAt).getTime();
      const open = own.filter((e) => NOT_REMEDIATED_STATES.includes(e.toState)).map(at);
      return {
        stored: { state: s.state, lastEventAt: ms(s.lastEventAt), firstOpenAt: ms(s.firstOpenAt), maxEventAt: ms(s.maxEventAt) },
        events: { state: own[own.length - 1].toState, lastEventAt: at(own[own.length - 1]), firstOpenAt: open.length ? Math.min(...open) : null, maxEventAt: Math.max(...own.map(at)) },
      };
    });
  }

  const question = (at: Date): ComplianceQuestion => ({ policyKey: 'cyber-essentials-v3.3', policy: PRESETS['cyber-essentials-v3.3'], asOf: at, knownAt: at, assignedOnly: false });
  async function answers(e: ComplianceEvaluation) {
    const r = new ComplianceReport(e);
    const assets = await r.assets(100, null, null);
    return { counts: await r.statusCounts(), assets, findings: await r.findings(assets.map((a) => a.assetId)) };
  }

  it('after each run of a history, the summary is its events\' and compliance now is the replay\'s', async () => {
    const history: PatchStateRecord[][] = [
      DEVICES.flatMap((d) => KBS.map((kb) => rec(d, kb, 'MISSING', d === 'd3' ? new Date(clock - 30 * HOUR) : null))),
      [rec('d1', KBS[0], 'INSTALLED', new Date(clock - HOUR)), rec('d1', KBS[1], 'MISSING'), rec('d1', KBS[2], 'FAILED'),
        ...['d2', 'd3'].flatMap((d) => KBS.map((kb) => rec(d, kb, kb === KBS[1] ? 'PENDING_REBOOT' : 'MISSING', d === 'd3' ? new Date(clock - 30 * HOUR) : null)))],
      // d1 regresses on KB1 (reported earlier than its first missing), d2's evidence changes without a new state.
      [rec('d1', KBS[0], 'MISSING', new Date(SYNC_T0.getTime() - 100 * HOUR)), rec('d1', KBS[1], 'INSTALLED'), rec('d1', KBS[2], 'FAILED'),
        ...KBS.map((kb) => rec('d2', kb, kb === KBS[1] ? 'PENDING_REBOOT' : 'MISSING', null, 'DERIVED')),
        ...KBS.map((kb) => rec('d3', kb, 'INSTALLED', new Date(clock - 2 * HOUR)))],
    ];
    let checked = 0;
    // Kept answers across the runs: each run's changes (new assets at the first) must reach them.
    const kept = new KeptAnswers(db.dataSource);
    const aggregates = async (r: ComplianceReport) => ({ counts: await r.statusCounts(), byTenant: await r.statusCountsBy('tenantId'), bySeverity: await r.openFindingsBySeverity(), worst: await r.worstAssets(10) });
    for (const states of history) {
      const now = await sync(states);
      for (const s of await summaries()) expect(s.stored).toEqual(s.events);
      const auto = new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), question(now));
      expect(await auto.statePath()).toBe('current');
      const fast = await answers(auto);
      expect(fast).toEqual(await answers(new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), question(now), 'replay')));
      expect(await aggregates(new ComplianceReport(new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), question(now)), kept)))
        .toEqual(await aggregates(new ComplianceReport(new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), question(now)))));
      checked += fast.findings.length;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('a vendor time in the future: the questions before it replay, those after it read the current states, and agree', async () => {
    const future = new Date(clock + 48 * HOUR);
    const now = await sync([rec('d1', KBS[0], 'INSTALLED', future), rec('d1', KBS[1], 'INSTALLED'), rec('d1', KBS[2], 'FAILED'),
      ...KBS.map((kb) => rec('d2', kb, kb === KBS[1] ? 'PENDING_REBOOT' : 'MISSING', null, 'DERIVED')),
      ...KBS.map((kb) => rec('d3', kb, 'INSTALLED', new Date(clock - 2 * HOUR)))]);
    expect(await new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), question(now)).statePath()).toBe('replay');
    const later = new Date(future.getTime() + HOUR);
    const auto = new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), question(later));
    expect(await auto.statePath()).toBe('current');
    expect(await answers(auto)).toEqual(await answers(new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), question(later), 'replay')));
  });
});
