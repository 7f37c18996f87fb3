/**
 * The permission matrix, cell by cell: for every operation and guarded field it names, and every role, a key of
 * that role runs a real request over HTTP and gets exactly what the matrix says: allowed (no FORBIDDEN, the
 * change made), refused (FORBIDDEN and not a row changed) or the reduced value. A matrix entry without a sample
 * request here fails the test, so a new operation is checked from the day it is added.
 */
import { gzipSync } from 'node:zlib';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { createApiKey } from '../../src/auth/api-keys';
import { GRANTEES, Grantee, PERMISSIONS, renderPermissionMatrix } from '../../src/auth/permissions';
import { SourceDevice, SyncRun, Tenant, VendorSite } from '../../src/entities';
import { Role, SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { PRESETS } from '../../src/compliance/presets';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { buildSchemaWith } from '../../src/graphql/schema';
import { newId } from '../../src/util/ids';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Arg, buildSchemaSync, Query, Resolver } from 'type-graphql';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { download } from '../helpers/http-download';
import { startTestServer, TestServer } from '../helpers/server';
import { tableDigests } from '../helpers/table-digest';

const ROLES = [Role.MSP_ADMIN, Role.TECHNICIAN, Role.CLIENT_ADMIN, Role.AUDITOR];
const INGEST_KEY = 'matrix-test-ingest-key-0123456789abcdef';

/** One request exercising a coordinate, made fresh for each call (mutations get their own rows to change). */
interface Sample {
  /** 'all' when the operation is about data no single tenant owns (an MSP-wide account), or needs all tenants. */
  scope?: 'tenant' | 'all';
  request(): Promise<{ query: string; variables?: Record<string, unknown> }>;
  /** For a redacted field: the value a principal without the role sees, and the full value. */
  reduced?: (data: any) => unknown;
  full?: (data: any) => unknown;
}

describe(`permission matrix on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let f: Factory;
  let acme: Tenant;
  let n = 0;
  const g: Record<string, string> = {};
  const keys = new Map<string, string>();

  beforeAll(async () => {
    db = await openTestDatabase();
    f = new Factory(db.dataSource);
    await f.catalog();
    acme = await f.tenant('Acme Ltd');
    await f.tenant('Globex Corp');
    const site = await f.site(acme, 'Acme HQ');
    server = await startTestServer(db);
    // The keys' last use is written once a minute: on a busy machine the matrix runs past a minute, and that write
    // would land between a refused mutation's before and after digests of every table (api_key changed, a full CI
    // run on MariaDB). Recorded uses are written when the server stops instead.
    await server.app.keyUsage.stop();
    const wsus = await server.gql(
      'mutation($t: ID!, $k: String!) { createConnectorInstance(input: { tenantId: $t, kind: "wsus", name: "Acme WSUS", settings: { source: "collector", ingestKey: $k } }) { id } }',
      { t: toGlobalId('Tenant', acme.id), k: INGEST_KEY },
    );
    g.wsus = wsus.body.data.createConnectorInstance.id;
    const wsusRaw = (await db.dataSource.query('SELECT id FROM connector_instance WHERE name = ?', ['Acme WSUS']))[0].id;
    const run = Object.assign(new SyncRun(), {
      id: newId(), connectorInstanceId: wsusRaw, tenantId: acme.id, counts: '{}', status: SyncRunStatus.FAILED, trigger: SyncTrigger.API, triggeredBy: 'api-key:ops (k1)',
      mode: 'FULL', startedAt: new Date('2026-11-01T10:00:00Z'), finishedAt: new Date('2026-11-01T10:01:00Z'),
      errorKind: 'auth', errorMessage: 'HTTP 401 from https://vendor.example/api: token rejected',
    });
    await f.insert(SyncRun, [run]);
    const [asset] = await f.insertAssets([f.asset(acme, { hostname: 'ACME-01', siteId: site.id })]);
    const mspWide = await f.connector(acme, 'datto-rmm');
    await db.dataSource.query('UPDATE connector_instance SET tenantId = NULL WHERE id = ?', [mspWide.id]);
    g.vendorSiteRaw = newId();
    const seen = new Date('2026-11-01T10:00:00Z');
    await f.insert(VendorSite, [Object.assign(new VendorSite(), {
      id: g.vendorSiteRaw, connectorInstanceId: mspWide.id, externalId: 'site-1', name: 'Acme (Datto)', tenantId: null, siteId: null,
      ignored: false, deletedDevicesSite: false, deviceCount: 0, firstSeenAt: seen, lastSeenAt: seen,
    })]);
    Object.assign(g, {
      acme: toGlobalId('Tenant', acme.id), site: toGlobalId('Site', site.id), asset: toGlobalId('Asset', asset.id),
      run: toGlobalId('SyncRun', run.id), vendorSite: toGlobalId('VendorSite', g.vendorSiteRaw),
      update: (await server.gql('{ updates(first: 1) { nodes { id } } }')).body.data.updates.nodes[0].id,
    });
    g.policyKey = await customPolicy();
    // Every key is issued the way an MSP issues one: createApiKey over GraphQL.
    const issue = async (role: Role, all: boolean) => {
      const res = await server.gql(
        'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }',
        { input: { name: `${role} ${all ? 'all tenants' : 'Acme'}`, role, allTenants: all, tenantIds: all ? [] : [g.acme] } },
      );
      expect(res.body.errors).toBeUndefined();
      return res.body.data.createApiKey.key as string;
    };
    for (const role of ROLES) {
      keys.set(`${role}:tenant`, await issue(role, false));
      keys.set(`${role}:all`, await issue(role, true));
    }
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const unique = (what: string) => `${what} ${++n}`;
  async function twoSourceAsset() {
    const [asset] = await f.insertAssets([f.asset(acme, { hostname: unique('SPLIT') })]);
    const connector = await f.connector(acme);
    const a = f.source(asset, connector);
    const b = f.source(asset, connector);
    await f.insert(SourceDevice, [a, b]);
    return { asset: toGlobalId('Asset', asset.id), source: toGlobalId('SourceDevice', b.id) };
  }

  const SAMPLES: Record<string, Sample> = {
    'Query.viewer': { request: async () => ({ query: '{ viewer { role } }' }) },
    'Query.node': { request: async () => ({ query: 'query($id: ID!) { node(id: $id) { id } }', variables: { id: g.asset } }) },
    'Query.nodes': { request: async () => ({ query: 'query($id: ID!) { nodes(ids: [$id]) { id } }', variables: { id: g.asset } }) },
    'Query.tenant': { request: async () => ({ query: 'query($id: ID!) { tenant(id: $id) { name } }', variables: { id: g.acme } }) },
    'Query.tenants': { request: async () => ({ query: '{ tenants { totalCount } }' }) },
    'Query.site': { request: async () => ({ query: 'query($id: ID!) { site(id: $id) { name } }', variables: { id: g.site } }) },
    'Query.sites': { request: async () => ({ query: '{ sites { totalCount } }' }) },
    'Query.asset': { request: async () => ({ query: 'query($id: ID!) { asset(id: $id) { hostname } }', variables: { id: g.asset } }) },
    'Query.assets': { request: async () => ({ query: '{ assets { totalCount } }' }) },
    'Query.patchStates': { request: async () => ({ query: '{ patchStates { totalCount } }' }) },
    'Query.update': { request: async () => ({ query: 'query($id: ID!) { update(id: $id) { title } }', variables: { id: g.update } }) },
    'Query.updates': { request: async () => ({ query: '{ updates(first: 1) { totalCount } }' }) },
    'Query.vulnerabilities': { request: async () => ({ query: '{ vulnerabilities(first: 1) { totalCount } }' }) },
    'Query.syncRuns': { request: async () => ({ query: '{ syncRuns { totalCount } }' }) },
    'Query.connectorKinds': { request: async () => ({ query: '{ connectorKinds { kind } }' }) },
    'Query.connectorInstances': { request: async () => ({ query: '{ connectorInstances { totalCount } }' }) },
    'Query.unattachedSourceDevices': { request: async () => ({ query: '{ unattachedSourceDevices { totalCount } }' }) },
    'Query.compliance': { request: async () => ({ query: '{ compliance(policy: "cyber-essentials-v3.3") { assetCount byStatus { status count } } }' }) },
    'Query.patchHistory': {
      request: async () => ({ query: 'query($t: ID!) { patchHistory(filter: { tenantId: $t, from: "2026-10-01T00:00:00Z", to: "2026-11-01T00:00:00Z" }) { totalCount } }', variables: { t: g.acme } }),
    },
    'Query.verifyReport': {
      request: async () => ({ query: 'query($d: String!) { verifyReport(sha256: $d) { identical } }', variables: { d: await acmeReportDigest() } }),
    },
    'SyncRun.triggeredBy': {
      request: async () => ({ query: 'query($id: ID!) { node(id: $id) { ... on SyncRun { triggeredBy } } }', variables: { id: g.run } }),
      full: () => ({ node: { triggeredBy: 'api-key:ops (k1)' } }),
      reduced: () => ({ node: { triggeredBy: null } }),
    },
    'SyncRun.errorMessage': {
      request: async () => ({ query: 'query($id: ID!) { node(id: $id) { ... on SyncRun { errorMessage } } }', variables: { id: g.run } }),
      full: () => ({ node: { errorMessage: 'HTTP 401 from https://vendor.example/api: token rejected' } }),
      reduced: () => ({ node: { errorMessage: 'the sync failed (auth); your MSP can see the details' } }),
    },
    'ConnectorInstance.settings': {
      request: async () => ({ query: 'query($id: ID!) { node(id: $id) { ... on ConnectorInstance { settings } } }', variables: { id: g.wsus } }),
      full: () => ({ node: { settings: { source: 'collector' } } }),
      reduced: () => ({ node: { settings: {} } }),
    },
    'Mutation.createTenant': {
      scope: 'all',
      request: async () => ({ query: 'mutation($n: String!) { createTenant(input: { name: $n }) { id } }', variables: { n: unique('Matrix Tenant') } }),
    },
    'Mutation.renameTenant': {
      scope: 'all',
      request: async () => ({ query: 'mutation($id: ID!, $n: String!) { renameTenant(input: { id: $id, name: $n }) { id } }', variables: { id: g.acme, n: unique('Acme Ltd') } }),
    },
    'Mutation.createSite': {
      request: async () => ({ query: 'mutation($t: ID!, $n: String!) { createSite(input: { tenantId: $t, name: $n }) { id } }', variables: { t: g.acme, n: unique('Site') } }),
    },
    'Mutation.renameSite': {
      request: async () => ({ query: 'mutation($id: ID!, $n: String!) { renameSite(input: { id: $id, name: $n }) { id } }', variables: { id: g.site, n: unique('Acme HQ') } }),
    },
    'Mutation.createConnectorInstance': {
      request: async () => ({
        query: 'mutation($t: ID!, $n: String!, $k: String!) { createConnectorInstance(input: { tenantId: $t, kind: "wsus", name: $n, settings: { ingestKey: $k } }) { id } }',
        variables: { t: g.acme, n: unique('WSUS'), k: `${INGEST_KEY}-${n}` },
      }),
    },
    'Mutation.updateConnectorInstance': {
      request: async () => ({ query: 'mutation($id: ID!, $n: String!) { updateConnectorInstance(input: { id: $id, name: $n }) { id } }', variables: { id: g.wsus, n: unique('Acme WSUS') } }),
    },
    'Mutation.testConnectorInstance': {
      request: async () => ({ query: 'mutation($id: ID!) { testConnectorInstance(id: $id) { ok } }', variables: { id: g.wsus } }),
    },
    'Mutation.triggerSync': {
      request: async () => {
        const created = await server.gql(
          'mutation($t: ID!, $n: String!) { createConnectorInstance(input: { tenantId: $t, kind: "intune", name: $n, settings: { tenantId: "00000000-0000-0000-0000-000000000001", clientId: "00000000-0000-0000-0000-000000000002", clientSecret: "s", graphUrl: "http://127.0.0.1:9/graph", tokenUrl: "http://127.0.0.1:9/token" } }) { id } }',
          { t: g.acme, n: unique('Intune') },
        );
        const id = created.body.data?.createConnectorInstance?.id ?? g.wsus;
        // wait: an allowed run ends (and records its audit event) before the next cell takes its table digests.
        return { query: 'mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { id } }', variables: { id } };
      },
    },
    'Mutation.resetIngestWatermark': {
      request: async () => ({ query: 'mutation($id: ID!) { resetIngestWatermark(connectorInstanceId: $id) { id } }', variables: { id: g.wsus } }),
    },
    'Mutation.mapVendorSite': {
      scope: 'all',
      request: async () => ({ query: 'mutation($v: ID!, $t: ID!) { mapVendorSite(input: { vendorSiteId: $v, tenantId: $t }) { name } }', variables: { v: g.vendorSite, t: g.acme } }),
    },
    'Mutation.mergeAssets': {
      request: async () => {
        const [a, b] = await f.insertAssets([f.asset(acme, { hostname: unique('MERGE') }), f.asset(acme, { hostname: unique('MERGE') })]);
        const connector = await f.connector(acme);
        await f.insert(SourceDevice, [f.source(a, connector), f.source(b, connector)]);
        return { query: 'mutation($t: ID!, $a: ID!) { mergeAssets(input: { targetAssetId: $t, assetIds: [$a] }) { id } }', variables: { t: toGlobalId('Asset', a.id), a: toGlobalId('Asset', b.id) } };
      },
    },
    'Mutation.splitAsset': {
      request: async () => {
        const { asset, source } = await twoSourceAsset();
        return { query: 'mutation($a: ID!, $s: ID!) { splitAsset(input: { assetId: $a, sourceDeviceIds: [$s] }) { id } }', variables: { a: asset, s: source } };
      },
    },
    'Query.policies': { request: async () => ({ query: '{ policies { key version } }' }) },
    'Query.policy': { request: async () => ({ query: '{ policy(key: "cyber-essentials-v3.3") { key version } }' }) },
    'Mutation.createPolicy': {
      scope: 'all',
      request: async () => ({ query: 'mutation($k: String!, $d: JSONObject!) { createPolicy(input: { key: $k, definition: $d }) { version } }', variables: { k: `matrix-${++n}`, d: PRESETS['cyber-essentials-v3.3'] } }),
    },
    'Mutation.updatePolicy': {
      scope: 'all',
      request: async () => ({ query: 'mutation($k: String!, $d: JSONObject!) { updatePolicy(input: { key: $k, definition: $d }) { version } }', variables: { k: g.policyKey, d: { ...PRESETS['cyber-essentials-v3.3'], dueSoonHours: ++n } } }),
    },
    'Mutation.assignPolicy': {
      request: async () => ({ query: 'mutation($t: ID!, $s: ID!) { assignPolicy(input: { policyKey: "cyber-essentials-v3.3", tenantId: $t, siteId: $s }) { id } }', variables: { t: g.acme, s: await freshSite() } }),
    },
    'Mutation.unassignPolicy': {
      request: async () => {
        const res = await server.gql('mutation($t: ID!, $s: ID!) { assignPolicy(input: { policyKey: "cyber-essentials-v3.3", tenantId: $t, siteId: $s }) { id } }', { t: g.acme, s: await freshSite() });
        return { query: 'mutation($id: ID!) { unassignPolicy(id: $id) { removedAt } }', variables: { id: res.body.data.assignPolicy.id } };
      },
    },
    'Query.riskExceptions': { request: async () => ({ query: '{ riskExceptions { totalCount } }' }) },
    'Mutation.createRiskException': {
      request: async () => ({ query: `mutation($t: ID!, $a: ID!) { createRiskException(input: ${EXCEPTION_FIELDS}) { status } }`, variables: { t: g.acme, a: g.asset } }),
    },
    'Mutation.revokeRiskException': {
      request: async () => {
        const res = await server.gql(`mutation($t: ID!, $a: ID!) { createRiskException(input: ${EXCEPTION_FIELDS}) { id } }`, { t: g.acme, a: g.asset });
        return { query: 'mutation($id: ID!) { revokeRiskException(id: $id, reason: "fixed after all") { status } }', variables: { id: res.body.data.createRiskException.id } };
      },
    },
    'Query.advisories': { request: async () => ({ query: '{ advisories { reference } }' }) },
    'Mutation.createAdvisory': {
      scope: 'all',
      request: async () => ({
        query: 'mutation($r: String!) { createAdvisory(input: { authority: "DfE", reference: $r, title: "Zero-day", noticeAt: "2026-11-01T09:00:00Z", cveIds: ["CVE-2026-21510"] }) { id } }',
        variables: { r: `DFE-${++n}` },
      }),
    },
    'Mutation.setAssetClass': {
      request: async () => ({ query: 'mutation($a: ID!) { setAssetClass(assetId: $a, assetClass: INTERNET_FACING_SERVER) { assetClass } }', variables: { a: await freshAsset() } }),
    },
    'Mutation.setAssetEsu': {
      request: async () => ({ query: 'mutation($a: ID!) { setAssetEsu(assetId: $a, esuUntil: "2026-10-13") { esuUntil } }', variables: { a: await freshAsset() } }),
    },
    'Query.auditEvents': { request: async () => ({ query: '{ auditEvents(first: 5) { totalCount nodes { action } } }' }) },
    'Query.verifyAuditChain': { request: async () => ({ query: 'query($t: ID!) { verifyAuditChain(tenantId: $t) { ok } }', variables: { t: g.acme } }) },
    'Query.patchEvents': { request: async () => ({ query: '{ patchEvents(first: 5) { totalCount } }' }) },
    'Query.apiKeys': { request: async () => ({ query: '{ apiKeys { name } }' }) },
    'Mutation.createApiKey': {
      request: async () => ({ query: 'mutation($n: String!, $t: ID!) { createApiKey(input: { name: $n, role: AUDITOR, tenantIds: [$t] }) { apiKey { id } } }', variables: { n: unique('portal'), t: g.acme } }),
    },
    'Mutation.rotateApiKey': {
      request: async () => ({ query: 'mutation($id: ID!) { rotateApiKey(id: $id) { apiKey { id } } }', variables: { id: await spareKey() } }),
    },
    'Mutation.revokeApiKey': {
      request: async () => ({ query: 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', variables: { id: await spareKey() } }),
    },
    'Query.changeRequests': { request: async () => ({ query: '{ changeRequests { totalCount } }' }) },
    'Query.changeRequest': { request: async () => ({ query: 'query($id: ID!) { changeRequest(id: $id) { reference } }', variables: { id: await changeIn('DRAFT') } }) },
    'Query.unrecordedChanges': { request: async () => ({ query: '{ unrecordedChanges(since: "2026-01-01T00:00:00Z") { externalId } }' }) },
    'Query.maintenanceWindows': { request: async () => ({ query: '{ maintenanceWindows { name } }' }) },
    'Query.deploymentRings': { request: async () => ({ query: '{ deploymentRings { name } }' }) },
    'Query.ringPromotion': {
      request: async () => ({ query: 'query($c: ID!, $r: ID!) { ringPromotion(changeId: $c, ringId: $r) { mayStart } }', variables: { c: await changeIn('IN_PROGRESS'), r: await ring() } }),
    },
    'Query.changeProposals': {
      request: async () => ({ query: 'query($t: ID!) { changeProposals(tenantId: $t, policy: "cyber-essentials-v3.3") { type } }', variables: { t: g.acme } }),
    },
    'Mutation.createChangeRequest': {
      request: async () => ({ query: 'mutation($input: ChangeRequestInput!) { createChangeRequest(input: $input) { state } }', variables: { input: changeInput() } }),
    },
    'Mutation.updateChangeRequest': {
      request: async () => ({ query: 'mutation($id: ID!, $input: ChangeRequestInput!) { updateChangeRequest(id: $id, input: $input) { state } }', variables: { id: await changeIn('DRAFT'), input: changeInput() } }),
    },
    'Mutation.submitChangeRequest': { request: async () => changeMove('submitChangeRequest', await changeIn('DRAFT')) },
    'Mutation.approveChangeRequest': { request: async () => changeMove('approveChangeRequest', await changeIn('SUBMITTED')) },
    'Mutation.rejectChangeRequest': { request: async () => changeMove('rejectChangeRequest', await changeIn('SUBMITTED'), ', comment: "not now"') },
    'Mutation.scheduleChangeRequest': { request: async () => changeMove('scheduleChangeRequest', await changeIn('APPROVED')) },
    'Mutation.startChangeRequest': { request: async () => changeMove('startChangeRequest', await changeIn('SCHEDULED')) },
    'Mutation.completeChangeRequest': { request: async () => changeMove('completeChangeRequest', await changeIn('IN_PROGRESS')) },
    'Mutation.failChangeRequest': { request: async () => changeMove('failChangeRequest', await changeIn('IN_PROGRESS')) },
    'Mutation.rollBackChangeRequest': { request: async () => changeMove('rollBackChangeRequest', await changeIn('IN_PROGRESS')) },
    'Mutation.closeChangeRequest': { request: async () => changeMove('closeChangeRequest', await changeIn('COMPLETED'), ', input: { review: "fine" }') },
    'Mutation.createMaintenanceWindow': {
      request: async () => ({
        query: 'mutation($t: ID!, $n: String!) { createMaintenanceWindow(input: { tenantId: $t, name: $n, rrule: "FREQ=WEEKLY;BYDAY=TU", firstStart: "2026-01-06T19:00", timeZone: "Europe/London", durationMinutes: 240 }) { name } }',
        variables: { t: g.acme, n: unique('window') },
      }),
    },
    'Query.changeWebhooks': { request: async () => ({ query: '{ changeWebhooks { url } }' }) },
    'Mutation.createChangeWebhook': {
      request: async () => ({ query: 'mutation($t: ID!) { createChangeWebhook(input: { tenantId: $t, url: "https://psa.example/hooks/patchgraph" }) { webhook { url } } }', variables: { t: g.acme } }),
    },
    'Mutation.deleteChangeWebhook': {
      request: async () => {
        const res = await server.gql('mutation($t: ID!) { createChangeWebhook(input: { tenantId: $t, url: "https://psa.example/hooks/old" }) { webhook { id } } }', { t: g.acme });
        return { query: 'mutation($id: ID!) { deleteChangeWebhook(id: $id) { url } }', variables: { id: res.body.data.createChangeWebhook.webhook.id } };
      },
    },
    'Mutation.createDeploymentRing': {
      request: async () => ({
        query: 'mutation($t: ID!, $n: String!, $p: Int!, $a: ID!) { createDeploymentRing(input: { tenantId: $t, name: $n, position: $p, assetIds: [$a], minSuccessRate: 0.9, minDevices: 1, soakHours: 24 }) { name } }',
        variables: { t: g.acme, n: unique('ring'), p: ++ringPosition, a: g.asset },
      }),
    },
  };

  /** Fresh rows of tenant Acme for the compliance mutations to change, made as the admin makes them. */
  const EXCEPTION_FIELDS = '{ tenantId: $t, assetId: $a, owner: "Acme practice manager", reason: "Vendor fix breaks the imaging software", expiresAt: "2027-01-31T00:00:00Z" }';
  async function freshSite(): Promise<string> {
    return toGlobalId('Site', (await f.site(acme, unique('Compliance site'))).id);
  }
  async function freshAsset(): Promise<string> {
    const [asset] = await f.insertAssets([f.asset(acme, { hostname: unique('CLASS') })]);
    return toGlobalId('Asset', asset.id);
  }
  async function customPolicy(): Promise<string> {
    const key = `matrix-${++n}`;
    const res = await server.gql('mutation($k: String!, $d: JSONObject!) { createPolicy(input: { key: $k, definition: $d }) { key } }', { k: key, d: PRESETS['cyber-essentials-v3.3'] });
    expect(res.body.errors).toBeUndefined();
    return key;
  }

  /** An EMERGENCY change (schedulable without a window) for Acme raised by the suite's admin key, moved to `state`. */
  const changeInput = () => ({
    tenantId: g.acme, type: 'EMERGENCY', title: unique('change'), description: 'Out-of-band fix', updateIds: [g.update], targets: { assetIds: [g.asset] },
    risk: 'HIGH', impact: 'One restart', rollbackPlan: 'Uninstall the update', plannedStart: '2026-11-03T19:30:00Z', plannedEnd: '2026-11-03T21:30:00Z',
  });
  const changeMove = (name: string, id: string, args = '') => ({ query: `mutation($id: ID!) { ${name}(id: $id${args}) { state } }`, variables: { id } });
  async function changeIn(state: 'DRAFT' | 'SUBMITTED' | 'APPROVED' | 'SCHEDULED' | 'IN_PROGRESS' | 'COMPLETED'): Promise<string> {
    const steps = ['SUBMITTED', 'APPROVED', 'SCHEDULED', 'IN_PROGRESS', 'COMPLETED'].slice(0, ['DRAFT', 'SUBMITTED', 'APPROVED', 'SCHEDULED', 'IN_PROGRESS', 'COMPLETED'].indexOf(state));
    const created = await server.gql('mutation($input: ChangeRequestInput!) { createChangeRequest(input: $input) { id } }', { input: changeInput() });
    expect(created.body.errors).toBeUndefined();
    const id = created.body.data.createChangeRequest.id as string;
    const mutationOf: Record<string, string> = {
      SUBMITTED: 'submitChangeRequest', APPROVED: 'approveChangeRequest', SCHEDULED: 'scheduleChangeRequest', IN_PROGRESS: 'startChangeRequest', COMPLETED: 'completeChangeRequest',
    };
    // The requester may not approve its own change: a second key approves.
    approverKey ??= (await createApiKey(db.dataSource, server.clock, { name: 'change approver', role: Role.CLIENT_ADMIN, allTenants: false, tenantIds: [acme.id] })).key;
    for (const step of steps) {
      const { query, variables } = changeMove(mutationOf[step], id);
      const res = await server.gql(query, variables, step === 'APPROVED' ? approverKey : server.adminKey);
      expect([step, res.body.errors]).toEqual([step, undefined]);
    }
    return id;
  }
  let approverKey: string | undefined;
  /** Ring positions are unique per tenant and at most 100. */
  let ringPosition = 0;
  async function ring(): Promise<string> {
    const res = await server.gql('mutation($t: ID!, $n: String!, $p: Int!, $a: ID!) { createDeploymentRing(input: { tenantId: $t, name: $n, position: $p, assetIds: [$a], minSuccessRate: 0.9, minDevices: 1, soakHours: 24 }) { id } }', {
      t: g.acme, n: unique('ring'), p: ++ringPosition, a: g.asset,
    });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.createDeploymentRing.id;
  }

  /** A fresh key of tenant Acme for rotate and revoke to act on. */
  async function spareKey(): Promise<string> {
    const { record } = await createApiKey(db.dataSource, server.clock, { name: unique('spare'), role: Role.AUDITOR, allTenants: false, tenantIds: [acme.id] });
    return toGlobalId('ApiKey', record.id);
  }

  const coordinates = Object.keys(PERMISSIONS).filter((c) => !c.includes(' '));

  it('has a sample request for every GraphQL entry of the matrix', () => {
    expect(coordinates.filter((c) => !SAMPLES[c])).toEqual([]);
  });

  for (const coordinate of Object.keys(PERMISSIONS).filter((c) => !c.includes(' '))) {
    for (const role of ROLES) {
      const permission = (PERMISSIONS as Record<string, { grantees: readonly Grantee[]; denial?: string; allTenantsOnly?: boolean }>)[coordinate];
      const allowed = permission.grantees.includes(role);
      const verdict = allowed ? 'may' : permission.denial === 'redacted' ? 'sees the reduced value of' : 'may not use';
      it(`${role} ${verdict} ${coordinate}`, async () => {
        const sample = SAMPLES[coordinate];
        if (!sample) throw new Error(`no sample request for ${coordinate}`);
        const key = keys.get(`${role}:${sample.scope ?? 'tenant'}`)!;
        const { query, variables } = await sample.request();
        const before = allowed ? null : await tableDigests(db.dataSource);
        const res = await server.gql(query, variables, key);
        if (sample.full) {
          expect(res.body.errors).toBeUndefined();
          expect(res.body.data).toEqual(allowed ? sample.full(res.body.data) : sample.reduced!(res.body.data));
          return;
        }
        if (allowed) {
          expect(res.body.errors?.map((e) => e.extensions?.code) ?? []).not.toContain('FORBIDDEN');
          if (coordinate !== 'Mutation.triggerSync') expect(res.body.errors).toBeUndefined();
        } else {
          expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
          expect(res.body.errors![0].message).toContain(coordinate);
          expect(await tableDigests(db.dataSource)).toEqual(before);
        }
      });
    }
  }

  it('refuses an all-tenants-only operation to a tenant-limited key of a role that may otherwise run it', async () => {
    for (const coordinate of coordinates.filter((c) => (PERMISSIONS as any)[c].allTenantsOnly)) {
      const before = await tableDigests(db.dataSource);
      const { query, variables } = await SAMPLES[coordinate].request();
      const res = await server.gql(query, variables, keys.get(`${Role.MSP_ADMIN}:tenant`));
      expect([coordinate, res.body.errors?.map((e) => e.extensions?.code)]).toEqual([coordinate, ['FORBIDDEN']]);
      expect(await tableDigests(db.dataSource)).toEqual(before);
    }
  });

  /** A patch history report of Acme, downloaded and so recorded: its SHA-256 is what verifyReport takes. */
  async function acmeReportDigest(): Promise<string> {
    const res = await download(`${server.app.url}/reports/patch-history.csv?tenant=${g.acme}&from=2026-10-01&to=2026-11-01`, server.adminKey);
    expect(res.status).toBe(200);
    return res.trailers['x-patchgraph-content-sha256']!;
  }

  it('serves each report download to exactly the roles the matrix names, within their tenants', async () => {
    const routes = Object.keys(PERMISSIONS).filter((c) => c.startsWith('GET /reports/'));
    expect(routes).toEqual(['GET /reports/patch-history.csv', 'GET /reports/patch-history.jsonl', 'GET /reports/patch-history.pdf', 'GET /reports/evidence-pack.zip']);
    for (const route of routes) {
      const grantees = (PERMISSIONS as Record<string, { grantees: readonly Grantee[] }>)[route].grantees;
      const query = route.endsWith('.zip') ? `tenant=${g.acme}&policy=cyber-essentials-v3.3&date=2026-10-01` : `tenant=${g.acme}&from=2026-10-01&to=2026-11-01`;
      for (const role of ROLES) {
        const res = await download(`${server.app.url}${route.slice(4)}?${query}`, keys.get(`${role}:tenant`)!);
        expect([route, role, res.status]).toEqual([route, role, grantees.includes(role) ? 200 : 403]);
      }
    }
  });

  // Each case's snapshot is taken later than the one before, so neither is refused as stale.
  it.each([
    ['the generic route', 'POST /ingest/{instanceId}', '', '2026-11-02T09:00:00Z'],
    ['the WSUS collector\'s route', 'POST /ingest/wsus/{instanceId}', 'wsus/', '2026-11-02T09:30:00Z'],
  ] as const)('accepts a WSUS push on %s only with the instance\'s ingest key, never an API key of any role', async (_name, route, prefix, takenAt) => {
    expect(PERMISSIONS[route].grantees).toEqual(['INGEST']);
    const snapshot = gzipSync(JSON.stringify(new WsusSimulator({ computers: 2, updates: 3, seed: 3, now: new Date(takenAt) }).snapshot()));
    const post = (key: string) => fetch(`${server.app.url}/ingest/${prefix}${g.wsus}`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${key}` }, body: snapshot,
    });
    for (const role of ROLES) for (const scope of ['tenant', 'all']) expect([role, scope, (await post(keys.get(`${role}:${scope}`)!)).status]).toEqual([role, scope, 401]);
    expect((await post(INGEST_KEY)).status).toBeLessThan(300);
  });

  it("lists in viewer.permissions exactly the matrix's entries for the caller's role", async () => {
    for (const role of ROLES) {
      const res = await server.gql('{ viewer { role permissions } }', undefined, keys.get(`${role}:tenant`));
      expect(res.body.data.viewer.permissions).toEqual(coordinates.filter((c) => (PERMISSIONS as any)[c].grantees.includes(role)));
    }
  });

  it('refuses to build a schema with an operation the matrix does not name', () => {
    @Resolver()
    class UnlistedResolver {
      @Query(() => String)
      unlisted(@Arg('x', { nullable: true }) x?: string): string {
        return x ?? 'ran';
      }
    }
    expect(() => buildSchemaWith([UnlistedResolver])).toThrow('Query.unlisted has no entry in the permission matrix');
  });

  it('withholds the result of an operation in which no authorization check ran (the backstop)', async () => {
    const res = await server.gql('{ __typename }');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })] });

    // A schema wired around the matrix (built without enforcePermissions) still answers nothing.
    @Resolver()
    class UnguardedResolver {
      @Query(() => String)
      secretThing(): string {
        return 'leaked';
      }
    }
    const bare = buildSchemaSync({ resolvers: [UnguardedResolver], validate: false });
    const db2 = await openTestDatabase();
    const other = await startTestServer(db2, {}, { schema: bare });
    try {
      const leaked = await other.gql('{ secretThing }');
      expect(leaked.status).toBe(403);
      expect(JSON.stringify(leaked.body)).not.toContain('leaked');
      expect(leaked.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    } finally {
      await other.stop();
      await db2.drop();
    }
  });

  it('is the table the README shows', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const start = readme.indexOf('<!-- permission-matrix:start -->');
    const end = readme.indexOf('<!-- permission-matrix:end -->');
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start, end).split('\n').slice(1).join('\n').trim()).toBe(renderPermissionMatrix());
    expect(GRANTEES).toEqual([...ROLES, 'INGEST']);
  });
});
