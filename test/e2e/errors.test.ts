import { toGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

describe(`typed errors on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const t = await f.tenant('Acme Ltd');
    await f.insertAssets(Array.from({ length: 3 }, () => f.asset(t)));
    server = await startTestServer(db, { MAX_QUERY_DEPTH: '6', MAX_QUERY_COST: '5000' });
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  const firstError = (res: any) => res.body.errors?.[0];

  it('missing auth: UNAUTHENTICATED with HTTP 401 and no data', async () => {
    const res = await server.gql('{ tenants { totalCount } }', undefined, null);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(firstError(res).extensions.code).toBe('UNAUTHENTICATED');
    expect(res.body.data).toBeUndefined();
  });

  it('unknown or malformed key: UNAUTHENTICATED', async () => {
    for (const key of ['pgk_not-a-real-key', 'x']) {
      const res = await server.gql('{ tenants { totalCount } }', undefined, key);
      expect(res.status).toBe(401);
      expect(firstError(res).extensions.code).toBe('UNAUTHENTICATED');
    }
    const res = await fetch(`${server.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${server.adminKey}` },
      body: JSON.stringify({ query: '{ viewer { name } }' }),
    });
    expect(res.status).toBe(401);
  });

  it('unknown id: NOT_FOUND', async () => {
    const id = toGlobalId('Asset', '00000000-0000-4000-8000-00000000dead');
    for (const query of ['query($id: ID!) { node(id: $id) { id } }', 'query($id: ID!) { asset(id: $id) { id } }']) {
      const res = await server.gql(query, { id });
      expect(firstError(res).extensions.code).toBe('NOT_FOUND');
      expect(firstError(res).message).toContain(id);
    }
  });

  it('malformed id, or an id of the wrong type: BAD_USER_INPUT naming the field', async () => {
    const bad = await server.gql('{ node(id: "definitely not an id") { id } }');
    expect(firstError(bad).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const site = toGlobalId('Site', '00000000-0000-4000-8000-000000000001');
    const wrong = await server.gql('query($id: ID!) { tenant(id: $id) { id } }', { id: site });
    expect(firstError(wrong).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(firstError(wrong).message).toContain('expected a Tenant id but got a Site id');
    const inFilter = await server.gql('query($ids: [ID!]) { assets(filter: { siteIds: $ids }) { totalCount } }', { ids: ['zzz'] });
    expect(firstError(inFilter).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.siteIds[0]' });
  });

  it('malformed cursor, or a cursor from another ordering: BAD_USER_INPUT naming after/before', async () => {
    const garbage = await server.gql('{ assets(first: 2, after: "bm90IGEgY3Vyc29y") { totalCount } }');
    expect(firstError(garbage).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const page = await server.gql('{ assets(first: 1) { pageInfo { endCursor } } }');
    const cursor = page.body.data!.assets.pageInfo.endCursor;
    const other = await server.gql('query($c: String) { assets(last: 1, before: $c, orderBy: { field: LAST_SEEN_AT }) { totalCount } }', { c: cursor });
    expect(firstError(other).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'before' });
    expect(other.body.data).toBeNull();
  });

  it('page size over the maximum, negative, or first with last: BAD_USER_INPUT naming the argument', async () => {
    const huge = await server.gql('{ assets(first: 100000) { totalCount } }');
    expect(firstError(huge).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(firstError(huge).message).toContain('maximum page size of 500');
    const negative = await server.gql('{ assets(last: -1) { totalCount } }');
    expect(firstError(negative).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
    const both = await server.gql('{ assets(first: 1, last: 1) { totalCount } }');
    expect(firstError(both).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
  });

  it('wrong argument type: BAD_USER_INPUT (in a variable) or GRAPHQL_VALIDATION_FAILED (inline), HTTP 400', async () => {
    const variable = await server.gql('query($n: Int) { assets(first: $n) { totalCount } }', { n: 'ten' });
    expect(variable.status).toBe(400);
    expect(firstError(variable).extensions.code).toBe('BAD_USER_INPUT');
    expect(firstError(variable).message).toContain('$n');
    const inline = await server.gql('{ assets(first: "ten") { totalCount } }');
    expect(inline.status).toBe(400);
    expect(firstError(inline).extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('input failing validation: BAD_USER_INPUT naming the input field, nothing written', async () => {
    // Padding is trimmed now (hostile-names.test.ts); a control character is still refused.
    const res = await server.gql('mutation { createTenant(input: { name: "tab\\there" }) { id } }');
    expect(firstError(res).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    const empty = await server.gql('mutation { createTenant(input: { name: "" }) { id } }');
    expect(firstError(empty).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    const kb = await server.gql('{ updates(filter: { kb: "not-a-kb" }) { totalCount } }');
    expect(firstError(kb).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.kb' });
    const tenants = await server.gql('{ tenants { totalCount } }');
    expect(tenants.body.data!.tenants.totalCount).toBe(1);
  });

  it('query deeper than the limit: QUERY_TOO_DEEP before anything runs', async () => {
    db.counter.reset();
    const res = await server.gql('{ assets { nodes { tenant { sites { tenant { sites { tenant { name } } } } } } } }');
    expect(res.status).toBe(400);
    expect(firstError(res).extensions.code).toBe('QUERY_TOO_DEEP');
    expect(db.counter.statements.filter((s) => /asset/i.test(s))).toEqual([]);
  });

  it('query costlier than the limit: QUERY_TOO_COMPLEX before anything runs', async () => {
    db.counter.reset();
    const res = await server.gql('{ assets(first: 500) { nodes { patchStates { update { vulnerabilities { cveId } } } } } }');
    expect(res.status).toBe(400);
    expect(firstError(res).extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(db.counter.statements.filter((s) => /asset/i.test(s))).toEqual([]);
  });

  it('unexpected faults are masked as INTERNAL_SERVER_ERROR with no stack trace, and logged', async () => {
    // Break the database under a running server: the table a query needs is gone.
    await db.dataSource.query('ALTER TABLE site RENAME TO site_moved');
    try {
      const res = await server.gql('{ sites { totalCount } }');
      const error = firstError(res);
      expect(error.extensions.code).toBe('INTERNAL_SERVER_ERROR');
      expect(error.message).toBe('Internal server error');
      expect(JSON.stringify(res.body)).not.toMatch(/stacktrace|site_moved|at .*\.ts:\d+/);
      expect(server.logs.some((l) => l.level === 50 && /unexpected error/.test(l.msg))).toBe(true);
    } finally {
      await db.dataSource.query('ALTER TABLE site_moved RENAME TO site');
    }
  });

  it('never writes the API key to the log', async () => {
    await server.gql('{ viewer { name } }');
    const text = JSON.stringify(server.logs);
    expect(server.logs.length).toBeGreaterThan(0);
    expect(text).not.toContain(server.adminKey);
  });
});
