import { PatchState, SourceDevice } from '../../src/entities';
import { PatchStateValue } from '../../src/entities/enums';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

const NESTED = `query($first: Int!) {
  assets(first: $first) {
    totalCount
    nodes {
      hostname missingUpdateCount
      tenant { name assetCount }
      site { name assetCount }
      sources { externalId connector { kind } asset { hostname } }
      patchStates { state source { externalId } update { kb vulnerabilities { cveId cvssBaseScore updates { kb } } } }
    }
  }
}`;

/** No N+1: every relation is batched, so the statement count of a nested page does not depend on its size. */
describe(`batched relation loading on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const { updates } = await f.catalog();
    const kbs = ['KB5041585', 'KB5043076', 'KB5075941'].map((kb) => updates.get(kb)!.id);
    const tenants = [await f.tenant('Acme Ltd'), await f.tenant('Globex Corp')];
    const sites = [await f.site(tenants[0], 'North'), await f.site(tenants[1], 'South')];
    const connectors = [[await f.connector(tenants[0], 'intune'), await f.connector(tenants[0], 'wsus')], [await f.connector(tenants[1], 'intune'), await f.connector(tenants[1], 'wsus')]];
    const assets = await f.insertAssets(Array.from({ length: 120 }, (_, i) => f.asset(tenants[i % 2], { siteId: sites[i % 2].id })));
    const sources = assets.flatMap((a, i) => connectors[i % 2].map((c) => f.source(a, c)));
    await f.insert(SourceDevice, sources);
    const states = sources.flatMap((s, i) => kbs.map((kb, k) => f.patchState(s, kb, (i + k) % 3 ? PatchStateValue.INSTALLED : PatchStateValue.MISSING)));
    await f.insert(PatchState, states);
    server = await startTestServer(db);
    await server.gql('{ viewer { name } }'); // first use of the key records lastUsedAt; keep it out of the counts
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  async function statementsFor(first: number) {
    db.counter.reset();
    const res = await server.gql(NESTED, { first });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.assets.nodes).toHaveLength(first);
    // Every asset really carries its nested data, so the counts below compare like with like.
    for (const a of res.body.data!.assets.nodes) {
      expect(a.sources).toHaveLength(2);
      expect(a.patchStates).toHaveLength(6);
      expect(a.patchStates[0].update.vulnerabilities.length).toBeGreaterThan(20);
    }
    return [...db.counter.statements];
  }

  it('issues the same, bounded number of SQL statements for 10 and for 100 assets', async () => {
    const ten = await statementsFor(10);
    const hundred = await statementsFor(100);
    if (process.env.SHOW_SQL) console.log(hundred.join("\n\n"));
    expect(hundred.length).toBe(ten.length);
    // auth + page + count + one per relation level (tenant, site, counts, sources, connectors, patch states, updates, vulnerabilities, their updates)
    expect(ten.length).toBeLessThanOrEqual(14);
  });
});
