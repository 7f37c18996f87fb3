/**
 * Every change is in the audit trail: for each Mutation field of the schema (read by introspection, so one added
 * later fails this test until it is listed here), a real request over HTTP makes the change and the test finds the
 * audit event it wrote, with the caller as actor. A mutation that changes nothing says why and is checked to change
 * no row. Sync runs (by API, failed or succeeded, and a pushed WSUS snapshot) are audited and sealed too.
 */
import { gzipSync } from 'node:zlib';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { PRESETS } from '../../src/compliance/presets';
import { buildPatchgraphSchema } from '../../src/graphql/schema';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { AuditEvent, PatchEvent, SourceDevice, Tenant, VendorSite } from '../../src/entities';
import { verifyAuditChain } from '../../src/audit/verify-chain';
import { createApiKey } from '../../src/auth/api-keys';
import { Role } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { InventoryFile, KB1 } from '../helpers/inventory';
import { startTestServer, TestServer } from '../helpers/server';
import { tableDigests } from '../helpers/table-digest';

const INGEST_KEY = 'audit-coverage-ingest-key-0123456789abcdef';

interface Audited {
  request(): Promise<{ query: string; variables?: Record<string, unknown>; key?: string }>;
  /** The action the change is recorded under, or null with the reason the mutation writes nothing. */
  action: string | null;
  why?: string;
  /** The actor expected, when the request is not made with the suite's admin key. */
  actor?: RegExp;
}

describe(`audit coverage of every mutation on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let f: Factory;
  let acme: Tenant;
  let n = 0;
  const g: Record<string, string> = {};

  beforeAll(async () => {
    db = await openTestDatabase();
    f = new Factory(db.dataSource);
    await f.catalog();
    server = await startTestServer(db);
    const created = await server.gql('mutation { createTenant(input: { name: "Acme Ltd" }) { id } }');
    g.acme = created.body.data.createTenant.id;
    acme = await db.dataSource.getRepository(Tenant).findOneByOrFail({ name: 'Acme Ltd' });
    g.site = (await server.gql('mutation($t: ID!) { createSite(input: { tenantId: $t, name: "Acme HQ" }) { id } }', { t: g.acme })).body.data.createSite.id;
    g.wsus = (await server.gql(
      'mutation($t: ID!, $k: String!) { createConnectorInstance(input: { tenantId: $t, kind: "wsus", name: "Acme WSUS", settings: { ingestKey: $k } }) { id } }',
      { t: g.acme, k: INGEST_KEY },
    )).body.data.createConnectorInstance.id;
    const file = new InventoryFile().write(
      [{ externalId: 'pc-1', hostname: 'ACME-PC-1', serialNumber: 'ACME-SER-1' }],
      [{ deviceExternalId: 'pc-1', updateKey: KB1.key, state: 'MISSING' }],
    );
    g.export = (await server.gql(
      'mutation($t: ID!, $p: String!) { createConnectorInstance(input: { tenantId: $t, kind: "file-import", name: "Acme export", settings: { path: $p } }) { id } }',
      { t: g.acme, p: file.path },
    )).body.data.createConnectorInstance.id;
    const mspWide = await f.connector(acme, 'datto-rmm');
    await db.dataSource.query('UPDATE connector_instance SET tenantId = NULL WHERE id = ?', [mspWide.id]);
    const seen = new Date('2026-11-01T10:00:00Z');
    g.vendorSiteRaw = newId();
    await f.insert(VendorSite, [Object.assign(new VendorSite(), {
      id: g.vendorSiteRaw, connectorInstanceId: mspWide.id, externalId: 'site-1', name: 'Acme (Datto)', tenantId: null, siteId: null,
      ignored: false, deletedDevicesSite: false, deviceCount: 0, firstSeenAt: seen, lastSeenAt: seen,
    })]);
    g.policyKey = 'coverage-policy';
    expect((await server.gql('mutation($d: JSONObject!) { createPolicy(input: { key: "coverage-policy", definition: $d }) { key } }', { d: PRESETS['cyber-essentials-v3.3'] })).body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const unique = (what: string) => `${what} ${++n}`;
  async function freshAsset(sources = 1): Promise<{ asset: string; sources: string[] }> {
    const [asset] = await f.insertAssets([f.asset(acme, { hostname: unique('AUDIT') })]);
    const connector = await f.connector(acme);
    const rows = Array.from({ length: sources }, () => f.source(asset, connector));
    await f.insert(SourceDevice, rows);
    return { asset: toGlobalId('Asset', asset.id), sources: rows.map((s) => toGlobalId('SourceDevice', s.id)) };
  }
  async function issued(mutation: string, variables: Record<string, unknown>, pick: (data: any) => string): Promise<string> {
    const res = await server.gql(mutation, variables);
    expect(res.body.errors).toBeUndefined();
    return pick(res.body.data);
  }
  const EXCEPTION = '{ tenantId: $t, assetId: $a, owner: "Acme practice manager", reason: "Vendor fix breaks imaging", expiresAt: "2027-01-31T00:00:00Z" }';
  const newKey = () => issued('mutation($n: String!) { createApiKey(input: { name: $n, role: AUDITOR, allTenants: true }) { apiKey { id } } }', { n: unique('spare') }, (d) => d.createApiKey.apiKey.id);

  const COVERAGE: Record<string, Audited> = {
    createTenant: { action: 'tenant.create', request: async () => ({ query: 'mutation($n: String!) { createTenant(input: { name: $n }) { id } }', variables: { n: unique('Tenant') } }) },
    renameTenant: { action: 'tenant.rename', request: async () => ({ query: 'mutation($id: ID!, $n: String!) { renameTenant(input: { id: $id, name: $n }) { id } }', variables: { id: g.acme, n: unique('Acme') } }) },
    createSite: { action: 'site.create', request: async () => ({ query: 'mutation($t: ID!, $n: String!) { createSite(input: { tenantId: $t, name: $n }) { id } }', variables: { t: g.acme, n: unique('Site') } }) },
    renameSite: { action: 'site.rename', request: async () => ({ query: 'mutation($id: ID!, $n: String!) { renameSite(input: { id: $id, name: $n }) { id } }', variables: { id: g.site, n: unique('HQ') } }) },
    createConnectorInstance: {
      action: 'connector.create',
      request: async () => ({
        query: 'mutation($t: ID!, $n: String!, $k: String!) { createConnectorInstance(input: { tenantId: $t, kind: "wsus", name: $n, settings: { ingestKey: $k } }) { id } }',
        variables: { t: g.acme, n: unique('WSUS'), k: `${INGEST_KEY}-${n}` },
      }),
    },
    updateConnectorInstance: { action: 'connector.update', request: async () => ({ query: 'mutation($id: ID!, $n: String!) { updateConnectorInstance(input: { id: $id, name: $n }) { id } }', variables: { id: g.wsus, n: unique('Acme WSUS') } }) },
    testConnectorInstance: {
      action: null,
      why: 'it only reads the source with the stored credentials and answers; it changes nothing in patchgraph',
      request: async () => ({ query: 'mutation($id: ID!) { testConnectorInstance(id: $id) { ok } }', variables: { id: g.export } }),
    },
    triggerSync: {
      action: 'sync.run',
      request: async () => ({ query: 'mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { status } }', variables: { id: g.export } }),
    },
    resetIngestWatermark: { action: 'connector.reset_ingest_watermark', request: async () => ({ query: 'mutation($id: ID!) { resetIngestWatermark(connectorInstanceId: $id) { id } }', variables: { id: g.wsus } }) },
    mapVendorSite: {
      action: 'connector.map_vendor_site',
      request: async () => ({
        query: 'mutation($v: ID!, $t: ID) { mapVendorSite(input: { vendorSiteId: $v, tenantId: $t }) { name } }',
        // Alternately mapped and unmapped, so each call is a change.
        variables: { v: toGlobalId('VendorSite', g.vendorSiteRaw), t: ++n % 2 ? g.acme : null },
      }),
    },
    mergeAssets: {
      action: 'asset.merge',
      request: async () => {
        const [a, b] = [await freshAsset(), await freshAsset()];
        return { query: 'mutation($t: ID!, $a: ID!) { mergeAssets(input: { targetAssetId: $t, assetIds: [$a] }) { id } }', variables: { t: a.asset, a: b.asset } };
      },
    },
    splitAsset: {
      action: 'asset.split',
      request: async () => {
        const a = await freshAsset(2);
        return { query: 'mutation($a: ID!, $s: ID!) { splitAsset(input: { assetId: $a, sourceDeviceIds: [$s] }) { id } }', variables: { a: a.asset, s: a.sources[1] } };
      },
    },
    createPolicy: {
      action: 'policy.create',
      request: async () => ({ query: 'mutation($k: String!, $d: JSONObject!) { createPolicy(input: { key: $k, definition: $d }) { key } }', variables: { k: `coverage-${++n}`, d: PRESETS['cyber-essentials-v3.3'] } }),
    },
    updatePolicy: {
      action: 'policy.update',
      request: async () => ({ query: 'mutation($k: String!, $d: JSONObject!) { updatePolicy(input: { key: $k, definition: $d }) { version } }', variables: { k: g.policyKey, d: { ...PRESETS['cyber-essentials-v3.3'], dueSoonHours: ++n } } }),
    },
    assignPolicy: {
      action: 'policy.assign',
      request: async () => {
        const site = await issued('mutation($t: ID!, $n: String!) { createSite(input: { tenantId: $t, name: $n }) { id } }', { t: g.acme, n: unique('Policy site') }, (d) => d.createSite.id);
        return { query: 'mutation($t: ID!, $s: ID!) { assignPolicy(input: { policyKey: "cyber-essentials-v3.3", tenantId: $t, siteId: $s }) { id } }', variables: { t: g.acme, s: site } };
      },
    },
    unassignPolicy: {
      action: 'policy.unassign',
      request: async () => {
        const site = await issued('mutation($t: ID!, $n: String!) { createSite(input: { tenantId: $t, name: $n }) { id } }', { t: g.acme, n: unique('Policy site') }, (d) => d.createSite.id);
        const id = await issued('mutation($t: ID!, $s: ID!) { assignPolicy(input: { policyKey: "cyber-essentials-v3.3", tenantId: $t, siteId: $s }) { id } }', { t: g.acme, s: site }, (d) => d.assignPolicy.id);
        return { query: 'mutation($id: ID!) { unassignPolicy(id: $id) { removedAt } }', variables: { id } };
      },
    },
    createRiskException: {
      action: 'risk_exception.create',
      request: async () => ({ query: `mutation($t: ID!, $a: ID!) { createRiskException(input: ${EXCEPTION}) { status } }`, variables: { t: g.acme, a: (await freshAsset()).asset } }),
    },
    revokeRiskException: {
      action: 'risk_exception.revoke',
      request: async () => {
        const id = await issued(`mutation($t: ID!, $a: ID!) { createRiskException(input: ${EXCEPTION}) { id } }`, { t: g.acme, a: (await freshAsset()).asset }, (d) => d.createRiskException.id);
        return { query: 'mutation($id: ID!) { revokeRiskException(id: $id, reason: "fixed after all") { status } }', variables: { id } };
      },
    },
    createAdvisory: {
      action: 'advisory.create',
      request: async () => ({
        query: 'mutation($r: String!) { createAdvisory(input: { authority: "DfE", reference: $r, title: "Zero-day", noticeAt: "2026-11-01T09:00:00Z", cveIds: ["CVE-2026-21510"] }) { id } }',
        variables: { r: `DFE-${++n}` },
      }),
    },
    setAssetClass: { action: 'asset.set_class', request: async () => ({ query: 'mutation($a: ID!) { setAssetClass(assetId: $a, assetClass: INTERNET_FACING_SERVER) { id } }', variables: { a: (await freshAsset()).asset } }) },
    setAssetEsu: { action: 'asset.set_esu', request: async () => ({ query: 'mutation($a: ID!) { setAssetEsu(assetId: $a, esuUntil: "2026-10-13") { id } }', variables: { a: (await freshAsset()).asset } }) },
    createApiKey: { action: 'apiKey.created', request: async () => ({ query: 'mutation($n: String!) { createApiKey(input: { name: $n, role: AUDITOR, allTenants: true }) { key } }', variables: { n: unique('portal') } }) },
    rotateApiKey: { action: 'apiKey.rotated', request: async () => ({ query: 'mutation($id: ID!) { rotateApiKey(id: $id) { key } }', variables: { id: await newKey() } }) },
    revokeApiKey: { action: 'apiKey.revoked', request: async () => ({ query: 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', variables: { id: await newKey() } }) },
    createChangeRequest: {
      action: 'change.create',
      request: async () => ({ query: 'mutation($input: ChangeRequestInput!) { createChangeRequest(input: $input) { state } }', variables: { input: await changeInput() } }),
    },
    updateChangeRequest: {
      action: 'change.update',
      request: async () => ({
        query: 'mutation($id: ID!, $input: ChangeRequestInput!) { updateChangeRequest(id: $id, input: $input) { state } }',
        variables: { id: await changeIn('DRAFT'), input: await changeInput() },
      }),
    },
    submitChangeRequest: { action: 'change.submit', request: async () => changeMove('submitChangeRequest', await changeIn('DRAFT')) },
    approveChangeRequest: {
      action: 'change.approve', actor: /^api-key:change approver \(/,
      request: async () => ({ ...changeMove('approveChangeRequest', await changeIn('SUBMITTED')), key: await approver() }),
    },
    rejectChangeRequest: {
      action: 'change.reject', actor: /^api-key:change approver \(/,
      request: async () => ({ ...changeMove('rejectChangeRequest', await changeIn('SUBMITTED'), ', comment: "not now"'), key: await approver() }),
    },
    scheduleChangeRequest: { action: 'change.schedule', request: async () => changeMove('scheduleChangeRequest', await changeIn('APPROVED')) },
    startChangeRequest: { action: 'change.start', request: async () => changeMove('startChangeRequest', await changeIn('SCHEDULED')) },
    completeChangeRequest: { action: 'change.complete', request: async () => changeMove('completeChangeRequest', await changeIn('IN_PROGRESS')) },
    failChangeRequest: { action: 'change.fail', request: async () => changeMove('failChangeRequest', await changeIn('IN_PROGRESS')) },
    rollBackChangeRequest: { action: 'change.rollBack', request: async () => changeMove('rollBackChangeRequest', await changeIn('IN_PROGRESS')) },
    closeChangeRequest: { action: 'change.close', request: async () => changeMove('closeChangeRequest', await changeIn('COMPLETED'), ', input: { review: "fine" }') },
    createMaintenanceWindow: {
      action: 'maintenance_window.create',
      request: async () => ({
        query: 'mutation($t: ID!, $n: String!) { createMaintenanceWindow(input: { tenantId: $t, name: $n, rrule: "FREQ=WEEKLY;BYDAY=TU", firstStart: "2026-01-06T19:00", timeZone: "Europe/London", durationMinutes: 240 }) { name } }',
        variables: { t: g.acme, n: unique('window') },
      }),
    },
    createDeploymentRing: {
      action: 'deployment_ring.create',
      request: async () => ({
        query: 'mutation($t: ID!, $n: String!, $p: Int!, $a: ID!) { createDeploymentRing(input: { tenantId: $t, name: $n, position: $p, assetIds: [$a], minSuccessRate: 0.9, minDevices: 1, soakHours: 24 }) { name } }',
        variables: { t: g.acme, n: unique('ring'), p: ++n, a: (await freshAsset()).asset },
      }),
    },
    createChangeWebhook: {
      action: 'change_webhook.create',
      request: async () => ({ query: 'mutation($t: ID!) { createChangeWebhook(input: { tenantId: $t, url: "https://psa.example/hooks/patchgraph" }) { webhook { url } } }', variables: { t: g.acme } }),
    },
    deleteChangeWebhook: {
      action: 'change_webhook.delete',
      request: async () => {
        const id = await issued('mutation($t: ID!) { createChangeWebhook(input: { tenantId: $t, url: "https://psa.example/hooks/old" }) { webhook { id } } }', { t: g.acme }, (d) => d.createChangeWebhook.webhook.id);
        return { query: 'mutation($id: ID!) { deleteChangeWebhook(id: $id) { url } }', variables: { id } };
      },
    },
  };

  /** An EMERGENCY change (schedulable without a window) for Acme, raised by the admin key and moved to `state`. */
  async function changeInput() {
    g.update ??= (await issued('{ updates(first: 1) { nodes { id } } }', {}, (d) => d.updates.nodes[0].id));
    return {
      tenantId: g.acme, type: 'EMERGENCY', title: unique('change'), description: 'Out-of-band fix', updateIds: [g.update], targets: { assetIds: [(await freshAsset()).asset] },
      risk: 'HIGH', impact: 'One restart', rollbackPlan: 'Uninstall the update', plannedStart: '2026-11-03T19:30:00Z', plannedEnd: '2026-11-03T21:30:00Z',
    };
  }
  const changeMove = (name: string, id: string, args = '') => ({ query: `mutation($id: ID!) { ${name}(id: $id${args}) { state } }`, variables: { id } });
  /** The requester may not approve its own change: a client admin of Acme does. */
  async function approver(): Promise<string> {
    g.approverKey ??= (await createApiKey(db.dataSource, server.clock, { name: 'change approver', role: Role.CLIENT_ADMIN, allTenants: false, tenantIds: [acme.id] })).key;
    return g.approverKey;
  }
  async function changeIn(state: 'DRAFT' | 'SUBMITTED' | 'APPROVED' | 'SCHEDULED' | 'IN_PROGRESS' | 'COMPLETED'): Promise<string> {
    const order = ['DRAFT', 'SUBMITTED', 'APPROVED', 'SCHEDULED', 'IN_PROGRESS', 'COMPLETED'];
    const moves: Record<string, string> = { SUBMITTED: 'submitChangeRequest', APPROVED: 'approveChangeRequest', SCHEDULED: 'scheduleChangeRequest', IN_PROGRESS: 'startChangeRequest', COMPLETED: 'completeChangeRequest' };
    const id = await issued('mutation($input: ChangeRequestInput!) { createChangeRequest(input: $input) { id } }', { input: await changeInput() }, (d) => d.createChangeRequest.id);
    for (const step of order.slice(1, order.indexOf(state) + 1)) {
      const { query, variables } = changeMove(moves[step], id);
      const res = await server.gql(query, variables, step === 'APPROVED' ? await approver() : server.adminKey);
      expect([step, res.body.errors]).toEqual([step, undefined]);
    }
    return id;
  }

  const mutations = Object.keys(buildPatchgraphSchema().getMutationType()!.getFields());

  it('lists every mutation of the schema, each with the action it is audited under or why it changes nothing', () => {
    expect(mutations.filter((m) => !COVERAGE[m])).toEqual([]);
    expect(Object.keys(COVERAGE).filter((m) => !mutations.includes(m))).toEqual([]);
    for (const [m, c] of Object.entries(COVERAGE)) expect([m, c.action !== null || !!c.why]).toEqual([m, true]);
  });

  const ids = async () => new Set((await db.dataSource.getRepository(AuditEvent).find({ select: { id: true } })).map((e) => e.id));
  for (const [mutation, audited] of Object.entries(COVERAGE)) {
    const title = audited.action ? `${mutation} writes a "${audited.action}" audit event with the caller as actor` : `${mutation} changes nothing (${audited.why})`;
    it(title, async () => {
      const { query, variables, key } = await audited.request();
      const before = await ids();
      const digests = audited.action ? null : await tableDigests(db.dataSource);
      const res = await server.gql(query, variables, key);
      expect(res.body.errors).toBeUndefined();
      const added = (await db.dataSource.getRepository(AuditEvent).find()).filter((e) => !before.has(e.id));
      if (audited.action === null) {
        expect(added).toEqual([]);
        expect(await tableDigests(db.dataSource)).toEqual(digests);
        return;
      }
      expect(added.map((e) => e.action)).toContain(audited.action);
      const event = added.find((e) => e.action === audited.action)!;
      expect(event.actor).toMatch(audited.actor ?? /^api-key:test-admin \(/);
    });
  }

  it('seals a run triggered through the API: its audit event carries the root and count of the events it wrote, and the chain verifies', async () => {
    const [run] = (await db.dataSource.getRepository(AuditEvent).findBy({ action: 'sync.run', chainKey: acme.id })).map((e) => JSON.parse(e.data));
    expect(run).toMatchObject({ kind: 'file-import', status: 'SUCCEEDED', trigger: 'API', events: { count: 1, root: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(await db.dataSource.getRepository(PatchEvent).countBy({ tenantId: acme.id })).toBe(1);
    expect(await verifyAuditChain(db.dataSource, acme.id)).toMatchObject({ ok: true, runsChecked: 1, eventsChecked: 1 });
  });

  it('records a failed run in the chain, with its errorKind and no seal', async () => {
    const id = await issued(
      'mutation($t: ID!, $p: String!) { createConnectorInstance(input: { tenantId: $t, kind: "file-import", name: "Missing export", settings: { path: $p } }) { id } }',
      { t: g.acme, p: `${new InventoryFile().path}.missing` }, (d) => d.createConnectorInstance.id,
    );
    const res = await server.gql('mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { id status } }', { id });
    expect(res.body.data.triggerSync.status).toBe('FAILED');
    const runKey = Buffer.from(res.body.data.triggerSync.id, 'base64url').toString().split(':')[1];
    const [event] = await db.dataSource.getRepository(AuditEvent).findBy({ action: 'sync.run', targetId: runKey });
    expect(event).toMatchObject({ chainKey: acme.id, actor: expect.stringMatching(/^api-key:test-admin/) });
    expect(JSON.parse(event.data)).toMatchObject({ status: 'FAILED', errorKind: expect.any(String), trigger: 'API' });
    expect(JSON.parse(event.data).events).toBeUndefined();
  });

  it('audits a pushed WSUS snapshot (ingest) as a sealed run of the collector', async () => {
    const wsusKey = Buffer.from(g.wsus, 'base64url').toString().split(':')[1];
    const snapshot = gzipSync(JSON.stringify(new WsusSimulator({ computers: 3, updates: 4, seed: 5, now: new Date('2026-11-02T09:00:00Z') }).snapshot()));
    const post = await fetch(`${server.app.url}/ingest/wsus/${g.wsus}`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${INGEST_KEY}` }, body: snapshot,
    });
    expect(post.status).toBe(200);
    const events = await db.dataSource.getRepository(PatchEvent).countBy({ tenantId: acme.id });
    const seals = (await db.dataSource.getRepository(AuditEvent).findBy({ action: 'sync.run', chainKey: acme.id })).map((e) => ({ actor: e.actor, ...JSON.parse(e.data) }));
    const push = seals.find((s) => s.trigger === 'PUSH' && s.connectorInstanceId === wsusKey);
    expect(push).toMatchObject({ actor: expect.stringMatching(/^wsus collector on /), status: 'SUCCEEDED', kind: 'wsus' });
    expect(push.events.count).toBe(events - 1);
    expect(await verifyAuditChain(db.dataSource, acme.id)).toMatchObject({ ok: true, eventsChecked: events });
  });
});
