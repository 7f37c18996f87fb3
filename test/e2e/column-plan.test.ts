import { PatchState, SourceDevice } from '../../src/entities';
import { PatchPostureStatus, PatchStateValue } from '../../src/entities/enums';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

const PAGE = `query($after: String) {
  assets(first: 3, after: $after) {
    pageInfo { endCursor hasNextPage }
    edges { cursor }
    nodes {
      id hostname osName
      sources { id externalId macAddresses inactive lastCheckInAt patchPosture { status installed } }
      patchStates { state changedAt sourceOutOfDate source { externalId } update { kb severity shared products releasedAt } }
    }
  }
}`;
// The same page beside a field the plan does not know: every row is then read whole, as before the plan.
const WHOLE = PAGE.replace('assets(first: 3', 'viewer { name }\n  assets(first: 3');

/** A query made only of the hot connections reads only the columns it can use, and answers exactly as whole rows do. */
describe(`column plan of portal queries on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const { updates } = await f.catalog();
    const tenant = await f.tenant();
    const connector = await f.connector(tenant, 'datto-rmm');
    const assets = await f.insertAssets(Array.from({ length: 7 }, () => f.asset(tenant)));
    const sources = assets.map((a, i) =>
      f.source(a, connector, i % 2 ? { macAddresses: ['00155D01234' + i], inactive: true, postureStatus: PatchPostureStatus.FULLY_PATCHED, postureInstalled: 40 + i } : {}),
    );
    await f.insert(SourceDevice, sources);
    const kbs = ['KB5041585', 'KB5043076'].map((kb) => updates.get(kb)!.id);
    await f.insert(PatchState, sources.flatMap((s, i) => kbs.map((kb, k) => f.patchState(s, kb, (i + k) % 2 ? PatchStateValue.MISSING : PatchStateValue.INSTALLED))));
    server = await startTestServer(db);
    await server.gql('{ viewer { name } }'); // first use of the key records lastUsedAt; keep it out of the statements
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  async function run(query: string, after: string | null) {
    db.counter.reset();
    const res = await server.gql(query, { after });
    expect(res.body.errors).toBeUndefined();
    const statements = [...db.counter.statements];
    const of = (table: string) => statements.filter((s) => new RegExp(`FROM [\`"]${table}[\`"]`).test(s));
    return { data: res.body.data!.assets, count: statements.length, of };
  }

  it('selects only the requested columns, keys and the sort column, in as many statements as whole rows take', async () => {
    const planned = await run(PAGE, null);
    const whole = await run(WHOLE, null);
    expect(planned.count).toBe(whole.count);
    const [asset] = planned.of('asset');
    expect(asset).toMatch(/hostname/);
    expect(asset).toMatch(/osName/);
    expect(asset).not.toMatch(/serialNumber|lastSeenAt|osBuild/);
    expect(whole.of('asset')[0]).toMatch(/serialNumber/);
    const [source] = planned.of('source_device');
    expect(source).toMatch(/macAddresses/);
    expect(source).toMatch(/postureInstalled/);
    expect(source).not.toMatch(/attributes|serialNumber|payloadDigest/);
    const [update] = planned.of('software_update');
    expect(update).not.toMatch(/fixedBuilds|supersedes|title/);
  });

  it('answers every page exactly as whole rows do, cursors included', async () => {
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const planned = await run(PAGE, after);
      const whole = await run(WHOLE, after);
      expect(planned.data).toEqual(whole.data);
      expect(planned.data.nodes.length).toBeGreaterThan(0);
      after = planned.data.pageInfo.endCursor;
    }
    expect(after).not.toBeNull();
  });

  it('reads whole rows for a field whose needs it does not know', async () => {
    const { of } = await run(PAGE.replace('id hostname osName', 'id hostname osName assetClass'), null);
    expect(of('asset')[0]).toMatch(/serialNumber/);
  });
});
