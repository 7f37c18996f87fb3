/**
 * Change proposals on real catalog data (KB5041585, Windows 11 23H2, August 2024, fixing CVE-2024-38178, in CISA
 * KEV since 2024-08-13): a STANDARD rollout of what Cyber Essentials counts as missing, pilot ring first, in the
 * next maintenance window; an EMERGENCY change for the KEV entry; and nothing written.
 */
import { PatchEvent, PatchState, SourceDevice, Tenant } from '../../src/entities';
import { EvidenceKind, PatchStateValue } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { fixedClock } from '../../src/util/clock';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

const ONBOARDED = new Date('2024-08-01T00:00:00Z');

describe(`change proposals on ${ENGINE}`, () => {
  // Sunday 1 September 2024: KB5041585 is overdue under Cyber Essentials (due 2024-08-27).
  const clock = fixedClock('2024-09-01T10:00:00.000Z');
  let db: TestDatabase;
  let server: TestServer;
  let tenant: Tenant;
  const g: Record<string, string> = {};

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const { updates } = await f.catalog(new Date('2024-08-14T00:00:00Z'));
    const kb = updates.get('KB5041585')!.id;
    tenant = await f.tenant('Contoso Academy Trust');
    const connector = await f.connector(tenant, 'wsus');
    for (const [name, state] of [['CAT-PC-001', PatchStateValue.MISSING], ['CAT-PC-002', PatchStateValue.MISSING], ['CAT-PC-003', PatchStateValue.INSTALLED]] as const) {
      const [asset] = await f.insertAssets([f.asset(tenant, { hostname: name, osName: 'Windows 11 Pro', osBuild: '22631.3880', osVersion: '23H2', lastSeenAt: new Date('2024-08-31T00:00:00Z'), createdAt: ONBOARDED })]);
      const source = f.source(asset, connector, { firstSeenAt: ONBOARDED });
      await f.insert(SourceDevice, [source]);
      await f.insert(PatchState, [{ ...f.patchState(source, kb, state), evidence: EvidenceKind.REPORTED } as PatchState]);
      await f.insert(PatchEvent, [Object.assign(new PatchEvent(), {
        id: newId(), tenantId: tenant.id, assetId: asset.id, sourceDeviceId: source.id, updateId: kb, syncRunId: null,
        fromState: null, toState: state, evidence: EvidenceKind.REPORTED, reportedAt: null, observedAt: new Date('2024-08-14T09:00:00Z'),
      })]);
      g[name] = toGlobalId('Asset', asset.id);
    }
    server = await startTestServer(db, {}, { clock });
    g.tenant = toGlobalId('Tenant', tenant.id);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const data = async (query: string, variables?: Record<string, unknown>) => {
    const res = await server.gql(query, variables);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  };
  const PROPOSALS = `query($t: ID!, $since: DateTimeISO) { changeProposals(tenantId: $t, policy: "cyber-essentials-v3.3", kevSince: $since) {
    type title plannedStart plannedEnd reasons updates { kb } targets { assets { hostname } rings { name } } } }`;

  it('proposes the rollout, ring by ring in the next window, and an EMERGENCY change for the KEV entry, writing nothing', async () => {
    await data('mutation($input: DeploymentRingInput!) { createDeploymentRing(input: $input) { id } }', {
      input: { tenantId: g.tenant, name: 'Pilot', position: 1, assetIds: [g['CAT-PC-001']], minSuccessRate: 1, minDevices: 1, soakHours: 24 },
    });
    await data('mutation($input: DeploymentRingInput!) { createDeploymentRing(input: $input) { id } }', {
      input: { tenantId: g.tenant, name: 'Everyone else', position: 2, assetIds: [g['CAT-PC-002'], g['CAT-PC-003']], minSuccessRate: 0.9, minDevices: 1, soakHours: 24 },
    });
    await data('mutation($input: MaintenanceWindowInput!) { createMaintenanceWindow(input: $input) { id } }', {
      input: { tenantId: g.tenant, name: 'Tuesday evenings', rrule: 'FREQ=WEEKLY;BYDAY=TU', firstStart: '2024-01-02T19:00', timeZone: 'Europe/London', durationMinutes: 240 },
    });
    const before = Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM change_request'))[0].n);
    const { changeProposals } = await data(PROPOSALS, { t: g.tenant, since: '2024-08-01T00:00:00Z' });
    expect(changeProposals).toHaveLength(2);
    const [standard, emergency] = changeProposals;
    expect(standard).toMatchObject({
      type: 'STANDARD', updates: [{ kb: 'KB5041585' }], targets: { assets: [], rings: [{ name: 'Pilot' }, { name: 'Everyone else' }] },
      // Tuesday 3 September 2024, 19:00 BST.
      plannedStart: '2024-09-03T18:00:00.000Z', plannedEnd: '2024-09-03T22:00:00.000Z',
    });
    expect(standard.reasons).toEqual(expect.arrayContaining([
      expect.stringMatching(/^2 findings under cyber-essentials-v3\.3: 2 overdue, 0 due soon, on 2 assets$/),
      'rings in order: Pilot → Everyone else', 'planned in the next "Tuesday evenings" window',
    ]));
    expect(emergency).toMatchObject({
      // August 2024's update closed four zero-days at once: one change, not four.
      type: 'EMERGENCY', title: 'Contoso Academy Trust: CVE-2024-38106, CVE-2024-38107, CVE-2024-38178, CVE-2024-38193 exploited (CISA KEV)', updates: [{ kb: 'KB5041585' }],
      plannedStart: '2024-09-01T10:00:00.000Z', plannedEnd: '2024-09-01T14:00:00.000Z',
    });
    expect(emergency.targets.assets.map((a: any) => a.hostname).sort()).toEqual(['CAT-PC-001', 'CAT-PC-002']);
    expect(emergency.reasons).toContain('CVE-2024-38178 added to KEV on 2024-08-13, federal due date 2024-09-03');
    expect(emergency.reasons).toContain('2 missing installs of the fix on 2 assets');
    expect(Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM change_request'))[0].n)).toBe(before);

    // KEV entries older than kevSince are not new: no EMERGENCY proposal.
    expect((await data(PROPOSALS, { t: g.tenant, since: '2024-08-20T00:00:00Z' })).changeProposals.map((p: any) => p.type)).toEqual(['STANDARD']);
  });

  it('refuses an unknown policy and another tenant', async () => {
    const bad = await server.gql(PROPOSALS.replace('cyber-essentials-v3.3', 'no-such-policy'), { t: g.tenant });
    expect(bad.body.errors?.[0].extensions?.code).toMatch(/BAD_USER_INPUT|NOT_FOUND/);
    const other = await server.gql(PROPOSALS, { t: toGlobalId('Tenant', newId()) });
    expect(other.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
