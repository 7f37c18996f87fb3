/**
 * The Intune connector end to end: GraphQL → sync engine → connector → real HTTP → the Graph simulator → database
 * → GraphQL. Expected patch states are computed here from the bundled MSRC fixed builds, independently of the
 * connector's own derivation code.
 */
import { intuneConnector } from '../../connectors/intune';
import { IntuneSimulator, startIntuneSimulator } from '../../connectors/intune/simulator';
import { MICROSOFT_CATALOG } from '../../connectors/shared/microsoft/microsoft-catalog';
import { ConnectorInstance, SourceDevice } from '../../src/entities';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const NOW = new Date('2026-11-02T10:00:00.000Z'); // the test server's fixed clock

const CREATE = `mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`;
const TRIGGER = `mutation($id: ID!, $full: Boolean) { triggerSync(input: { connectorInstanceId: $id, wait: true, full: $full }) {
  status mode errorKind errorMessage counts { devices { seen created } patchStates { seen created } } } }`;
const ASSETS = `query($tenant: ID!, $after: String) { assets(first: 100, after: $after, filter: { tenantIds: [$tenant] }) {
  pageInfo { hasNextPage endCursor }
  nodes { id hostname serialNumber manufacturer model osName osBuild status
    sources { externalId inactive ownership attributes lastCheckInAt }
    patchStates { state evidence update { kb } } } } }`;

/** Windows build (e.g. "22631") → [kb, fixed revision] for every update in the bundled catalog. */
function fixedRevisionsByBuild(): Map<string, Array<[string, number]>> {
  const map = new Map<string, Array<[string, number]>>();
  for (const u of MICROSOFT_CATALOG.updates) {
    for (const fixed of Object.values(u.fixedBuilds)) {
      const [, , build, revision] = fixed.split('.');
      map.set(build, [...(map.get(build) ?? []), [u.kb, Number(revision)]]);
    }
  }
  return map;
}

describe(`Intune connector through the engine and GraphQL on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let sim: IntuneSimulator;
  let tenantId: string;
  let instanceId: string;

  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const res = await server.gql(query, variables);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };
  async function allAssets(tenant: string): Promise<any[]> {
    const out: any[] = [];
    let after: string | null = null;
    do {
      const page: any = (await gql(ASSETS, { tenant, after })).assets;
      out.push(...page.nodes);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    return out;
  }
  async function newInstance(name: string, settings: Record<string, unknown>): Promise<string> {
    const tenant = (await gql(`mutation($n: String!) { createTenant(input: { name: $n }) { id } }`, { n: name })).createTenant.id;
    return (await gql(CREATE, { input: { tenantId: tenant, kind: 'intune', name, settings } })).createConnectorInstance.id;
  }

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
    sim = await startIntuneSimulator({ pageSize: 10, devices: 36, seed: 7, now: NOW });
    tenantId = (await gql('mutation { createTenant(input: { name: "Contoso" }) { id } }')).createTenant.id;
    instanceId = (await gql(CREATE, { input: { tenantId, kind: 'intune', name: 'Contoso Intune', settings: sim.validConfig() } })).createConnectorInstance.id;
  });
  afterAll(async () => {
    await sim.close();
    await server.stop();
    await db.drop();
  });

  it('syncs four pages of devices through a 429 and an expired token, and shows every device with its build-derived states', async () => {
    sim.resetStats();
    sim.inject({ type: 'status', status: 429, onRequest: 2 }); // Intune often throttles without Retry-After
    sim.inject({ type: 'expire-token', onRequest: 4 });
    const run = (await gql(TRIGGER, { id: instanceId })).triggerSync;
    expect(run).toMatchObject({ status: 'SUCCEEDED', mode: 'FULL', errorKind: null });
    expect(run.counts.devices).toEqual({ seen: 36, created: 36 });
    expect(sim.stats().unauthorized).toBeGreaterThanOrEqual(1);
    expect(sim.stats().tokenRequests).toBeGreaterThanOrEqual(2);
    expect(sim.requests().filter((r) => r.includes('managedDevices')).length).toBeGreaterThanOrEqual(5); // 4 pages + the throttled retry

    const assets = await allAssets(tenantId);
    const byExternalId = new Map<string, any>(assets.flatMap((a) => a.sources.map((s: any) => [s.externalId, a])));
    expect(byExternalId.size).toBe(36);
    const fixed = fixedRevisionsByBuild();
    let windowsChecked = 0;
    for (const device of sim.devices) {
      const asset = byExternalId.get(device.id);
      expect(asset).toBeDefined();
      const windows = /^10\.0\.(\d+)\.(\d+)$/.exec(device.osVersion);
      const expected = Object.fromEntries(
        windows && device.operatingSystem === 'Windows' ? (fixed.get(windows[1]) ?? []).map(([kb, rev]) => [kb, Number(windows[2]) >= rev ? 'INSTALLED' : 'MISSING']) : [],
      );
      const actual = Object.fromEntries(asset.patchStates.map((s: any) => [s.update.kb, s.state]));
      expect({ device: device.deviceName, states: actual }).toEqual({ device: device.deviceName, states: expected });
      expect(new Set(asset.patchStates.map((s: any) => s.evidence))).toEqual(new Set(asset.patchStates.length ? ['DERIVED'] : []));
      if (Object.keys(expected).length) windowsChecked++;
    }
    expect(windowsChecked).toBeGreaterThan(20);
  });

  it('shows a device behind its release\'s latest cumulative update missing it, with the CVEs Microsoft says it fixes', async () => {
    const latest = MICROSOFT_CATALOG.updates.find((u) => u.kb === 'KB5075941')!; // Feb 2026, Windows 11 23H2, 22631.6649
    const behind = sim.devices.find((d) => /^10\.0\.22631\.(\d+)$/.test(d.osVersion) && Number(d.osVersion.split('.')[3]) < 6649);
    expect(behind).toBeDefined();
    const res = await gql(
      `query($tenant: ID!, $host: String!) { assets(filter: { tenantIds: [$tenant], hostnameContains: $host }) { nodes {
        hostname missingUpdateCount patchStates(states: [MISSING]) { evidence update { kb releasedAt maxCvssBaseScore
          vulnerabilities { cveId cvssBaseScore exploited } } } } } }`,
      { tenant: tenantId, host: behind!.deviceName },
    );
    const asset = res.assets.nodes.find((a: any) => a.hostname === behind!.deviceName);
    const missing = asset.patchStates.find((s: any) => s.update.kb === 'KB5075941');
    expect(missing).toBeDefined();
    expect(missing.evidence).toBe('DERIVED');
    expect(missing.update.vulnerabilities.map((v: any) => v.cveId).sort()).toEqual([...latest.cves].sort());
    // CVE-2026-21510, Windows Shell security feature bypass: exploited in the wild, CVSS 8.8 in MSRC's data.
    expect(missing.update.vulnerabilities.find((v: any) => v.cveId === 'CVE-2026-21510')).toEqual({ cveId: 'CVE-2026-21510', cvssBaseScore: 8.8, exploited: true });
    expect(missing.update.maxCvssBaseScore).toBe(Math.max(...latest.cves.map((c) => MICROSOFT_CATALOG.vulnerabilities.find((v) => v.cveId === c)!.cvssBaseScore!)));
    expect(asset.missingUpdateCount).toBeGreaterThanOrEqual(1);
  });

  it('reports devices not seen for staleAfterDays as inactive and their assets STALE, never as current', async () => {
    const assets = await allAssets(tenantId);
    const quiet = sim.devices.filter((d) => d.lastSyncDateTime.startsWith('0001') || NOW.getTime() - Date.parse(d.lastSyncDateTime) > 30 * 86_400_000);
    expect(quiet.length).toBeGreaterThan(0);
    for (const d of sim.devices) {
      const asset = assets.find((a) => a.sources.some((s: any) => s.externalId === d.id));
      const source = asset.sources.find((s: any) => s.externalId === d.id);
      const isQuiet = quiet.includes(d);
      // A never-synced device counts from its enrolment: recently enrolled is not (yet) inactive.
      const enrolledRecently = d.lastSyncDateTime.startsWith('0001') && NOW.getTime() - Date.parse(d.enrolledDateTime) <= 30 * 86_400_000;
      expect({ device: d.deviceName, inactive: source.inactive }).toEqual({ device: d.deviceName, inactive: isQuiet && !enrolledRecently });
      expect(asset.status).toBe(source.inactive ? 'STALE' : 'ACTIVE');
    }
  });

  it('keeps what Intune says about ownership, compliance and hardware, and how each device\'s states are known', async () => {
    const assets = await allAssets(tenantId);
    const sources = assets.flatMap((a) => a.sources.map((s: any) => ({ ...s, asset: a })));
    const personal = sim.devices.filter((d) => d.managedDeviceOwnerType === 'personal');
    expect(personal.length).toBeGreaterThan(0);
    for (const d of personal) expect(sources.find((s) => s.externalId === d.id).ownership).toBe('PERSONAL');
    const phone = sim.devices.find((d) => d.operatingSystem === 'iOS')!;
    expect(sources.find((s) => s.externalId === phone.id).attributes).toMatchObject({ patchStates: 'not derived: not Windows', complianceState: phone.complianceState });
    const laptop = sim.devices.find((d) => d.operatingSystem === 'Windows' && d.serialNumber && d.manufacturer)!;
    const asset = sources.find((s) => s.externalId === laptop.id).asset;
    expect(asset).toMatchObject({ manufacturer: laptop.manufacturer, model: laptop.model, osBuild: laptop.osVersion.split('.').slice(2).join('.') });

    // enrolledDateTime is stored as the source's enrolment time (not in the API yet), with 0001-01-01 as never.
    const instance = await db.dataSource.getRepository(ConnectorInstance).findOneByOrFail({ name: 'Contoso Intune' });
    const stored = await db.dataSource.getRepository(SourceDevice).findBy({ connectorInstanceId: instance.id });
    const enrolled = new Map(stored.map((d) => [d.externalId, d.enrolledAt?.toISOString() ?? null]));
    expect(enrolled.size).toBe(sim.devices.length);
    for (const d of sim.devices) {
      expect({ device: d.deviceName, enrolledAt: enrolled.get(d.id) }).toEqual({
        device: d.deviceName, enrolledAt: d.enrolledDateTime.startsWith('0001') ? null : new Date(d.enrolledDateTime).toISOString(),
      });
    }
  });

  it('a second run reads only devices that checked in since, and a patched device moves to INSTALLED', async () => {
    const { changedDeviceIds } = await sim.mutate();
    sim.resetStats();
    const run = (await gql(TRIGGER, { id: instanceId })).triggerSync;
    expect(run).toMatchObject({ status: 'SUCCEEDED', mode: 'INCREMENTAL' });
    expect(run.counts.devices.seen).toBe(changedDeviceIds.length);
    expect(sim.requests().find((r) => r.includes('managedDevices'))).toMatch(/\$filter=lastSyncDateTime%20gt%20/);
    const assets = await allAssets(tenantId);
    for (const id of changedDeviceIds) {
      const asset = assets.find((a) => a.sources.some((s: any) => s.externalId === id));
      expect(asset.patchStates.every((s: any) => s.state === 'INSTALLED')).toBe(true);
    }
  });

  it('tells the operator which catalog it used, and falls back to the bundled data when the permission is missing', async () => {
    const ok = (await gql(`mutation($id: ID!) { testConnectorInstance(id: $id) { ok message errorKind } }`, { id: instanceId })).testConnectorInstance;
    expect(ok).toMatchObject({ ok: true, errorKind: null });
    expect(ok.message).toMatch(/tenant's Windows update catalog \(\d+ entries\) and the bundled Microsoft data/);

    sim.setCatalogAccess('forbidden');
    try {
      const fallback = (await gql(`mutation($id: ID!) { testConnectorInstance(id: $id) { ok message } }`, { id: instanceId })).testConnectorInstance;
      expect(fallback).toMatchObject({ ok: true, message: expect.stringContaining('bundled Microsoft data only: the app lacks DeviceManagementConfiguration.Read.All') });

      const strict = await newInstance('Strict catalog', { ...sim.validConfig(), updateCatalog: 'graph' });
      const failed = (await gql(TRIGGER, { id: strict })).triggerSync;
      expect(failed).toMatchObject({ status: 'FAILED', errorKind: 'auth' });
      expect(failed.errorMessage).toMatch(/Windows update catalog cannot be read \(the app lacks DeviceManagementConfiguration.Read.All\)/);
    } finally {
      sim.setCatalogAccess('granted');
    }
  });

  it("fails a run that Graph keeps refusing with Graph's own error code, writing nothing", async () => {
    const id = await newInstance('Unavailable Graph', sim.validConfig());
    sim.resetStats();
    sim.inject({ type: 'status', status: 503, onRequest: 1, times: 50 });
    const failed = (await gql(TRIGGER, { id })).triggerSync;
    expect(failed).toMatchObject({ status: 'FAILED', errorKind: 'transient' });
    expect(failed.errorMessage).toMatch(/Microsoft Graph GET \/beta\/deviceManagement\/windowsUpdateCatalogItems failed with HTTP 503 \(ServiceUnavailable\)/);
    const instance = await db.dataSource.getRepository(ConnectorInstance).findOneByOrFail({ name: 'Unavailable Graph' });
    expect(await db.dataSource.getRepository(SourceDevice).countBy({ connectorInstanceId: instance.id })).toBe(0);
    // Spend the rest of the injected window so later tests see a healthy Graph.
    while (sim.stats().dataRequests < 50) await gql(TRIGGER, { id });
  });

  it('is registered as the intune kind with its secret marked', async () => {
    const kinds = (await gql('{ connectorKinds { kind displayName settings { name secret optional } } }')).connectorKinds;
    const intune = kinds.find((k: any) => k.kind === 'intune');
    expect(intune.displayName).toBe(intuneConnector.displayName);
    expect(intune.settings.filter((s: any) => s.secret).map((s: any) => s.name)).toEqual(['clientSecret']);
    expect(intune.settings.filter((s: any) => !s.optional).map((s: any) => s.name)).toEqual(['tenantId', 'clientId', 'clientSecret']);
  });
});
