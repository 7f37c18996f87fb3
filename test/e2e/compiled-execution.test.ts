import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createApiKey } from '../../src/auth/api-keys';
import { loadConfig } from '../../src/config/config';
import { PatchState, SourceDevice } from '../../src/entities';
import { PatchStateValue, Role } from '../../src/entities/enums';
import { SecretBox } from '../../src/secrets/secret-box';
import { RunningApp, startApp } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { SyncEngine } from '../../src/sync/sync-engine';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';

const PAGE = `query Page($after: String) {
  assets(first: 3, after: $after) {
    totalCount pageInfo { endCursor hasNextPage }
    nodes {
      id hostname lastSeenAt status site { name } missingUpdateCount
      sources { id externalId macAddresses inactive lastCheckInAt connector { name } }
      patchStates { state changedAt evidence sourceOutOfDate update { id kb severity releasedAt } }
      allStates: patchStates(states: [MISSING], view: ALL_SOURCES) { state source { externalId } }
    }
  }
}`;

interface Answer {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }> };
}

/**
 * Query operations execute compiled (src/graphql/compiled-execution.ts). The same requests to a server that executes
 * them with graphql-js, as before, on the same database, get the same status and the same body, byte for byte once
 * parsed: data, nulls, error messages, codes, paths and locations.
 */
describe(`compiled execution answers as graphql-js does on ${ENGINE}`, () => {
  let db: TestDatabase;
  let compiled: RunningApp;
  let interpreted: RunningApp;
  let adminKey: string;
  let technicianKey: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const { updates } = await f.catalog();
    const [mine, theirs] = [await f.tenant('Contoso'), await f.tenant('Fabrikam')];
    const site = await f.site(mine, 'Head Office');
    const connector = await f.connector(mine, 'datto-rmm');
    const other = await f.connector(theirs);
    const assets = await f.insertAssets([
      ...Array.from({ length: 5 }, (_, i) => f.asset(mine, { siteId: i % 2 ? site.id : null })),
      f.asset(theirs),
    ]);
    const sources = assets.map((a, i) => f.source(a, a.tenantId === mine.id ? connector : other, { macAddresses: i % 2 ? ['00155D012345'] : [], inactive: i === 1 }));
    await f.insert(SourceDevice, sources);
    const kbs = ['KB5041585', 'KB5043076'].map((kb) => updates.get(kb)!.id);
    await f.insert(PatchState, sources.flatMap((s, i) => kbs.map((kb, k) => f.patchState(s, kb, (i + k) % 2 ? PatchStateValue.MISSING : PatchStateValue.INSTALLED))));

    const clock = fixedClock('2026-11-02T10:00:00.000Z');
    adminKey = (await createApiKey(db.dataSource, clock, { name: 'admin', role: Role.MSP_ADMIN, allTenants: true, tenantIds: [] })).key;
    technicianKey = (await createApiKey(db.dataSource, clock, { name: 'tech', role: Role.TECHNICIAN, allTenants: false, tenantIds: [mine.id] })).key;
    const serve = (execution: 'compiled' | 'graphql-js') => {
      const config = loadConfig({
        LOG_LEVEL: 'silent', PORT: '0', NODE_ENV: 'production', PATCHGRAPH_DEMO: 'false', PATCHGRAPH_INTROSPECTION: 'true', PATCHGRAPH_RATE_LIMIT_PER_MINUTE: '1000000', MAX_QUERY_DEPTH: '6',
      });
      const secrets = SecretBox.fromEncodedKey(randomBytes(32).toString('base64'));
      const logger = createLogger(config, new Writable({ write: (_c, _e, done) => done() }));
      return startApp({ config, dataSource: db.dataSource, clock, logger, secrets, sync: new SyncEngine({ dataSource: db.dataSource, secrets, clock }), execution });
    };
    compiled = await serve('compiled');
    interpreted = await serve('graphql-js');

    const page = await post(compiled, adminKey, '{ assets(first: 10) { nodes { id hostname tenant { id name } } } }');
    const nodes = page.body.data.assets.nodes as Array<{ id: string; hostname: string; tenant: { id: string; name: string } }>;
    ids.mine = nodes.find((n) => n.tenant.name === 'Contoso')!.id;
    ids.theirs = nodes.find((n) => n.tenant.name === 'Fabrikam')!.id;
    ids.tenant = nodes[0].tenant.id;
  });

  afterAll(async () => {
    await interpreted?.stop();
    await compiled?.stop();
    await db?.drop();
  });

  async function post(app: RunningApp, key: string, query: string, variables?: Record<string, unknown>): Promise<Answer> {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  }

  /**
   * The compiled server's answer, after checking that graphql-js gives the same. Asked twice: a document is compiled
   * the second time it runs, so the second answer is the compiled one.
   */
  async function same(query: string, variables?: Record<string, unknown>, key = adminKey): Promise<Answer> {
    const expected = await post(interpreted, key, query, variables);
    expect(await post(compiled, key, query, variables)).toEqual(expected);
    const answer = await post(compiled, key, query, variables);
    expect(answer).toEqual(expected);
    return answer;
  }

  it('a nested portal page and the next one, paged by a variable', async () => {
    const first = await same(PAGE, { after: null });
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.assets.nodes).toHaveLength(3);
    expect(first.body.data.assets.nodes[0].patchStates[0].update.kb).toMatch(/^KB/);
    const next = await same(PAGE, { after: first.body.data.assets.pageInfo.endCursor });
    expect(next.body.data.assets.nodes.length).toBeGreaterThan(0);
  });

  it('objects through the Node interface, with fragments and __typename', async () => {
    const answer = await same(
      `query($id: ID!, $tenant: ID!) {
        node(id: $id) { __typename id ... on Asset { hostname site { name } } ...T }
        nodes(ids: [$id, $tenant]) { __typename ...T ... on Asset { osBuild } }
      }
      fragment T on Tenant { name }`,
      { id: ids.mine, tenant: ids.tenant },
    );
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data.node.__typename).toBe('Asset');
    expect(answer.body.data.nodes.map((n: { __typename: string }) => n.__typename)).toEqual(['Asset', 'Tenant']);
  });

  it("a patch state's update on every path that returns patch states, asked for in any form", async () => {
    const kbOf = new Map<string, string>();
    const listed = await same('{ patchStates(first: 50, filter: { view: ALL_SOURCES }) { nodes { id update { id kb } } } }');
    const states = listed.body.data.patchStates.nodes as Array<{ id: string; update: { id: string; kb: string } }>;
    expect(states.length).toBeGreaterThan(0);
    for (const s of states) kbOf.set(s.id, s.update.kb);
    expect(new Set(kbOf.values())).toEqual(new Set(['KB5041585', 'KB5043076']));
    const expectKbs = (rows: Array<{ id: string; update: { kb: string } | null }>) => {
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.update?.kb).toBe(kbOf.get(row.id));
    };

    const edges = await same(`{ patchStates(first: 50, filter: { view: ALL_SOURCES }) { ...Edges } }
    fragment Edges on PatchStateConnection { edges { cursor node { ...S } } }
    fragment S on PatchState { id update { kb } }`);
    expect(edges.body.errors).toBeUndefined();
    expectKbs(edges.body.data.patchStates.edges.map((e: { node: never }) => e.node));
    const page = await same(`query($skip: Boolean!) {
      assets(first: 10) { nodes {
        patchStates(view: ALL_SOURCES) { id ... on PatchState { update @skip(if: $skip) { kb } } }
        again: patchStates(view: ALL_SOURCES) { ...S }
      } }
    }
    fragment S on PatchState { id update { kb } }`, { skip: false });
    expect(page.body.errors).toBeUndefined();
    const nested = page.body.data.assets.nodes as Array<{ patchStates: never[]; again: never[] }>;
    expectKbs(nested.flatMap((a) => a.patchStates));
    expectKbs(nested.flatMap((a) => a.again));

    // The states the first list read without their updates are remembered by id; node() still gives each its update.
    const [first, second] = states;
    const byId = await same(`query($a: ID!, $b: ID!) {
      assets(first: 10) { nodes { patchStates(view: ALL_SOURCES) { id state } } }
      node(id: $a) { id ... on PatchState { update { kb } } }
      nodes(ids: [$a, $b]) { ...S }
    }
    fragment S on PatchState { id update { kb } }`, { a: first.id, b: second.id });
    expect(byId.body.errors).toBeUndefined();
    expectKbs([byId.body.data.node, ...byId.body.data.nodes]);
  });

  it('aliases, and @include and @skip by variable', async () => {
    for (const detailed of [true, false]) {
      const answer = await same(
        'query($detailed: Boolean!) { a: assets(first: 2) { nodes { hostname osName @include(if: $detailed) osBuild @skip(if: $detailed) } } b: tenants { totalCount nodes { name assetCount } } }',
        { detailed },
      );
      expect(answer.body.errors).toBeUndefined();
      expect('osName' in answer.body.data.a.nodes[0]).toBe(detailed);
    }
  });

  it("a scoped key sees no other tenant's object, and a field its role may not use is FORBIDDEN with its path", async () => {
    const hidden = await same('query($id: ID!) { node(id: $id) { id } }', { id: ids.theirs }, technicianKey);
    expect(hidden.body.data).toEqual({ node: null });
    const forbidden = await same('{ tenants { totalCount } apiKeys { name } }', undefined, technicianKey);
    expect(forbidden.body.errors?.[0]).toMatchObject({ path: ['apiKeys'], extensions: { code: 'FORBIDDEN' } });
  });

  it('typed errors: a malformed id, a page over the maximum, a variable of the wrong type, an unknown operation', async () => {
    const malformed = await same('{ node(id: "not-an-id") { id } }');
    expect(malformed.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const huge = await same('{ assets(first: 100000) { totalCount } }');
    expect(huge.body.errors?.[0].extensions?.code).toBeDefined();
    const variable = await same('query($n: Int) { assets(first: $n) { totalCount } }', { n: 'ten' });
    expect(variable.status).toBe(400);
    expect(variable.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const res = await fetch(`${compiled.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ query: 'query A { viewer { name } }', operationName: 'B' }),
    });
    expect(((await res.json()) as Answer['body']).errors?.[0].extensions?.code).toBe('OPERATION_RESOLUTION_FAILURE');
  });

  it('introspection and the depth limit', async () => {
    const type = await same('{ __type(name: "Asset") { name kind fields { name type { kind name ofType { name } } } } }');
    expect(type.body.data.__type.name).toBe('Asset');
    const deep = await same('{ assets { nodes { tenant { sites { tenant { sites { tenant { name } } } } } } } }');
    expect(deep.body.errors?.[0].extensions?.code).toBe('QUERY_TOO_DEEP');
  });
});
