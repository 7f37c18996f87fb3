import { TenantScope } from '../../src/access/tenant-scope';
import { PatchEvent, PatchState, SourceDevice, Tenant } from '../../src/entities';
import { PatchHistorySource } from '../../src/reports/patch-history-source';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';

describe(`migrations on ${ENGINE}`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(() => db.drop());

  /** Undoes the migration whose name starts with `name` and every one after it: the database as it was before it. */
  const undoFrom = async (name: string) => {
    const migration = db.dataSource.migrations.findIndex((m) => m.name!.startsWith(name));
    expect(migration).toBeGreaterThan(0);
    for (let i = db.dataSource.migrations.length; i > migration; i--) await db.dataSource.undoLastMigration();
  };
  const quote = (c: string) => db.dataSource.driver.escape(c);
  /** A row written as SQL: the entities describe the schema after the migrations, not before one. */
  const insertRow = (table: string, row: Record<string, unknown>) => {
    const columns = Object.keys(row);
    return db.dataSource.query(`INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, Object.values(row));
  };

  it('build exactly the schema the entities describe (no drift between entities and migrations)', async () => {
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('leave nothing pending, and applying them again is a no-op', async () => {
    expect(await db.dataSource.showMigrations()).toBe(false);
    expect(await db.dataSource.runMigrations()).toEqual([]);
  });

  it('can be reverted to an empty database and applied again', async () => {
    const count = db.dataSource.migrations.length;
    for (let i = 0; i < count; i++) await db.dataSource.undoLastMigration();
    const tables = await db.dataSource.createQueryRunner().getTables(['tenant', 'asset']);
    expect(tables).toEqual([]);
    expect((await db.dataSource.runMigrations()).length).toBe(count);
  });

  it('DeviceFacts keeps devices stored before it, as current devices without the new facts', async () => {
    await undoFrom('DeviceFacts');
    const at = '2026-11-02 10:00:00.000';
    await insertRow('tenant', { id: '00000000-0000-4000-8000-0000000000a1', name: 'Before DeviceFacts', createdAt: at, updatedAt: at });
    await insertRow('connector_instance', {
      id: '00000000-0000-4000-8000-0000000000a2', tenantId: '00000000-0000-4000-8000-0000000000a1', kind: 'file-import', name: 'old',
      config: '{}', secretsCiphertext: null, syncIntervalSeconds: null, enabled: true, cursors: null, createdAt: at, updatedAt: at,
    });
    await insertRow('source_device', {
      id: '00000000-0000-4000-8000-0000000000a3', tenantId: '00000000-0000-4000-8000-0000000000a1', connectorInstanceId: '00000000-0000-4000-8000-0000000000a2',
      assetId: null, externalId: 'dev-1', hostname: 'OLD-PC', macAddresses: '[]', stale: false, firstSeenAt: at, lastSeenAt: at,
    });
    await db.dataSource.runMigrations();
    const device = await db.dataSource.getRepository(SourceDevice).findOneByOrFail({ externalId: 'dev-1' });
    expect(device).toMatchObject({
      hostname: 'OLD-PC', inactive: false, manufacturer: null, model: null, ownership: null, attributes: null, postureStatus: null, vendorSiteId: null, revision: null,
    });
  });

  it('EffectiveEvidence marks the effective state of states stored before it: a re-imaged laptop\'s inactive record decides nothing', async () => {
    await undoFrom('EffectiveEvidence');
    const at = '2026-11-02 10:00:00.000';
    const id = (n: number) => `00000000-0000-4000-8000-0000000001${String(n).padStart(2, '0')}`;
    await insertRow('tenant', { id: id(1), name: 'Before EffectiveEvidence', createdAt: at, updatedAt: at });
    await insertRow('connector_instance', {
      id: id(2), tenantId: id(1), kind: 'intune', name: 'old', config: '{}', secretsCiphertext: null, syncIntervalSeconds: null, enabled: true, cursors: null, createdAt: at, updatedAt: at,
    });
    await insertRow('asset', { id: id(3), tenantId: id(1), hostname: 'CAT-LT-101', status: 'ACTIVE', lastSeenAt: at, createdAt: at, updatedAt: at });
    await insertRow('software_update', {
      id: id(4), catalogKey: 'microsoft:KB5075941', kb: 'KB5080001', title: '2026-02 Cumulative Update for Windows 11 Version 23H2', vendor: 'Microsoft',
      products: '[]', classification: 'SECURITY', severity: 'IMPORTANT', releasedAt: '2026-02-10 08:00:00.000', supersedes: '[]', createdAt: at, updatedAt: at,
    });
    const device = (n: number, externalId: string, inactive: boolean, lastCheckInAt: string) =>
      insertRow('source_device', {
        id: id(n), tenantId: id(1), connectorInstanceId: id(2), assetId: id(3), externalId, hostname: 'CAT-LT-101', macAddresses: '[]', stale: false, inactive,
        lastCheckInAt, firstSeenAt: at, lastSeenAt: at,
      });
    await device(5, 'old-enrolment', true, '2026-09-12 08:00:00.000');
    await device(6, 'new-enrolment', false, '2026-11-01 08:00:00.000');
    const state = (n: number, sourceDeviceId: string, value: string) =>
      insertRow('patch_state', { id: id(n), tenantId: id(1), assetId: id(3), sourceDeviceId, updateId: id(4), state: value, evidence: 'DERIVED', changedAt: at, observedAt: at });
    await state(7, id(5), 'MISSING');
    await state(8, id(6), 'INSTALLED');
    await db.dataSource.runMigrations();
    const rows = await db.dataSource.getRepository(PatchState).find({ where: { assetId: id(3) }, order: { id: 'ASC' } });
    expect(rows.map((r) => [r.state, r.effective])).toEqual([['MISSING', false], ['INSTALLED', true]]);
  });

  it('PatchEventEvidence carries events over with their state\'s evidence, keeps them append-only, and replaces two patch_state indexes by one', async () => {
    await undoFrom('PatchEventEvidence');
    const at = '2026-11-02 10:00:00.000';
    const id = (n: number) => `00000000-0000-4000-8000-0000000002${String(n).padStart(2, '0')}`;
    await insertRow('tenant', { id: id(1), name: 'Before PatchEventEvidence', createdAt: at, updatedAt: at });
    await insertRow('connector_instance', {
      id: id(2), tenantId: id(1), kind: 'wsus', name: 'old', config: '{}', secretsCiphertext: null, syncIntervalSeconds: null, enabled: true, cursors: null, createdAt: at, updatedAt: at,
    });
    await insertRow('asset', { id: id(3), tenantId: id(1), hostname: 'CAT-PC-001', status: 'ACTIVE', lastSeenAt: at, createdAt: at, updatedAt: at });
    const update = (n: number, kb: string) => insertRow('software_update', {
      id: id(n), catalogKey: `microsoft:${kb}`, kb, title: `${kb} Cumulative Update`, vendor: 'Microsoft', products: '[]', classification: 'SECURITY', severity: 'IMPORTANT',
      releasedAt: '2026-10-14 08:00:00.000', supersedes: '[]', createdAt: at, updatedAt: at,
    });
    await update(4, 'KB5080001');
    await update(5, 'KB5080002');
    await update(6, 'KB5080003');
    await insertRow('source_device', {
      id: id(7), tenantId: id(1), connectorInstanceId: id(2), assetId: id(3), externalId: 'computer-1', hostname: 'CAT-PC-001', macAddresses: '[]', stale: false, inactive: false,
      firstSeenAt: at, lastSeenAt: at,
    });
    // A state reported per update, one derived from the build, and (for the third update) none left: its event stays.
    await insertRow('patch_state', { id: id(8), tenantId: id(1), assetId: id(3), sourceDeviceId: id(7), updateId: id(4), state: 'INSTALLED', evidence: 'REPORTED', effective: true, changedAt: at, observedAt: at });
    await insertRow('patch_state', { id: id(9), tenantId: id(1), assetId: id(3), sourceDeviceId: id(7), updateId: id(5), state: 'MISSING', evidence: 'DERIVED', effective: true, changedAt: at, observedAt: at });
    const event = (n: number, updateId: string, fromState: string | null, toState: string, observedAt: string) => ({
      id: id(n), tenantId: id(1), assetId: id(3), sourceDeviceId: id(7), updateId, syncRunId: null, fromState, toState, reportedAt: null, observedAt,
    });
    const before = [
      event(10, id(4), null, 'MISSING', '2026-10-20 09:00:00.000'),
      event(11, id(4), 'MISSING', 'INSTALLED', '2026-10-27 09:00:00.000'),
      event(12, id(5), null, 'MISSING', '2026-10-20 09:00:00.000'),
      event(13, id(6), null, 'MISSING', '2026-10-20 09:00:00.000'),
    ];
    for (const e of before) await insertRow('patch_event', e);

    await db.dataSource.runMigrations();
    const events = await db.dataSource.getRepository(PatchEvent).find({ where: { tenantId: id(1) }, order: { id: 'ASC' } });
    expect(events.map(({ id: eventId, updateId, fromState, toState, observedAt, evidence }) => [eventId, updateId, fromState, toState, observedAt.toISOString(), evidence])).toEqual([
      [id(10), id(4), null, 'MISSING', '2026-10-20T09:00:00.000Z', 'REPORTED'],
      [id(11), id(4), 'MISSING', 'INSTALLED', '2026-10-27T09:00:00.000Z', 'REPORTED'],
      [id(12), id(5), null, 'MISSING', '2026-10-20T09:00:00.000Z', 'DERIVED'],
      [id(13), id(6), null, 'MISSING', '2026-10-20T09:00:00.000Z', 'DERIVED'],
    ]);
    await expect(db.dataSource.query(`UPDATE ${quote('patch_event')} SET ${quote('evidence')} = 'DERIVED' WHERE id = ?`, [id(10)])).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(db.dataSource.query(`DELETE FROM ${quote('patch_event')} WHERE id = ?`, [id(10)])).rejects.toThrow(/append-only: DELETE refused/);

    // The patch history report reads the carried-over events, and their evidence, without patch_state.
    const source = await PatchHistorySource.open(db.dataSource, TenantScope.only([id(1)]), {
      tenantIds: [id(1)], from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z'), knownAt: new Date('2026-11-02T12:00:00Z'),
      siteIds: null, assetIds: null, kbs: null, cveIds: null, severities: null, transitions: null, policy: null,
    }, null);
    const rows = [];
    for await (const { row } of source.rows()) rows.push([row.kb, row.transition, row.hostname, row.evidence]);
    expect(rows).toEqual([
      ['KB5080001', 'FIRST_SEEN_MISSING', 'CAT-PC-001', 'REPORTED'],
      ['KB5080002', 'FIRST_SEEN_MISSING', 'CAT-PC-001', 'DERIVED'],
      ['KB5080003', 'FIRST_SEEN_MISSING', 'CAT-PC-001', 'DERIVED'],
      ['KB5080001', 'INSTALLED', 'CAT-PC-001', 'REPORTED'],
    ]);

    // The states stay, and a tenant's page by changedAt (the default patchStates order) reads them.
    const page = await db.dataSource.query(
      `SELECT id, ${quote('evidence')} FROM ${quote('patch_state')} WHERE ${quote('tenantId')} = ? ORDER BY ${quote('changedAt')} DESC, id DESC LIMIT 51`, [id(1)],
    );
    expect(page).toEqual([{ id: id(9), evidence: 'DERIVED' }, { id: id(8), evidence: 'REPORTED' }]);
    // PatchStateEventSummary, after it, summarised each state's events: the installed one's last event is the install,
    // it was first open at the first; the missing one has only its first sighting.
    const summary = await db.dataSource.getRepository(PatchState).find({ where: { tenantId: id(1) }, order: { id: 'ASC' } });
    expect(summary.map((s) => [s.id, s.lastEventAt?.toISOString(), s.firstOpenAt?.toISOString(), s.maxEventAt?.toISOString()])).toEqual([
      [id(8), '2026-10-27T09:00:00.000Z', '2026-10-20T09:00:00.000Z', '2026-10-27T09:00:00.000Z'],
      [id(9), '2026-10-20T09:00:00.000Z', '2026-10-20T09:00:00.000Z', '2026-10-20T09:00:00.000Z'],
    ]);
    const indexes = (await db.dataSource.createQueryRunner().getTable('patch_state'))!.indices.map((i) => i.name).sort();
    expect(indexes).toEqual(['ix_patch_state_asset_state', 'ix_patch_state_tenant_changed', 'ix_patch_state_tenant_event', 'ix_patch_state_update', 'uq_patch_state_source_update']);
  });

  it('UpdateReleaseDateSource marks shared entries as dated by Microsoft and tenants\' own as dated by their source', async () => {
    await undoFrom('UpdateReleaseDateSource');
    const at = '2026-11-02 10:00:00.000';
    const id = (n: number) => `00000000-0000-4000-8000-0000000003${String(n).padStart(2, '0')}`;
    const update = (n: number, owner: string) => {
      const row: Record<string, unknown> = {
        id: id(n), catalogKey: `test:release-${n}`, owner, kb: null, title: `Update ${n}`, vendor: 'Contoso', products: '[]', classification: 'UPDATE', severity: 'LOW',
        releasedAt: '2026-10-14 08:00:00.000', supersedes: '[]', createdAt: at, updatedAt: at,
      };
      return insertRow('software_update', row);
    };
    await update(1, 'shared');
    await update(2, id(9));
    await db.dataSource.runMigrations();
    const rows: Array<{ id: string; releasedAtSource: string }> = await db.dataSource.query(
      `SELECT id, ${quote('releasedAtSource')} FROM ${quote('software_update')} WHERE id IN (?, ?) ORDER BY id`, [id(1), id(2)],
    );
    expect(rows.map((r) => [r.id, r.releasedAtSource])).toEqual([[id(1), 'MICROSOFT'], [id(2), 'SOURCE']]);
  });

  it('PatchEventTenantCovering carries events over into a tenant index the CSV export\'s statement reads alone', async () => {
    await undoFrom('PatchEventTenantCovering');
    const at = '2026-11-02 10:00:00.000';
    const id = (n: number) => `00000000-0000-4000-8000-0000000004${String(n).padStart(2, '0')}`;
    await insertRow('tenant', { id: id(1), name: 'Before PatchEventTenantCovering', createdAt: at, updatedAt: at });
    await insertRow('tenant', { id: id(2), name: 'Its neighbour', createdAt: at, updatedAt: at });
    const event = (n: number, tenantId: string, observedAt: string, reportedAt: string | null) => insertRow('patch_event', {
      id: id(n), tenantId, assetId: id(20), sourceDeviceId: id(21), updateId: id(22), syncRunId: null, fromState: null, toState: 'MISSING', evidence: 'REPORTED', reportedAt, observedAt,
    });
    await event(10, id(1), '2026-10-20 09:00:00.000', '2026-10-20 08:00:00.000');
    await event(11, id(2), '2026-10-20 09:00:00.000', null);
    await event(12, id(1), '2026-10-21 09:00:00.000', null);
    const columns = 'id, tenantId, reportedAt, observedAt, evidence'.split(', ').map(quote).join(', ');
    const before = await db.dataSource.query(`SELECT ${columns} FROM ${quote('patch_event')} ORDER BY id`);
    await db.dataSource.runMigrations();
    expect(await db.dataSource.query(`SELECT ${columns} FROM ${quote('patch_event')} ORDER BY id`)).toEqual(before);

    // The statement the CSV export streams (taken from streamedSlices), planned over the index alone.
    const source = await PatchHistorySource.open(db.dataSource, TenantScope.only([id(1)]), {
      tenantIds: null, from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z'), knownAt: new Date('2026-11-02T12:00:00Z'),
      siteIds: null, assetIds: null, kbs: null, cveIds: null, severities: null, transitions: null, policy: null,
    }, null);
    const statements: Array<{ sql: string; params: unknown[] }> = [];
    const stream = {
      slices: (sql: string, params: unknown[]) => {
        statements.push({ sql, params });
        return (async function* () {})();
      },
      release: () => undefined,
    };
    for await (const slice of source.streamedSlices(stream)) void slice;
    expect(statements).toHaveLength(1);
    const [{ sql, params }] = statements;
    if (db.engine === 'sqlite') {
      const plan: Array<{ detail: string }> = await db.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
      expect(plan.map((p) => p.detail).join(' | ')).toMatch(/USING COVERING INDEX ix_patch_event_tenant_observed/);
    } else {
      const plan: Array<{ key: string; Extra: string }> = await db.dataSource.query(`EXPLAIN ${sql}`, params);
      expect(plan.map((p) => [p.key, /Using index(;|$)/.test(p.Extra)])).toEqual([['ix_patch_event_tenant_observed', true]]);
    }
    expect((await db.dataSource.query(sql, params)).map((r: { id: string }) => r.id)).toEqual([id(10), id(12)]);
  });

  it('store timestamps in UTC with millisecond precision', async () => {
    const at = new Date('2026-03-29T01:30:45.987Z'); // inside a DST change in Europe: a local-time bug would show
    await db.dataSource.getRepository(Tenant).insert({ id: '00000000-0000-4000-8000-000000000001', name: 'Clockwork', createdAt: at, updatedAt: at });
    const back = await db.dataSource.getRepository(Tenant).findOneByOrFail({ name: 'Clockwork' });
    expect(back.createdAt.toISOString()).toBe('2026-03-29T01:30:45.987Z');
  });
});
