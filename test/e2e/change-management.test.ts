/**
 * Change management over real HTTP on a real database: a NORMAL change walked through every state, each guard
 * refusing with CHANGE_TRANSITION_REFUSED (self-approval, missing rollback plan, outside the maintenance window,
 * illegal jumps, approvals counted, EMERGENCY review), an EMERGENCY change outside any window, race-free
 * references, tenant isolation, and every create and transition on the audit chain with who, from → to and comment.
 */
import { AuditEvent, Site, Tenant } from '../../src/entities';
import { Role } from '../../src/entities/enums';
import { keyOf, toGlobalId } from '../../src/graphql/types/global-id';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { GraphQLResponse, startTestServer, TestServer } from '../helpers/server';

const FIELDS = 'id reference type state approvalsRequired approvals { approvedBy comment } closureCode review startedAt finishedAt plannedStart plannedEnd evidence { percentInstalled }';
const CREATE = `mutation($input: ChangeRequestInput!) { createChangeRequest(input: $input) { ${FIELDS} requestedBy externalTickets { system id } targets { assets { hostname } sites { name } } updates { kb } } }`;
const move = (name: string, args = '') => `mutation($id: ID!) { ${name}(id: $id${args}) { ${FIELDS} } }`;

function refused(res: GraphQLResponse, state: string, rule: string): void {
  expect(res.body.errors).toHaveLength(1);
  const [e] = res.body.errors!;
  expect({ code: e.extensions?.code, state: e.extensions?.state, rule: e.extensions?.rule }).toEqual({ code: 'CHANGE_TRANSITION_REFUSED', state, rule });
  expect(e.message).toContain(state);
  expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |node_modules/);
}

describe(`change management on ${ENGINE}`, () => {
  // Monday 2 November 2026; the Tuesday window below opens at 19:00 London time, 19:00Z in November.
  const clock = fixedClock('2026-11-02T10:00:00.000Z');
  let db: TestDatabase;
  let server: TestServer;
  let acme: Tenant;
  let hq: Site;
  const g: Record<string, string> = {};
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    await f.catalog();
    acme = await f.tenant('Acme Ltd');
    const globex = await f.tenant('Globex Corp');
    hq = await f.site(acme, 'Acme HQ');
    const [srv, lt] = await f.insertAssets([
      f.asset(acme, { hostname: 'ACME-SRV-01', siteId: hq.id }),
      f.asset(acme, { hostname: 'ACME-LT-01', siteId: hq.id }),
    ]);
    server = await startTestServer(db, {}, { clock });
    Object.assign(g, {
      acme: toGlobalId('Tenant', acme.id), globex: toGlobalId('Tenant', globex.id), hq: toGlobalId('Site', hq.id),
      srv: toGlobalId('Asset', srv.id), lt: toGlobalId('Asset', lt.id),
    });
    keys.technician = await server.keyFor(Role.TECHNICIAN, [acme.id]);
    keys.clientAdmin = await server.keyFor(Role.CLIENT_ADMIN, [acme.id]);
    keys.acmeAdmin = await server.keyFor(Role.MSP_ADMIN, [acme.id]);
    keys.auditor = await server.keyFor(Role.AUDITOR, [acme.id]);
    keys.globexTech = await server.keyFor(Role.TECHNICIAN, [globex.id]);
    const kb = (await db.dataSource.query("SELECT kb FROM software_update WHERE kb IS NOT NULL AND owner = 'shared' ORDER BY kb LIMIT 1"))[0].kb;
    g.kb = kb;
    const window = await server.gql(
      `mutation($input: MaintenanceWindowInput!) { createMaintenanceWindow(input: $input) { id name occurrences(from: "2026-11-02T00:00:00Z", to: "2026-11-11T00:00:00Z") { start end } } }`,
      { input: { tenantId: g.acme, name: 'Tuesday evenings', rrule: 'FREQ=WEEKLY;BYDAY=TU', firstStart: '2026-01-06T19:00', timeZone: 'Europe/London', durationMinutes: 240 } },
      keys.clientAdmin,
    );
    expect(window.body.errors).toBeUndefined();
    expect(window.body.data.createMaintenanceWindow.occurrences).toEqual([
      { start: '2026-11-03T19:00:00.000Z', end: '2026-11-03T23:00:00.000Z' },
      { start: '2026-11-10T19:00:00.000Z', end: '2026-11-10T23:00:00.000Z' },
    ]);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const input = (over: Record<string, unknown> = {}) => ({
    tenantId: g.acme, type: 'NORMAL', title: 'November cumulative update', description: 'Monthly security rollup for HQ',
    kbs: [g.kb], targets: { siteIds: [g.hq] }, risk: 'MEDIUM', impact: 'HQ machines restart once in the evening',
    testPlan: 'Installed on ACME-LT-01 first and checked line-of-business apps', rollbackPlan: 'Uninstall the KB with wusa /uninstall and restart',
    plannedStart: '2026-11-03T19:30:00Z', plannedEnd: '2026-11-03T21:30:00Z', externalTickets: [{ system: 'ConnectWise', id: 'CW-4711' }],
    ...over,
  });
  const create = async (over: Record<string, unknown> = {}, key = keys.technician) => {
    const res = await server.gql(CREATE, { input: input(over) }, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data.createChangeRequest;
  };
  const run = async (name: string, id: string, key: string, args = '', variables: Record<string, unknown> = {}) => {
    const res = await server.gql(move(name, args), { id, ...variables }, key);
    return res;
  };
  const ok = async (name: string, id: string, key: string, args = '', variables: Record<string, unknown> = {}) => {
    const res = await run(name, id, key, args, variables);
    expect(res.body.errors).toBeUndefined();
    return res.body.data[name];
  };
  const events = async (changeId: string) => (await db.dataSource.getRepository(AuditEvent).find({ where: { targetType: 'ChangeRequest', targetId: keyOf('ChangeRequest', changeId, 'id') }, order: { seq: 'ASC' } }))
    .map((e) => ({ action: e.action, actor: e.actor, at: e.occurredAt.toISOString(), ...JSON.parse(e.data) }));

  it('walks a NORMAL change through every state, each step audited with who, when, from → to and comment', async () => {
    const c = await create();
    expect(c).toMatchObject({
      reference: expect.stringMatching(/^CHG-2026-\d{6}$/), type: 'NORMAL', state: 'DRAFT', approvalsRequired: 1, requestedBy: expect.stringContaining('test-TECHNICIAN'),
      externalTickets: [{ system: 'ConnectWise', id: 'CW-4711' }], targets: { assets: [], sites: [{ name: 'Acme HQ' }] }, updates: expect.arrayContaining([{ kb: g.kb }]),
    });
    expect((await ok('submitChangeRequest', c.id, keys.technician, ', comment: "ready for CAB"')).state).toBe('SUBMITTED');
    clock.advance(3600_000);
    const approved = await ok('approveChangeRequest', c.id, keys.clientAdmin, ', comment: "agreed with the practice manager"');
    expect(approved).toMatchObject({ state: 'APPROVED', approvals: [{ approvedBy: expect.stringContaining('test-CLIENT_ADMIN'), comment: 'agreed with the practice manager' }] });
    expect((await ok('scheduleChangeRequest', c.id, keys.technician)).state).toBe('SCHEDULED');
    clock.set('2026-11-03T19:30:00Z');
    expect(await ok('startChangeRequest', c.id, keys.technician)).toMatchObject({ state: 'IN_PROGRESS', startedAt: '2026-11-03T19:30:00.000Z' });
    clock.set('2026-11-03T21:00:00Z');
    const done = await ok('completeChangeRequest', c.id, keys.technician, ', comment: "all restarted"');
    expect(done).toMatchObject({ state: 'COMPLETED', finishedAt: '2026-11-03T21:00:00.000Z', evidence: { percentInstalled: expect.any(Number) } });
    const closed = await ok('closeChangeRequest', c.id, keys.technician, ', input: { review: "No issues; two machines needed a second restart" }');
    expect(closed).toMatchObject({ state: 'CLOSED', closureCode: 'SUCCESSFUL', review: 'No issues; two machines needed a second restart' });

    const trail = await events(c.id);
    expect(trail.map((e) => [e.action, e.from, e.to])).toEqual([
      ['change.create', null, 'DRAFT'], ['change.submit', 'DRAFT', 'SUBMITTED'], ['change.approve', 'SUBMITTED', 'APPROVED'], ['change.schedule', 'APPROVED', 'SCHEDULED'],
      ['change.start', 'SCHEDULED', 'IN_PROGRESS'], ['change.complete', 'IN_PROGRESS', 'COMPLETED'], ['change.close', 'COMPLETED', 'CLOSED'],
    ]);
    expect(trail[1]).toMatchObject({ comment: 'ready for CAB', actor: expect.stringContaining('test-TECHNICIAN'), reference: c.reference, at: '2026-11-02T10:00:00.000Z' });
    expect(trail[2]).toMatchObject({ comment: 'agreed with the practice manager', actor: expect.stringContaining('test-CLIENT_ADMIN'), at: '2026-11-02T11:00:00.000Z' });
    expect(trail[3].window).toContain('within a maintenance window');
    expect(trail[6]).toMatchObject({ closureCode: 'SUCCESSFUL', review: 'No issues; two machines needed a second restart' });
    clock.set('2026-11-02T10:00:00.000Z');
  });

  it('reaches FAILED, ROLLED_BACK and REJECTED, and closes each with the code its state says', async () => {
    const a = await create();
    await ok('submitChangeRequest', a.id, keys.technician);
    await ok('approveChangeRequest', a.id, keys.clientAdmin);
    await ok('scheduleChangeRequest', a.id, keys.technician);
    await ok('startChangeRequest', a.id, keys.technician);
    expect((await ok('failChangeRequest', a.id, keys.technician, ', comment: "BSOD on the server"')).state).toBe('FAILED');
    expect((await ok('rollBackChangeRequest', a.id, keys.technician)).state).toBe('ROLLED_BACK');
    expect(await ok('closeChangeRequest', a.id, keys.technician)).toMatchObject({ state: 'CLOSED', closureCode: 'ROLLED_BACK' });

    const b = await create();
    await ok('submitChangeRequest', b.id, keys.technician);
    expect((await run('rejectChangeRequest', b.id, keys.clientAdmin, ', comment: "  "')).body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'comment' });
    expect((await ok('rejectChangeRequest', b.id, keys.clientAdmin, ', comment: "not during month end"')).state).toBe('REJECTED');
    expect(await ok('closeChangeRequest', b.id, keys.technician)).toMatchObject({ state: 'CLOSED', closureCode: 'REJECTED' });
    expect((await events(b.id)).map((e) => e.to)).toEqual(['DRAFT', 'SUBMITTED', 'REJECTED', 'CLOSED']);
  });

  it('refuses self-approval, and leaves the change and the audit trail as they were', async () => {
    const c = await create({}, keys.acmeAdmin);
    await ok('submitChangeRequest', c.id, keys.acmeAdmin);
    const before = await events(c.id);
    refused(await run('approveChangeRequest', c.id, keys.acmeAdmin), 'SUBMITTED', 'SELF_APPROVAL');
    refused(await run('rejectChangeRequest', c.id, keys.acmeAdmin, ', comment: "changed my mind"'), 'SUBMITTED', 'SELF_APPROVAL');
    expect((await server.gql('query($id: ID!) { changeRequest(id: $id) { state approvals { approvedBy } } }', { id: c.id })).body.data.changeRequest).toEqual({ state: 'SUBMITTED', approvals: [] });
    expect(await events(c.id)).toEqual(before);
    expect((await ok('approveChangeRequest', c.id, keys.clientAdmin)).state).toBe('APPROVED');
  });

  it('refuses to submit a NORMAL or EMERGENCY change without a rollback plan; a draft can be given one', async () => {
    for (const type of ['NORMAL', 'EMERGENCY']) {
      const c = await create({ type, rollbackPlan: null });
      refused(await run('submitChangeRequest', c.id, keys.technician), 'DRAFT', 'ROLLBACK_PLAN_REQUIRED');
      const fixed = await server.gql('mutation($id: ID!, $input: ChangeRequestInput!) { updateChangeRequest(id: $id, input: $input) { state rollbackPlan } }', { id: c.id, input: input({ type }) }, keys.technician);
      expect(fixed.body.data.updateChangeRequest).toEqual({ state: 'DRAFT', rollbackPlan: 'Uninstall the KB with wusa /uninstall and restart' });
      expect((await ok('submitChangeRequest', c.id, keys.technician)).state).toBe('SUBMITTED');
      refused(await server.gql('mutation($id: ID!, $input: ChangeRequestInput!) { updateChangeRequest(id: $id, input: $input) { state } }', { id: c.id, input: input({ type }) }, keys.technician), 'SUBMITTED', 'STATE');
    }
    // A STANDARD change needs none, and is pre-approved.
    const std = await create({ type: 'STANDARD', rollbackPlan: null });
    expect(await ok('submitChangeRequest', std.id, keys.technician)).toMatchObject({ state: 'APPROVED', approvalsRequired: 0 });
  });

  it('refuses to schedule a NORMAL change outside its targets\' maintenance windows', async () => {
    const c = await create();
    await ok('submitChangeRequest', c.id, keys.technician);
    await ok('approveChangeRequest', c.id, keys.clientAdmin);
    const q = (s: string, e: string) => server.gql(`mutation($id: ID!, $s: DateTimeISO, $e: DateTimeISO) { scheduleChangeRequest(id: $id, plannedStart: $s, plannedEnd: $e) { state plannedStart } }`, { id: c.id, s, e }, keys.technician);
    const wednesday = await q('2026-11-04T19:30:00Z', '2026-11-04T21:00:00Z');
    refused(wednesday, 'APPROVED', 'OUTSIDE_MAINTENANCE_WINDOW');
    expect(wednesday.body.errors![0].message).toContain('outside every maintenance window of site "Acme HQ"');
    refused(await q('2026-11-03T22:00:00Z', '2026-11-03T23:30:00Z'), 'APPROVED', 'OUTSIDE_MAINTENANCE_WINDOW');
    expect((await q('2026-11-10T19:00:00Z', '2026-11-10T23:00:00Z')).body.data.scheduleChangeRequest).toEqual({ state: 'SCHEDULED', plannedStart: '2026-11-10T19:00:00.000Z' });
  });

  it('schedules an EMERGENCY change outside any window, and closes it only with its review', async () => {
    const c = await create({ type: 'EMERGENCY', title: 'Out-of-band fix for an exploited CVE', plannedStart: '2026-11-04T12:00:00Z', plannedEnd: '2026-11-04T13:00:00Z' });
    await ok('submitChangeRequest', c.id, keys.technician);
    expect(await ok('approveChangeRequest', c.id, keys.clientAdmin)).toMatchObject({ state: 'APPROVED', approvalsRequired: 1 });
    expect((await ok('scheduleChangeRequest', c.id, keys.technician)).state).toBe('SCHEDULED');
    const trail = await events(c.id);
    expect(trail[trail.length - 1].window).toContain('outside every maintenance window');
    await ok('startChangeRequest', c.id, keys.technician);
    await ok('completeChangeRequest', c.id, keys.technician);
    refused(await run('closeChangeRequest', c.id, keys.technician), 'COMPLETED', 'REVIEW_REQUIRED');
    refused(await run('closeChangeRequest', c.id, keys.technician, ', input: { review: "   " }'), 'COMPLETED', 'REVIEW_REQUIRED');
    expect((await ok('closeChangeRequest', c.id, keys.technician, ', input: { review: "Patched in 40 minutes; no side effects", closureCode: SUCCESSFUL }')).state).toBe('CLOSED');
  });

  it('refuses illegal jumps, naming the state and the transitions allowed', async () => {
    const c = await create();
    const jump = await run('startChangeRequest', c.id, keys.technician);
    refused(jump, 'DRAFT', 'STATE');
    expect(jump.body.errors![0].message).toContain('start applies only to SCHEDULED changes');
    refused(await run('completeChangeRequest', c.id, keys.technician), 'DRAFT', 'STATE');
    refused(await run('closeChangeRequest', c.id, keys.technician), 'DRAFT', 'STATE');
    await ok('submitChangeRequest', c.id, keys.technician);
    refused(await run('submitChangeRequest', c.id, keys.technician), 'SUBMITTED', 'STATE');
    refused(await run('scheduleChangeRequest', c.id, keys.technician), 'SUBMITTED', 'STATE');
    expect((await events(c.id)).map((e) => e.action)).toEqual(['change.create', 'change.submit']);
  });

  it('numbers changes created at the same moment one after another, never twice', async () => {
    const made = await Promise.all(Array.from({ length: 8 }, () => server.gql(CREATE, { input: input() }, keys.technician)));
    const refs = made.map((r) => {
      expect(r.body.errors).toBeUndefined();
      return r.body.data.createChangeRequest.reference as string;
    });
    const numbers = refs.map((r) => Number(r.slice(-6))).sort((a, b) => a - b);
    expect(new Set(numbers).size).toBe(8);
    expect(numbers[7] - numbers[0]).toBe(7);
    const byRef = await server.gql('query($r: String!) { changeRequest(reference: $r) { reference } }', { r: refs[0].toLowerCase() });
    expect(byRef.body.data.changeRequest.reference).toBe(refs[0]);
  });

  it('refuses bad input naming the field, and keeps other tenants\' changes out of sight', async () => {
    const bad = async (over: Record<string, unknown>, field: string) => {
      const res = await server.gql(CREATE, { input: input(over) }, keys.technician);
      expect([field, res.body.errors?.[0].extensions]).toEqual([field, expect.objectContaining({ code: 'BAD_USER_INPUT', field })]);
    };
    await bad({ plannedEnd: '2026-11-03T19:00:00Z' }, 'input.plannedEnd');
    await bad({ targets: {} }, 'input.targets');
    await bad({ kbs: [] }, 'input.updateIds');
    await bad({ kbs: ['KB0000001'] }, 'input.kbs[0]');
    await bad({ title: '' }, 'input.title');
    const c = await create();
    const hidden = await server.gql('query($id: ID!) { changeRequest(id: $id) { reference } }', { id: c.id }, keys.globexTech);
    expect(hidden.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await server.gql('{ changeRequests { totalCount } }', undefined, keys.globexTech)).body.data.changeRequests.totalCount).toBe(0);
    const foreign = await server.gql(CREATE, { input: input({ tenantId: g.globex }) }, keys.technician);
    expect(foreign.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await server.gql('query($id: ID!) { node(id: $id) { ... on ChangeRequest { reference } } }', { id: c.id }, keys.auditor)).body.data.node.reference).toBe(c.reference);
  });
});

describe(`change approvals as configured on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('needs PATCHGRAPH_CHANGE_APPROVALS approvals for a NORMAL change, each approver counted once', async () => {
    const f = new Factory(db.dataSource);
    await f.catalog();
    const acme = await f.tenant('Acme Ltd');
    const [asset] = await f.insertAssets([f.asset(acme, { hostname: 'ACME-PC-01' })]);
    server = await startTestServer(db, { PATCHGRAPH_CHANGE_APPROVALS: '2' });
    const [requester, clientAdmin, mspAdmin] = await Promise.all([Role.TECHNICIAN, Role.CLIENT_ADMIN, Role.MSP_ADMIN].map((r) => server.keyFor(r, [acme.id])));
    const kb = (await db.dataSource.query("SELECT kb FROM software_update WHERE kb IS NOT NULL AND owner = 'shared' ORDER BY kb LIMIT 1"))[0].kb;
    const res = await server.gql(CREATE, {
      input: {
        tenantId: toGlobalId('Tenant', acme.id), type: 'NORMAL', title: 'Rollup', description: 'Monthly rollup', kbs: [kb], targets: { assetIds: [toGlobalId('Asset', asset.id)] },
        risk: 'LOW', impact: 'One restart', rollbackPlan: 'Uninstall the KB', plannedStart: '2026-11-03T19:30:00Z', plannedEnd: '2026-11-03T21:30:00Z',
      },
    }, requester);
    const c = res.body.data.createChangeRequest;
    expect(c.approvalsRequired).toBe(2);
    await server.gql(move('submitChangeRequest'), { id: c.id }, requester);
    const first = await server.gql(move('approveChangeRequest'), { id: c.id }, clientAdmin);
    expect(first.body.data.approveChangeRequest).toMatchObject({ state: 'SUBMITTED', approvals: [{ approvedBy: expect.stringContaining('CLIENT_ADMIN') }] });
    refused(await server.gql(move('approveChangeRequest'), { id: c.id }, clientAdmin), 'SUBMITTED', 'DUPLICATE_APPROVAL');
    const second = await server.gql(move('approveChangeRequest'), { id: c.id }, mspAdmin);
    expect(second.body.data.approveChangeRequest.state).toBe('APPROVED');
    expect(second.body.data.approveChangeRequest.approvals).toHaveLength(2);
  });
});
