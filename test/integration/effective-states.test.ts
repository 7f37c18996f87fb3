/**
 * The effective-state rule as the database applies it (one statement per chunk of assets), on both engines: one
 * state per asset and update decides, current sources first, then the freshest, then REPORTED before DERIVED. And
 * what a refresh reads: its assets' states, never the whole table, which a fleet-wide run would read once per chunk.
 */
import { ConnectorInstance, PatchState, SourceDevice, Tenant } from '../../src/entities';
import { EvidenceKind, PatchStateValue } from '../../src/entities/enums';
import { refreshEffectiveStates } from '../../src/sync/effective-states';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';

const day = (d: number) => new Date(Date.UTC(2026, 10, d, 9, 0, 0));

describe(`effective patch states on ${ENGINE}`, () => {
  let db: TestDatabase;
  let f: Factory;
  let tenant: Tenant;
  let intune: ConnectorInstance;
  let wsus: ConnectorInstance;
  let kbs: string[];
  beforeAll(async () => {
    db = await openTestDatabase();
    f = new Factory(db.dataSource);
    tenant = await f.tenant();
    intune = await f.connector(tenant, 'intune');
    wsus = await f.connector(tenant, 'wsus');
    const catalog = await f.catalog();
    kbs = ['KB5041585', 'KB5043076', 'KB5075941'].map((kb) => catalog.updates.get(kb)!.id);
  });
  afterAll(() => db.drop());

  /** An asset with one source per entry, each reporting the given state of every update in `updates`. */
  async function machine(sources: Array<{ connector: ConnectorInstance; evidence: EvidenceKind; state: PatchStateValue; lastCheckInAt: Date | null; inactive?: boolean; stale?: boolean }>, updates = kbs.slice(0, 1)) {
    const [asset] = await f.insertAssets([f.asset(tenant)]);
    const devices = sources.map((s) => f.source(asset, s.connector, { lastCheckInAt: s.lastCheckInAt, inactive: s.inactive ?? false, stale: s.stale ?? false }));
    await f.insert(SourceDevice, devices);
    // Inserted with the flag wrong on purpose: the refresh must set it either way.
    const states = devices.flatMap((d, i) => updates.map((u) => Object.assign(f.patchState(d, u, sources[i].state), { evidence: sources[i].evidence, effective: i % 2 === 0 })));
    await f.insert(PatchState, states);
    await refreshEffectiveStates(db.dataSource.manager, [asset.id]);
    const rows = await db.dataSource.getRepository(PatchState).findBy({ assetId: asset.id });
    return { asset, devices, effective: (updateId = updates[0]) => rows.filter((r) => r.updateId === updateId && r.effective).map((r) => devices.findIndex((d) => d.id === r.sourceDeviceId)) };
  }

  it("an inactive record of a re-imaged machine decides nothing while a current record reports the update, though it checked in later", async () => {
    const m = await machine([
      { connector: intune, evidence: EvidenceKind.DERIVED, state: PatchStateValue.MISSING, lastCheckInAt: day(25), inactive: true },
      { connector: intune, evidence: EvidenceKind.DERIVED, state: PatchStateValue.INSTALLED, lastCheckInAt: day(20) },
    ]);
    expect(m.effective()).toEqual([1]);
  });

  it('a source missing from its tool\'s last full read (stale) counts as out of date too', async () => {
    const m = await machine([
      { connector: wsus, evidence: EvidenceKind.REPORTED, state: PatchStateValue.FAILED, lastCheckInAt: day(25), stale: true },
      { connector: intune, evidence: EvidenceKind.DERIVED, state: PatchStateValue.INSTALLED, lastCheckInAt: day(20) },
    ]);
    expect(m.effective()).toEqual([1]);
  });

  it('the freshest current source decides whatever its evidence kind; REPORTED wins only when equally fresh', async () => {
    const fresherDerived = await machine([
      { connector: wsus, evidence: EvidenceKind.REPORTED, state: PatchStateValue.FAILED, lastCheckInAt: day(19) },
      { connector: intune, evidence: EvidenceKind.DERIVED, state: PatchStateValue.INSTALLED, lastCheckInAt: day(20) },
    ]);
    expect(fresherDerived.effective()).toEqual([1]);
    const tie = await machine([
      { connector: intune, evidence: EvidenceKind.DERIVED, state: PatchStateValue.MISSING, lastCheckInAt: day(20) },
      { connector: wsus, evidence: EvidenceKind.REPORTED, state: PatchStateValue.INSTALLED, lastCheckInAt: day(20) },
    ]);
    expect(tie.effective()).toEqual([1]);
  });

  it('a source that reports no check-in time counts as least fresh', async () => {
    const m = await machine([
      { connector: wsus, evidence: EvidenceKind.REPORTED, state: PatchStateValue.MISSING, lastCheckInAt: null },
      { connector: intune, evidence: EvidenceKind.DERIVED, state: PatchStateValue.INSTALLED, lastCheckInAt: day(2) },
    ]);
    expect(m.effective()).toEqual([1]);
  });

  it('out-of-date evidence still decides when it is all there is, one state per update', async () => {
    const m = await machine([{ connector: intune, evidence: EvidenceKind.DERIVED, state: PatchStateValue.MISSING, lastCheckInAt: day(2), inactive: true }], kbs);
    for (const kb of kbs) expect(m.effective(kb)).toEqual([0]);
  });

  it('a refresh with nothing to change writes nothing', async () => {
    const m = await machine([
      { connector: wsus, evidence: EvidenceKind.REPORTED, state: PatchStateValue.MISSING, lastCheckInAt: day(20) },
      { connector: intune, evidence: EvidenceKind.DERIVED, state: PatchStateValue.INSTALLED, lastCheckInAt: day(20) },
    ], kbs);
    const before = await db.dataSource.getRepository(PatchState).findBy({ assetId: m.asset.id });
    await refreshEffectiveStates(db.dataSource.manager, [m.asset.id]);
    const after = await db.dataSource.getRepository(PatchState).findBy({ assetId: m.asset.id });
    expect(after.map((r) => [r.id, r.effective]).sort()).toEqual(before.map((r) => [r.id, r.effective]).sort());
    expect(before.filter((r) => r.effective)).toHaveLength(kbs.length);
  });

  /** How the engine plans `sql`: each table it reads and how (MariaDB's EXPLAIN type, SQLite's SCAN or SEARCH). */
  async function accessesOf(sql: string, parameters: unknown[]): Promise<Array<{ table: string; access: string }>> {
    if (db.engine === 'sqlite') {
      const plan: Array<{ detail: string }> = await db.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, parameters);
      return plan.map((p) => /^(SCAN|SEARCH) (\S+)/.exec(p.detail)).filter((x): x is RegExpExecArray => !!x).map((x) => ({ table: x[2], access: x[1] }));
    }
    const plan: Array<{ table: string; type: string }> = await db.dataSource.query(`EXPLAIN ${sql}`, parameters);
    return plan.map((p) => ({ table: p.table, access: p.type }));
  }

  it("a refresh reads the states of the assets it is given through indexes, not every row of the fleet's patch states", async () => {
    // A fleet around the asset, so that reading it all is a plan the engine would pick only for want of another.
    const fleet = await f.insertAssets(Array.from({ length: 300 }, () => f.asset(tenant)));
    const fleetSources = fleet.map((a) => f.source(a, wsus, { lastCheckInAt: day(20) }));
    await f.insert(SourceDevice, fleetSources);
    await f.insert(PatchState, fleetSources.flatMap((d) => kbs.map((u) => f.patchState(d, u, PatchStateValue.INSTALLED))));
    const m = await machine([{ connector: wsus, evidence: EvidenceKind.REPORTED, state: PatchStateValue.MISSING, lastCheckInAt: day(20) }], kbs);

    db.counter.reset();
    await refreshEffectiveStates(db.dataSource.manager, [m.asset.id]);
    const flips = db.counter.statements.map((sql, i) => ({ sql, parameters: db.counter.parameters[i] })).filter((s) => /^\s*UPDATE\b/i.test(s.sql) && s.sql.includes('patch_state'));
    expect(flips).toHaveLength(1);
    const accesses = await accessesOf(flips[0].sql, flips[0].parameters);
    // The materialised ranking (MariaDB's <derivedN>, SQLite's ranked and (subquery-N)) holds only the given
    // assets' states.
    const tables = accesses.filter((a) => !/^(<derived\d+>|\(subquery-\d+\)|ranked)$/.test(a.table));
    expect(tables.length).toBeGreaterThanOrEqual(3);
    const fullReads = db.engine === 'sqlite' ? ['SCAN'] : ['ALL', 'index'];
    expect(tables.filter((a) => fullReads.includes(a.access))).toEqual([]);
  });
});
