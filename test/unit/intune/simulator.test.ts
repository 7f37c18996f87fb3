import {
  buildManagedDevice,
  GraphQualityUpdateCatalogItem,
  IntuneSimulator,
  IntuneSimulatorOptions,
  ManagedDevice,
  NO_ENTRA_DEVICE_ID,
  SIMULATOR_CLIENT_ID,
  SIMULATOR_CLIENT_SECRET,
  SIMULATOR_TENANT_ID,
  startIntuneSimulator,
} from '../../../connectors/intune/simulator';
import { MICROSOFT_CATALOG } from '../../../connectors/shared/microsoft/microsoft-catalog';

/** The simulator's own wire behaviour, checked with plain fetch so no connector code can hide a mistake. */
const NOW = new Date('2026-02-20T09:00:00Z');
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let sims: IntuneSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function start(options: Partial<IntuneSimulatorOptions> = {}): Promise<IntuneSimulator> {
  const sim = await startIntuneSimulator({ pageSize: 7, devices: 25, seed: 7, now: NOW, ...options });
  sims.push(sim);
  return sim;
}

async function tokenRequest(sim: IntuneSimulator, fields: Record<string, string> = {}, tenant = SIMULATOR_TENANT_ID) {
  const form = { grant_type: 'client_credentials', client_id: SIMULATOR_CLIENT_ID, client_secret: SIMULATOR_CLIENT_SECRET, scope: `${sim.origin}/.default`, ...fields };
  const res = await fetch(`${sim.origin}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function accessToken(sim: IntuneSimulator): Promise<string> {
  const { status, body } = await tokenRequest(sim);
  expect(status).toBe(200);
  return body.access_token as string;
}

async function get(sim: IntuneSimulator, pathOrUrl: string, token?: string, headers: Record<string, string> = {}) {
  const res = await fetch(pathOrUrl.startsWith('http') ? pathOrUrl : `${sim.origin}${pathOrUrl}`, {
    headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, any> };
}

/** Follows @odata.nextLink verbatim; returns every page's body. */
async function allPages(sim: IntuneSimulator, first: string, token: string): Promise<Array<Record<string, any>>> {
  const pages = [];
  let url: string | undefined = first;
  while (url) {
    const res = await get(sim, url, token);
    expect(res.status).toBe(200);
    const page = res.json();
    pages.push(page);
    url = page['@odata.nextLink'];
  }
  return pages;
}

const DEVICES = '/v1.0/deviceManagement/managedDevices';
const CATALOG = '/beta/deviceManagement/windowsUpdateCatalogItems';
const innerError = { date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/), 'request-id': expect.stringMatching(GUID), 'client-request-id': expect.any(String) };

describe('Intune simulator: Entra token endpoint', () => {
  it('issues a Bearer token for the app, with either spelling of the Graph scope', async () => {
    const sim = await start();
    const ok = await tokenRequest(sim);
    expect(ok).toEqual({ status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: expect.any(String) } });
    expect((await tokenRequest(sim, { scope: 'https://graph.microsoft.com/.default' })).status).toBe(200);
    expect(sim.stats()).toEqual({ dataRequests: 0, tokenRequests: 2, unauthorized: 0 });
    expect(sim.validConfig()).toEqual({
      tenantId: SIMULATOR_TENANT_ID, clientId: SIMULATOR_CLIENT_ID, clientSecret: SIMULATOR_CLIENT_SECRET, authorityHost: sim.origin, graphBaseUrl: sim.origin, pageSize: 7,
    });
    expect(sim.badCredentialsConfig()).toEqual({ ...sim.validConfig(), clientSecret: expect.not.stringMatching(`^${SIMULATOR_CLIENT_SECRET}$`) });
  });

  it.each([
    ['an unknown tenant', {}, '11111111-2222-3333-4444-555555555555', 400, 'invalid_request', 90002],
    ['an unknown client id', { client_id: '99999999-9999-4999-8999-999999999999' }, SIMULATOR_TENANT_ID, 400, 'unauthorized_client', 700016],
    ['a wrong client secret', { client_secret: 'not-the-secret' }, SIMULATOR_TENANT_ID, 401, 'invalid_client', 7000215],
    ['another grant type', { grant_type: 'password' }, SIMULATOR_TENANT_ID, 400, 'unsupported_grant_type', 70003],
    ['a scope without /.default', { scope: 'https://graph.microsoft.com/DeviceManagementManagedDevices.Read.All' }, SIMULATOR_TENANT_ID, 400, 'invalid_scope', 1002012],
    ['a /.default scope of another resource', { scope: 'https://management.azure.com/.default' }, SIMULATOR_TENANT_ID, 400, 'invalid_resource', 500011],
  ])('refuses %s in Entra\'s error shape', async (_name, fields, tenant, status, error, code) => {
    const sim = await start();
    const res = await tokenRequest(sim, fields as Record<string, string>, tenant);
    expect(res).toEqual({
      status,
      body: {
        error,
        error_description: expect.stringMatching(new RegExp(`^AADSTS${code}: .+ Trace ID: .+ Correlation ID: .+ Timestamp: `)),
        error_codes: [code],
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/),
        trace_id: expect.stringMatching(GUID),
        correlation_id: expect.stringMatching(GUID),
        error_uri: `${sim.origin}/error?code=${code}`,
      },
    });
    expect(JSON.stringify(res.body)).not.toContain(SIMULATOR_CLIENT_SECRET);
  });
});

describe('Intune simulator: Graph behind a gateway that requires its own scope', () => {
  const SCOPE = 'api://graph-gateway.contoso.example/.default';

  it('serves data only to tokens issued for the required scope, and logs each token request\'s scope', async () => {
    const sim = await start({ requiredScope: SCOPE });
    expect(sim.validConfig()).toMatchObject({ tokenScope: SCOPE });
    const own = await tokenRequest(sim, { scope: SCOPE });
    expect(own.status).toBe(200);
    expect((await get(sim, `${DEVICES}?$top=1`, own.body.access_token)).status).toBe(200);

    const graph = await tokenRequest(sim); // `${origin}/.default`: a good Graph token, but not for the gateway
    expect(graph.status).toBe(200);
    const refused = await get(sim, `${DEVICES}?$top=1`, graph.body.access_token);
    expect(refused.status).toBe(401);
    expect(refused.json().error).toEqual({ code: 'InvalidAuthenticationToken', message: 'Access token validation failure. Invalid audience.', innerError });
    expect(sim.tokenScopes()).toEqual([SCOPE, `${sim.origin}/.default`]);
    expect(sim.stats()).toMatchObject({ tokenRequests: 2, unauthorized: 1 });
    sim.resetStats();
    expect(sim.tokenScopes()).toEqual([]);
  });

  it('without one, takes any Graph scope and sets no tokenScope; a requiredScope without /.default is refused at start', async () => {
    const sim = await start();
    await tokenRequest(sim, { scope: 'https://graph.microsoft.com/.default' });
    expect(sim.tokenScopes()).toEqual(['https://graph.microsoft.com/.default']);
    expect(sim.validConfig()).not.toHaveProperty('tokenScope');
    expect((await tokenRequest(sim, { scope: SCOPE })).body.error).toBe('invalid_resource');
    await expect(startIntuneSimulator({ pageSize: 7, requiredScope: 'api://graph-gateway.contoso.example' })).rejects.toThrow(/requiredScope must be a resource followed by \/\.default/);
  });
});

describe('Intune simulator: managedDevices', () => {
  it('pages by $skiptoken: following nextLink verbatim yields every device once, in id order', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    const pages = await allPages(sim, `${DEVICES}?$select=id,deviceName,lastSyncDateTime`, token);
    expect(pages.map((p) => p.value.length)).toEqual([7, 7, 7, 4]);
    const ids = pages.flatMap((p) => p.value.map((d: ManagedDevice) => d.id));
    expect(ids).toEqual(sim.devices.map((d) => d.id).sort());
    for (const page of pages.slice(0, -1)) {
      expect(page['@odata.nextLink']).toMatch(new RegExp(`^${sim.origin}${DEVICES.replace(/\./g, '\\.')}\\?\\$select=id%2CdeviceName%2ClastSyncDateTime&\\$skiptoken=[\\w.-]+$`));
    }
    expect(pages[0]['@odata.context']).toBe(`${sim.origin}/v1.0/$metadata#deviceManagement/managedDevices(id,deviceName,lastSyncDateTime)`);
    expect(sim.requests()).toHaveLength(4);
    expect(sim.stats()).toEqual({ dataRequests: 4, tokenRequests: 1, unauthorized: 0 });
  });

  it('keeps $top and $filter in nextLink, and refuses a skiptoken it did not issue and an out-of-range $top', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    const pages = await allPages(sim, `${DEVICES}?$top=3&$filter=lastSyncDateTime%20gt%202025-01-01T00:00:00Z`, token);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages[0]['@odata.nextLink']).toContain('$top=3&$filter=lastSyncDateTime%20gt%202025-01-01T00%3A00%3A00Z&$skiptoken=');
    expect(pages.flatMap((p) => p.value).length).toBe(sim.devices.filter((d) => d.lastSyncDateTime > '2025').length);

    const forged = await get(sim, `${DEVICES}?$skiptoken=eyJhIjoxfQ.abc`, token);
    expect(forged.status).toBe(400);
    expect(forged.json().error.code).toBe('BadRequest');
    for (const top of ['0', '1001', 'ten']) expect((await get(sim, `${DEVICES}?$top=${top}`, token)).status).toBe(400);
  });

  it('$select trims each device to the named properties plus id; an unknown property is a BadRequest', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    const page = (await get(sim, `${DEVICES}?$select=osVersion,deviceName`, token)).json();
    expect(page.value.every((d: object) => Object.keys(d).join() === 'id,deviceName,osVersion')).toBe(true);

    const bad = await get(sim, `${DEVICES}?$select=deviceName,deviceNme`, token, { 'client-request-id': 'c0ffee00-1111-4222-8333-444455556666' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({
      error: {
        code: 'BadRequest',
        message: "Could not find a property named 'deviceNme' on type 'microsoft.graph.managedDevice'.",
        innerError: { ...innerError, 'client-request-id': 'c0ffee00-1111-4222-8333-444455556666' },
      },
    });
    expect(bad.headers.get('client-request-id')).toBe('c0ffee00-1111-4222-8333-444455556666');
    expect(bad.headers.get('request-id')).toBe(bad.json().error.innerError['request-id']);
  });

  it('leaves ethernetMacAddress null in lists and fills it on a GET of one device', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    const listed = (await get(sim, `${DEVICES}?$top=50`, token)).json().value as ManagedDevice[];
    expect(listed).toHaveLength(25);
    expect(listed.every((d) => d.ethernetMacAddress === null && d.physicalMemoryInBytes === 0)).toBe(true);
    const windows = sim.devices.find((d) => d.operatingSystem === 'Windows')!;
    expect(windows.ethernetMacAddress).toMatch(/^[0-9A-F]{12}$/);
    const one = (await get(sim, `${DEVICES}/${windows.id}`, token)).json();
    expect(one).toEqual({ '@odata.context': `${sim.origin}/v1.0/$metadata#deviceManagement/managedDevices/$entity`, ...windows });
    const selected = (await get(sim, `${DEVICES}('${windows.id}')?$select=ethernetMacAddress`, token)).json();
    expect(selected).toEqual({
      '@odata.context': `${sim.origin}/v1.0/$metadata#deviceManagement/managedDevices(ethernetMacAddress)/$entity`,
      id: windows.id,
      ethernetMacAddress: windows.ethernetMacAddress,
    });
    const missing = await get(sim, `${DEVICES}/00000000-1111-4222-8333-444444444444`, token);
    expect(missing.status).toBe(404);
  });

  it('$filter on lastSyncDateTime (gt, and ge…lt together) returns exactly the matching devices', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    const since = '2026-02-19T00:00:00.000Z';
    const after = await allPages(sim, `${DEVICES}?$select=id&$filter=${encodeURIComponent(`lastSyncDateTime gt ${since}`)}`, token);
    const expected = sim.devices.filter((d) => Date.parse(d.lastSyncDateTime) > Date.parse(since)).map((d) => d.id).sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(sim.devices.length);
    expect(after.flatMap((p) => p.value.map((d: ManagedDevice) => d.id))).toEqual(expected);

    const window = `lastSyncDateTime ge 2025-09-01T00:00:00Z and lastSyncDateTime lt ${since}`;
    const between = await allPages(sim, `${DEVICES}?$select=id&$filter=${encodeURIComponent(window)}`, token);
    const inWindow = sim.devices.filter((d) => d.lastSyncDateTime >= '2025-09-01T00:00:00Z' && Date.parse(d.lastSyncDateTime) < Date.parse(since));
    expect(between.flatMap((p) => p.value.map((d: ManagedDevice) => d.id))).toEqual(inWindow.map((d) => d.id).sort());
  });

  it.each([
    ["operatingSystem eq 'Windows'", /only by lastSyncDateTime/],
    ["lastSyncDateTime gt '2026-01-01T00:00:00Z'", /incompatible types.*'Edm.DateTimeOffset' and 'Edm.String'/],
    ['lastSyncDateTime gt yesterday', /not a valid DateTimeOffset literal/],
    ['lastSyncDateTime eq 2026-01-01T00:00:00Z', /only by lastSyncDateTime with gt, ge, lt or le/],
    ['lastSeen gt 2026-01-01T00:00:00Z', /Could not find a property named 'lastSeen'/],
  ])('answers the filter %s with a 400 naming the problem', async (filter, message) => {
    const sim = await start();
    const res = await get(sim, `${DEVICES}?$filter=${encodeURIComponent(filter)}`, await accessToken(sim));
    expect(res.status).toBe(400);
    expect(res.json().error).toEqual({ code: 'BadRequest', message: expect.stringMatching(message), innerError });
  });
});

describe('Intune simulator: Windows update catalog (beta)', () => {
  const kb = (id: string) => MICROSOFT_CATALOG.updates.find((u) => u.kb === id)!;

  it('serves one item per Patch Tuesday in the beta shape, each product revision naming its own KB from the bundled catalog', async () => {
    const sim = await start({ pageSize: 100 });
    const res = await get(sim, `${CATALOG}?$filter=${encodeURIComponent("isof('microsoft.graph.windowsQualityUpdateCatalogItem')")}`, await accessToken(sim));
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body['@odata.context']).toBe(`${sim.origin}/beta/$metadata#deviceManagement/windowsUpdateCatalogItems`);
    const items = body.value as GraphQualityUpdateCatalogItem[];
    expect(items.map((i) => i.displayName)).toEqual([
      '2024.08 B SecurityUpdate for Windows 10 and later', '2024.09 B SecurityUpdate for Windows 10 and later', '2026.02 B SecurityUpdate for Windows 10 and later',
    ]);

    // Every revision names the KB the bundled MSRC data gives for its product; the Windows Server 2022 updates are
    // not in Intune's catalog.
    const revisionKbs = items.flatMap((i) => i.productRevisions.map((r) => `${r.productName} ${r.versionName} ${r.osBuild.buildNumber}.${r.osBuild.updateBuildRevision} ${r.knowledgeBaseArticle.articleId}`));
    const expected = MICROSOFT_CATALOG.updates.flatMap((u) => u.products.filter((p) => p.startsWith('Windows 1')).map((p) => {
      const [, product, version] = /^(Windows 1\d) Version (\w+) /.exec(p)!;
      return `${product} ${version} ${u.fixedBuilds[p].split('.').slice(2).join('.')} ${u.kb}`;
    }));
    expect(revisionKbs.sort()).toEqual(expected.sort());
    expect(revisionKbs.join()).not.toContain('KB5042881');

    const september = items[1];
    const vulns = MICROSOFT_CATALOG.vulnerabilities.filter((v) => ['KB5043064', 'KB5043076', 'KB5043080'].some((k) => kb(k).cves.includes(v.cveId)));
    const exploited = vulns.filter((v) => v.exploited).map((v) => v.cveId);
    expect(exploited).toEqual(['CVE-2024-38014', 'CVE-2024-38217', 'CVE-2024-43461']);
    const revision = (build: number, ubr: number, version: string, product: string, kbNumber: string) => ({
      displayName: `${product}, version ${version}, build ${build}.${ubr}`,
      releaseDateTime: '2024-09-10T07:00:00Z',
      versionName: version,
      productName: product,
      osBuild: { majorVersionNumber: 10, minorVersionNumber: 0, buildNumber: build, updateBuildRevision: ubr },
      knowledgeBaseArticle: { articleId: `KB${kbNumber}`, articleUrl: `https://support.microsoft.com/help/${kbNumber}` },
    });
    expect(september).toEqual({
      '@odata.type': '#microsoft.graph.windowsQualityUpdateCatalogItem',
      id: expect.stringMatching(GUID),
      displayName: '2024.09 B SecurityUpdate for Windows 10 and later',
      releaseDateTime: '2024-09-10T07:00:00Z',
      endOfSupportDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      // One KB for the item, that of its newest release; the revisions name each product's own.
      kbArticleId: '5043080',
      classification: 'security',
      qualityUpdateCadence: 'monthly',
      isExpeditable: true,
      productRevisions: [
        revision(26100, 1742, '24H2', 'Windows 11', '5043080'),
        revision(22631, 4169, '23H2', 'Windows 11', '5043076'),
        revision(22621, 4169, '22H2', 'Windows 11', '5043076'),
        revision(19045, 4894, '22H2', 'Windows 10', '5043064'),
      ],
      cveSeverityInformation: {
        maxSeverityLevel: 'critical',
        maxBaseScore: Math.max(...vulns.map((v) => v.cvssBaseScore!)),
        exploitedCves: exploited.map((cve) => ({ cveNumber: cve, cveInformationUrl: `https://msrc.microsoft.com/update-guide/vulnerability/${cve}` })),
      },
    });
    expect(new Set(items.map((i) => i.id)).size).toBe(3);
    // A later month's update is "important": the severity comes from the catalog, not a constant.
    expect(items[2].cveSeverityInformation!.maxSeverityLevel).toBe('important');
    expect(items[2].productRevisions.map((r) => r.knowledgeBaseArticle.articleId)).toEqual(['KB5077181', 'KB5077181', 'KB5075941', 'KB5075912']);
  });

  it('pages the catalog, appends extra items after the real ones, and refuses other filters', async () => {
    const extra: GraphQualityUpdateCatalogItem = {
      '@odata.type': '#microsoft.graph.windowsQualityUpdateCatalogItem', id: 'e0e0e0e0-0000-4000-8000-000000000001', displayName: '2026.03 B SecurityUpdate for Windows 10 and later',
      releaseDateTime: '2026-03-10T07:00:00Z', endOfSupportDate: '2027-03-10T07:00:00Z', kbArticleId: '5099999', classification: 'security', qualityUpdateCadence: 'monthly',
      isExpeditable: true, cveSeverityInformation: null,
      productRevisions: [{
        displayName: 'Windows 11, version 23H2, build 22631.6900', releaseDateTime: '2026-03-10T07:00:00Z', versionName: '23H2', productName: 'Windows 11',
        osBuild: { majorVersionNumber: 10, minorVersionNumber: 0, buildNumber: 22631, updateBuildRevision: 6900 },
        knowledgeBaseArticle: { articleId: 'KB5099999', articleUrl: 'https://support.microsoft.com/help/5099999' },
      }],
    };
    const sim = await start({ pageSize: 3, extraCatalogItems: [extra] });
    const token = await accessToken(sim);
    const pages = await allPages(sim, CATALOG, token);
    expect(pages.map((p) => p.value.length)).toEqual([3, 1]);
    expect(pages.at(-1)!.value.at(-1)).toEqual(extra);
    const bad = await get(sim, `${CATALOG}?$filter=${encodeURIComponent("isof('microsoft.graph.windowsFeatureUpdateCatalogItem')")}`, token);
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('BadRequest');

    // mutate moves devices to the newest build the served catalog knows, extra items included.
    const { changedDeviceIds } = await sim.mutate();
    for (const id of changedDeviceIds) {
      const d = sim.devices.find((x) => x.id === id)!;
      if (d.osVersion.startsWith('10.0.22631.')) expect(Number(d.osVersion.split('.')[3])).toBeGreaterThanOrEqual(6900);
    }
  });

  it('answers 403 when the permission is not granted and 400 when the cloud has no such segment', async () => {
    const sim = await start({ catalogAccess: 'forbidden' });
    const token = await accessToken(sim);
    const forbidden = await get(sim, CATALOG, token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.json().error).toEqual({
      code: 'Forbidden',
      message: expect.stringMatching(
        /^Application is not authorized to perform this operation\. Application must have one of the following scopes: DeviceManagementConfiguration\.Read\.All, DeviceManagementConfiguration\.ReadWrite\.All - Operation ID \(for customer support\): [0-9a-f-]{36} /,
      ),
      innerError,
    });
    sim.setCatalogAccess('absent');
    const absent = await get(sim, CATALOG, token);
    expect(absent.status).toBe(400);
    expect(absent.json().error).toEqual({ code: 'BadRequest', message: "Resource not found for the segment 'windowsUpdateCatalogItems'.", innerError });
    sim.setCatalogAccess('granted');
    expect((await get(sim, CATALOG, token)).status).toBe(200);
  });
});

describe('Intune simulator: tokens, faults and throttling', () => {
  it('answers a missing, unknown or expired token with 401 InvalidAuthenticationToken', async () => {
    const sim = await start({ tokenLifetimeS: 0 });
    const missing = await get(sim, DEVICES);
    expect(missing.status).toBe(401);
    expect(missing.json().error).toEqual({ code: 'InvalidAuthenticationToken', message: 'Access token is empty.', innerError });
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm=""/);
    const unknown = await get(sim, DEVICES, 'made-up');
    expect(unknown.json().error.message).toBe('Access token has expired or is not yet valid.');
    // With a lifetime of 0 s the token is already expired when it is used.
    const expired = await get(sim, DEVICES, await accessToken(sim));
    expect(expired.status).toBe(401);
    expect(expired.json().error).toEqual({ code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.', innerError });
    expect(sim.stats()).toEqual({ dataRequests: 3, tokenRequests: 1, unauthorized: 3 });
  });

  it.each([
    [429, 'TooManyRequests', 7],
    [500, 'InternalServerError', undefined],
    [502, 'BadGateway', undefined],
    [503, 'ServiceUnavailable', 2],
    [504, 'GatewayTimeout', undefined],
  ] as const)('injects HTTP %i as Graph error %s, counting data requests only', async (status, code, retryAfterSeconds) => {
    const sim = await start();
    const token = await accessToken(sim);
    sim.inject({ type: 'status', status, retryAfterSeconds, onRequest: 2 });
    expect((await get(sim, DEVICES, token)).status).toBe(200);
    await accessToken(sim); // token requests do not move the fault schedule
    const faulted = await get(sim, `${DEVICES}?$top=5`, token);
    expect(faulted.status).toBe(status);
    expect(faulted.json()).toEqual({ error: { code, message: expect.any(String), innerError } });
    expect(faulted.headers.get('retry-after')).toBe(retryAfterSeconds === undefined ? null : String(retryAfterSeconds));
    expect(faulted.headers.get('request-id')).toMatch(GUID);
    expect((await get(sim, DEVICES, token)).status).toBe(200);
    expect(sim.stats()).toEqual({ dataRequests: 3, tokenRequests: 2, unauthorized: 0 });
  });

  it('answers malformed pages with truncated JSON and with a page lacking value, in turn', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    sim.inject({ type: 'malformed', onRequest: 1, times: 2 });
    const truncated = await get(sim, DEVICES, token);
    expect(truncated.status).toBe(200);
    expect(() => JSON.parse(truncated.text)).toThrow();
    const valueless = await get(sim, CATALOG, token);
    expect(valueless.status).toBe(200);
    expect(valueless.json()).toEqual({ '@odata.context': expect.stringContaining('$metadata#deviceManagement/windowsUpdateCatalogItems') });
    expect(Array.isArray((await get(sim, DEVICES, token)).json().value)).toBe(true);
  });

  it('expire-token revokes every token issued so far; a new one works', async () => {
    const sim = await start();
    const first = await accessToken(sim);
    const second = await accessToken(sim);
    sim.inject({ type: 'expire-token', onRequest: 2 });
    expect((await get(sim, DEVICES, first)).status).toBe(200);
    const refused = await get(sim, DEVICES, second);
    expect(refused.status).toBe(401);
    expect(refused.json().error.code).toBe('InvalidAuthenticationToken');
    expect((await get(sim, DEVICES, first)).status).toBe(401);
    expect((await get(sim, DEVICES, await accessToken(sim))).status).toBe(200);
    expect(sim.stats()).toEqual({ dataRequests: 4, tokenRequests: 3, unauthorized: 2 });
    sim.resetStats();
    expect(sim.stats()).toEqual({ dataRequests: 0, tokenRequests: 0, unauthorized: 0 });
    expect(sim.requests()).toEqual([]);
  });

  it('enforces an optional rolling throttle, with or without Retry-After', async () => {
    const withHeader = await start({ throttle: { requests: 2, windowS: 20, retryAfter: true } });
    let token = await accessToken(withHeader);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await get(withHeader, DEVICES, token));
    expect(statuses.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(statuses[2].json().error.code).toBe('TooManyRequests');
    expect(Number(statuses[2].headers.get('retry-after'))).toBeGreaterThanOrEqual(19);
    expect(Number(statuses[2].headers.get('retry-after'))).toBeLessThanOrEqual(20);

    const silent = await start({ throttle: { requests: 1, windowS: 20, retryAfter: false } });
    token = await accessToken(silent);
    expect((await get(silent, DEVICES, token)).status).toBe(200);
    const throttled = await get(silent, DEVICES, token);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBeNull();
  });

  it('answers other paths with 404 and a Graph error body, without counting them as data requests', async () => {
    const sim = await start();
    const res = await get(sim, '/v1.0/deviceManagement/detectedApps', await accessToken(sim));
    expect(res.status).toBe(404);
    expect(res.json().error).toEqual({ code: expect.any(String), message: expect.any(String), innerError });
    expect(sim.stats().dataRequests).toBe(0);
  });
});

describe('Intune simulator: the seeded fleet', () => {
  it('is the same for the same seed and different for another', async () => {
    const a = await start({ devices: 60, seed: 42 });
    const b = await start({ devices: 60, seed: 42 });
    const c = await start({ devices: 60, seed: 43 });
    expect(b.devices).toEqual(a.devices);
    expect(c.devices.map((d) => d.id)).not.toEqual(a.devices.map((d) => d.id));
  });

  it('has the mix a real tenant has', async () => {
    const sim = await start({ devices: 60, namePrefix: 'FABRIKAM' });
    const devices = sim.devices;
    const windows = devices.filter((d) => d.operatingSystem === 'Windows');
    expect(windows.length / devices.length).toBeCloseTo(0.75, 1);
    expect(new Set(devices.map((d) => d.operatingSystem))).toEqual(new Set(['Windows', 'iOS', 'Android', 'macOS']));
    const days = (d: ManagedDevice) => (NOW.getTime() - Date.parse(d.lastSyncDateTime)) / 86_400_000;
    const stale = devices.filter((d) => !d.lastSyncDateTime.startsWith('0001') && days(d) > 30);
    expect(stale.length).toBeGreaterThanOrEqual(3);
    expect(stale.every((d) => days(d) >= 40 && days(d) <= 151)).toBe(true);
    expect(devices.filter((d) => d.lastSyncDateTime === '0001-01-01T00:00:00Z')).toHaveLength(2);
    // No device sits a whole number of days before "now", so a day threshold never lands on one.
    expect(devices.every((d) => d.lastSyncDateTime.startsWith('0001') || !Number.isInteger(days(d)))).toBe(true);
    expect(devices.every((d) => Date.parse(d.enrolledDateTime) < Date.parse(d.lastSyncDateTime) || d.lastSyncDateTime.startsWith('0001'))).toBe(true);
    expect(devices.some((d) => d.azureADDeviceId === NO_ENTRA_DEVICE_ID && !d.azureADRegistered)).toBe(true);
    expect(devices.some((d) => d.managedDeviceOwnerType === 'personal' && d.azureADRegistered)).toBe(true);
    expect(devices.some((d) => d.serialNumber === 'To be filled by O.E.M.')).toBe(true);
    expect(windows.every((d) => /^10\.0\.\d{5}\.\d+$/.test(d.osVersion))).toBe(true);
    expect(windows.some((d) => d.deviceName.startsWith('FABRIKAM-LT-'))).toBe(true);
    expect(devices.filter((d) => d.userPrincipalName).every((d) => d.userPrincipalName.endsWith('@fabrikam.example'))).toBe(true);
    expect(devices.filter((d) => d.wiFiMacAddress !== null).every((d) => /^[0-9A-F]{12}$/.test(d.wiFiMacAddress!))).toBe(true);
    expect(new Set(devices.map((d) => d.complianceState)).size).toBeGreaterThanOrEqual(6);

    // Every release has active devices behind its latest fixed build and at or past it.
    const latest = new Map<number, number>();
    for (const u of MICROSOFT_CATALOG.updates) {
      for (const build of Object.values(u.fixedBuilds)) {
        const [, , b, ubr] = build.split('.').map(Number);
        latest.set(b, Math.max(latest.get(b) ?? 0, ubr));
      }
    }
    const active = windows.filter((d) => !d.lastSyncDateTime.startsWith('0001') && days(d) <= 30);
    const releases = new Set(windows.map((d) => Number(d.osVersion.split('.')[2])));
    expect([...releases].sort()).toEqual([19045, 22621, 22631, 26100, 26200]);
    for (const release of releases) {
      const ubrs = active.filter((d) => Number(d.osVersion.split('.')[2]) === release).map((d) => Number(d.osVersion.split('.')[3]));
      expect(ubrs.some((u) => u < latest.get(release)!)).toBe(true);
      expect(ubrs.some((u) => u >= latest.get(release)!)).toBe(true);
    }
  });

  it('mutate() moves three active Windows devices to check-ins later than any before, visible through $filter', async () => {
    const sim = await start({ devices: 30 });
    const before = new Map(sim.devices.map((d) => [d.id, { ...d }]));
    const newestBefore = Math.max(...[...before.values()].map((d) => Date.parse(d.lastSyncDateTime)));
    const { changedDeviceIds } = await sim.mutate();
    expect(changedDeviceIds).toHaveLength(3);
    for (const id of changedDeviceIds) {
      const now = sim.devices.find((d) => d.id === id)!;
      const was = before.get(id)!;
      expect(now.operatingSystem).toBe('Windows');
      expect(Date.parse(now.lastSyncDateTime)).toBeGreaterThan(newestBefore);
      expect(Date.parse(now.lastSyncDateTime) - newestBefore).toBeLessThanOrEqual(4 * 60_000);
      expect(Number(now.osVersion.split('.')[3])).toBeGreaterThan(Number(was.osVersion.split('.')[3]));
    }
    const token = await accessToken(sim);
    const since = new Date(newestBefore).toISOString();
    const changed = await allPages(sim, `${DEVICES}?$select=id&$filter=${encodeURIComponent(`lastSyncDateTime gt ${since}`)}`, token);
    expect(changed.flatMap((p) => p.value.map((d: ManagedDevice) => d.id))).toEqual(changedDeviceIds);
  });

  it('removeDevice() takes an active Windows device out of every answer', async () => {
    const sim = await start();
    const id = await sim.removeDevice();
    expect(sim.devices.map((d) => d.id)).not.toContain(id);
    expect(sim.devices).toHaveLength(24);
    const token = await accessToken(sim);
    expect((await get(sim, `${DEVICES}/${id}`, token)).status).toBe(404);
    const pages = await allPages(sim, DEVICES, token);
    expect(pages.flatMap((p) => p.value.map((d: ManagedDevice) => d.id))).not.toContain(id);
  });

  it('serves an exact fleet when given one', async () => {
    const fleet = [
      buildManagedDevice({ id: 'aaaaaaaa-0000-4000-8000-000000000001', deviceName: 'CONTOSO-LT-0001', osVersion: '10.0.22631.4169', lastSyncDateTime: '2026-02-19T10:00:00Z' }),
      buildManagedDevice({ id: 'aaaaaaaa-0000-4000-8000-000000000002', deviceName: 'CONTOSO-LT-0002', osVersion: '10.0.26100.1742', lastSyncDateTime: '2026-02-19T11:00:00Z' }),
    ];
    const sim = await start({ fleet });
    expect(sim.devices).toEqual(fleet);
    const value = (await get(sim, DEVICES, await accessToken(sim))).json().value;
    expect(value.map((d: ManagedDevice) => d.deviceName)).toEqual(['CONTOSO-LT-0001', 'CONTOSO-LT-0002']);
    expect(Object.keys(value[0])).toEqual(Object.keys(fleet[0]));
  });
});
