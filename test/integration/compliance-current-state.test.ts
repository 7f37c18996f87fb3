/**
 * Compliance now, read from the stored current states (src/compliance/current-state.ts), answers exactly what the
 * replay of the whole event history answers, on both engines: every answer of the report, the KPIs and the daily
 * series, for every preset, MSP-wide, for one tenant, one site and a technician's tenants. The fleet
 * (test/bench/compliance-fleet.ts) has several sources per asset, REPORTED and DERIVED evidence, reported times apart
 * from observed ones, transitions through FAILED, supersession, risk exceptions, inactive sources; stale ones are
 * added here. And a question with a later event (observed after knownAt, or reported after asOf), a state written
 * without its summary, or a pruned history goes to the replay.
 */
import { TenantScope } from '../../src/access/tenant-scope';
import { ComplianceReport } from '../../src/compliance/compliance-report';
import { ComplianceEvaluation, ComplianceQuestion } from '../../src/compliance/evaluation';
import { dailySeries } from '../../src/compliance/kpi-series';
import { ComplianceKpis } from '../../src/compliance/kpis';
import { PRESETS } from '../../src/compliance/presets';
import { StatePath } from '../../src/compliance/current-state';
import { AuditEvent, PatchEvent, PatchState, PolicyAssignment, RiskException } from '../../src/entities';
import { EvidenceKind, PatchStateValue } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';
import { ComplianceFleet, FLEET_NOW } from '../bench/compliance-fleet';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';

// The question about now: the server's clock, after the last event was recorded.
const NOW = FLEET_NOW;

describe(`compliance now from the current states, against the replay, on ${ENGINE}`, () => {
  let db: TestDatabase;
  let fleet: ComplianceFleet;

  beforeAll(async () => {
    db = await openTestDatabase();
    // Stale sources beside the fleet's inactive ones: some last checked in before now (lose to a current source),
    // some are marked stale yet checked in after asOf (still current for a question in the past).
    fleet = await ComplianceFleet.forTests(db.dataSource);
    // An exception in force now: a client holding back one of its own updates on every machine.
    const t0 = fleet.tenants[0];
    await db.dataSource.getRepository(RiskException).insert(Object.assign(new RiskException(), {
      id: newId(), tenantId: t0.tenant.id, siteId: null, assetId: null, updateId: t0.extras[11].id, cveId: null, policyKey: null, owner: 'Client IT lead',
      reason: 'Line-of-business application fails on this update', compensatingControl: 'Isolated VLAN', validFrom: new Date('2026-02-01T00:00:00Z'),
      expiresAt: new Date('2027-02-01T00:00:00Z'), createdAt: new Date('2026-02-01T00:00:00Z'), createdBy: 'test', revokedAt: null, revokedBy: null,
    }));
  }, 180_000);
  afterAll(() => db?.drop());

  const question = (policyKey: string, over: Partial<ComplianceQuestion> = {}): ComplianceQuestion => ({
    policyKey, policy: PRESETS[policyKey], asOf: NOW, knownAt: NOW, assignedOnly: false, ...over,
  });

  /** Every answer an evaluation gives, in comparable form. */
  async function answers(evaluation: ComplianceEvaluation) {
    const report = new ComplianceReport(evaluation);
    const kpis = new ComplianceKpis(evaluation);
    const assets = await report.assets(100_000, null, null);
    // Since the fleet's first events: the installs of the 2024-2026 updates are all in it.
    const period = { from: new Date('2024-06-01T00:00:00Z'), to: evaluation.question.asOf };
    const series = await dailySeries(evaluation, new Date(Date.UTC(2026, 10, 1)), new Date(Date.UTC(2026, 10, 2)));
    return {
      statusCounts: await report.statusCounts(),
      byTenant: await report.statusCountsBy('tenantId'),
      bySite: await report.statusCountsBy('siteId'),
      bySeverity: await report.openFindingsBySeverity(),
      byAge: await report.openFindingsByAge(),
      worst: await report.worstAssets(25),
      total: await report.total(null),
      overdueTotal: await report.total(['NON_COMPLIANT']),
      assets,
      findings: await report.findings(assets.map((a) => a.assetId)),
      timeToPatch: await kpis.timeToPatch(period),
      sla: await kpis.slaAttainment(period),
      ageing: await kpis.overdueAgeing(),
      coverage: await kpis.coverage(14),
      series,
    };
  }

  async function compare(scope: TenantScope, q: ComplianceQuestion): Promise<Awaited<ReturnType<typeof answers>>> {
    const auto = new ComplianceEvaluation(db.dataSource, scope, q);
    expect(await auto.statePath()).toBe<StatePath>('current');
    const fast = await answers(auto);
    const replay = await answers(new ComplianceEvaluation(db.dataSource, scope, q, 'replay'));
    expect(fast).toEqual(replay);
    return fast;
  }

  it.each(Object.keys(PRESETS))('%s, MSP-wide: every answer of the report, KPIs and series is the replay\'s', async (policyKey) => {
    const fast = await compare(TenantScope.allTenants(), question(policyKey));
    // Agreeing on nothing would prove nothing: the fleet gives findings, several statuses and installs.
    expect(fast.assets).toHaveLength(240);
    expect(fast.statusCounts.filter((s) => s.count > 0).length).toBeGreaterThan(1);
    if (policyKey === 'cyber-essentials-v3.3') {
      expect(fast.findings.length).toBeGreaterThan(100);
      expect(fast.findings.some((f) => f.evidence === 'DERIVED') && fast.findings.some((f) => f.evidence === 'REPORTED')).toBe(true);
      expect(fast.findings.some((f) => f.exceptionId !== null)).toBe(true);
      expect(fast.sla.installed).toBeGreaterThan(0);
    }
  }, 180_000);

  it('one tenant, one site, a technician\'s tenants, and a policy assigned to some: the replay\'s answers', async () => {
    const [t0, t1] = fleet.tenants;
    await compare(TenantScope.allTenants(), question('cyber-essentials-v3.3', { tenantId: t1.tenant.id }));
    await compare(TenantScope.allTenants(), question('cyber-essentials-v3.3', { tenantId: t0.tenant.id, siteId: t0.sites[1].id }));
    await compare(TenantScope.only([t0.tenant.id, t1.tenant.id]), question('cisa-bod-22-01'));
    await db.dataSource.getRepository(PolicyAssignment).insert(Object.assign(new PolicyAssignment(), {
      id: newId(), tenantId: t0.tenant.id, siteId: null, policyKey: 'cyber-essentials-v3.3', assignedAt: new Date('2025-01-01T00:00:00Z'), assignedBy: 'test',
      removedAt: null, removedBy: null,
    }));
    const assigned = await compare(TenantScope.allTenants(), question('cyber-essentials-v3.3', { assignedOnly: true }));
    expect(assigned.assets.length).toBeGreaterThan(0);
    expect(assigned.assets.length).toBeLessThan(240);
  }, 180_000);

  it('a question in the past, or known at a past time, replays', async () => {
    const scope = TenantScope.allTenants();
    expect(await new ComplianceEvaluation(db.dataSource, scope, question('cyber-essentials-v3.3', { asOf: new Date('2026-02-21T12:00:00Z') })).statePath()).toBe('replay');
    const june = new Date('2026-06-01T00:00:00Z');
    expect(await new ComplianceEvaluation(db.dataSource, scope, question('cyber-essentials-v3.3', { asOf: june, knownAt: june })).statePath()).toBe('replay');
  });

  describe('a later event sends the question to the replay', () => {
    async function laterEvent(observedAt: Date, reportedAt: Date | null): Promise<string> {
      const [state] = await db.dataSource.getRepository(PatchState).find({ where: { tenantId: fleet.tenants[2].tenant.id }, take: 1, order: { id: 'ASC' } });
      const id = newId();
      await db.dataSource.getRepository(PatchEvent).insert(Object.assign(new PatchEvent(), {
        id, tenantId: state.tenantId, assetId: state.assetId, sourceDeviceId: state.sourceDeviceId, updateId: state.updateId, syncRunId: null,
        fromState: state.state, toState: PatchStateValue.MISSING, evidence: EvidenceKind.REPORTED, reportedAt, observedAt,
      }));
      return state.tenantId;
    }

    it('observed after knownAt: the replay, whose answer leaves the event out, and the tenants without it stay on the current states', async () => {
      const tenantId = await laterEvent(new Date(NOW.getTime() + 3_600_000), null);
      const q = question('cyber-essentials-v3.3');
      const auto = new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), q);
      expect(await auto.statePath()).toBe('replay');
      expect(await new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), { ...q, tenantId }).statePath()).toBe('replay');
      expect(await new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), { ...q, tenantId: fleet.tenants[0].tenant.id }).statePath()).toBe('current');
      // Known an hour later, with asOf now: the event's evidence time is after asOf, so still the replay.
      expect(await new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), { ...q, knownAt: new Date(NOW.getTime() + 7_200_000) }).statePath()).toBe('replay');
    });
  });

  it('a pruned patch history (an audit.prune record in the tenant\'s chain) sends its tenant to the replay', async () => {
    const tenantId = fleet.tenants[1].tenant.id;
    const q = question('cyber-essentials-v3.3', { tenantId });
    expect(await new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), q).statePath()).toBe('current');
    // The record as the retention job writes it (src/audit/prune.ts): the events before the cut are gone from the
    // replay, while the current states still reflect them.
    await db.dataSource.getRepository(AuditEvent).insert(Object.assign(new AuditEvent(), {
      id: newId(), chainKey: tenantId, seq: 1, tenantId, occurredAt: NOW, actor: 'test', action: 'audit.prune', targetType: 'AuditChain', targetId: tenantId,
      data: '{}', prevHash: '0'.repeat(64), hash: '1'.repeat(64),
    }));
    expect(await new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), q).statePath()).toBe('replay');
    expect(await new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), { ...q, tenantId: fleet.tenants[0].tenant.id }).statePath()).toBe('current');
  });

  it('a state written around the sync (no summary) sends its tenant to the replay', async () => {
    const tenantId = fleet.tenants[3].tenant.id;
    const q = question('cyber-essentials-v3.3', { tenantId });
    expect(await new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), q).statePath()).toBe('current');
    const [state] = await db.dataSource.getRepository(PatchState).find({ where: { tenantId }, take: 1, order: { id: 'ASC' } });
    await db.dataSource.getRepository(PatchState).update({ id: state.id }, { lastEventAt: null, firstOpenAt: null, maxEventAt: null });
    expect(await new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), q).statePath()).toBe('replay');
  });
});
