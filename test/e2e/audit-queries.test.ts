/**
 * The auditor's queries over HTTP against the demo: auditEvents and patchEvents scoped to the caller's tenants (another
 * client's events never appear, however asked), filtered and keyset-paged; verifyAuditChain for a tenant and for the
 * MSP-wide chain, naming a tampered event by its global id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey } from '../../src/auth/api-keys';
import { DemoSimulators } from '../../src/demo/demo-simulations';
import { loadDemo } from '../../src/demo/load-demo';
import { AuditEvent, PatchEvent, SyncRun, Tenant } from '../../src/entities';
import { IsNull } from 'typeorm';
import { Role } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { plainSession, PlainSession } from '../helpers/plain-sql';
import { startTestServer, TestServer } from '../helpers/server';

const gid = (type: string, key: string) => toGlobalId(type, key);

describe(`auditEvents, patchEvents and verifyAuditChain on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let simulators: DemoSimulators | undefined;
  let dir: string;
  const t: Record<string, string> = {};
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-audit-queries-'));
    server = await startTestServer(db);
    simulators = (await loadDemo({ dataSource: db.dataSource, secrets: server.secrets, clock: server.clock, engine: server.sync, dataDir: dir })).simulators;
    for (const tenant of await db.dataSource.getRepository(Tenant).find()) t[tenant.name] = tenant.id;
    keys.auditor = await server.keyFor(Role.AUDITOR, [t['Northwind Dental']]);
    keys.clientAdmin = await server.keyFor(Role.CLIENT_ADMIN, [t['Northwind Dental']]);
    keys.mspAuditor = (await createApiKey(db.dataSource, server.clock, { name: 'msp auditor', role: Role.AUDITOR, allTenants: true, tenantIds: [] })).key;
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await simulators?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const northwind = () => t['Northwind Dental'];
  const ok = async (query: string, variables?: Record<string, unknown>, key?: string) => {
    const res = await server.gql(query, variables, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  };
  const codes = async (query: string, variables?: Record<string, unknown>, key?: string) =>
    (await server.gql(query, variables, key)).body.errors?.map((e) => [e.extensions?.code, e.extensions?.field ?? null]);

  const EVENTS = `query($f: AuditEventFilterInput, $first: Int, $after: String, $d: OrderDirection) {
    auditEvents(filter: $f, first: $first, after: $after, direction: $d) { totalCount pageInfo { hasNextPage endCursor }
      nodes { id seq action actor targetType targetId occurredAt tenant { name } } } }`;

  it("gives a client's auditor its own chain only, complete, and never another client's or the MSP-wide one", async () => {
    const stored = await db.dataSource.getRepository(AuditEvent).find({ where: { chainKey: northwind() }, order: { occurredAt: 'DESC' } });
    const { auditEvents } = await ok(EVENTS, { first: 500 }, keys.auditor);
    expect(auditEvents.totalCount).toBe(stored.length);
    expect(new Set(auditEvents.nodes.map((e: any) => e.id))).toEqual(new Set(stored.map((e) => gid('AuditEvent', e.id))));
    expect(auditEvents.nodes.every((e: any) => e.tenant.name === 'Northwind Dental')).toBe(true);
    // The Datto account is MSP-wide: the client sees its part of each run, not the run's id.
    const datto = (await db.dataSource.getRepository(SyncRun).findBy({ tenantId: IsNull() })).map((r) => r.id);
    expect(datto.length).toBeGreaterThan(0);
    expect(JSON.stringify(auditEvents)).not.toMatch(new RegExp(datto.join('|')));

    expect(await ok(EVENTS, { f: { mspWide: true } }, keys.auditor)).toEqual({ auditEvents: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } });
    expect(await codes(EVENTS, { f: { tenantIds: [gid('Tenant', t['Contoso Academy Trust'])] } }, keys.auditor)).toEqual([['NOT_FOUND', null]]);
    expect(await codes(EVENTS, {}, keys.clientAdmin)).toEqual([['FORBIDDEN', null]]);
  });

  it("keeps a connector's settings values from roles that may not read them, in the trail as on the instance", async () => {
    const CREATED = `query($f: AuditEventFilterInput) { auditEvents(filter: $f, first: 10) { nodes { action data } } }`;
    // Contoso's Intune instance has settings besides its secret (the Entra tenant and app ids, the Graph address).
    const contoso = t['Contoso Academy Trust'];
    const auditor = await server.keyFor(Role.AUDITOR, [contoso]);
    const f = { tenantIds: [gid('Tenant', contoso)], actions: ['connector.create'] };
    const stored = await db.dataSource.getRepository(AuditEvent).find({ where: { chainKey: contoso, action: 'connector.create' } });
    const storedSettings = stored.map((e) => JSON.parse(e.data).settings).filter((s) => s && Object.keys(s).length > 0);
    expect(storedSettings.length).toBeGreaterThan(0);
    // The MSP's own admin reads the trail as stored.
    const admin = (await ok(CREATED, { f })).auditEvents.nodes;
    expect(admin.map((e: any) => JSON.parse(e.data).settings)).toEqual(expect.arrayContaining(storedSettings));
    // The client's auditor sees the event, who made it and which settings were given, but not their values.
    const audited = (await ok(CREATED, { f }, auditor)).auditEvents.nodes;
    expect(audited).toHaveLength(admin.length);
    for (const event of audited) {
      const { settings, ...rest } = JSON.parse(event.data);
      const original = JSON.parse(admin.find((a: any) => JSON.parse(a.data).name === rest.name).data);
      expect(rest).toEqual((({ settings: _s, ...others }) => others)(original));
      expect(Object.keys(settings)).toEqual(Object.keys(original.settings));
      expect(Object.values(settings).every((v) => v === '[redacted: connector settings are operational detail]')).toBe(true);
    }
    // The chain still verifies: it covers the stored data, not what a role is shown.
    expect((await ok('query($t: ID!) { verifyAuditChain(tenantId: $t) { ok } }', { t: gid('Tenant', contoso) }, auditor)).verifyAuditChain.ok).toBe(true);
  });

  it('shows the MSP-wide chain to a principal that sees every tenant, and filters by action, actor, target and time', async () => {
    const global = (await ok(EVENTS, { f: { mspWide: true }, first: 500 })).auditEvents;
    expect(global.totalCount).toBe(await db.dataSource.getRepository(AuditEvent).countBy({ chainKey: 'global' }));
    expect(global.nodes.every((e: any) => e.tenant === null)).toBe(true);
    expect(global.nodes.map((e: any) => e.action)).toContain('sync.run');

    const runs = (await ok(EVENTS, { f: { actions: ['sync.run'], tenantIds: [gid('Tenant', northwind())] } }, keys.auditor)).auditEvents;
    expect(runs.totalCount).toBeGreaterThan(0);
    expect(runs.nodes.every((e: any) => e.action === 'sync.run')).toBe(true);

    const created = (await ok(EVENTS, { f: { targetType: 'Tenant', targetId: gid('Tenant', northwind()) } }, keys.auditor)).auditEvents;
    expect(created.nodes.map((e: any) => [e.action, e.targetId, e.actor])).toEqual([['tenant.create', northwind(), 'demo']]);
    expect((await ok(EVENTS, { f: { actorContains: 'DEMO', actions: ['tenant.create'] } }, keys.mspAuditor)).auditEvents.totalCount).toBe(3);

    const later = new Date(server.clock.now().getTime() + 1000).toISOString();
    expect((await ok(EVENTS, { f: { from: later } }, keys.auditor)).auditEvents.totalCount).toBe(0);
    expect(await codes(EVENTS, { f: { from: later, to: '2026-01-01T00:00:00Z' } }, keys.auditor)).toEqual([['BAD_USER_INPUT', 'filter.to']]);
  });

  it('pages with cursors, forwards in either direction, without skipping or repeating an event', async () => {
    const all = (await ok(EVENTS, { first: 500, d: 'ASC' }, keys.auditor)).auditEvents.nodes.map((e: any) => e.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await ok(EVENTS, { first: 3, after, d: 'ASC' }, keys.auditor)).auditEvents;
      seen.push(...page.nodes.map((e: any) => e.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
    const times = (await ok(EVENTS, { first: 500, d: 'ASC' }, keys.auditor)).auditEvents.nodes.map((e: any) => e.occurredAt);
    expect([...times].sort()).toEqual(times);
    const newest = (await ok(EVENTS, { first: 500 }, keys.auditor)).auditEvents.nodes.map((e: any) => e.occurredAt);
    expect([...newest].sort().reverse()).toEqual(newest);
  });

  const PATCH = `query($f: PatchEventFilterInput, $first: Int, $after: String) {
    patchEvents(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      nodes { id fromState toState reportedAt observedAt tenant { name } asset { hostname } source { connector { kind } } update { kb } syncRun { id trigger } } } }`;

  it("gives each client its own patch events only, filtered by asset, KB, transition and run", async () => {
    const stored = await db.dataSource.getRepository(PatchEvent).countBy({ tenantId: northwind() });
    const { patchEvents } = await ok(PATCH, { first: 1 }, keys.clientAdmin);
    expect(patchEvents.totalCount).toBe(stored);
    expect(patchEvents.nodes[0].tenant.name).toBe('Northwind Dental');

    const failed = (await ok(PATCH, { f: { toStates: ['FAILED'] }, first: 500 }, keys.auditor)).patchEvents;
    expect(failed.totalCount).toBe(await db.dataSource.getRepository(PatchEvent).countBy({ tenantId: northwind(), toState: 'FAILED' as never }));
    expect(failed.nodes.every((e: any) => e.toState === 'FAILED' && e.source.connector.kind === 'wsus')).toBe(true);

    const kb = (await ok(PATCH, { f: { kbs: ['kb5075912'], firstSeen: true }, first: 500 }, keys.auditor)).patchEvents;
    expect(kb.totalCount).toBeGreaterThan(0);
    expect(kb.nodes.every((e: any) => e.update.kb === 'KB5075912' && e.fromState === null)).toBe(true);

    const host = (await ok('{ assets(filter: { hostnameContains: "NWD-PC-003" }) { nodes { id } } }', {}, keys.auditor)).assets.nodes[0].id;
    const one = (await ok(PATCH, { f: { assetIds: [host] }, first: 500 }, keys.auditor)).patchEvents;
    expect(one.totalCount).toBeGreaterThan(0);
    expect(one.nodes.every((e: any) => e.asset.hostname === 'NWD-PC-003')).toBe(true);

    const wsusRun = (await db.dataSource.getRepository(SyncRun).findOneByOrFail({ tenantId: northwind() })).id;
    const byRun = (await ok(PATCH, { f: { syncRunIds: [gid('SyncRun', wsusRun)] } }, keys.auditor)).patchEvents;
    expect(byRun.totalCount).toBe(stored);
    expect(byRun.nodes[0].syncRun).toEqual({ id: gid('SyncRun', wsusRun), trigger: 'DEMO' });
  });

  it("answers another client's ids, an MSP-wide run and a foreign tenant as ids of nothing", async () => {
    const contoso = t['Contoso Academy Trust'];
    const [foreign] = await db.dataSource.getRepository(PatchEvent).find({ where: { tenantId: contoso }, take: 1 });
    const foreignRun = (await db.dataSource.getRepository(SyncRun).findOneByOrFail({ tenantId: contoso })).id;
    const [datto] = await db.dataSource.getRepository(SyncRun).findBy({ tenantId: IsNull() });
    const none = { patchEvents: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } };
    expect(await ok(PATCH, { f: { assetIds: [gid('Asset', foreign.assetId)] } }, keys.auditor)).toEqual(none);
    expect(await ok(PATCH, { f: { syncRunIds: [gid('SyncRun', foreignRun)] } }, keys.auditor)).toEqual(none);
    expect(await ok(PATCH, { f: { syncRunIds: [gid('SyncRun', datto.id)] } }, keys.auditor)).toEqual(none);
    expect(await ok(PATCH, { f: { syncRunIds: [gid('SyncRun', '00000000-0000-4000-8000-000000000000')] } }, keys.auditor)).toEqual(none);
    expect(await codes(PATCH, { f: { tenantIds: [gid('Tenant', contoso)] } }, keys.auditor)).toEqual([['NOT_FOUND', null]]);
    expect(await codes(PATCH, { f: { assetIds: [gid('Tenant', contoso)] } }, keys.auditor)).toEqual([['BAD_USER_INPUT', 'filter.assetIds[0]']]);
    // The MSP sees all three clients.
    expect((await ok(PATCH, {})).patchEvents.totalCount).toBe(await db.dataSource.getRepository(PatchEvent).count());
  });

  const VERIFY = `query($t: ID, $from: DateTimeISO, $to: DateTimeISO) { verifyAuditChain(tenantId: $t, from: $from, to: $to) {
    ok tenantId auditEventsChecked runsChecked eventsChecked unsealedEvents head { seq hash } pruned { throughSeq }
    firstBreak { reason seq auditEventId syncRunId eventType eventId message } breaks { reason } } }`;

  describe('verifyAuditChain', () => {
    let sql: PlainSession;
    beforeAll(async () => {
      sql = await plainSession(db);
    });
    afterAll(() => sql.close());

    it("verifies a client's chain for its auditor, and refuses another client's and the MSP-wide one", async () => {
      const head = await db.dataSource.query(`SELECT ${db.dataSource.driver.escape('seq')} AS seq, hash FROM audit_chain_head WHERE ${db.dataSource.driver.escape('chainKey')} = ?`, [northwind()]);
      const { verifyAuditChain } = await ok(VERIFY, { t: gid('Tenant', northwind()) }, keys.auditor);
      expect(verifyAuditChain).toMatchObject({
        ok: true, tenantId: gid('Tenant', northwind()), auditEventsChecked: Number(head[0].seq), unsealedEvents: 0, pruned: null,
        head: { seq: Number(head[0].seq), hash: head[0].hash }, firstBreak: null, breaks: [],
      });
      expect(verifyAuditChain.runsChecked).toBeGreaterThanOrEqual(2);
      expect(verifyAuditChain.eventsChecked).toBeGreaterThan(0);
      expect(await codes(VERIFY, { t: gid('Tenant', t['Contoso Academy Trust']) }, keys.auditor)).toEqual([['NOT_FOUND', null]]);
      expect(await codes(VERIFY, {}, keys.auditor)).toEqual([['FORBIDDEN', null]]);
      expect(await codes(VERIFY, {}, keys.mspAuditor)).toEqual([['FORBIDDEN', null]]);
      expect(await codes(VERIFY, { t: gid('Tenant', northwind()), from: '2026-12-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, keys.auditor)).toEqual([['BAD_USER_INPUT', 'to']]);
      expect((await ok(VERIFY, {})).verifyAuditChain).toMatchObject({ ok: true, tenantId: null, breaks: [] });
    });

    it('names a patch event edited in the database by its global id, with the run and the audit event that sealed it', async () => {
      const [target] = await db.dataSource.getRepository(PatchEvent).find({ where: { tenantId: northwind(), toState: 'MISSING' as never }, order: { id: 'ASC' }, take: 1 });
      const seal = (await db.dataSource.getRepository(AuditEvent).findBy({ chainKey: northwind(), action: 'sync.run', targetId: target.syncRunId! }))[0];
      const trigger = ENGINE === 'sqlite'
        ? (await sql.all(`SELECT sql FROM sqlite_master WHERE name = 'trg_patch_event_no_update'`))[0].sql
        : (await sql.all('SHOW CREATE TRIGGER `trg_patch_event_no_update`'))[0]['SQL Original Statement'];
      await sql.run('DROP TRIGGER "trg_patch_event_no_update"');
      try {
        await sql.run(`UPDATE "patch_event" SET "toState" = 'INSTALLED' WHERE id = ?`, [target.id]);
        const { verifyAuditChain } = await ok(VERIFY, { t: gid('Tenant', northwind()) }, keys.auditor);
        expect(verifyAuditChain).toMatchObject({
          ok: false,
          firstBreak: {
            reason: 'EVENT_ALTERED', seq: seal.seq, auditEventId: gid('AuditEvent', seal.id), syncRunId: gid('SyncRun', target.syncRunId!),
            eventType: 'PatchEvent', eventId: gid('PatchEvent', target.id), message: 'the patch event was changed after the run sealed it',
          },
          breaks: [{ reason: 'EVENT_ALTERED' }],
        });
        // The other clients' chains are not affected.
        expect((await ok(VERIFY, { t: gid('Tenant', t['Fabrikam Logistics']) })).verifyAuditChain.ok).toBe(true);
        await sql.run(`UPDATE "patch_event" SET "toState" = 'MISSING' WHERE id = ?`, [target.id]);
      } finally {
        await sql.run(trigger);
      }
      expect((await ok(VERIFY, { t: gid('Tenant', northwind()) }, keys.auditor)).verifyAuditChain.ok).toBe(true);
      await expect(sql.run(`UPDATE "patch_event" SET "toState" = 'INSTALLED' WHERE id = ?`, [target.id])).rejects.toThrow(/append-only/);
    });
  });
});
