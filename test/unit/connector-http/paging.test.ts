import { createServer, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { FatalError, MalformedResponseError } from '../../../connectors/sdk/errors';
import { HttpClient } from '../../../connectors/sdk/http/http-client';
import { cursorPaging, eachItem, followNextLink, Page, pageMaxPaging, reapplyDropped } from '../../../connectors/sdk/http/paging';

/** A real HTTP server on 127.0.0.1; each test installs the route handler it needs. */
let baseUrl: string;
let closeServer: () => Promise<void>;
let handle: (url: URL, res: ServerResponse) => void;
let paths: string[] = [];

function json(res: ServerResponse, body: unknown) {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

beforeAll(async () => {
  const server = createServer((req, res) => {
    paths.push(req.url!);
    handle(new URL(req.url!, baseUrl), res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeServer = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
});

afterAll(() => closeServer());

beforeEach(() => {
  paths = [];
});

async function collect<T>(pages: AsyncIterable<Page<T>>): Promise<Array<Page<T>>> {
  const out: Array<Page<T>> = [];
  for await (const page of pages) out.push(page);
  return out;
}

const client = () => new HttpClient({ baseUrl: `${baseUrl}/v1.0`, sleep: async () => undefined, maxRetries: 0 });

describe('Graph @odata.nextLink paging', () => {
  it('follows the absolute nextLink verbatim across 3 pages', async () => {
    const devices = ['d1', 'd2', 'd3', 'd4', 'd5'].map((id) => ({ id }));
    handle = (url, res) => {
      // The skiptoken is opaque: only the server can read it.
      const token = url.searchParams.get('$skiptoken');
      const start = token === null ? 0 : Number(/^X'P(\d)'$/.exec(token)![1]);
      const next = start + 2 < devices.length ? `${baseUrl}/v1.0/deviceManagement/managedDevices?$top=2&$skiptoken=X%27P${start + 2}%27` : undefined;
      json(res, { '@odata.context': 'ctx', value: devices.slice(start, start + 2), ...(next ? { '@odata.nextLink': next } : {}) });
    };
    const pages = await collect(followNextLink<{ id: string }>(client(), '/deviceManagement/managedDevices', { query: { $top: 2 } }));
    expect(pages.map((p) => [p.index, p.items.map((d) => d.id)])).toEqual([
      [0, ['d1', 'd2']],
      [1, ['d3', 'd4']],
      [2, ['d5']],
    ]);
    expect(paths).toEqual([
      '/v1.0/deviceManagement/managedDevices?$top=2',
      '/v1.0/deviceManagement/managedDevices?$top=2&$skiptoken=X%27P2%27',
      '/v1.0/deviceManagement/managedDevices?$top=2&$skiptoken=X%27P4%27',
    ]);
    expect((pages[2].body as Record<string, unknown>)['@odata.context']).toBe('ctx');
  });

  it('eachItem flattens the pages into items', async () => {
    handle = (url, res) =>
      url.searchParams.has('page2') ? json(res, { value: [3] }) : json(res, { value: [1, 2], '@odata.nextLink': `${baseUrl}/v1.0/list?page2=1` });
    const items: number[] = [];
    for await (const n of eachItem(followNextLink<number>(client(), '/list'))) items.push(n);
    expect(items).toEqual([1, 2, 3]);
  });

  it('a page without "value" is a MalformedResponseError, not the end of the list', async () => {
    handle = (url, res) => (url.searchParams.has('p') ? json(res, { error: 'gone' }) : json(res, { value: [1], '@odata.nextLink': `${baseUrl}/v1.0/list?p=2` }));
    const seen: number[] = [];
    const run = async () => {
      for await (const page of followNextLink<number>(client(), '/list')) seen.push(...page.items);
    };
    await expect(run()).rejects.toThrow(MalformedResponseError);
    await expect(run()).rejects.toThrow('page 2 of /list has no "value" array');
    expect(seen).toEqual([1, 1]);
  });

  it('a nextLink that points back at itself is refused instead of looping', async () => {
    handle = (_url, res) => json(res, { value: [1], '@odata.nextLink': `${baseUrl}/v1.0/list?same=1` });
    await expect(collect(followNextLink(client(), '/list'))).rejects.toThrow(/same next-page cursor/);
  });
});

describe('Datto pageDetails.nextPageUrl paging', () => {
  const devices = [
    ...['NWD-FRONTDESK-01', 'NWD-FRONTDESK-02', 'NWD-SURGERY-01', 'NWD-SURGERY-02', 'NWD-XRAY-01'].map((hostname, i) => ({ uid: `n${i}`, hostname })),
    ...['CAT-LT-001', 'CAT-LT-002', 'FAB-WH-01'].map((hostname, i) => ({ uid: `o${i}`, hostname })),
  ];

  it('re-appends the filter the next URL dropped, so the list does not silently widen', async () => {
    handle = (url, res) => {
      const page = Number(url.searchParams.get('page') ?? 0);
      const max = Number(url.searchParams.get('max') ?? 250);
      const hostname = url.searchParams.get('hostname');
      const matching = devices.filter((d) => hostname === null || d.hostname.includes(hostname));
      const slice = matching.slice(page * max, page * max + max);
      const more = (page + 1) * max < matching.length;
      json(res, {
        pageDetails: {
          count: slice.length,
          totalCount: matching.length,
          prevPageUrl: null,
          // Like Datto: absolute, with max and page but without the hostname filter.
          nextPageUrl: more ? `${baseUrl}/api/v2/account/devices?max=${max}&page=${page + 1}` : null,
        },
        devices: slice,
      });
    };
    const datto = new HttpClient({ baseUrl: `${baseUrl}/api`, sleep: async () => undefined });
    const pages = await collect(pageMaxPaging<{ hostname: string }>(datto, '/v2/account/devices', 'devices', { query: { max: 2, hostname: 'NWD' } }));
    expect(pages.map((p) => p.items.map((d) => d.hostname))).toEqual([
      ['NWD-FRONTDESK-01', 'NWD-FRONTDESK-02'],
      ['NWD-SURGERY-01', 'NWD-SURGERY-02'],
      ['NWD-XRAY-01'],
    ]);
    expect(paths).toEqual([
      '/api/v2/account/devices?max=2&hostname=NWD',
      '/api/v2/account/devices?max=2&page=1&hostname=NWD',
      '/api/v2/account/devices?max=2&page=2&hostname=NWD',
    ]);
  });

  it('keeps filters written into the path as well as those passed as query', async () => {
    handle = (url, res) =>
      json(res, {
        pageDetails: { nextPageUrl: url.searchParams.get('page') === '1' ? null : `${baseUrl}/api/v2/site/s1/devices?page=1` },
        devices: [url.search],
      });
    const datto = new HttpClient({ baseUrl: `${baseUrl}/api`, sleep: async () => undefined });
    const pages = await collect(pageMaxPaging<string>(datto, '/v2/site/s1/devices?filterId=42', 'devices', { query: { max: 50 } }));
    expect(pages.map((p) => p.items[0])).toEqual(['?filterId=42&max=50', '?page=1&filterId=42&max=50']);
  });

  it('a page without its items array or pageDetails is a MalformedResponseError', async () => {
    const datto = new HttpClient({ baseUrl: `${baseUrl}/api`, sleep: async () => undefined });
    handle = (_url, res) => json(res, { pageDetails: { nextPageUrl: null }, sites: [] });
    await expect(collect(pageMaxPaging(datto, '/v2/account/devices', 'devices'))).rejects.toThrow('has no "devices" array');
    handle = (_url, res) => json(res, { devices: [] });
    await expect(collect(pageMaxPaging(datto, '/v2/account/devices', 'devices'))).rejects.toThrow('has no pageDetails');
  });
});

describe('re-applying dropped parameters', () => {
  it('adds only what is missing and keeps the rest of the URL as written', () => {
    const wanted = new URLSearchParams({ max: '250', siteName: 'Northwind Dental', hostname: 'NWD' });
    expect(reapplyDropped('https://merlot-api.centrastage.net/api/v2/account/devices?max=250&page=1', wanted)).toBe(
      'https://merlot-api.centrastage.net/api/v2/account/devices?max=250&page=1&siteName=Northwind%20Dental&hostname=NWD',
    );
    expect(reapplyDropped('https://h/x', new URLSearchParams({ a: '1' }))).toBe('https://h/x?a=1');
    expect(reapplyDropped('https://h/x?', new URLSearchParams({ a: '1' }))).toBe('https://h/x?a=1');
    expect(reapplyDropped('https://h/x?a=2', new URLSearchParams({ a: '1' }))).toBe('https://h/x?a=2');
  });
});

describe('generic cursor paging', () => {
  it('passes each cursor to the next call until there is none', async () => {
    const calls: Array<string | undefined> = [];
    const pages = await collect(
      cursorPaging<number, string>(async (cursor) => {
        calls.push(cursor);
        return cursor === undefined ? { items: [1, 2], next: 'c2' } : cursor === 'c2' ? { items: [3], next: 'c3' } : { items: [], next: null };
      }),
    );
    expect(calls).toEqual([undefined, 'c2', 'c3']);
    expect(pages.map((p) => p.items)).toEqual([[1, 2], [3], []]);
  });

  it('refuses a page without an items array, and stops at maxPages with an error rather than truncating silently', async () => {
    await expect(collect(cursorPaging(async () => ({ items: undefined as unknown as number[] })))).rejects.toThrow(MalformedResponseError);
    let n = 0;
    await expect(collect(cursorPaging(async () => ({ items: [n], next: ++n }), { maxPages: 3 }))).rejects.toThrow(FatalError);
    expect(n).toBe(3);
  });
});
