import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

/**
 * Hostile documents against a real server: every limit refuses before anything runs, with a code of its own, and a
 * failure inside a limit check refuses too. Timings are generous bounds (the old code took 20-60 s on these).
 */
describe(`query limits fail closed on ${ENGINE}`, () => {
  let db: TestDatabase;
  /** The defaults a deployment gets. */
  let server: TestServer;
  /** Token limit lifted, so the checks behind it (aliases, the cost estimate) meet the hostile documents themselves. */
  let lifted: TestServer;

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const tenant = await f.tenant('Acme Ltd');
    await f.insertAssets(Array.from({ length: 3 }, () => f.asset(tenant)));
    server = await startTestServer(db);
    lifted = await startTestServer(db, { MAX_QUERY_TOKENS: '1000000', MAX_QUERY_ALIASES: '100000' });
  });
  afterAll(async () => {
    // Each server closes the shared data source on stop: stop them only at the end.
    await server?.stop();
    await lifted?.stop();
    await db.drop();
  });

  /** Statements beyond authenticating the key: what running the query would read. */
  const dataStatements = () => db.counter.statements.filter((s) => !/api_key/i.test(s));
  const aliases = (n: number, selection: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${selection}`).join(' ')} }`;

  async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
    const started = performance.now();
    const result = await run();
    return { result, ms: performance.now() - started };
  }

  function expectRefused(res: { status: number; body: any }, code: string) {
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].extensions.code).toBe(code);
  }

  it('depth counts fields, not fragments: twelve fields deep through fragments runs, thirteen are refused (QUERY_TOO_DEEP)', async () => {
    // { assets { nodes { tenant { sites { tenant { sites … { name } } } } } } }, each object a fragment of its own
    // (spread, then inline), as a client composing its page from components writes it.
    const fieldsDeep = (levels: number) => {
      const hops = levels - 3; // below assets and nodes, above name
      const fragments = Array.from({ length: hops }, (_, i) => {
        const [on, field, type] = i === 0 ? ['Asset', 'tenant', 'Tenant'] : i % 2 ? ['Tenant', 'sites', 'Site'] : ['Site', 'tenant', 'Tenant'];
        return `fragment F${i} on ${on} { ${field} { ... on ${type} { ${i + 1 < hops ? `...F${i + 1}` : 'name'} } } }`;
      });
      return `{ assets(first: 1) { nodes { ...F0 } } } ${fragments.join(' ')}`;
    };
    const fits = await server.gql(fieldsDeep(12));
    expect(fits.body.errors).toBeUndefined();
    expect(fits.body.data.assets.nodes[0].tenant.sites).toEqual([]);
    expectRefused(await server.gql(fieldsDeep(13)), 'QUERY_TOO_DEEP');
  });

  it('a query of more than 10,000 fields whose cost cannot be estimated is refused (QUERY_TOO_COMPLEX), not run', async () => {
    // 5,001 × `viewer { name }` is 10,002 fields at a cost of about 10,000, far under MAX_QUERY_COST: only the
    // estimator's own field cap stops it, and it used to be caught and the query run.
    db.counter.reset();
    const { result: res, ms } = await timed(() => lifted.gql(aliases(5_001, 'viewer { name }')));
    expectRefused(res, 'QUERY_TOO_COMPLEX');
    expect(res.body.errors![0].message).toMatch(/could not be estimated/);
    expect(res.body.errors![0].extensions).toMatchObject({ maxFields: 10_000 });
    expect(dataStatements()).toEqual([]);
    expect(ms).toBeLessThan(5_000);
  });

  it('under the default limits too: a 500-byte document whose fragments expand past 10,000 fields is refused', async () => {
    // Each fragment spreads the one before it 25 times: 25^3 copies of `viewer { name }`, all merged into one
    // field at execution, but with no estimate of its cost: refused, where the estimator's failure used to let it run.
    const fragments = Array.from({ length: 3 }, (_, i) => `fragment F${i + 1} on Query { ${`...F${i} `.repeat(25)}}`).join(' ');
    const res = await server.gql(`query { ...F3 } fragment F0 on Query { viewer { name } } ${fragments}`);
    expectRefused(res, 'QUERY_TOO_COMPLEX');
  });

  it('with the default limits the same document is refused from its text, at its 31st alias, quickly', async () => {
    const { result: res, ms } = await timed(() => server.gql(aliases(5_001, 'viewer { name }')));
    expectRefused(res, 'QUERY_TOO_MANY_ALIASES');
    expect(res.body.errors![0].extensions).toMatchObject({ maxAliases: 30 });
    expect(ms).toBeLessThan(2_000);
  });

  it('25,000 aliases of tenants { totalCount } (750 KB): QUERY_TOO_MANY_ALIASES from the text, before parsing', async () => {
    db.counter.reset();
    const { result: res, ms } = await timed(() => server.gql(aliases(25_000, 'tenants { totalCount }')));
    expectRefused(res, 'QUERY_TOO_MANY_ALIASES');
    expect(res.body.errors![0].extensions).toMatchObject({ maxAliases: 30 });
    expect(ms).toBeLessThan(2_000);
    expect(dataStatements()).toEqual([]);
  });

  it('more aliases than MAX_QUERY_ALIASES in a small document: QUERY_TOO_MANY_ALIASES; up to the limit passes', async () => {
    expectRefused(await server.gql(aliases(31, 'tenants { totalCount }')), 'QUERY_TOO_MANY_ALIASES');
    const atLimit = await server.gql(aliases(30, 'tenants { totalCount }'));
    expect(atLimit.body.errors).toBeUndefined();
    expect(atLimit.body.data.a29).toEqual({ totalCount: 1 });
  });

  it('aliases multiplied by spreading a fragment are counted per use (QUERY_TOO_MANY_ALIASES from validation)', async () => {
    const fragment = `fragment Twenty on Query { ${Array.from({ length: 20 }, (_, i) => `a${i}: viewer { name }`).join(' ')} }`;
    expectRefused(await server.gql(`query { ...Twenty ... on Query { ...Twenty } } ${fragment}`), 'QUERY_TOO_MANY_ALIASES');
    const once = await server.gql(`query { ...Twenty } ${fragment}`);
    expect(once.body.errors).toBeUndefined();
  });

  it('repeated fields without aliases are bounded by the token limit before validation compares them pairwise', async () => {
    const repeated = `{ ${'tenants { totalCount } '.repeat(20_000)}}`;
    const { result: res, ms } = await timed(() => server.gql(repeated));
    expectRefused(res, 'QUERY_TOO_LARGE');
    expect(res.body.errors![0].extensions).toMatchObject({ maxTokens: 5_000 });
    expect(ms).toBeLessThan(2_000);
  });

  it('more directives than MAX_QUERY_DIRECTIVES: QUERY_TOO_MANY_DIRECTIVES', async () => {
    const res = await server.gql(`{ viewer { ${'name @include(if: true) '.repeat(51)}} }`);
    expectRefused(res, 'QUERY_TOO_MANY_DIRECTIVES');
    expect(res.body.errors![0].extensions).toMatchObject({ maxDirectives: 50 });
  });

  it('a batch of operations in one body is refused as a whole, nothing run', async () => {
    db.counter.reset();
    const res = await fetch(`${server.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
      body: JSON.stringify(Array.from({ length: 100 }, () => ({ query: '{ tenants { totalCount } }' }))),
    });
    expect(res.status).toBe(400);
    const body: any = await res.json();
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(dataStatements()).toEqual([]);
  });

  it('text the scan cannot read is left to the parser: GRAPHQL_PARSE_FAILED, not a 500', async () => {
    for (const broken of ['{ viewer { name ', '{ viewer { "unterminated } }', '{ viewer { name } } \u0007']) {
      const res = await server.gql(broken);
      expect(res.status).toBe(400);
      expect(res.body.errors![0].extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
    }
  });

  it('bad variables are still BAD_USER_INPUT, not a cost refusal', async () => {
    const res = await server.gql('query($n: Int) { assets(first: $n) { totalCount } }', { n: 'ten' });
    expect(res.status).toBe(400);
    expect(res.body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('a deep portal query (README style, with a few aliases and directives) passes every limit', async () => {
    const portal = `query Portal($first: Int, $withSources: Boolean!) {
      viewer { name allTenants }
      tenants { totalCount nodes { id name assetCount sites { name assetCount } } }
      attention: assets(first: $first, filter: { hasMissingUpdates: true }) { totalCount }
      assets(first: $first) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          hostname fqdn osName osBuild status missingUpdateCount site { name } tenant { name }
          sources @include(if: $withSources) { connector { name } matchedBy { rule values { name value } } }
          patchStates(states: [MISSING, FAILED, PENDING_REBOOT], view: ALL_SOURCES) {
            state evidence source { connector { name } } update { kb severity vulnerabilities { cveId } }
          }
        }
      }
    }`;
    const res = await server.gql(portal, { first: 50, withSources: true });
    expect(res.body.errors).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.body.data.assets.totalCount).toBe(3);
    expect(res.body.data.assets.nodes).toHaveLength(3);
  });
});
