import { SimulatedFleet, SIMULATOR_CLIENT_ID, SIMULATOR_CLIENT_SECRET, startFileImportSimulator } from '../../../connectors/file-import/simulator';
import type { FileImportSimulator } from '../../../connectors/file-import/simulator';

/** The simulator's own wire behaviour, checked with plain fetch so the connector's view cannot hide a fault. */
let sim: FileImportSimulator;
beforeEach(async () => {
  sim = await startFileImportSimulator({ pageSize: 5, devices: 8, seed: 11 });
});
afterEach(() => sim.close());

async function token(secret = SIMULATOR_CLIENT_SECRET) {
  const res = await fetch(`${sim.origin}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: SIMULATOR_CLIENT_ID, client_secret: secret }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function get(path: string, bearer?: string) {
  const res = await fetch(path.startsWith('http') ? path : `${sim.origin}${path}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('file-import simulator', () => {
  it('generates the same fleet from the same seed, and a different one from another', () => {
    const a = new SimulatedFleet({ devices: 10, seed: 5 });
    expect(new SimulatedFleet({ devices: 10, seed: 5 })).toEqual(a);
    expect(new SimulatedFleet({ devices: 10, seed: 6 }).devices).not.toEqual(a.devices);
    expect(a.devices.every((d) => d.modifiedAt <= a.now.toISOString())).toBe(true);
  });

  it('issues tokens for the right client and refuses a wrong secret with invalid_client', async () => {
    const good = await token();
    expect(good).toEqual({ status: 200, body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 } });
    expect(await token('wrong')).toEqual({ status: 401, body: expect.objectContaining({ error: 'invalid_client' }) });
    expect(sim.stats().tokenRequests).toBe(2);
  });

  it('answers an unknown or expired token with 401 and WWW-Authenticate: Bearer error="invalid_token"', async () => {
    const res = await get('/v1/devices?limit=5', 'made-up');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    const access = (await token()).body.access_token as string;
    sim.inject({ type: 'expire-token', onRequest: 2 });
    expect((await get('/v1/devices?limit=5', access)).status).toBe(200);
    expect((await get('/v1/devices?limit=5', access)).status).toBe(401);
    expect(sim.stats()).toMatchObject({ dataRequests: 3, unauthorized: 2 });
  });

  it('pages with absolute next links, filters by since, and reports the whole stream as cursor', async () => {
    const access = (await token()).body.access_token as string;
    const first = JSON.parse((await get('/v1/devices?limit=5', access)).text);
    expect(first.items).toHaveLength(5);
    expect(first.next).toMatch(new RegExp(`^${sim.origin}/v1/devices\\?limit=5&after=`));
    const newest = sim.fleet.devices.map((d) => d.modifiedAt).sort().at(-1);
    expect(first.cursor).toBe(newest);
    const second = JSON.parse((await get(first.next, access)).text);
    expect(second).toMatchObject({ next: null, cursor: newest });
    expect(second.items).toHaveLength(3);

    const { changedDeviceIds } = await sim.mutate();
    const since = JSON.parse((await get(`/v1/devices?limit=5&since=${encodeURIComponent(newest!)}`, access)).text);
    expect(since.items.map((d: { externalId: string }) => d.externalId).sort()).toEqual(changedDeviceIds);
    expect(since.cursor > newest!).toBe(true);
  });

  it('counts faults from their injection and applies each to its requests only', async () => {
    const access = (await token()).body.access_token as string;
    await get('/v1/updates', access);
    sim.inject({ type: 'status', status: 429, retryAfterSeconds: 3, onRequest: 2, times: 2 });
    sim.inject({ type: 'malformed', onRequest: 4 });
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      const res = await get('/v1/updates', access);
      statuses.push([res.status, res.headers.get('retry-after'), res.status === 200 ? isJson(res.text) : null]);
    }
    expect(statuses).toEqual([
      [200, null, true],
      [429, '3', null],
      [429, '3', null],
      [200, null, false],
      [200, null, true],
    ]);
    sim.resetStats();
    expect(sim.stats()).toEqual({ dataRequests: 0, tokenRequests: 0, unauthorized: 0 });
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
