/**
 * Tenant isolation over the whole schema, proven by walking it. The database holds, for tenant A and for the
 * others, every kind of row the graph has (the demo's Intune, WSUS and Datto RMM data through the real connectors,
 * plus failed runs, stale and deleted devices, tenant-own catalog entries and CVEs, client-limited API keys). The
 * schema is read by introspection, so a field added later is walked without editing this file, and a field the
 * walker cannot exercise fails it. A second schema with a deliberately unscoped resolver shows the walk reports a
 * leak.
 */
import { Query, Resolver } from 'type-graphql';
import { DataSource } from 'typeorm';
import { PRESETS } from '../../src/compliance/presets';
import { Asset } from '../../src/entities';
import { Role } from '../../src/entities/enums';
import { buildPatchgraphSchema, buildSchemaWith } from '../../src/graphql/schema';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Gql, gqlOver } from '../helpers/isolation/client';
import { collectFingerprints, FingerprintSet } from '../helpers/isolation/fingerprints';
import { IdBook } from '../helpers/isolation/ids';
import { mutationProbes } from '../helpers/isolation/mutations';
import { classifyRows, foreignDigests, OwnedRow } from '../helpers/isolation/ownership';
import { reachableFields } from '../helpers/isolation/selection';
import { buildWorld, PLANTED_B, World } from '../helpers/isolation/world';
import { CheckDeps, CheckReport, cursorProbes, Finding, forgedIdProbes, idPositions, Principal, walkQueries } from '../helpers/isolation/walk';
import { startTestServer, TestServer } from '../helpers/server';
import { tableDigests } from '../helpers/table-digest';

/** Room for the generated documents; they are still split to fit, by the server's own limit checks. */
const LIMITS = {
  MAX_QUERY_COST: '100000000', MAX_QUERY_TOKENS: '20000', MAX_QUERY_ALIASES: '200',
  // Thousands of probes from a handful of keys: the rate limit has its own tests.
  PATCHGRAPH_RATE_LIMIT_PER_MINUTE: '1000000',
};

/** The leak the suite must notice: every asset, read through a DataSource the Access layer never sees. */
let leakySource: DataSource | undefined;
@Resolver()
class LeakyResolver {
  @Query(() => [Asset], { description: 'Test only: every asset, unscoped' })
  leakyAssets(): Promise<Asset[]> {
    return leakySource!.getRepository(Asset).find();
  }
}

const lines = (findings: Finding[]) => findings.map((f) => `[${f.check}] ${f.principal} ${f.field}: ${f.detail}`);

describe(`tenant isolation over the whole schema on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let world: World;
  let rows: OwnedRow[];
  let fps: FingerprintSet;
  let deps: CheckDeps;
  let leakyServer: TestServer | undefined;
  const schema = buildPatchgraphSchema();
  const gqlOf = (s: TestServer): Gql => gqlOver(s.app.url);

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db, LIMITS);
    world = await buildWorld(db, server);
    rows = await classifyRows(db.dataSource, world.a.id);
    // What the server holds in code and shows every principal (connector kinds, compliance presets) is no fingerprint,
    // though a tenant's rows name it (a policy assignment names its preset).
    const kinds = await server.gql('{ connectorKinds { kind displayName description settings { name description type } } }');
    const staticText = [JSON.stringify(kinds.body.data), JSON.stringify(PRESETS)];
    fps = collectFingerprints(rows, schema, { secrets: server.secrets, staticText, extraSecrets: [world.bKey] });
    const principals: Principal[] = Object.values(Role).map((role) => ({ label: `${role}(A)`, key: world.keys[role] }));
    deps = { schema, config: server.config, gql: gqlOf(server), fps, ids: new IdBook(schema, rows), principals };
  }, 240_000);
  afterAll(async () => {
    await world?.close();
    // The servers share the data source, which the first to stop closes.
    await leakyServer?.stop();
    await server?.stop();
    await db?.drop();
  });

  const expectClean = (report: CheckReport) => {
    expect(lines(report.findings)).toEqual([]);
    expect(report.problems).toEqual([]);
  };

  it('holds every kind of row for the other tenants, and takes fingerprints of all of them', () => {
    const foreignTables = new Set(rows.filter((r) => r.owner === 'foreign').map((r) => r.table));
    const ownedKinds = new Set(rows.filter((r) => r.owner !== 'neutral').map((r) => r.table));
    expect([...ownedKinds].filter((t) => !foreignTables.has(t))).toEqual([]);
    for (const table of ['tenant', 'site', 'asset', 'source_device', 'connector_instance', 'vendor_site', 'sync_run', 'patch_state', 'patch_event',
      'patch_posture_event', 'update_approval', 'software_update', 'vulnerability', 'unattached_record', 'api_key', 'audit_event']) {
      expect([table, foreignTables.has(table)]).toEqual([table, true]);
    }
    const b = rows.filter((r) => r.row.tenantId === world.b.id);
    expect(b.some((r) => r.table === 'sync_run' && r.row.status === 'FAILED' && r.row.errorMessage)).toBe(true);
    expect(b.some((r) => r.table === 'source_device' && Number(r.row.stale) && !Number(r.row.deletedInSource))).toBe(true);
    expect(b.some((r) => r.table === 'source_device' && Number(r.row.deletedInSource))).toBe(true);
    expect(b.filter((r) => r.table === 'unattached_record').map((r) => r.row.reason)).toContain('DELETED_IN_SOURCE');
    expect(new Set(rows.filter((r) => r.table === 'connector_instance' && r.owner === 'foreign').map((r) => r.row.kind))).toEqual(new Set(['intune', 'wsus', 'datto-rmm', 'file-import']));

    const all = [...fps.tokens.keys(), ...fps.texts.map((t) => t.value)];
    const has = (v: string) => all.some((x) => x.includes(v));
    for (const v of [...Object.values(PLANTED_B), world.b.name, 'Hillside Primary', toGlobalId('Tenant', world.b.id), world.b.id, world.bKey]) expect([v, has(v)]).toEqual([v, true]);
    const failed = b.find((r) => r.table === 'sync_run' && r.row.status === 'FAILED')!;
    expect(has(String(failed.row.errorMessage))).toBe(true);
    expect([...fps.tokens.values(), ...fps.texts].filter((f) => f.kind === 'secret').length).toBeGreaterThanOrEqual(4);
    // Nothing of A's is a fingerprint.
    expect(all.filter((v) => v.includes(world.a.name) || v === world.a.id)).toEqual([]);
  });

  it("keeps a CVE that only another client's own catalog entry names to that client", async () => {
    const [vuln] = await db.dataSource.query('SELECT id FROM vulnerability WHERE ' + db.dataSource.driver.escape('cveId') + ' = ?', [PLANTED_B.ownCve]);
    const LIST = `query($cves: [String!], $cve: String) { vulnerabilities(filter: { cveIds: $cves }) { totalCount nodes { cveId title } }
      updates(filter: { cveId: $cve }) { totalCount nodes { title } } }`;
    const vars = { cves: [PLANTED_B.ownCve], cve: PLANTED_B.ownCve };
    for (const role of Object.values(Role)) {
      const listed = await server.gql(LIST, vars, world.keys[role]);
      expect(listed.body).toEqual({ data: { vulnerabilities: { totalCount: 0, nodes: [] }, updates: { totalCount: 0, nodes: [] } } });
      const byId = await server.gql('query($id: ID!) { node(id: $id) { id } }', { id: toGlobalId('Vulnerability', vuln.id) }, world.keys[role]);
      expect(byId.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    }
    const own = await server.gql(LIST, vars, world.bKey);
    expect(own.body.data).toEqual({
      vulnerabilities: { totalCount: 1, nodes: [{ cveId: PLANTED_B.ownCve, title: PLANTED_B.ownCveTitle }] },
      updates: { totalCount: 1, nodes: [{ title: PLANTED_B.ownUpdateTitle }] },
    });
    // Microsoft's CVEs stay visible to every client through the shared entries that fix them.
    const shared = await server.gql('{ vulnerabilities(filter: { cveIds: ["CVE-2024-38063"] }) { totalCount } }', {}, world.keys.AUDITOR);
    expect(shared.body.data).toEqual({ vulnerabilities: { totalCount: 1 } });
  });

  it("walks every Query field with every reachable scalar as each of A's roles, and sees nothing of the others", async () => {
    const report = await walkQueries(deps);
    expectClean(report);
    expect(Object.keys(schema.getQueryType()!.getFields()).filter((f) => !report.exercised.has(f))).toEqual([]);
    // Below the roots too: every field of every type a query can reach was selected somewhere.
    expect(reachableFields(schema, schema.getQueryType()!).filter((f) => !report.selected.has(f))).toEqual([]);
  }, 600_000);

  it('answers foreign, wrongly typed and raw ids in every ID argument exactly as ids of nothing', async () => {
    const report = await forgedIdProbes(deps);
    expectClean(report);
    const withIds = Object.values(schema.getQueryType()!.getFields()).filter((f) => idPositions(f, deps.ids.nodeTypes).length > 0).map((f) => f.name);
    expect(withIds).toEqual(expect.arrayContaining(['node', 'nodes', 'asset', 'site', 'tenant', 'update', 'assets', 'patchStates', 'syncRuns']));
    expect(withIds.filter((f) => !report.exercised.has(f))).toEqual([]);
  }, 600_000);

  it("returns nothing of the others for a cursor an all-tenant admin got over their rows", async () => {
    const report = await cursorProbes(deps, { label: 'admin', key: server.adminKey }, toGlobalId('Tenant', world.b.id));
    expectClean(report);
    const connections = Object.values(schema.getQueryType()!.getFields()).filter((f) => f.args.some((a) => a.name === 'after')).map((f) => f.name);
    expect(connections.filter((f) => !report.exercised.has(f))).toEqual([]);
  }, 600_000);

  it("refuses every mutation aimed at the others' objects with a typed code, like one aimed at nothing, and changes none of their rows", async () => {
    // The server writes the keys' lastUsedAt once a minute, whenever that falls: the one change refusals may bring.
    const everything = async () => {
      const { api_key: _uses, ...tables } = await tableDigests(db.dataSource);
      const keys = (await db.dataSource.query('SELECT * FROM api_key ORDER BY id')).map(({ lastUsedAt: _at, ...key }: Record<string, unknown>) => key);
      return { tables, keys };
    };
    const foreignBefore = await foreignDigests(db.dataSource, world.a.id);
    const before = await everything();
    const report = await mutationProbes(deps);
    expectClean(report);
    expect(Object.keys(schema.getMutationType()!.getFields()).filter((f) => !report.exercised.has(f))).toEqual([]);
    expect(await foreignDigests(db.dataSource, world.a.id)).toEqual(foreignBefore);
    if (report.allRefused) expect(await everything()).toEqual(before);
  }, 600_000);

  it('reports a deliberately unscoped resolver: the walk finds the leak', async () => {
    leakySource = db.dataSource;
    const leaky = buildSchemaWith([LeakyResolver], { 'Query.leakyAssets': { area: 'Test only', what: 'Every asset, unscoped', grantees: Object.values(Role) } });
    expect(schema.getQueryType()!.getFields().leakyAssets).toBeUndefined();
    leakyServer = await startTestServer(db, LIMITS, { schema: leaky });
    const key = await leakyServer.keyFor(Role.CLIENT_ADMIN, [world.a.id]);
    const report = await walkQueries({ ...deps, schema: leaky, config: leakyServer.config, gql: gqlOf(leakyServer), principals: [{ label: 'CLIENT_ADMIN(A)', key }] });
    const leaked = report.findings.filter((f) => f.field === 'leakyAssets');
    expect(leaked.length).toBeGreaterThan(0);
    expect(leaked.some((f) => f.detail.includes(PLANTED_B.hostname))).toBe(true);
    // Only the unscoped field leaks; the rest of the schema stays clean on this server too.
    expect(lines(report.findings.filter((f) => f.field !== 'leakyAssets'))).toEqual([]);
    expect(report.exercised.has('leakyAssets')).toBe(true);
  }, 600_000);
});
