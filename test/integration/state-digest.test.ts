/**
 * Cost that follows the change: a device whose source reports the same list of patch states as last time has its
 * stored states neither read nor compared (source_device.statesDigest). Driven through applyRun with hand-built
 * reads, counting the statements each run sends.
 */
import * as entityRowsModule from '../../src/db/entity-rows';
import * as stateDigestModule from '../../src/sync/state-digest';
import { RawSqlResultsToEntityTransformer } from 'typeorm/query-builder/transformer/RawSqlResultsToEntityTransformer';
import type { DeviceRecord, PatchStateRecord, UpdateRecord } from '../../connectors/sdk/contract';
import { ConnectorInstance, PatchEvent, PatchState, SourceDevice, Update } from '../../src/entities';
import { In } from 'typeorm';
import { PatchStateValue } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { applyRead, ReadParts, SYNC_T0, sourceRead, syncHarness } from '../helpers/sync';

describe(`patch state digests on ${ENGINE}`, () => {
  let db: TestDatabase;
  let h: ReturnType<typeof syncHarness>;
  let factory: Factory;
  beforeAll(async () => {
    db = await openTestDatabase();
    h = syncHarness(db.dataSource);
    factory = new Factory(db.dataSource);
  });
  afterAll(() => db.drop());

  const repo = <T extends object>(e: new () => T) => db.dataSource.getRepository(e);
  const KBS = ['KB9100001', 'KB9100002', 'KB9100003'];
  const updates: UpdateRecord[] = KBS.map((kb) => ({ key: `test:${kb}`, kb, title: `${kb} test update`, vendor: 'Contoso', releasedAt: new Date('2026-10-13T17:00:00Z') }));
  const DEVICES = ['d1', 'd2', 'd3'];
  const devices: DeviceRecord[] = DEVICES.map((id) => ({ externalId: id, hostname: `PC-${id}`, serialNumber: `SER-DIGEST-${id}` }));
  const missing = (device: string, kb: string): PatchStateRecord => ({ deviceExternalId: device, updateKey: `test:${kb}`, state: 'MISSING', evidence: 'REPORTED' });
  const installed = (device: string, kb: string): PatchStateRecord => ({ ...missing(device, kb), state: 'INSTALLED', installedAt: new Date('2026-11-01T08:00:00Z') });
  const snapshot = (): PatchStateRecord[] => DEVICES.flatMap((d) => KBS.map((kb) => missing(d, kb)));
  const full = (patchStates: PatchStateRecord[]): ReadParts => ({ devices, updates, patchStates, fullDeviceRead: true });

  let clock = SYNC_T0.getTime();
  async function apply(instance: ConnectorInstance, parts: ReadParts) {
    const syncRunId = newId();
    clock += 3_600_000;
    db.counter.reset();
    const counts = await applyRead(db.dataSource, instance, sourceRead(parts), { now: new Date(clock), syncRunId });
    const events = await repo(PatchEvent).findBy({ syncRunId });
    return { counts, events, stateReads: stateReads() };
  }
  /** The device ids of every read of stored patch states the run sent, one list per statement. */
  function stateReads(): string[][] {
    return db.counter.statements
      .map((sql, i) => ({ sql, params: db.counter.parameters[i] as string[] }))
      .filter(({ sql }) => /^\s*SELECT\b/i.test(sql) && /\bFROM\s+["`]?patch_state\b/i.test(sql))
      .map(({ params }) => params);
  }
  async function instance(): Promise<ConnectorInstance> {
    const tenant = await factory.tenant();
    return h.admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'digests', settings: { path: '/dev/null' }, enabled: false });
  }
  const sourcesOf = async (i: ConnectorInstance) => new Map((await repo(SourceDevice).findBy({ connectorInstanceId: i.id })).map((d) => [d.externalId, d]));
  const stateOf = async (i: ConnectorInstance, device: string, kb: string) => {
    const source = (await sourcesOf(i)).get(device)!;
    const update = await repo(Update).findOneByOrFail({ catalogKey: `test:${kb}`, owner: i.tenantId! });
    return repo(PatchState).findOneByOrFail({ sourceDeviceId: source.id, updateId: update.id });
  };
  const NOTHING = { patchStates: { seen: 9, created: 0, changed: 0, dropped: 0 }, events: 0, assets: { created: 0, changed: 0 } };

  it('a re-post of an unchanged snapshot reads no stored patch state, in any order, and counts what it always counted', async () => {
    const i = await instance();
    const first = await apply(i, full(snapshot()));
    expect(first.counts).toMatchObject({ patchStates: { seen: 9, created: 9, changed: 0 }, events: 9 });
    // A first run creates every device: there is nothing stored to read.
    expect(first.stateReads).toEqual([]);
    expect([...(await sourcesOf(i)).values()].every((d) => /^[0-9a-f]{64}$/.test(d.statesDigest ?? ''))).toBe(true);

    // The stored devices are read as plain rows, not hydrated as entities by TypeORM's transformer.
    const transform = jest.spyOn(RawSqlResultsToEntityTransformer.prototype, 'transform');
    let again: Awaited<ReturnType<typeof apply>>;
    try {
      again = await apply(i, full(snapshot()));
      expect(transform.mock.calls.filter(([, alias]) => alias.metadata.target === SourceDevice)).toEqual([]);
    } finally {
      transform.mockRestore();
    }
    expect(again.counts).toMatchObject({ ...NOTHING, devices: { seen: 3, created: 0, changed: 0, stale: 0 } });
    expect(again.events).toEqual([]);
    expect(again.stateReads).toEqual([]);
    // Nothing touches patch_state at all: no read, no write, no effective-state refresh.
    expect(db.counter.statements.filter((s) => /patch_state/.test(s))).toEqual([]);

    const shuffled = await apply(i, full([...snapshot()].reverse()));
    expect(shuffled.counts).toMatchObject(NOTHING);
    expect(shuffled.stateReads).toEqual([]);
  });

  it("writes each new state once: the run's effective-state refresh rewrites only a state another source outranks", async () => {
    const q = (name: string) => db.dataSource.driver.escape(name);
    await db.dataSource.query(`CREATE TABLE ${q('state_rewrites')} (${q('id')} VARCHAR(36) NOT NULL)`);
    await db.dataSource.query(
      db.engine === 'sqlite'
        ? `CREATE TRIGGER ${q('count_state_rewrites')} AFTER UPDATE ON ${q('patch_state')} BEGIN INSERT INTO ${q('state_rewrites')} VALUES (NEW.${q('id')}); END`
        : `CREATE TRIGGER ${q('count_state_rewrites')} AFTER UPDATE ON ${q('patch_state')} FOR EACH ROW INSERT INTO ${q('state_rewrites')} VALUES (NEW.${q('id')})`,
    );
    const rewritten = async () => (await db.dataSource.query(`SELECT ${q('id')} FROM ${q('state_rewrites')}`)).map((r: { id: string }) => r.id);
    try {
      const i = await instance();
      const first = await apply(i, full(snapshot()));
      expect(first.counts).toMatchObject({ patchStates: { created: 9 } });
      expect(await rewritten()).toEqual([]);
      const stored = await repo(PatchState).findBy({ sourceDeviceId: In([...(await sourcesOf(i)).values()].map((d) => d.id)) });
      expect(stored.map((s) => s.effective)).toEqual(Array(9).fill(true));

      // A second tool on d1's machine (same serial), fresher: its new states win, and d1's three are rewritten (to
      // not effective), nothing else.
      const other = await h.admin.create({ tenantId: i.tenantId, kind: 'file-import', name: 'second tool', settings: { path: '/dev/null' }, enabled: false });
      await apply(other, { devices: [{ ...devices[0], externalId: 'other-d1', lastCheckInAt: new Date(clock + 7_200_000) }], updates, patchStates: KBS.map((kb) => installed('other-d1', kb)), fullDeviceRead: true });
      const d1 = (await sourcesOf(i)).get('d1')!;
      const otherD1 = (await sourcesOf(other)).get('other-d1')!;
      expect(otherD1.assetId).toBe(d1.assetId);
      const onMachine = await repo(PatchState).findBy({ assetId: d1.assetId! });
      expect(onMachine.filter((s) => s.effective).map((s) => s.sourceDeviceId)).toEqual(Array(3).fill(otherD1.id));
      expect((await rewritten()).sort()).toEqual(onMachine.filter((s) => s.sourceDeviceId === d1.id).map((s) => s.id).sort());
    } finally {
      await db.dataSource.query(`DROP TRIGGER ${q('count_state_rewrites')}`);
      await db.dataSource.query(`DROP TABLE ${q('state_rewrites')}`);
    }
  });

  it("digests the run's states while its stored devices are being read, not after", async () => {
    const i = await instance();
    await apply(i, full(snapshot()));
    const order: string[] = [];
    let digestStarted!: () => void;
    const started = new Promise<void>((resolve) => (digestStarted = resolve));
    const readRows = entityRowsModule.entityRows;
    const digestStates = stateDigestModule.digestRunStates;
    // The devices' rows are held back until the digests have begun (or for 2 s): a run that waits for the rows
    // before digesting gets them only then, and digests after.
    const rows = jest.spyOn(entityRowsModule, 'entityRows').mockImplementation(async (qb, columns) => {
      const read = await readRows(qb, columns);
      if (qb.expressionMap.mainAlias?.metadata.target === SourceDevice) {
        await Promise.race([started, new Promise((resolve) => setTimeout(resolve, 2_000))]);
        order.push('devices read');
      }
      return read;
    });
    const digest = jest.spyOn(stateDigestModule, 'digestRunStates').mockImplementation((...args) => {
      order.push('digests begun');
      digestStarted();
      return digestStates(...args);
    });
    try {
      const changed = snapshot().map((s) => (s.deviceExternalId === 'd1' && s.updateKey === 'test:KB9100001' ? installed('d1', 'KB9100001') : s));
      const run = await apply(i, full(changed));
      expect(run.counts).toMatchObject({ patchStates: { changed: 1 }, events: 1 });
    } finally {
      rows.mockRestore();
      digest.mockRestore();
    }
    expect(order).toEqual(['digests begun', 'devices read']);
  });

  it('one changed state is compared for its device alone and writes exactly one event', async () => {
    const i = await instance();
    await apply(i, full(snapshot()));
    const d2 = (await sourcesOf(i)).get('d2')!;
    const changed = snapshot().map((s) => (s.deviceExternalId === 'd2' && s.updateKey === 'test:KB9100002' ? installed('d2', 'KB9100002') : s));
    const run = await apply(i, full(changed));
    expect(run.counts).toMatchObject({ patchStates: { seen: 9, created: 0, changed: 1 }, events: 1, devices: { changed: 0 } });
    expect(run.stateReads).toEqual([[d2.id]]);
    expect(run.events.map((e) => [e.sourceDeviceId, e.fromState, e.toState])).toEqual([[d2.id, 'MISSING', 'INSTALLED']]);
    expect(await stateOf(i, 'd2', 'KB9100002')).toMatchObject({ state: 'INSTALLED', effective: true });
    expect((await stateOf(i, 'd2', 'KB9100002')).installedAt!.toISOString()).toBe('2026-11-01T08:00:00.000Z');
    expect((await sourcesOf(i)).get('d2')!.statesDigest).not.toBe(d2.statesDigest);

    // A state the source stops reporting is kept as it is, as before digests: the list differs, so it is compared.
    const withoutOne = changed.filter((s) => !(s.deviceExternalId === 'd3' && s.updateKey === 'test:KB9100003'));
    const dropped = await apply(i, full(withoutOne));
    expect(dropped.counts).toMatchObject({ patchStates: { seen: 8, created: 0, changed: 0 }, events: 0 });
    expect(dropped.stateReads).toEqual([[(await sourcesOf(i)).get('d3')!.id]]);
    expect(await stateOf(i, 'd3', 'KB9100003')).toMatchObject({ state: 'MISSING' });
  });

  it('a device without a digest (rows from before the column) is compared in full, and the digest is filled', async () => {
    const i = await instance();
    await apply(i, full(snapshot()));
    const digests = new Map([...(await sourcesOf(i))].map(([id, d]) => [id, d.statesDigest]));
    const q = (name: string) => db.dataSource.driver.escape(name);
    await db.dataSource.query(`UPDATE ${q('source_device')} SET ${q('statesDigest')} = NULL WHERE ${q('connectorInstanceId')} = ?`, [i.id]);
    // A stored state that differs from the snapshot proves the comparison ran: it is put back, with its event.
    const tampered = await stateOf(i, 'd3', 'KB9100001');
    await repo(PatchState).update({ id: tampered.id }, { state: PatchStateValue.INSTALLED });

    const upgraded = await apply(i, full(snapshot()));
    expect(upgraded.counts).toMatchObject({ patchStates: { seen: 9, created: 0, changed: 1 }, events: 1, devices: { changed: 0 } });
    expect(upgraded.stateReads.flat().sort()).toEqual([...(await sourcesOf(i)).values()].map((d) => d.id).sort());
    expect(upgraded.events.map((e) => [e.fromState, e.toState])).toEqual([['INSTALLED', 'MISSING']]);
    expect(new Map([...(await sourcesOf(i))].map(([id, d]) => [id, d.statesDigest]))).toEqual(digests);

    const after = await apply(i, full(snapshot()));
    expect(after.counts).toMatchObject(NOTHING);
    expect(after.stateReads).toEqual([]);
  });

  it('an incremental read of some devices applies every state change it reports, and never skips a list it did not see', async () => {
    const i = await instance();
    await apply(i, full(snapshot()));
    const ids = new Map([...(await sourcesOf(i))].map(([id, d]) => [id, d.id]));

    // A state change of a device the read does not list (allowed when incremental): compared, applied, digest moved.
    const d1Changed = KBS.map((kb) => (kb === 'KB9100003' ? installed('d1', kb) : missing('d1', kb)));
    const incremental = await apply(i, { devices: [], updates, patchStates: d1Changed });
    expect(incremental.counts).toMatchObject({ patchStates: { seen: 3, created: 0, changed: 1 }, events: 1, devices: { seen: 0, changed: 0 } });
    expect(incremental.stateReads).toEqual([[ids.get('d1')]]);
    expect(await stateOf(i, 'd1', 'KB9100003')).toMatchObject({ state: 'INSTALLED' });

    // Part of d2's list, unchanged: compared (it is not the list last applied), nothing to write.
    const part = await apply(i, { devices: [devices[1]], updates, patchStates: [missing('d2', 'KB9100001')] });
    expect(part.counts).toMatchObject({ patchStates: { seen: 1, created: 0, changed: 0 }, events: 0 });
    expect(part.stateReads).toEqual([[ids.get('d2')]]);
    // The same part again is skipped: the stored states are what it says.
    const partAgain = await apply(i, { devices: [devices[1]], updates, patchStates: [missing('d2', 'KB9100001')] });
    expect(partAgain.stateReads).toEqual([]);
    // And a change in a part is applied.
    const partChange = await apply(i, { devices: [devices[1]], updates, patchStates: [installed('d2', 'KB9100001')] });
    expect(partChange.counts).toMatchObject({ patchStates: { seen: 1, changed: 1 }, events: 1 });
    expect(await stateOf(i, 'd2', 'KB9100001')).toMatchObject({ state: 'INSTALLED' });

    // The full snapshot again: both devices whose last list differed are compared and put back, d3 is skipped.
    const back = await apply(i, full(snapshot()));
    expect(back.counts).toMatchObject({ patchStates: { seen: 9, created: 0, changed: 2 }, events: 2 });
    expect(back.stateReads.flat().sort()).toEqual([ids.get('d1'), ids.get('d2')].sort());
    expect(back.events.map((e) => [e.sourceDeviceId, e.fromState, e.toState]).sort()).toEqual(
      [[ids.get('d1'), 'INSTALLED', 'MISSING'], [ids.get('d2'), 'INSTALLED', 'MISSING']].sort(),
    );
    const quiet = await apply(i, full(snapshot()));
    expect(quiet.counts).toMatchObject(NOTHING);
    expect(quiet.stateReads).toEqual([]);
  });
});
