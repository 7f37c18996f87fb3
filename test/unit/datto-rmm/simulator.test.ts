import {
  buildDattoDevice,
  buildDattoSite,
  buildDeviceAudit,
  DattoDevice,
  DattoSimulator,
  DattoSimulatorOptions,
  dateMs,
  DELETED_DEVICES_SITE,
  PATCH_STATUSES,
  SIMULATOR_API_KEY,
  SIMULATOR_API_SECRET,
  startDattoSimulator,
  UDF_COUNT,
} from '../../../connectors/datto-rmm/simulator';
import { fixedClock } from '../../../src/util/clock';

/** The simulator's own wire behaviour, checked with plain fetch so no connector code can hide a mistake. */
const NOW = new Date('2026-02-20T09:00:00Z');
const DAY = 86_400_000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAC = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/;
const SPRING_ERROR = (status: number, error: string, path: string) => ({
  timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/),
  status,
  error,
  path,
});

let sims: DattoSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function start(options: Partial<DattoSimulatorOptions> = {}): Promise<DattoSimulator> {
  const sim = await startDattoSimulator({ pageSize: 7, devices: 20, seed: 7, now: NOW, ...options });
  sims.push(sim);
  return sim;
}

const PUBLIC_CLIENT = `Basic ${Buffer.from('public-client:public').toString('base64')}`;

async function tokenRequest(sim: DattoSimulator, fields: Record<string, string> = {}, authorization: string | null = PUBLIC_CLIENT) {
  const form = { grant_type: 'password', username: SIMULATOR_API_KEY, password: SIMULATOR_API_SECRET, ...fields };
  const res = await fetch(`${sim.origin}/auth/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

async function accessToken(sim: DattoSimulator): Promise<string> {
  const { status, body } = await tokenRequest(sim);
  expect(status).toBe(200);
  return body.access_token as string;
}

async function get(sim: DattoSimulator, pathOrUrl: string, token?: string) {
  const res = await fetch(pathOrUrl.startsWith('http') ? pathOrUrl : `${sim.origin}${pathOrUrl}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, any> };
}

/** Follows pageDetails.nextPageUrl verbatim, as a naive client would; returns every page's body. */
async function allPages(sim: DattoSimulator, first: string, token: string): Promise<Array<Record<string, any>>> {
  const pages = [];
  let url: string | null = first;
  while (url) {
    const res = await get(sim, url, token);
    expect(res.status).toBe(200);
    const page = res.json();
    pages.push(page);
    url = page.pageDetails.nextPageUrl;
  }
  return pages;
}

const live = (sim: DattoSimulator) => sim.devices.filter((d) => !d.deleted);

describe('Datto simulator: token endpoint', () => {
  it('issues a bearer token for the API key and secret, sent by the public client', async () => {
    const sim = await start();
    const ok = await tokenRequest(sim);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), token_type: 'bearer', expires_in: 359_999, scope: 'default', jti: expect.stringMatching(GUID) });
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(sim.stats()).toEqual({ dataRequests: 0, tokenRequests: 1, unauthorized: 0 });
    expect(sim.validConfig()).toEqual({ apiUrl: sim.origin, apiKey: SIMULATOR_API_KEY, apiSecret: SIMULATOR_API_SECRET, pageSize: 7 });
    expect(sim.badCredentialsConfig()).toEqual({ ...sim.validConfig(), apiSecret: expect.not.stringMatching(`^${SIMULATOR_API_SECRET}$`) });
  });

  it.each([
    ['no client credentials', {}, null, 401, 'unauthorized', 'Full authentication is required to access this resource'],
    ['another client', {}, `Basic ${Buffer.from('my-app:secret').toString('base64')}`, 401, 'unauthorized', 'Bad credentials'],
    ['a wrong API secret', { password: 'not-the-secret' }, PUBLIC_CLIENT, 400, 'invalid_grant', 'Bad credentials'],
    ['a wrong API key', { username: 'NOTAKEY' }, PUBLIC_CLIENT, 400, 'invalid_grant', 'Bad credentials'],
    ['the client-credentials grant', { grant_type: 'client_credentials' }, PUBLIC_CLIENT, 400, 'unsupported_grant_type', 'Unsupported grant type: client_credentials'],
  ])('refuses %s in Spring OAuth\'s error shape', async (_name, fields, authorization, status, error, description) => {
    const sim = await start();
    const res = await tokenRequest(sim, fields as Record<string, string>, authorization);
    expect({ status: res.status, body: res.body }).toEqual({ status, body: { error, error_description: description } });
    expect(JSON.stringify(res.body)).not.toContain(SIMULATOR_API_SECRET);
    expect(sim.stats().tokenRequests).toBe(1);
  });

  it('takes the grant from the query string too, as Spring does', async () => {
    const sim = await start();
    const query = new URLSearchParams({ grant_type: 'password', username: SIMULATOR_API_KEY, password: SIMULATOR_API_SECRET });
    const res = await fetch(`${sim.origin}/auth/oauth/token?${query}`, { method: 'POST', headers: { authorization: PUBLIC_CLIENT } });
    expect(res.status).toBe(200);
  });
});

describe('Datto simulator: bearer tokens on data requests', () => {
  it('answers 401 for a missing, an unknown and an expired token, and counts each', async () => {
    const clock = fixedClock(NOW);
    const sim = await start({ clock, tokenLifetimeS: 3600 });
    const missing = await get(sim, '/api/v2/account');
    expect(missing.status).toBe(401);
    expect(missing.json()).toEqual({ error: 'unauthorized', error_description: 'Full authentication is required to access this resource' });
    const unknown = await get(sim, '/api/v2/account', 'eyJhbGciOiJSUzI1NiJ9.e30.bm90LWEtdG9rZW4');
    expect(unknown.status).toBe(401);
    expect(unknown.json()).toEqual({ error: 'invalid_token', error_description: 'Invalid access token: eyJhbGciOiJS…' });

    const token = await accessToken(sim);
    expect((await get(sim, '/api/v2/account', token)).status).toBe(200);
    clock.advance(3600 * 1000 - 1);
    expect((await get(sim, '/api/v2/account', token)).status).toBe(200);
    clock.advance(1);
    const expired = await get(sim, '/api/v2/account', token);
    expect(expired.status).toBe(401);
    expect(expired.json()).toEqual({ error: 'invalid_token', error_description: `Access token expired: ${token.slice(0, 12)}…` });
    expect(expired.text).not.toContain(token);
    expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="oauth2-resource", error="invalid_token"');
    expect(sim.stats()).toEqual({ dataRequests: 5, tokenRequests: 1, unauthorized: 3 });
  });
});

describe('Datto simulator: account devices and paging', () => {
  it('pages by page number: following nextPageUrl yields every device once, in id order', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    sim.resetStats();
    const pages = await allPages(sim, '/api/v2/account/devices', token);
    // A small fleet has no device deleted before the simulated present: the account lists exactly `devices`.
    expect(sim.devices).toHaveLength(20);
    expect(sim.devices.some((d) => d.deleted)).toBe(false);
    expect(pages.map((p) => p.devices.length)).toEqual([7, 7, 6]);
    expect(pages.map((p) => p.pageDetails)).toEqual([
      { count: 7, totalCount: 20, prevPageUrl: null, nextPageUrl: `${sim.origin}/api/v2/account/devices?max=7&page=1` },
      { count: 7, totalCount: 20, prevPageUrl: `${sim.origin}/api/v2/account/devices?max=7&page=0`, nextPageUrl: `${sim.origin}/api/v2/account/devices?max=7&page=2` },
      { count: 6, totalCount: 20, prevPageUrl: `${sim.origin}/api/v2/account/devices?max=7&page=1`, nextPageUrl: null },
    ]);
    const uids = pages.flatMap((p) => p.devices.map((d: DattoDevice) => d.uid));
    expect(new Set(uids).size).toBe(20);
    expect(pages.flatMap((p) => p.devices)).toEqual([...sim.devices].sort((a, b) => a.id - b.id));
    expect(sim.requests()).toEqual(['/api/v2/account/devices', '/api/v2/account/devices?max=7&page=1', '/api/v2/account/devices?max=7&page=2']);
    expect(sim.stats()).toEqual({ dataRequests: 3, tokenRequests: 0, unauthorized: 0 });
  });

  it('filters hostname and siteName by a case-insensitive LIKE, and drops the filters from nextPageUrl', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    const site = sim.sites.find((s) => s.name === 'Northwind Dental')!;
    const northwind = sim.devices.filter((d) => d.siteName === 'Northwind Dental');
    expect(northwind.length).toBeGreaterThan(3);

    const first = (await get(sim, '/api/v2/account/devices?siteName=northwind&max=3', token)).json();
    expect(first.devices).toHaveLength(3);
    expect(first.devices.every((d: DattoDevice) => d.siteUid === site.uid)).toBe(true);
    expect(first.pageDetails.totalCount).toBe(northwind.length);
    expect(first.pageDetails.nextPageUrl).toBe(`${sim.origin}/api/v2/account/devices?max=3&page=1`);
    // A client that follows the link verbatim reads the whole account from page 2 on.
    const naive = await allPages(sim, '/api/v2/account/devices?siteName=northwind&max=3', token);
    const read = naive.flatMap((p) => p.devices as DattoDevice[]);
    expect(read.some((d) => d.siteName !== 'Northwind Dental')).toBe(true);
    expect(naive.at(-1)!.pageDetails.totalCount).toBe(sim.devices.length);

    const prefix = northwind[0].hostname.split('-')[0].toLowerCase();
    const byHost = (await get(sim, `/api/v2/account/devices?hostname=${prefix}-%25&max=250`, token)).json();
    expect(byHost.devices.map((d: DattoDevice) => d.uid).sort()).toEqual(
      sim.devices.filter((d) => d.hostname.toLowerCase().startsWith(`${prefix}-`)).map((d) => d.uid).sort(),
    );
    const servers = (await get(sim, '/api/v2/account/devices?operatingSystem=server&max=250', token)).json();
    expect(servers.devices.length).toBeGreaterThan(0);
    expect(servers.devices.every((d: DattoDevice) => /Windows Server/.test(d.operatingSystem ?? ''))).toBe(true);
  });

  it('caps max at 250, as /system/pagination says; a page past the end is empty', async () => {
    const sim = await start({ devices: 300 });
    const token = await accessToken(sim);
    expect((await get(sim, '/api/v2/system/pagination', token)).json()).toEqual({ max: 250 });
    const first = (await get(sim, '/api/v2/account/devices?max=1000', token)).json();
    expect(first.devices).toHaveLength(250);
    expect(first.pageDetails).toEqual({ count: 250, totalCount: sim.devices.length, prevPageUrl: null, nextPageUrl: `${sim.origin}/api/v2/account/devices?max=250&page=1` });
    const second = (await get(sim, first.pageDetails.nextPageUrl, token)).json();
    expect(second.devices).toHaveLength(sim.devices.length - 250);
    expect(second.pageDetails.nextPageUrl).toBeNull();
    const beyond = (await get(sim, '/api/v2/account/devices?max=250&page=9', token)).json();
    expect(beyond).toEqual({ pageDetails: { count: 0, totalCount: sim.devices.length, prevPageUrl: `${sim.origin}/api/v2/account/devices?max=250&page=8`, nextPageUrl: null }, devices: [] });
    const bad = await get(sim, '/api/v2/account/devices?page=two', token);
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual(SPRING_ERROR(400, 'Bad Request', '/api/v2/account/devices'));
  });

  it('serves one device by uid, and 404 in Spring\'s shape for an unknown one', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    const device = sim.devices[4];
    expect((await get(sim, `/api/v2/device/${device.uid}`, token)).json()).toEqual(device);
    const missing = await get(sim, '/api/v2/device/00000000-1111-4222-8333-444444444444', token);
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual(SPRING_ERROR(404, 'Not Found', '/api/v2/device/00000000-1111-4222-8333-444444444444'));
  });
});

describe('Datto simulator: account, sites and system', () => {
  it('lists the client sites and Datto\'s "Deleted Devices" site with live device counts', async () => {
    const sim = await start({ pageSize: 50 });
    const token = await accessToken(sim);
    const page = (await get(sim, '/api/v2/account/sites', token)).json();
    expect(page.sites.map((s: { name: string }) => s.name)).toEqual([DELETED_DEVICES_SITE, 'Northwind Dental', 'Fabrikam Logistics', 'Contoso Academy Trust', 'Tailspin Toys']);
    expect(Object.keys(page.sites[1])).toEqual([
      'id', 'uid', 'accountUid', 'name', 'description', 'notes', 'onDemand', 'splashtopAutoInstall', 'proxySettings', 'devicesStatus',
      'autotaskCompanyName', 'autotaskCompanyId', 'portalUrl',
    ]);
    for (const site of page.sites) {
      const held = sim.devices.filter((d) => d.siteUid === site.uid);
      expect(site.uid).toMatch(GUID);
      expect(Number.isInteger(site.id)).toBe(true);
      expect(site.proxySettings).toBeNull();
      expect(site.devicesStatus).toEqual({
        numberOfDevices: held.length,
        numberOfOnlineDevices: held.filter((d) => d.online).length,
        numberOfOfflineDevices: held.filter((d) => !d.online).length,
      });
    }
    const account = (await get(sim, '/api/v2/account', token)).json();
    expect(page.sites.every((s: { accountUid: string }) => s.accountUid === account.uid)).toBe(true);
    expect(account).toEqual({
      id: expect.any(Number),
      name: 'Contoso MSP',
      descriptor: { bilingEmail: expect.stringContaining('@'), deviceLimit: expect.any(Number), timeZone: 'Europe/London' },
      uid: expect.stringMatching(GUID),
      currency: 'GBP',
      devicesStatus: {
        numberOfDevices: 20,
        numberOfOnlineDevices: live(sim).filter((d) => d.online).length,
        numberOfOfflineDevices: live(sim).filter((d) => !d.online).length,
        numberOfOnDemandDevices: 0,
        numberOfManagedDevices: live(sim).filter((d) => d.deviceClass === 'device').length,
      },
    });
  });

  it('pages a site\'s devices, and 404s an unknown site', async () => {
    const sim = await start({ pageSize: 4 });
    const token = await accessToken(sim);
    const site = sim.sites.find((s) => s.name === 'Northwind Dental')!;
    const pages = await allPages(sim, `/api/v2/site/${site.uid}/devices`, token);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(pages[0].pageDetails.nextPageUrl).toBe(`${sim.origin}/api/v2/site/${site.uid}/devices?max=4&page=1`);
    expect(pages.flatMap((p) => p.devices.map((d: DattoDevice) => d.uid)).sort()).toEqual(sim.devices.filter((d) => d.siteUid === site.uid).map((d) => d.uid).sort());
    expect((await get(sim, '/api/v2/site/no-such-site/devices', token)).status).toBe(404);
  });

  it('reports the live read count on /system/request_rate; unknown routes are 404 with a JSON body', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    await get(sim, '/api/v2/account', token);
    const rate = (await get(sim, '/api/v2/system/request_rate', token)).json();
    expect(rate).toEqual({
      slidingTimeWindowSizeSeconds: 60,
      accountUid: expect.stringMatching(GUID),
      accountCount: 2,
      accountRateLimit: 600,
      accountCutOffRatio: 0.9,
      accountWriteRateLimit: 600,
      accountWriteCount: 0,
      operationWriteStatus: expect.objectContaining({ 'device-udf-set': { limit: 600, count: 0 }, 'device-move': { limit: 100, count: 0 } }),
    });
    const unknownApi = await get(sim, '/api/v2/nothing/here', token);
    expect(unknownApi.status).toBe(404);
    expect(unknownApi.json()).toEqual(SPRING_ERROR(404, 'Not Found', '/api/v2/nothing/here'));
    const elsewhere = await get(sim, '/favicon.ico');
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.json().status).toBe(404);
  });
});

describe('Datto simulator: the seeded fleet', () => {
  it('has every Device property, in the API\'s order, with 300 UDFs', async () => {
    const sim = await start();
    for (const d of sim.devices) {
      expect(Object.keys(d)).toEqual([
        'id', 'uid', 'siteId', 'siteUid', 'siteName', 'deviceType', 'hostname', 'intIpAddress', 'operatingSystem', 'lastLoggedInUser', 'domain',
        'cagVersion', 'displayVersion', 'extIpAddress', 'description', 'a64Bit', 'rebootRequired', 'online', 'suspended', 'deleted', 'lastSeen',
        'lastReboot', 'lastAuditDate', 'creationDate', 'udf', 'snmpEnabled', 'deviceClass', 'portalUrl', 'warrantyDate', 'antivirus',
        'patchManagement', 'softwareStatus', 'webRemoteUrl', 'networkProbe', 'onboardedViaNetworkMonitor',
      ]);
      expect(Object.keys(d.udf)).toHaveLength(UDF_COUNT);
      expect(d.uid).toMatch(GUID);
      expect(Number.isInteger(d.id)).toBe(true);
    }
  });

  it('reports every patch status among live devices, each with counts that agree with it', async () => {
    const sim = await start();
    const windows = live(sim).filter((d) => d.operatingSystem?.startsWith('Microsoft Windows'));
    expect(new Set(windows.map((d) => d.patchManagement.patchStatus))).toEqual(new Set(PATCH_STATUSES));
    for (const { patchManagement: p, rebootRequired } of windows) {
      if (p.patchStatus === 'FullyPatched' || p.patchStatus === 'RebootRequired') expect(p.patchesApprovedPending).toBe(0);
      if (p.patchStatus === 'ApprovedPending' || p.patchStatus === 'InstallError') expect(p.patchesApprovedPending).toBeGreaterThan(0);
      if (p.patchStatus === 'NoPolicy' || p.patchStatus === 'NoData') expect([p.patchesApprovedPending, p.patchesNotApproved, p.patchesInstalled]).toEqual([0, 0, 0]);
      else expect(p.patchesInstalled).toBeGreaterThan(0);
      if (p.patchStatus === 'RebootRequired') expect(rebootRequired).toBe(true);
    }
  });

  it('mixes device kinds as an MSP account does: servers, a Mac, an ESXi host, a printer, devices offline, devices deleted', async () => {
    const sim = await start({ devices: 60 });
    const devices = live(sim);
    expect(devices).toHaveLength(60);
    const classes = devices.map((d) => d.deviceClass);
    expect(classes.filter((c) => c === 'esxihost')).toHaveLength(1);
    expect(classes.filter((c) => c === 'printer')).toHaveLength(1);
    expect(devices.filter((d) => /Windows Server 20(19|22)/.test(d.operatingSystem ?? '')).length).toBeGreaterThanOrEqual(3);
    expect(devices.filter((d) => d.operatingSystem?.startsWith('macOS')).length).toBeGreaterThanOrEqual(1);
    expect(devices.filter((d) => /Windows 1[01] (Pro|Enterprise)/.test(d.operatingSystem ?? '')).length).toBeGreaterThan(40);
    expect(devices.filter((d) => !d.online).length).toBeGreaterThan(3);
    expect(devices.some((d) => d.rebootRequired)).toBe(true);

    const deleted = sim.devices.filter((d) => d.deleted);
    const bin = sim.sites.find((s) => s.name === DELETED_DEVICES_SITE)!;
    expect(deleted.length).toBeGreaterThanOrEqual(2);
    expect(deleted.every((d) => d.siteUid === bin.uid && d.siteName === DELETED_DEVICES_SITE && !d.online)).toBe(true);

    // Host names carry the site's prefix, which is also its NetBIOS domain.
    const northwind = devices.filter((d) => d.siteName === 'Northwind Dental' && d.deviceClass === 'device' && d.operatingSystem?.startsWith('Microsoft'));
    expect(northwind.every((d) => /^NOR-[A-Z0-9]+(-\d{2,3})?$/.test(d.hostname))).toBe(true);
    expect(northwind.filter((d) => d.domain === 'NOR').every((d) => d.lastLoggedInUser!.startsWith('NOR\\'))).toBe(true);
  });

  it('writes dates as epoch ms for most devices and ISO 8601 for about one in eight; audits never postdate check-ins', async () => {
    const sim = await start({ devices: 60 });
    const iso = sim.devices.filter((d) => typeof d.lastSeen === 'string');
    const ms = sim.devices.filter((d) => typeof d.lastSeen === 'number');
    expect(iso.length).toBeGreaterThanOrEqual(5);
    expect(iso.length).toBeLessThanOrEqual(10);
    expect(ms.length + iso.length).toBe(sim.devices.length);
    expect(iso.every((d) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/.test(d.lastSeen as string) && typeof d.creationDate === 'string')).toBe(true);
    for (const d of sim.devices) {
      const seen = dateMs(d.lastSeen)!;
      expect(seen).toBeLessThanOrEqual(NOW.getTime());
      if (d.lastAuditDate !== null) expect(dateMs(d.lastAuditDate)!).toBeLessThanOrEqual(seen);
      expect(dateMs(d.creationDate)!).toBeLessThan(seen);
      if (d.online) expect(NOW.getTime() - seen).toBeLessThan(DAY);
    }
    expect(live(sim).some((d) => !d.online && NOW.getTime() - dateMs(d.lastSeen)! > 14 * DAY)).toBe(true);
  });

  it('is the same account for the same seed, and another for another seed', async () => {
    const [a, b, c] = [await start(), await start(), await start({ seed: 8 })];
    expect(b.devices).toEqual(a.devices);
    expect(b.sites).toEqual(a.sites);
    expect(a.devices.map((d) => b.auditOf(d.uid))).toEqual(a.devices.map((d) => a.auditOf(d.uid)));
    expect(c.devices.map((d) => d.uid)).not.toEqual(a.devices.map((d) => d.uid));
  });
});

describe('Datto simulator: device audits', () => {
  it('serves the audit of a "device"-class machine: vendor serials, upper-case colon MACs, a white box, Hyper-V NICs', async () => {
    const sim = await start({ devices: 60 });
    const token = await accessToken(sim);
    const windows = sim.devices.find((d) => d.deviceClass === 'device' && d.operatingSystem?.startsWith('Microsoft Windows 11'))!;
    const audit = (await get(sim, `/api/v2/audit/device/${windows.uid}`, token)).json();
    expect(audit).toEqual(sim.auditOf(windows.uid));
    expect(Object.keys(audit)).toEqual([
      'portalUrl', 'webRemoteUrl', 'systemInfo', 'nics', 'bios', 'baseBoard', 'displays', 'logicalDisks', 'mobileInfo', 'processors', 'videoBoards',
      'attachedDevices', 'snmpInfo', 'physicalMemory',
    ]);

    const audits = sim.devices.filter((d) => d.deviceClass === 'device').map((d) => sim.auditOf(d.uid)!);
    expect(audits.every((a) => a.nics.length > 0 && a.nics.every((n) => MAC.test(n.macAddress)))).toBe(true);
    expect(audits.some((a) => a.systemInfo.manufacturer === 'To Be Filled By O.E.M.' && a.bios.serialNumber === 'To Be Filled By O.E.M.')).toBe(true);
    expect(audits.some((a) => a.nics.some((n) => n.macAddress.startsWith('00:15:5D:')))).toBe(true);
    expect(audits.some((a) => a.nics.some((n) => n.type === 'Wireless')) && audits.some((a) => a.nics.some((n) => n.type === 'Ethernet'))).toBe(true);
    const serials = (maker: string) => audits.filter((a) => a.systemInfo.manufacturer === maker).map((a) => a.bios.serialNumber);
    expect(serials('Dell Inc.').every((s) => /^[0-9BCDFGHJ-NP-TV-Z]{7}$/.test(s))).toBe(true);
    expect(serials('LENOVO').every((s) => /^PF[0-9A-Z]{6}$/.test(s))).toBe(true);
    expect(serials('Microsoft Corporation').every((s) => /^\d{12}$|^\d{4}(-\d{4}){5}-\d{2}$/.test(s))).toBe(true);
    expect([...new Set(audits.map((a) => a.systemInfo.manufacturer))]).toEqual(expect.arrayContaining(['Dell Inc.', 'HP', 'LENOVO', 'Microsoft Corporation']));
  });

  it('refuses an ESXi host or a printer (their audits live elsewhere) with 400, and an unknown uid with 404', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    for (const deviceClass of ['esxihost', 'printer'] as const) {
      const device = sim.devices.find((d) => d.deviceClass === deviceClass)!;
      expect(sim.auditOf(device.uid)).toBeNull();
      const res = await get(sim, `/api/v2/audit/device/${device.uid}`, token);
      expect(res.status).toBe(400);
      expect(res.json()).toEqual(SPRING_ERROR(400, 'Bad Request', `/api/v2/audit/device/${device.uid}`));
    }
    expect((await get(sim, '/api/v2/audit/device/00000000-1111-4222-8333-444444444444', token)).status).toBe(404);
  });
});

describe('Datto simulator: rate limit', () => {
  it('answers 600 reads a minute, then 429 without Retry-After; past blockAfter refusals the IP gets 403 for everything until the block ends', async () => {
    const clock = fixedClock(NOW);
    const sim = await start({ clock });
    const token = await accessToken(sim);
    for (let i = 0; i < 600; i++) {
      const res = await get(sim, '/api/v2/system/pagination', token);
      if (res.status !== 200) throw new Error(`read ${i + 1} was answered ${res.status}`);
    }
    const refused = await get(sim, '/api/v2/system/pagination', token);
    expect(refused.status).toBe(429);
    expect(refused.json()).toEqual({ message: expect.stringMatching(/rate limit/i) });
    expect(refused.headers.get('retry-after')).toBeNull();
    for (let i = 0; i < 9; i++) expect((await get(sim, '/api/v2/account', token)).status).toBe(429);
    expect(sim.throttled()).toEqual({ tooMany: 10, blocked: 0 });

    // The eleventh refusal inside the window is one more than blockAfter: still a 429, and then the block.
    expect((await get(sim, '/api/v2/account', token)).status).toBe(429);
    const blocked = await get(sim, '/api/v2/account', token);
    expect(blocked.status).toBe(403);
    expect(blocked.json()).toEqual({ message: expect.stringMatching(/^Your IP address has been blocked/) });
    expect((await tokenRequest(sim)).status).toBe(403);
    clock.advance(300_000 - 1);
    expect((await get(sim, '/api/v2/account', token)).status).toBe(403);
    expect(sim.throttled()).toEqual({ tooMany: 11, blocked: 2 });

    clock.advance(1);
    expect((await get(sim, '/api/v2/account', token)).status).toBe(200);
    expect((await tokenRequest(sim)).status).toBe(200);
  });

  it('admits reads again once the window rolls on; refused reads do not count; rateLimit: false never refuses', async () => {
    const clock = fixedClock(NOW);
    const sim = await start({ clock, rateLimit: { reads: 5, windowMs: 10_000, blockAfter: 3, blockMs: 60_000 } });
    const token = await accessToken(sim);
    for (let i = 0; i < 5; i++) {
      expect((await get(sim, '/api/v2/account', token)).status).toBe(200);
      clock.advance(1000);
    }
    expect((await get(sim, '/api/v2/account', token)).status).toBe(429);
    expect((await get(sim, '/api/v2/account', token)).status).toBe(429);
    // The first read leaves the window 10 s after it was made: one more fits, not two.
    clock.advance(5000);
    const rate = await get(sim, '/api/v2/system/request_rate', token);
    expect(rate.status).toBe(200);
    expect(rate.json().accountCount).toBe(5);
    expect((await get(sim, '/api/v2/account', token)).status).toBe(429);
    expect(sim.throttled()).toEqual({ tooMany: 3, blocked: 0 });

    const open = await start({ clock, rateLimit: false });
    const openToken = await accessToken(open);
    for (let i = 0; i < 700; i++) if ((await get(open, '/api/v2/system/pagination', openToken)).status !== 200) throw new Error(`read ${i + 1} refused`);
    expect(open.throttled()).toEqual({ tooMany: 0, blocked: 0 });
  });
});

describe('Datto simulator: faults', () => {
  it('answers injected statuses with JSON bodies and Retry-After when asked, counting them as data requests', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    sim.resetStats();
    sim.inject({ type: 'status', status: 503, retryAfterSeconds: 7, onRequest: 2 });
    sim.inject({ type: 'status', status: 429, onRequest: 3 });
    expect((await get(sim, '/api/v2/account/devices', token)).status).toBe(200);
    const unavailable = await get(sim, '/api/v2/account/devices?max=7&page=1', token);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('7');
    expect(unavailable.json()).toEqual(SPRING_ERROR(503, 'Service Unavailable', '/api/v2/account/devices'));
    const limited = await get(sim, '/api/v2/account/devices?max=7&page=1', token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(limited.json()).toEqual({ message: expect.any(String) });
    expect((await get(sim, '/api/v2/account/devices?max=7&page=1', token)).status).toBe(200);
    expect(sim.stats()).toEqual({ dataRequests: 4, tokenRequests: 0, unauthorized: 0 });
    // Injected refusals are not the rate limiter's.
    expect(sim.throttled()).toEqual({ tooMany: 0, blocked: 0 });
  });

  it('serves malformed pages in turn: JSON cut off, then a page without its devices', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    sim.inject({ type: 'malformed', onRequest: 1, times: 2 });
    const cut = await get(sim, '/api/v2/account/devices', token);
    expect(cut.status).toBe(200);
    expect(() => JSON.parse(cut.text)).toThrow();
    const listless = await get(sim, '/api/v2/account/devices', token);
    expect(listless.status).toBe(200);
    expect(listless.json()).toEqual({ pageDetails: { count: 7, totalCount: 20, prevPageUrl: null, nextPageUrl: `${sim.origin}/api/v2/account/devices?max=7&page=1` } });
    expect((await get(sim, '/api/v2/account/devices', token)).json().devices).toHaveLength(7);
  });

  it('expire-token: every token issued so far is refused from that request on; a new one works', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    sim.resetStats();
    sim.inject({ type: 'expire-token', onRequest: 2 });
    expect((await get(sim, '/api/v2/account', token)).status).toBe(200);
    const refused = await get(sim, '/api/v2/account', token);
    expect(refused.status).toBe(401);
    expect(refused.json().error_description).toMatch(/^Access token expired: /);
    const fresh = await accessToken(sim);
    expect((await get(sim, '/api/v2/account', fresh)).status).toBe(200);
    expect(sim.stats()).toEqual({ dataRequests: 3, tokenRequests: 1, unauthorized: 1 });
  });
});

describe('Datto simulator: the account moving on', () => {
  it('mutate: three live Windows devices check in with a new patch state, later than any check-in so far; one gains a NIC', async () => {
    const sim = await start({ devices: 40 });
    const before = structuredClone(sim.devices);
    const auditsBefore = new Map(before.map((d) => [d.uid, structuredClone(sim.auditOf(d.uid))]));
    const newest = Math.max(...before.map((d) => dateMs(d.lastSeen)!));

    const { changedDeviceIds } = await sim.mutate();
    expect(changedDeviceIds).toHaveLength(3);
    expect(changedDeviceIds).toEqual([...changedDeviceIds].sort());
    const changed = new Set(changedDeviceIds);
    let nicsAdded = 0;
    for (const after of sim.devices) {
      const was = before.find((d) => d.uid === after.uid)!;
      if (!changed.has(after.uid)) {
        expect(after).toEqual(was);
        expect(sim.auditOf(after.uid)).toEqual(auditsBefore.get(after.uid));
        continue;
      }
      expect(was.deleted || was.deviceClass !== 'device').toBe(false);
      expect(after.patchManagement.patchStatus).not.toBe(was.patchManagement.patchStatus);
      if (after.patchManagement.patchStatus === 'FullyPatched') expect(after.patchManagement.patchesApprovedPending).toBe(0);
      if (after.patchManagement.patchStatus === 'ApprovedPending') expect(after.patchManagement.patchesApprovedPending).toBeGreaterThan(0);
      expect(dateMs(after.lastSeen)!).toBeGreaterThan(newest);
      expect(dateMs(after.lastAuditDate)!).toBeGreaterThan(newest);
      expect(dateMs(after.lastAuditDate)!).toBeLessThanOrEqual(dateMs(after.lastSeen)!);
      expect(typeof after.lastSeen).toBe(typeof was.lastSeen);
      const macsBefore = auditsBefore.get(after.uid)!.nics.map((n) => n.macAddress);
      const added = sim.auditOf(after.uid)!.nics.filter((n) => !macsBefore.includes(n.macAddress));
      if (added.length > 0) {
        nicsAdded++;
        expect(added).toEqual([expect.objectContaining({ macAddress: expect.stringMatching(MAC), ipv4: after.intIpAddress })]);
      }
    }
    expect(nicsAdded).toBe(1);
  });

  it('removeDevice moves a live device to "Deleted Devices", flagged deleted, as the API then shows it', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    const sitesBefore = sim.sites;
    const uid = await sim.removeDevice();
    const bin = sim.sites.find((s) => s.name === DELETED_DEVICES_SITE)!;
    const served = (await get(sim, `/api/v2/device/${uid}`, token)).json();
    expect(served).toEqual(expect.objectContaining({ uid, deleted: true, siteId: bin.id, siteUid: bin.uid, siteName: DELETED_DEVICES_SITE }));
    expect(live(sim)).toHaveLength(19);
    expect(bin.devicesStatus.numberOfDevices).toBe(sitesBefore.find((s) => s.name === DELETED_DEVICES_SITE)!.devicesStatus.numberOfDevices + 1);
    expect((await get(sim, '/api/v2/account', token)).json().devicesStatus.numberOfDevices).toBe(19);
    // Still listed by the account, as a deleted device.
    const listed = (await allPages(sim, '/api/v2/account/devices', token)).flatMap((p) => p.devices as DattoDevice[]);
    expect(listed.find((d) => d.uid === uid)?.deleted).toBe(true);
  });

  it('addSite: a new client site appears with its devices', async () => {
    const sim = await start({ pageSize: 50 });
    const token = await accessToken(sim);
    const site = sim.addSite('Woodgrove Veterinary', 4);
    expect(site).toEqual(expect.objectContaining({ name: 'Woodgrove Veterinary', devicesStatus: expect.objectContaining({ numberOfDevices: 4 }) }));
    const sites = (await get(sim, '/api/v2/account/sites', token)).json().sites;
    expect(sites.map((s: { name: string }) => s.name)).toContain('Woodgrove Veterinary');
    const devices = (await get(sim, `/api/v2/site/${site.uid}/devices`, token)).json().devices as DattoDevice[];
    expect(devices).toHaveLength(4);
    expect(devices.every((d) => d.hostname.startsWith('WOO-') && !d.deleted)).toBe(true);
    expect(() => sim.addSite('woodgrove veterinary', 1)).toThrow(/already has a site/);
  });

  it('serves an exact fleet as given, adding Datto\'s "Deleted Devices" site', async () => {
    const accountUid = '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';
    const site = buildDattoSite({ id: 70001, uid: '2b9c1d0e-5f6a-4b7c-8d9e-0f1a2b3c4d5e', accountUid, name: 'Northwind Dental' });
    const device = buildDattoDevice({
      id: 5567123, uid: '7f3c2a10-9d4e-4b8a-a1c2-3e4f5a6b7c8d', hostname: 'NWD-FRONTDESK-02', siteId: site.id, siteUid: site.uid, siteName: site.name,
      lastSeen: NOW.getTime() - 60_000, patchManagement: { patchStatus: 'ApprovedPending', patchesApprovedPending: 3, patchesNotApproved: 1, patchesInstalled: 142 },
    });
    const audit = buildDeviceAudit({
      portalUrl: device.portalUrl,
      systemInfo: { manufacturer: 'LENOVO', model: '20T1S0DN00', totalPhysicalMemory: 16 * 2 ** 30, username: 'NWD\\jdoe', dotNetVersion: '4.8.1', totalCpuCores: 8 },
      bios: { instance: 'N3AET75W (1.40 )', releaseDate: 1672531200000, serialNumber: 'PF3ABCD1', smBiosVersion: 'N3AET75W (1.40 )' },
      baseBoard: { manufacturer: 'LENOVO', product: '20T1S0DN00' },
      nics: [{ instance: 'Intel(R) Wi-Fi 6 AX201', ipv4: '10.20.1.54', ipv6: null, macAddress: 'A4:C3:F0:12:34:56', type: 'Wireless' }],
    });
    const sim = await start({ fleet: { sites: [site], devices: [{ device, audit }] } });
    const token = await accessToken(sim);
    expect((await get(sim, '/api/v2/account/devices', token)).json().devices).toEqual([device]);
    expect((await get(sim, `/api/v2/audit/device/${device.uid}`, token)).json()).toEqual(audit);
    expect(sim.sites.map((s) => [s.name, s.accountUid, s.devicesStatus.numberOfDevices])).toEqual([[DELETED_DEVICES_SITE, accountUid, 0], ['Northwind Dental', accountUid, 1]]);
    expect(await sim.removeDevice()).toBe(device.uid);
    expect(device.deleted).toBe(false);
  });
});
