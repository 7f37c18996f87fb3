import { PatchState, SourceDevice } from '../../src/entities';
import { PatchStateValue } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory, T0 } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

const ASSETS = `query($first: Int, $after: String, $last: Int, $before: String, $filter: AssetFilterInput, $orderBy: AssetOrderInput) {
  assets(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id hostname } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

describe(`GraphQL queries on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const { updates } = await f.catalog();
    const acme = await f.tenant('Acme Ltd');
    const globex = await f.tenant('Globex Corp');
    const hq = await f.site(acme, 'HQ');
    const branch = await f.site(acme, 'Branch');
    const intune = await f.connector(acme, 'intune');
    ids.acme = toGlobalId('Tenant', acme.id);
    ids.globex = toGlobalId('Tenant', globex.id);
    ids.hq = toGlobalId('Site', hq.id);

    // 30 Acme assets: HOST-… names, alternating sites, a few on Windows 10, lastSeen one minute apart.
    const assets = Array.from({ length: 30 }, (_, i) =>
      f.asset(acme, { hostname: `ACME-PC-${String(i + 1).padStart(2, '0')}`, siteId: i % 2 ? branch.id : hq.id, osName: i < 5 ? 'Windows 10 Pro' : 'Windows 11 Pro', fqdn: `acme-pc-${String(i + 1).padStart(2, '0')}.acme.example`, lastSeenAt: new Date(T0.getTime() - i * 3_600_000) }),
    );
    await f.insertAssets(assets);
    await f.insertAssets([f.asset(globex, { hostname: 'GLOBEX-SRV-01', osName: 'Windows Server 2022 Standard' })]);
    const sources = assets.map((a) => f.source(a, intune));
    await f.insert(SourceDevice, sources);
    // ACME-PC-01..03 miss the critical Aug 2024 update; ACME-PC-04 only misses an IMPORTANT Feb 2026 one.
    const critical = updates.get('KB5041585')!;
    const important = updates.get('KB5075941')!;
    const states: PatchState[] = [];
    sources.forEach((s, i) => {
      states.push(f.patchState(s, critical.id, i < 3 ? PatchStateValue.MISSING : PatchStateValue.INSTALLED));
      states.push(f.patchState(s, important.id, i < 4 ? PatchStateValue.MISSING : PatchStateValue.INSTALLED));
    });
    await f.insert(PatchState, states);
    server = await startTestServer(db);
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  const hostnames = (res: any) => res.body.data.assets.edges.map((e: any) => e.node.hostname);

  it('pages forwards through every asset exactly once with first/after, and back with last/before', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res: any = await server.gql(ASSETS, { first: 7, after, filter: { tenantIds: [ids.acme] } });
      expect(res.body.errors).toBeUndefined();
      seen.push(...hostnames(res));
      pages += 1;
      const { pageInfo } = res.body.data.assets;
      expect(pageInfo.hasPreviousPage).toBe(after !== null);
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(pages).toBe(5);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `ACME-PC-${String(i + 1).padStart(2, '0')}`));

    const last = await server.gql(ASSETS, { last: 4, filter: { tenantIds: [ids.acme] } });
    expect(hostnames(last)).toEqual(['ACME-PC-27', 'ACME-PC-28', 'ACME-PC-29', 'ACME-PC-30']);
    expect(last.body.data!.assets.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const before = await server.gql(ASSETS, { last: 3, before: last.body.data!.assets.pageInfo.startCursor, filter: { tenantIds: [ids.acme] } });
    expect(hostnames(before)).toEqual(['ACME-PC-24', 'ACME-PC-25', 'ACME-PC-26']);
    expect(before.body.data!.assets.pageInfo.hasNextPage).toBe(true);
  });

  it('does not page with OFFSET', async () => {
    db.counter.reset();
    const first = await server.gql(ASSETS, { first: 5 });
    await server.gql(ASSETS, { first: 5, after: first.body.data!.assets.pageInfo.endCursor });
    const selects = db.counter.statements.filter((s) => /FROM .asset./i.test(s));
    expect(selects.length).toBeGreaterThan(0);
    expect(selects.filter((s) => /OFFSET/i.test(s))).toEqual([]);
  });

  it('orders by last seen, newest first, keyset-paged', async () => {
    const orderBy = { field: 'LAST_SEEN_AT', direction: 'DESC' };
    const p1 = await server.gql(ASSETS, { first: 3, orderBy, filter: { tenantIds: [ids.acme] } });
    expect(hostnames(p1)).toEqual(['ACME-PC-01', 'ACME-PC-02', 'ACME-PC-03']);
    const p2 = await server.gql(ASSETS, { first: 3, orderBy, after: p1.body.data!.assets.pageInfo.endCursor, filter: { tenantIds: [ids.acme] } });
    expect(hostnames(p2)).toEqual(['ACME-PC-04', 'ACME-PC-05', 'ACME-PC-06']);
  });

  it.each([
    ['site', () => ({ siteIds: [ids.hq] }), 15],
    ['OS name', () => ({ osNameContains: 'windows 10' }), 5],
    ['host name search (case-insensitive, FQDN too)', () => ({ hostnameContains: 'acme-pc-1' }), 10],
    ['host name search treating % and _ literally', () => ({ hostnameContains: '%' }), 0],
    ['last seen before', () => ({ tenantIds: [ids.acme], lastSeenBefore: new Date(T0.getTime() - 24.5 * 3_600_000).toISOString() }), 5],
    ['last seen after', () => ({ tenantIds: [ids.acme], lastSeenAfter: new Date(T0.getTime() - 2 * 3_600_000).toISOString() }), 3],
    ['has missing updates', () => ({ hasMissingUpdates: true }), 4],
    ['has no missing updates', () => ({ tenantIds: [ids.acme], hasMissingUpdates: false }), 26],
    ['missing a CRITICAL update', () => ({ missingSeverities: ['CRITICAL'] }), 3],
    ['missing an IMPORTANT update', () => ({ missingSeverities: ['IMPORTANT'] }), 4],
    ['tenant', () => ({ tenantIds: [ids.globex] }), 1],
  ])('filters assets by %s', async (_name, filter, expected) => {
    const res = await server.gql(ASSETS, { first: 100, filter: filter() });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.assets.totalCount).toBe(expected);
    expect(res.body.data!.assets.edges).toHaveLength(expected);
  });

  it('filters updates by KB (with or without "KB"), classification, severity, release date and CVE', async () => {
    const q = `query($filter: UpdateFilterInput) { updates(first: 50, filter: $filter) { totalCount nodes { kb releasedAt } } }`;
    const kbs = async (filter: object) => (await server.gql(q, { filter })).body.data!.updates.nodes.map((u: any) => u.kb).sort();
    expect(await kbs({ kb: '5041585' })).toEqual(['KB5041585']);
    expect(await kbs({ kb: 'kb5041585' })).toEqual(['KB5041585']);
    expect(await kbs({ severities: ['IMPORTANT'] })).toEqual(['KB5075906', 'KB5075912', 'KB5075941', 'KB5077181']);
    expect((await kbs({ classifications: ['SECURITY'] })).length).toBe(12);
    expect(await kbs({ releasedAfter: '2024-09-01T00:00:00Z', releasedBefore: '2024-10-01T00:00:00Z' })).toEqual(['KB5042881', 'KB5043064', 'KB5043076', 'KB5043080']);
    // CVE-2024-38063 (TCP/IP RCE, CVSS 9.8) is fixed by the August client updates and, per MSRC, the September Server 2022 one.
    expect(await kbs({ cveId: 'cve-2024-38063' })).toEqual(['KB5041571', 'KB5041580', 'KB5041585', 'KB5042881']);
  });

  it('lists updates newest first by default and shows the vulnerabilities each fixes, with KEV data', async () => {
    const res = await server.gql(`{ updates(first: 1, filter: { kb: "KB5041585" }) { nodes { kb severity maxCvssBaseScore products
      vulnerabilities { cveId cvssBaseScore exploited kevDateAdded kevDueDate } } } }`);
    const update = res.body.data!.updates.nodes[0];
    expect(update.products).toEqual(['Windows 11 Version 22H2 for x64-based Systems', 'Windows 11 Version 23H2 for x64-based Systems']);
    expect(update.maxCvssBaseScore).toBe(9.8);
    const cve = update.vulnerabilities.find((v: any) => v.cveId === 'CVE-2024-38178');
    expect(cve).toEqual({ cveId: 'CVE-2024-38178', cvssBaseScore: 7.5, exploited: true, kevDateAdded: '2024-08-13', kevDueDate: '2024-09-03' });
    const dates = (await server.gql(`{ updates(first: 12) { nodes { releasedAt } } }`)).body.data!.updates.nodes.map((u: any) => u.releasedAt);
    expect(dates).toEqual([...dates].sort().reverse());
  });

  it('filters patch states by state and resolves their asset, update and source', async () => {
    const res = await server.gql(`{ patchStates(first: 20, filter: { states: [MISSING] }) { totalCount nodes { state evidence asset { hostname } update { kb } source { externalId connector { kind } } } } }`);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.patchStates.totalCount).toBe(7);
    for (const n of res.body.data!.patchStates.nodes) {
      expect(n.state).toBe('MISSING');
      expect(n.asset.hostname).toMatch(/^ACME-PC-0[1-4]$/);
      expect(n.source.connector.kind).toBe('intune');
    }
  });

  it('resolves any object through node(id:) with the same opaque id its type exposes', async () => {
    const list = await server.gql(`{ assets(first: 1) { nodes { id hostname } } tenants { nodes { id name } } }`);
    const asset = list.body.data!.assets.nodes[0];
    const node = await server.gql(`query($id: ID!) { node(id: $id) { id __typename ... on Asset { hostname } } }`, { id: asset.id });
    expect(node.body.data!.node).toEqual({ id: asset.id, __typename: 'Asset', hostname: asset.hostname });
    const tenant = list.body.data!.tenants.nodes[0];
    const nodes = await server.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }`, { ids: [tenant.id, asset.id] });
    expect(nodes.body.data!.nodes).toEqual([{ id: tenant.id, __typename: 'Tenant' }, { id: asset.id, __typename: 'Asset' }]);
    expect(asset.id).not.toContain('-'); // opaque, not the raw UUID
  });
});
