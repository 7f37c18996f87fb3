/**
 * Verification from observed data: real file-import syncs report an update MISSING, then INSTALLED machine by
 * machine (one FAILED first), and a change's verification moves from 0 % to 100 % with the timestamps of the
 * syncs that saw each install; the completion keeps its evidence while later syncs move on. Deployment rings
 * say whether the next ring may start, and why; WSUS approvals are linked to the change, or flagged when no
 * change stands behind them.
 */
import { SourceDevice, UpdateApproval } from '../../src/entities';
import { Role } from '../../src/entities/enums';
import { keyOf } from '../../src/graphql/types/global-id';
import { newId } from '../../src/util/ids';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { InventoryFile, KB1, KB2 } from '../helpers/inventory';
import { startTestServer, TestServer } from '../helpers/server';

const SYNC = 'mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { status errorMessage } }';
const VERIFICATION = `query($id: ID!) { changeRequest(id: $id) { state verification { ...v } evidence { ...v } } }
  fragment v on ChangeVerification { at total installed failed pendingReboot pending notReported percentInstalled suggestedOutcome lastChangeAt
    results { asset { hostname } update { kb } status since installedAt } }`;

describe(`change verification on ${ENGINE}`, () => {
  const clock = fixedClock('2026-11-10T08:00:00.000Z');
  let db: TestDatabase;
  let server: TestServer;
  const file = new InventoryFile();
  const g: Record<string, string> = {};
  const devices = [{ externalId: 'd1', hostname: 'PILOT-01' }, { externalId: 'd2', hostname: 'BROAD-01' }, { externalId: 'd3', hostname: 'BROAD-02' }];
  const report = (states: Record<string, string>) => file.write(devices, Object.entries(states).map(([d, state]) => ({ deviceExternalId: d, updateKey: KB1.key, state })), [KB1, KB2]);

  const data = async (query: string, variables?: Record<string, unknown>) => {
    const res = await server.gql(query, variables);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };
  const sync = async (at: string, states: Record<string, string>) => {
    clock.set(at);
    report(states);
    expect((await data(SYNC, { id: g.instance })).triggerSync).toEqual({ status: 'SUCCEEDED', errorMessage: null });
  };
  const verification = async () => (await data(VERIFICATION, { id: g.change })).changeRequest;

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db, {}, { clock });
    g.tenant = (await data('mutation { createTenant(input: { name: "Contoso Clinics" }) { id } }')).createTenant.id;
    g.instance = (await data('mutation($t: ID!, $p: String!) { createConnectorInstance(input: { tenantId: $t, kind: "file-import", name: "RMM export", settings: { path: $p } }) { id } }', {
      t: g.tenant, p: file.path,
    })).createConnectorInstance.id;
    await sync('2026-11-10T08:00:00.000Z', { d1: 'MISSING', d2: 'MISSING', d3: 'MISSING' });
    const assets = (await data('{ assets(first: 10) { nodes { id hostname } } }')).assets.nodes as Array<{ id: string; hostname: string }>;
    for (const a of assets) g[a.hostname] = a.id;
    const ring = (name: string, position: number, members: string[]) => data(
      'mutation($input: DeploymentRingInput!) { createDeploymentRing(input: $input) { id } }',
      { input: { tenantId: g.tenant, name, position, assetIds: members, minSuccessRate: 1, minDevices: 1, soakHours: 24 } },
    ).then((d) => d.createDeploymentRing.id as string);
    g.pilot = await ring('Pilot', 1, [g['PILOT-01']]);
    g.broad = await ring('Broad', 2, [g['BROAD-01'], g['BROAD-02']]);
    const change = await data('mutation($input: ChangeRequestInput!) { createChangeRequest(input: $input) { id } }', {
      input: {
        tenantId: g.tenant, type: 'EMERGENCY', title: 'Out-of-band cumulative update', description: 'Exploited in the wild', kbs: [KB1.kb],
        targets: { ringIds: [g.pilot, g.broad] }, risk: 'HIGH', impact: 'Restarts', rollbackPlan: 'Uninstall the KB',
        plannedStart: '2026-11-10T09:00:00Z', plannedEnd: '2026-11-12T09:00:00Z',
      },
    });
    g.change = change.createChangeRequest.id;
    clock.set('2026-11-10T09:00:00.000Z');
    // The requester (the suite's admin key) may not approve its own change: a client admin does.
    const approver = await server.keyFor(Role.CLIENT_ADMIN, [keyOf('Tenant', g.tenant, 'tenant')]);
    for (const [name, key] of [['submit', server.adminKey], ['approve', approver], ['schedule', server.adminKey], ['start', server.adminKey]] as const) {
      const res = await server.gql(`mutation($id: ID!) { ${name}ChangeRequest(id: $id) { state } }`, { id: g.change }, key);
      expect([name, res.body.errors]).toEqual([name, undefined]);
    }
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const row = (v: any, host: string) => v.results.find((r: any) => r.asset.hostname === host);

  it('moves from 0 % to 100 % over syncs, each install dated by the sync that saw it, a failure shown as failed', async () => {
    let c = await verification();
    expect(c.verification).toMatchObject({ at: null, total: 3, installed: 0, pending: 3, percentInstalled: 0, suggestedOutcome: 'FAILED', lastChangeAt: '2026-11-10T08:00:00.000Z' });
    expect(c.evidence).toBeNull();

    await sync('2026-11-10T10:00:00.000Z', { d1: 'INSTALLED', d2: 'MISSING', d3: 'MISSING' });
    c = await verification();
    expect(c.verification).toMatchObject({ installed: 1, pending: 2, percentInstalled: 33.3, suggestedOutcome: 'PARTIAL', lastChangeAt: '2026-11-10T10:00:00.000Z' });
    expect(row(c.verification, 'PILOT-01')).toEqual({ asset: { hostname: 'PILOT-01' }, update: { kb: KB1.kb }, status: 'INSTALLED', since: '2026-11-10T10:00:00.000Z', installedAt: '2026-11-10T10:00:00.000Z' });
    expect(row(c.verification, 'BROAD-01')).toMatchObject({ status: 'PENDING', since: '2026-11-10T08:00:00.000Z', installedAt: null });

    await sync('2026-11-11T10:00:00.000Z', { d1: 'INSTALLED', d2: 'INSTALLED', d3: 'FAILED' });
    c = await verification();
    expect(c.verification).toMatchObject({ installed: 2, failed: 1, pending: 0, percentInstalled: 66.7, suggestedOutcome: 'PARTIAL' });
    expect(row(c.verification, 'BROAD-02')).toMatchObject({ status: 'FAILED', since: '2026-11-11T10:00:00.000Z', installedAt: null });
    expect(row(c.verification, 'PILOT-01')).toMatchObject({ status: 'INSTALLED', since: '2026-11-10T10:00:00.000Z' });

    await sync('2026-11-11T16:00:00.000Z', { d1: 'INSTALLED', d2: 'INSTALLED', d3: 'INSTALLED' });
    c = await verification();
    expect(c.verification).toMatchObject({ installed: 3, failed: 0, percentInstalled: 100, suggestedOutcome: 'COMPLETED', lastChangeAt: '2026-11-11T16:00:00.000Z' });
    expect(row(c.verification, 'BROAD-02')).toMatchObject({ status: 'INSTALLED', since: '2026-11-11T16:00:00.000Z', installedAt: '2026-11-11T16:00:00.000Z' });

    // The events it caused: those of its update on its targets since it started (the first sync's MISSING came before).
    const caused = await data('query($id: ID!) { changeRequest(id: $id) { patchEvents { asset { hostname } fromState toState observedAt } } }', { id: g.change });
    const events = caused.changeRequest.patchEvents as Array<{ asset: { hostname: string }; fromState: string; toState: string; observedAt: string }>;
    // Events of one sync share its time; their order among themselves is not defined.
    expect(events.map((e) => [e.observedAt, e.asset.hostname, e.fromState, e.toState]).sort()).toEqual([
      ['2026-11-10T10:00:00.000Z', 'PILOT-01', 'MISSING', 'INSTALLED'],
      ['2026-11-11T10:00:00.000Z', 'BROAD-01', 'MISSING', 'INSTALLED'],
      ['2026-11-11T10:00:00.000Z', 'BROAD-02', 'MISSING', 'FAILED'],
      ['2026-11-11T16:00:00.000Z', 'BROAD-02', 'FAILED', 'INSTALLED'],
    ]);
    expect(events.map((e) => e.observedAt)).toEqual([...events.map((e) => e.observedAt)].sort());
  });

  it('says whether the next ring may start, and why not', async () => {
    const ask = async (at: string) => {
      clock.set(at);
      return (await data('query($c: ID!, $r: ID!) { ringPromotion(changeId: $c, ringId: $r) { mayStart reasons devicesInstalled successRate soakEndsAt nextRing { name } } }', { c: g.change, r: g.pilot })).ringPromotion;
    };
    // The pilot's last install was seen at 10:00 on the 10th: with 24 h of soak, the broad ring waits until the 11th.
    expect(await ask('2026-11-11T09:00:00.000Z')).toEqual({
      mayStart: false, reasons: ['the ring soaks until 2026-11-11T10:00:00.000Z (24 h after its last install)'], devicesInstalled: 1, successRate: 1,
      soakEndsAt: '2026-11-11T10:00:00.000Z', nextRing: { name: 'Broad' },
    });
    expect(await ask('2026-11-11T17:00:00.000Z')).toMatchObject({ mayStart: true, nextRing: { name: 'Broad' } });
    const last = (await data('query($c: ID!, $r: ID!) { ringPromotion(changeId: $c, ringId: $r) { mayStart reasons nextRing { name } } }', { c: g.change, r: g.broad })).ringPromotion;
    expect(last.mayStart).toBe(false);
    expect(last.reasons).toContain('"Broad" is the last ring: there is no next ring to start');
  });

  it('keeps the evidence of completion while later syncs move on', async () => {
    clock.set('2026-11-11T18:00:00.000Z');
    const done = await data('mutation($id: ID!) { completeChangeRequest(id: $id) { state } }', { id: g.change });
    expect(done.completeChangeRequest.state).toBe('COMPLETED');
    await sync('2026-11-12T08:00:00.000Z', { d1: 'MISSING', d2: 'INSTALLED', d3: 'INSTALLED' });
    const c = await verification();
    expect(c.evidence).toMatchObject({ at: '2026-11-11T18:00:00.000Z', installed: 3, percentInstalled: 100, suggestedOutcome: 'COMPLETED' });
    expect(row(c.evidence, 'PILOT-01')).toMatchObject({ status: 'INSTALLED', since: '2026-11-10T10:00:00.000Z' });
    expect(c.verification).toMatchObject({ at: null, installed: 2, pending: 1, suggestedOutcome: 'PARTIAL' });
  });

  it('the patch history report names the change beside the events it caused, and no change for the others', async () => {
    const { changeRequest } = await data('query($id: ID!) { changeRequest(id: $id) { reference } }', { id: g.change });
    const { patchHistory } = await data(`query($t: ID!) { patchHistory(first: 50, filter: { tenantId: $t, from: "2026-11-01T00:00:00Z", to: "2026-11-13T00:00:00Z", knownAt: "2026-11-12T08:00:00Z" }) {
      nodes { hostname fromState toState observedAt changeRecord } } }`, { t: g.tenant });
    const rows = (patchHistory.nodes as Array<{ hostname: string; fromState: string | null; toState: string; observedAt: string; changeRecord: string | null }>)
      .map((r) => [r.observedAt, r.hostname, r.fromState, r.toState, r.changeRecord]).sort();
    const chg = changeRequest.reference;
    expect(chg).toMatch(/^CHG-2026-\d{6}$/);
    expect(rows).toEqual([
      // Before the change started, and after it completed (18:00 on the 11th): no change stands behind them.
      ['2026-11-10T08:00:00.000Z', 'BROAD-01', null, 'MISSING', null],
      ['2026-11-10T08:00:00.000Z', 'BROAD-02', null, 'MISSING', null],
      ['2026-11-10T08:00:00.000Z', 'PILOT-01', null, 'MISSING', null],
      ['2026-11-10T10:00:00.000Z', 'PILOT-01', 'MISSING', 'INSTALLED', chg],
      ['2026-11-11T10:00:00.000Z', 'BROAD-01', 'MISSING', 'INSTALLED', chg],
      ['2026-11-11T10:00:00.000Z', 'BROAD-02', 'MISSING', 'FAILED', chg],
      ['2026-11-11T16:00:00.000Z', 'BROAD-02', 'FAILED', 'INSTALLED', chg],
      ['2026-11-12T08:00:00.000Z', 'PILOT-01', 'INSTALLED', 'MISSING', null],
    ]);
  });

  it('links WSUS approvals of the change\'s update and flags an approval no change stands behind', async () => {
    const tenantId = keyOf('Tenant', g.tenant, 'tenant');
    const [kb1, kb2] = await Promise.all([KB1, KB2].map(async (u) => (await db.dataSource.query('SELECT id FROM software_update WHERE kb = ?', [u.kb]))[0].id as string));
    const approval = (updateId: string, externalId: string, approvedAt: string) => Object.assign(new UpdateApproval(), {
      id: newId(), tenantId, connectorInstanceId: keyOf('ConnectorInstance', g.instance, 'instance'), updateId, externalId, groupName: 'All Computers',
      action: 'Install', approvedAt: new Date(approvedAt), approvedBy: 'CONTOSO\\wsusadmin', recordedAt: new Date(approvedAt),
    });
    await db.dataSource.getRepository(UpdateApproval).insert([
      approval(kb1, 'a-behind-change', '2026-11-10T09:30:00.000Z'),
      approval(kb2, 'a-unrecorded', '2026-11-10T09:45:00.000Z'),
      approval(kb1, 'a-before-change', '2026-11-01T09:00:00.000Z'),
    ]);
    const linked = await data('query($id: ID!) { changeRequest(id: $id) { updateApprovals { externalId approvedBy } } }', { id: g.change });
    expect(linked.changeRequest.updateApprovals).toEqual([{ externalId: 'a-behind-change', approvedBy: 'CONTOSO\\wsusadmin' }]);
    const flagged = await data('{ unrecordedChanges(since: "2026-10-01T00:00:00Z") { externalId approvedAt } }');
    expect(flagged.unrecordedChanges).toEqual([
      { externalId: 'a-before-change', approvedAt: '2026-11-01T09:00:00.000Z' },
      { externalId: 'a-unrecorded', approvedAt: '2026-11-10T09:45:00.000Z' },
    ]);
  });

  it("links an approval only when its WSUS group holds one of the change's targets, and flags one for a group it does not reach", async () => {
    const tenantId = keyOf('Tenant', g.tenant, 'tenant');
    const instanceId = keyOf('ConnectorInstance', g.instance, 'instance');
    const kb1 = (await db.dataSource.query('SELECT id FROM software_update WHERE kb = ?', [KB1.kb]))[0].id as string;
    // The pilot machine is in the WSUS group "Pilot"; the broad ones in "Workstations".
    const grouped = async (hostname: string, group: string) => {
      const device = await db.dataSource.getRepository(SourceDevice).findOneByOrFail({ assetId: keyOf('Asset', g[hostname], 'asset') });
      await db.dataSource.getRepository(SourceDevice).update({ id: device.id }, { attributes: { ...(device.attributes ?? {}), targetGroup: group } });
    };
    await grouped('PILOT-01', 'Pilot');
    await grouped('BROAD-01', 'Workstations');
    await grouped('BROAD-02', 'Workstations');
    const approval = (externalId: string, groupName: string, connectorInstanceId = instanceId) => Object.assign(new UpdateApproval(), {
      id: newId(), tenantId, connectorInstanceId, updateId: kb1, externalId, groupName,
      action: 'Install', approvedAt: new Date('2026-11-10T09:40:00.000Z'), approvedBy: 'CONTOSO\\wsusadmin', recordedAt: new Date('2026-11-10T09:40:00.000Z'),
    });
    await db.dataSource.getRepository(UpdateApproval).insert([
      approval('g-pilot', ' pilot '),
      approval('g-servers', 'Servers'),
      approval('g-other-wsus', 'Pilot', newId()),
    ]);
    const linked = await data('query($id: ID!) { changeRequest(id: $id) { updateApprovals { externalId } } }', { id: g.change });
    expect(linked.changeRequest.updateApprovals.map((a: { externalId: string }) => a.externalId).sort()).toEqual(['a-behind-change', 'g-pilot']);
    const flagged = await data('{ unrecordedChanges(since: "2026-11-10T09:35:00Z") { externalId } }');
    expect(flagged.unrecordedChanges.map((a: { externalId: string }) => a.externalId).sort()).toEqual(['a-unrecorded', 'g-other-wsus', 'g-servers']);
  });
});
