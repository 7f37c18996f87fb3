/**
 * Kept compliance answers (src/compliance/kept-answers.ts) answer exactly what evaluating answers, on both engines:
 * every aggregate of the dashboard for every preset, MSP-wide, per tenant, per site and for a technician's tenants;
 * at later `now`s, where statuses move with the clock; after an asset's states change through refreshAssets (that
 * asset alone is evaluated again), a site move, a new risk exception, and past a stale source's check-in. A request
 * that finds them current evaluates nothing. The asset page (every page, a status's pages, the first page's findings)
 * from kept answers is the evaluated page, and evaluates only the page's assets.
 */
import { TenantScope } from '../../src/access/tenant-scope';
import { ComplianceReport } from '../../src/compliance/compliance-report';
import { ComplianceEvaluation, ComplianceQuestion, ComplianceStatusName, STATUS_RANK } from '../../src/compliance/evaluation';
import { KeptAnswers } from '../../src/compliance/kept-answers';
import { PRESETS } from '../../src/compliance/presets';
import { raiseAssetRevisions } from '../../src/compliance/revisions';
import { inTransaction } from '../../src/db/transaction';
import { sqlTime } from '../../src/db/sql-time';
import { PatchPostureEvent, PatchState, RiskException, UpdateVulnerability } from '../../src/entities';
import { PatchStateValue } from '../../src/entities/enums';
import { refreshAssets } from '../../src/sync/apply/refresh-assets';
import { newId } from '../../src/util/ids';
import { ComplianceFleet, FLEET_NOW } from '../bench/compliance-fleet';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';

const DAY = 86_400_000;
const NOW = FLEET_NOW;
/** Presets whose asset pages are walked against evaluating: every set of device rules, and KEV's finding rule. */
const PAGED = new Set(['cyber-essentials-v3.3', 'cisa-bod-22-01', 'pci-dss-4.0-6.3.3']);

describe(`kept compliance answers against evaluating, on ${ENGINE}`, () => {
  let db: TestDatabase;
  let fleet: ComplianceFleet;

  beforeAll(async () => {
    db = await openTestDatabase();
    // The current-state test's fleet: its stale sources lose to a current source of the same asset.
    fleet = await ComplianceFleet.forTests(db.dataSource);
  }, 180_000);
  afterAll(() => db?.drop());

  const question = (policyKey: string, at: Date = NOW, over: Partial<ComplianceQuestion> = {}): ComplianceQuestion => ({
    policyKey, policy: PRESETS[policyKey], asOf: at, knownAt: at, assignedOnly: false, ...over,
  });

  /** Every aggregate answer of a report, asked together as a dashboard asks them. */
  async function aggregates(report: ComplianceReport) {
    const [statusCounts, byTenant, bySite, bySeverity, byAge, worst, total, overdue] = await Promise.all([
      report.statusCounts(), report.statusCountsBy('tenantId'), report.statusCountsBy('siteId'), report.openFindingsBySeverity(),
      report.openFindingsByAge(), report.worstAssets(25), report.total(null), report.total(['NON_COMPLIANT']),
    ]);
    return { statusCounts, byTenant, bySite, bySeverity: [...bySeverity].sort((a, b) => `${a.severity}${a.status}`.localeCompare(`${b.severity}${b.status}`)), byAge, worst, total, overdue };
  }

  /** Statements that evaluate (the CTE chain), since the counter was reset. */
  const evaluations = () => db.counter.statements.filter((s) => /^\s*WITH scope_assets/.test(s)).length;

  /** The kept answers, checked against evaluating the same question; `evaluated`: how many evaluations keeping took. */
  async function keptAgainstLive(kept: KeptAnswers, q: ComplianceQuestion, scope = TenantScope.allTenants()) {
    db.counter.reset();
    const fromKept = await aggregates(new ComplianceReport(new ComplianceEvaluation(db.dataSource, scope, q), kept));
    const evaluated = evaluations();
    expect(fromKept).toEqual(await aggregates(new ComplianceReport(new ComplianceEvaluation(db.dataSource, scope, q))));
    return { answers: fromKept, evaluated };
  }

  /** Every page of the asset list and of its overdue and unverified assets, with each walk's first page's findings. */
  async function pages(report: ComplianceReport, size = 120) {
    const walk = async (statuses: ComplianceStatusName[] | null) => {
      const rows = [];
      let after: { statusRank: number; hostname: string; assetId: string } | null = null;
      for (;;) {
        const got = await report.assets(size + 1, after, statuses);
        const page = got.slice(0, size);
        rows.push(...page);
        if (got.length <= size) break;
        const last = page[page.length - 1];
        after = { statusRank: STATUS_RANK[last.status], hostname: last.hostname, assetId: last.assetId };
      }
      return { rows, findings: await report.findings(rows.slice(0, size).map((r) => r.assetId)) };
    };
    return { all: await walk(null), some: await walk(['NON_COMPLIANT', 'UNVERIFIED']) };
  }

  /** Statements that evaluate the whole scope, not only named assets. */
  const wholeEvaluations = () => db.counter.statements.filter((s) => /^\s*WITH scope_assets/.test(s) && !/\basked\b/.test(s)).length;

  /** The asset pages from kept answers, checked against evaluating them; none evaluates the whole scope. */
  async function pagesAgainstLive(kept: KeptAnswers, q: ComplianceQuestion, scope = TenantScope.allTenants()) {
    db.counter.reset();
    const fromKept = await pages(new ComplianceReport(new ComplianceEvaluation(db.dataSource, scope, q), kept));
    const evaluated = wholeEvaluations();
    expect(fromKept).toEqual(await pages(new ComplianceReport(new ComplianceEvaluation(db.dataSource, scope, q))));
    expect(fromKept.all.rows.length).toBeGreaterThan(0);
    return { pages: fromKept, evaluated };
  }

  /** The kept answers asked again: nothing evaluated, the same answers. */
  async function keptAgain(kept: KeptAnswers, q: ComplianceQuestion, scope: TenantScope, first: Awaited<ReturnType<typeof aggregates>>) {
    db.counter.reset();
    expect(await aggregates(new ComplianceReport(new ComplianceEvaluation(db.dataSource, scope, q), kept))).toEqual(first);
    expect(evaluations()).toBe(0);
  }

  it.each(Object.keys(PRESETS))('%s, MSP-wide: the evaluation\'s answers, and nothing evaluated the second time', async (policyKey) => {
    const kept = new KeptAnswers(db.dataSource);
    const first = await keptAgainstLive(kept, question(policyKey));
    // Evaluated once for the assets (their flags), once for the findings.
    expect(first.evaluated).toBe(2);
    expect(first.answers.total).toBe(240);
    expect(first.answers.statusCounts.filter((s) => s.count > 0).length).toBeGreaterThan(1);
    await keptAgain(kept, question(policyKey), TenantScope.allTenants(), first.answers);
    // The pages for one preset of each set of device rules (the reasons differ by them) and each kind of finding rule.
    if (!PAGED.has(policyKey)) return;
    const walked = await pagesAgainstLive(kept, question(policyKey));
    expect(walked.evaluated).toBe(0);
    expect(walked.pages.all.rows).toHaveLength(240);
    expect(new Set(walked.pages.all.rows.flatMap((r) => r.reasons)).size).toBeGreaterThan(1);
  }, 180_000);

  it.each(['cyber-essentials-v3.3', 'essential-eight-ml3'])('%s per tenant, per site and for a technician: the evaluation\'s answers, kept apart', async (policyKey) => {
    const kept = new KeptAnswers(db.dataSource);
    const [t0, t1] = fleet.tenants;
    const asks: Array<[ComplianceQuestion, TenantScope]> = [
      [question(policyKey, NOW, { tenantId: t1.tenant.id }), TenantScope.allTenants()],
      [question(policyKey, NOW, { tenantId: t0.tenant.id, siteId: t0.sites[1].id }), TenantScope.allTenants()],
      [question(policyKey), TenantScope.only([t0.tenant.id, t1.tenant.id])],
    ];
    for (const [q, scope] of asks) {
      const first = await keptAgainstLive(kept, q, scope);
      expect(first.evaluated).toBe(2);
      expect(first.answers.total).toBeGreaterThan(0);
      expect(first.answers.total).toBeLessThan(240);
      await keptAgain(kept, q, scope, first.answers);
      if (PAGED.has(policyKey)) expect((await pagesAgainstLive(kept, q, scope)).evaluated).toBe(0);
    }
  }, 180_000);

  it('a policy with a no-patch-policy rule: the posture events decide as when evaluating, and one in the future bounds the kept answers', async () => {
    const kept = new KeptAnswers(db.dataSource);
    const policy = { ...PRESETS['cyber-essentials-v3.3'], deviceRules: [{ kind: 'NO_PATCH_POLICY' as const, outcome: 'NON_COMPLIANT' as const }] };
    const ask = (at: Date): ComplianceQuestion => ({ ...question('custom-no-policy', at), policy });
    const sources: Array<{ id: string; assetId: string; tenantId: string }> = await db.dataSource.query(
      `SELECT sd.id, sd.assetId, sd.tenantId FROM source_device sd JOIN connector_instance ci ON ci.id = sd.connectorInstanceId WHERE ci.kind = 'datto-rmm' ORDER BY sd.id LIMIT 3`,
    );
    expect(sources).toHaveLength(3);
    const posture = (s: { id: string; assetId: string; tenantId: string }, observedAt: Date) => db.dataSource.getRepository(PatchPostureEvent).insert(Object.assign(new PatchPostureEvent(), {
      id: newId(), tenantId: s.tenantId, assetId: s.assetId, sourceDeviceId: s.id, syncRunId: null, fromStatus: null, toStatus: 'NO_POLICY',
      approvedPending: null, notApproved: null, installed: null, observedAt,
    }));
    await posture(sources[0], new Date(NOW.getTime() - DAY));
    await posture(sources[1], new Date(NOW.getTime() - DAY));
    // Recorded for a time after now: it counts from then.
    await posture(sources[2], new Date(NOW.getTime() + 2 * DAY));
    const now = await keptAgainstLive(kept, ask(NOW));
    expect(now.evaluated).toBe(2);
    const overdue = (a: typeof now.answers) => a.statusCounts.find((s) => s.status === 'NON_COMPLIANT')!.count;
    const later = await keptAgainstLive(kept, ask(new Date(NOW.getTime() + 3 * DAY)));
    expect(later.evaluated).toBe(2);
    // The posture-only machine whose source had no policy from two days on: non-compliant from then.
    expect(overdue(later.answers)).toBe(overdue(now.answers) + 1);
  }, 180_000);

  it('later nows: statuses follow the clock (not heard from) from the kept times, without evaluating again', async () => {
    const kept = new KeptAnswers(db.dataSource);
    const policyKey = 'cyber-essentials-v3.3';
    const at = (await keptAgainstLive(kept, question(policyKey))).answers;
    const later = await keptAgainstLive(kept, question(policyKey, new Date(NOW.getTime() + 30 * DAY)));
    expect(later.evaluated).toBe(0);
    // A month on, machines that have not checked in since are UNVERIFIED: the kept last check-ins decided it.
    const unverified = (a: typeof at) => a.statusCounts.find((s) => s.status === 'UNVERIFIED')!.count;
    expect(unverified(later.answers)).toBeGreaterThan(unverified(at));
    expect((await pagesAgainstLive(kept, question(policyKey, new Date(NOW.getTime() + 30 * DAY)))).evaluated).toBe(0);
    // An earlier now than the kept answers were computed at: computed again, and right.
    expect((await keptAgainstLive(kept, question(policyKey, new Date(NOW.getTime() - DAY)))).evaluated).toBeGreaterThan(0);
  }, 180_000);

  it('an asset whose states change through refreshAssets is evaluated again alone; a site move and a new exception are seen', async () => {
    const kept = new KeptAnswers(db.dataSource);
    const policyKey = 'cyber-essentials-v3.3';
    const before = (await keptAgainstLive(kept, question(policyKey))).answers;
    const worst = before.worst[0];
    expect(worst.overdue).toBeGreaterThan(0);

    // Assets evaluated again alone, their findings and all: the same answers as before (and as evaluating).
    const again = before.worst.slice(0, 5).map((w) => w.assetId);
    const [{ tenantId: againTenant }] = await db.dataSource.query('SELECT tenantId FROM asset WHERE id = ?', [again[0]]);
    await inTransaction(db.dataSource, (m) => raiseAssetRevisions(m, againTenant, again));
    const reevaluated = await keptAgainstLive(kept, question(policyKey));
    expect(reevaluated.evaluated).toBe(2);
    expect(reevaluated.answers).toEqual(before);

    // Its open states installed, as a sync writes them, then the funnel every writer of states calls.
    const [{ tenantId }] = await db.dataSource.query('SELECT tenantId FROM asset WHERE id = ?', [worst.assetId]);
    await inTransaction(db.dataSource, async (m) => {
      await m.createQueryBuilder().update(PatchState).set({ state: PatchStateValue.INSTALLED })
        .where('assetId = :id AND state IN (:...open)', { id: worst.assetId, open: [PatchStateValue.MISSING, PatchStateValue.FAILED, PatchStateValue.PENDING_REBOOT] }).execute();
      await refreshAssets(m, tenantId, [worst.assetId], NOW);
    });
    const after = await keptAgainstLive(kept, question(policyKey));
    expect(after.evaluated).toBe(2);
    expect(after.answers.worst.map((w) => w.assetId)).not.toContain(worst.assetId);

    // A site move, written as every writer of assets writes (raising the revisions): counted under its new site.
    const moved = after.answers.worst[0].assetId;
    const [{ siteId, tenantId: movedTenant }] = await db.dataSource.query('SELECT siteId, tenantId FROM asset WHERE id = ?', [moved]);
    const other = fleet.tenants.find((t) => t.tenant.id === movedTenant)!.sites.find((s) => s.id !== siteId)!;
    await inTransaction(db.dataSource, async (m) => {
      await m.query('UPDATE asset SET siteId = ? WHERE id = ?', [other.id, moved]);
      await raiseAssetRevisions(m, movedTenant, [moved]);
    });
    expect((await keptAgainstLive(kept, question(policyKey))).evaluated).toBe(2);
    // The pages read the host-name order again, the moved asset in its new site's tenant list.
    expect((await pagesAgainstLive(kept, question(policyKey))).evaluated).toBe(0);

    // A risk exception for the tenant's worst update: everything evaluated again, and it is exempt.
    const exempted = (await keptAgainstLive(kept, question(policyKey))).answers;
    const [{ updateId, assetTenant }] = await db.dataSource.query(
      `SELECT ps.updateId, ps.tenantId AS assetTenant FROM patch_state ps WHERE ps.assetId = ? AND ps.state = 'MISSING' ORDER BY ps.updateId LIMIT 1`, [exempted.worst[0].assetId],
    );
    await db.dataSource.getRepository(RiskException).insert(Object.assign(new RiskException(), {
      id: newId(), tenantId: assetTenant, siteId: null, assetId: null, updateId, cveId: null, policyKey: null, owner: 'Client IT lead',
      reason: 'Held back', compensatingControl: 'Isolated VLAN', validFrom: new Date(NOW.getTime() - DAY),
      expiresAt: new Date(NOW.getTime() + 10 * DAY), createdAt: new Date(NOW.getTime() - DAY), createdBy: 'test', revokedAt: null, revokedBy: null,
    }));
    const withException = await keptAgainstLive(kept, question(policyKey));
    expect(withException.evaluated).toBe(2);
    expect(withException.answers).not.toEqual(exempted);
    // Past its end the exemption lapses: the kept answers are computed again there.
    expect((await keptAgainstLive(kept, question(policyKey, new Date(NOW.getTime() + 11 * DAY)))).evaluated).toBe(2);
  }, 180_000);

  it('an exception naming a CVE covers an update once the catalog links the CVE to it: the kept answers see the link', async () => {
    const kept = new KeptAnswers(db.dataSource);
    const policyKey = 'cyber-essentials-v3.3';
    const before = (await keptAgainstLive(kept, question(policyKey))).answers;
    const assetId = before.worst[0].assetId;
    // One of its overdue findings, not exempt by any exception the tests before this one made.
    const live = new ComplianceReport(new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), question(policyKey)));
    const { updateId } = (await live.findings([assetId])).find((f) => f.status === 'NON_COMPLIANT')!;
    const [{ tenantId }] = await db.dataSource.query('SELECT tenantId FROM asset WHERE id = ?', [assetId]);
    // A CVE the catalog has not linked to that update, and an exception for it on that asset.
    const [{ id: vulnerabilityId, cveId }] = await db.dataSource.query(
      'SELECT v.id, v.cveId FROM vulnerability v WHERE NOT EXISTS (SELECT 1 FROM update_vulnerability uv WHERE uv.vulnerabilityId = v.id AND uv.updateId = ?) ORDER BY v.cveId LIMIT 1', [updateId],
    );
    await db.dataSource.getRepository(RiskException).insert(Object.assign(new RiskException(), {
      id: newId(), tenantId, siteId: null, assetId, updateId: null, cveId, policyKey: null, owner: 'Client IT lead', reason: 'Held back',
      compensatingControl: 'Isolated VLAN', validFrom: new Date(NOW.getTime() - DAY), expiresAt: new Date(NOW.getTime() + 300 * DAY),
      createdAt: new Date(NOW.getTime() - DAY), createdBy: 'test', revokedAt: null, revokedBy: null,
    }));
    const unlinked = await keptAgainstLive(kept, question(policyKey));
    // The intel import links it: the update's finding on that asset is exempt from now on.
    await db.dataSource.getRepository(UpdateVulnerability).insert({ updateId, vulnerabilityId, createdAt: new Date(NOW.getTime() - DAY) });
    const linked = await keptAgainstLive(kept, question(policyKey));
    expect(linked.evaluated).toBe(2);
    const exempt = (a: typeof before) => a.bySeverity.filter((r) => r.status === 'EXEMPT').reduce((n, r) => n + r.count, 0);
    expect(exempt(linked.answers)).toBe(exempt(unlinked.answers) + 1);
  }, 180_000);

  it('a stale source checked in after now counts as current until then: past it, the kept answers are computed again', async () => {
    const kept = new KeptAnswers(db.dataSource);
    const policyKey = 'cisa-bod-22-01';
    const [{ id }] = await db.dataSource.query('SELECT id FROM source_device WHERE stale = 1 ORDER BY id LIMIT 1');
    await db.dataSource.query('UPDATE source_device SET lastCheckInAt = ? WHERE id = ?', [sqlTime(new Date(NOW.getTime() + 2 * DAY)), id]);
    expect((await keptAgainstLive(kept, question(policyKey))).evaluated).toBe(2);
    expect((await keptAgainstLive(kept, question(policyKey, new Date(NOW.getTime() + DAY)))).evaluated).toBe(0);
    expect((await keptAgainstLive(kept, question(policyKey, new Date(NOW.getTime() + 3 * DAY)))).evaluated).toBe(2);
  }, 180_000);

  it('a page after an asset renamed since its cursor was given: evaluated, as the database places the name it no longer holds', async () => {
    const kept = new KeptAnswers(db.dataSource);
    const q = question('cisa-bod-22-01');
    const report = () => new ComplianceReport(new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), q), kept);
    const first = await report().assets(30, null, null);
    const last = first[first.length - 1];
    const after = { statusRank: STATUS_RANK[last.status], hostname: last.hostname, assetId: last.assetId };
    const [{ hostname, tenantId }] = await db.dataSource.query('SELECT hostname, tenantId FROM asset WHERE id = ?', [last.assetId]);
    // Renamed as every writer of assets writes (raising the revisions).
    const rename = (name: string) => inTransaction(db.dataSource, async (m) => {
      await m.query('UPDATE asset SET hostname = ? WHERE id = ?', [name, last.assetId]);
      await raiseAssetRevisions(m, tenantId, [last.assetId]);
    });
    await rename(`zz-renamed-${hostname}`);
    try {
      db.counter.reset();
      const next = await report().assets(30, after, null);
      expect(wholeEvaluations()).toBeGreaterThan(0);
      expect(next).toEqual(await new ComplianceReport(new ComplianceEvaluation(db.dataSource, TenantScope.allTenants(), q)).assets(30, after, null));
      expect(next[0].assetId).not.toBe(last.assetId);
    } finally {
      await rename(hostname);
    }
  }, 180_000);
});
