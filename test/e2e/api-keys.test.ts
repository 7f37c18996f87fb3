/**
 * API keys managed over GraphQL, on a real server and database: what each key can reach, what listings show and
 * never show, rotation and revocation taking effect on the next request, expiry at the clock's instant, the
 * escalation guard, the audit trail, and authentication that does not write (lastUsedAt and failure counts are
 * written by the key-usage recorder's flush).
 */
import { createRequire } from 'node:module';
import { createConnection } from 'mysql2/promise';
import { createApiKey, hashApiKey } from '../../src/auth/api-keys';
import { auditHash, GLOBAL_CHAIN } from '../../src/audit/audit-log';
import { createDataSource } from '../../src/db/data-source';
import { ApiKey, AuditEvent, Tenant } from '../../src/entities';
import { Role } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { fixedClock } from '../../src/util/clock';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

const NOW = '2026-11-02T10:00:00.000Z';
const KEY_FIELDS = 'id name prefix role allTenants tenants { name } createdAt createdBy lastUsedAt expiresAt revokedAt rotatedAt status';
const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { ${KEY_FIELDS} } } }`;
const ROTATE = `mutation($id: ID!) { rotateApiKey(id: $id) { key apiKey { ${KEY_FIELDS} } } }`;
const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { ${KEY_FIELDS} } }`;
const LIST = `query($all: Boolean) { apiKeys(includeRevoked: $all) { ${KEY_FIELDS} } }`;
const WHO = '{ viewer { name role allTenants } tenants { nodes { name } } }';

describe(`API key management on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  const clock = fixedClock(NOW);
  let contoso: Tenant;
  let fabrikam: Tenant;
  let northwind: Tenant;
  const issued: string[] = [];
  const gid = (t: Tenant) => toGlobalId('Tenant', t.id);
  const keyOfGlobal = (id: string) => Buffer.from(id, 'base64url').toString().split(':')[1];

  async function create(input: Record<string, unknown>, as?: string) {
    const res = await server.gql(CREATE, { input }, as);
    if (res.body.data?.createApiKey) issued.push(res.body.data.createApiKey.key);
    return res;
  }
  const globalEvents = () => db.dataSource.getRepository(AuditEvent).find({ where: { chainKey: GLOBAL_CHAIN }, order: { seq: 'ASC' } });

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db, {}, { clock });
    const f = new Factory(db.dataSource);
    contoso = await f.tenant('Contoso');
    fabrikam = await f.tenant('Fabrikam');
    northwind = await f.tenant('Northwind');
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('creates a key of each role with its tenants and expiry, and each key reaches exactly its tenants', async () => {
    const expiresAt = '2026-11-09T10:00:00.000Z';
    for (const role of Object.values(Role)) {
      const res = await create({ name: `portal ${role}`, role, tenantIds: [gid(contoso), gid(northwind)], expiresAt });
      expect(res.body.errors).toBeUndefined();
      const { key, apiKey } = res.body.data!.createApiKey;
      expect(key).toMatch(/^pgk_[A-Za-z0-9_-]{43}$/);
      expect(apiKey).toMatchObject({
        name: `portal ${role}`, role, allTenants: false, tenants: [{ name: 'Contoso' }, { name: 'Northwind' }], prefix: key.slice(0, 12),
        createdAt: NOW, expiresAt, lastUsedAt: null, revokedAt: null, rotatedAt: null, status: 'ACTIVE',
        createdBy: expect.stringMatching(/^api-key:test-admin \([0-9a-f-]{36}\)$/),
      });
      const who = await server.gql(WHO, undefined, key);
      expect(who.body.errors).toBeUndefined();
      expect(who.body.data).toEqual({ viewer: { name: `portal ${role}`, role, allTenants: false }, tenants: { nodes: [{ name: 'Contoso' }, { name: 'Northwind' }] } });
      // Fabrikam is not among its tenants: reached by id, it does not exist.
      const other = await server.gql('query($id: ID!) { tenant(id: $id) { name } }', { id: gid(fabrikam) }, key);
      expect(other.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }

    const all = await create({ name: 'automation', role: 'TECHNICIAN', allTenants: true });
    expect(all.body.data!.createApiKey.apiKey).toMatchObject({ allTenants: true, tenants: [], expiresAt: null });
    const everyTenant = await server.gql(WHO, undefined, all.body.data!.createApiKey.key);
    expect(everyTenant.body.data!.tenants.nodes.map((t: { name: string }) => t.name)).toEqual(['Contoso', 'Fabrikam', 'Northwind']);
  });

  it('lists name, prefix, role, tenants, created, last used and expiry, never a key or its hash', async () => {
    const res = await server.gql(LIST);
    expect(res.body.errors).toBeUndefined();
    const keys = res.body.data!.apiKeys;
    expect(keys.map((k: { name: string }) => k.name)).toEqual(expect.arrayContaining(['test-admin', 'portal AUDITOR', 'automation']));
    const auditor = keys.find((k: { name: string }) => k.name === 'portal AUDITOR');
    // Used once (by the test above), at the fixed clock's time: the server's unwritten use is shown.
    expect(auditor).toMatchObject({ role: 'AUDITOR', tenants: [{ name: 'Contoso' }, { name: 'Northwind' }], createdAt: NOW, lastUsedAt: NOW, expiresAt: '2026-11-09T10:00:00.000Z' });
    expect(auditor.id).toBe(toGlobalId('ApiKey', keyOfGlobal(auditor.id)));

    const text = JSON.stringify(res.body);
    const rows = await db.dataSource.getRepository(ApiKey).find();
    for (const key of [server.adminKey, ...issued]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(key.slice(12));
      expect(text).not.toContain(hashApiKey(key));
    }
    for (const row of rows) expect(text).not.toContain(row.secretHash);
    const hashField = await server.gql('{ apiKeys { secretHash } }');
    expect(hashField.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    // Keys are not reachable through node(id:), which every role may use.
    const node = await server.gql('query($id: ID!) { node(id: $id) { id } }', { id: auditor.id });
    expect(node.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('rotates a key: same id and record, the old key refused on the next request, the new one accepted', async () => {
    const created = (await create({ name: 'rotating', role: 'CLIENT_ADMIN', tenantIds: [gid(fabrikam)] })).body.data!.createApiKey;
    expect((await server.gql(WHO, undefined, created.key)).status).toBe(200);
    clock.advance(1_000);
    const rotated = await server.gql(ROTATE, { id: created.apiKey.id });
    expect(rotated.body.errors).toBeUndefined();
    const { key, apiKey } = rotated.body.data!.rotateApiKey;
    expect(key).not.toBe(created.key);
    expect(apiKey).toMatchObject({
      id: created.apiKey.id, name: 'rotating', role: 'CLIENT_ADMIN', tenants: [{ name: 'Fabrikam' }], createdAt: NOW,
      rotatedAt: '2026-11-02T10:00:01.000Z', prefix: key.slice(0, 12), status: 'ACTIVE',
    });
    const old = await server.gql(WHO, undefined, created.key);
    expect(old.status).toBe(401);
    expect(old.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const fresh = await server.gql(WHO, undefined, key);
    expect(fresh.body.data!.tenants.nodes).toEqual([{ name: 'Fabrikam' }]);
    clock.set(NOW);
  });

  it('revokes a key at once, idempotently; a revoked key cannot be rotated and is listed only when asked', async () => {
    const created = (await create({ name: 'to revoke', role: 'AUDITOR', tenantIds: [gid(contoso)] })).body.data!.createApiKey;
    expect((await server.gql(WHO, undefined, created.key)).status).toBe(200);
    const revoked = await server.gql(REVOKE, { id: created.apiKey.id });
    expect(revoked.body.data!.revokeApiKey).toMatchObject({ id: created.apiKey.id, revokedAt: NOW, status: 'REVOKED' });
    const refused = await server.gql(WHO, undefined, created.key);
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]).toMatchObject({ message: 'The API key is unknown or revoked', extensions: { code: 'UNAUTHENTICATED' } });

    clock.advance(5_000);
    const again = await server.gql(REVOKE, { id: created.apiKey.id });
    expect(again.body.data!.revokeApiKey.revokedAt).toBe(NOW);
    const rotate = await server.gql(ROTATE, { id: created.apiKey.id });
    expect(rotate.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
    expect((await server.gql(WHO, undefined, created.key)).status).toBe(401);
    clock.set(NOW);

    const active = (await server.gql(LIST)).body.data!.apiKeys.map((k: { id: string }) => k.id);
    expect(active).not.toContain(created.apiKey.id);
    const all = (await server.gql(LIST, { all: true })).body.data!.apiKeys;
    expect(all.find((k: { id: string }) => k.id === created.apiKey.id)).toMatchObject({ status: 'REVOKED' });
    const revokedEvents = (await globalEvents()).filter((e) => e.action === 'apiKey.revoked' && e.targetId === keyOfGlobal(created.apiKey.id));
    expect(revokedEvents).toHaveLength(1);
  });

  it('refuses an expired key from the instant the clock reaches expiresAt', async () => {
    const expiresAt = '2026-11-02T10:10:00.000Z';
    const created = (await create({ name: 'short-lived', role: 'TECHNICIAN', tenantIds: [gid(contoso)], expiresAt })).body.data!.createApiKey;
    clock.set(new Date(Date.parse(expiresAt) - 1));
    expect((await server.gql(WHO, undefined, created.key)).body.data!.viewer.name).toBe('short-lived');
    clock.set(expiresAt);
    const refused = await server.gql(WHO, undefined, created.key);
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]).toMatchObject({ message: 'The API key has expired', extensions: { code: 'UNAUTHENTICATED' } });
    const listed = (await server.gql(LIST)).body.data!.apiKeys.find((k: { id: string }) => k.id === created.apiKey.id);
    expect(listed).toMatchObject({ status: 'EXPIRED', expiresAt });
    const rotate = await server.gql(ROTATE, { id: created.apiKey.id });
    expect(rotate.body.errors?.[0].extensions?.code).toBe('CONFLICT');
    clock.set(NOW);
    const past = await create({ name: 'already over', role: 'AUDITOR', tenantIds: [gid(contoso)], expiresAt: NOW });
    expect(past.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.expiresAt' });
  });

  it('refuses bad input with BAD_USER_INPUT naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'neither', role: 'AUDITOR' }, 'input.tenantIds'],
      [{ name: 'both', role: 'AUDITOR', allTenants: true, tenantIds: [gid(contoso)] }, 'input.tenantIds'],
      [{ name: 'a\u202Eb', role: 'AUDITOR', tenantIds: [gid(contoso)] }, 'input.name'],
      [{ name: 'wrong id type', role: 'AUDITOR', tenantIds: [toGlobalId('Site', newId())] }, 'input.tenantIds[0]'],
    ];
    for (const [input, field] of cases) {
      const res = await create(input);
      expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const wrongType = await server.gql(REVOKE, { id: gid(contoso) });
    expect(wrongType.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  it('lets a caller issue and manage keys only within its own tenants', async () => {
    // An MSP_ADMIN key limited to Contoso: the matrix lets it manage keys, its scope limits which.
    const { key: limited, record: limitedRecord } = await createApiKey(db.dataSource, clock, { name: 'contoso admin', role: Role.MSP_ADMIN, allTenants: false, tenantIds: [contoso.id] });
    const outside = await create({ name: 'reach', role: 'AUDITOR', tenantIds: [gid(contoso), gid(fabrikam)] }, limited);
    const missing = await create({ name: 'reach', role: 'AUDITOR', tenantIds: [toGlobalId('Tenant', newId())] }, limited);
    for (const res of [outside, missing]) expect(res.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(outside.body.errors![0].message).toBe(`Tenant "${gid(fabrikam)}" was not found`);
    const everything = await create({ name: 'reach', role: 'AUDITOR', allTenants: true }, limited);
    expect(everything.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const own = await create({ name: 'contoso reader', role: 'AUDITOR', tenantIds: [gid(contoso)] }, limited);
    expect(own.body.data!.createApiKey.apiKey).toMatchObject({ tenants: [{ name: 'Contoso' }], createdBy: `api-key:contoso admin (${limitedRecord.id})` });

    const listed = (await server.gql(LIST, { all: true }, limited)).body.data!.apiKeys;
    expect(listed.length).toBeGreaterThan(1);
    for (const k of listed) {
      expect(k.allTenants).toBe(false);
      expect(k.tenants).toEqual([{ name: 'Contoso' }]);
    }
    const everyKey = (await server.gql(LIST, { all: true })).body.data!.apiKeys;
    const admin = everyKey.find((k: { name: string }) => k.name === 'test-admin');
    const fabrikamKey = everyKey.find((k: { name: string }) => k.name === 'rotating');
    const mixed = everyKey.find((k: { name: string }) => k.name === 'portal AUDITOR');
    for (const target of [admin, fabrikamKey, mixed]) {
      for (const mutation of [ROTATE, REVOKE]) {
        const res = await server.gql(mutation, { id: target.id }, limited);
        expect(res.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      }
    }
    expect((await server.gql(WHO)).status).toBe(200);

    // Roles other than MSP_ADMIN do not manage keys at all, whatever their tenants (the permission matrix).
    const technician = await createApiKey(db.dataSource, clock, { name: 'tech', role: Role.TECHNICIAN, allTenants: true, tenantIds: [] });
    const refused = await create({ name: 'escalate', role: 'MSP_ADMIN', allTenants: true }, technician.key);
    expect(refused.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await server.gql(LIST, {}, technician.key)).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    // A caller may revoke its own key (the fastest way to cut off a leaked one); it is refused from then on.
    const self = await server.gql(REVOKE, { id: toGlobalId('ApiKey', limitedRecord.id) }, limited);
    expect(self.body.data!.revokeApiKey.status).toBe('REVOKED');
    expect((await server.gql(WHO, undefined, limited)).status).toBe(401);
  });

  it('audits creations, rotations and revocations on the global chain, without key material', async () => {
    const events = await globalEvents();
    const keyEvents = events.filter((e) => e.action.startsWith('apiKey.') && e.action !== 'apiKey.usedAfterExpiry');
    expect(new Set(keyEvents.map((e) => e.action))).toEqual(new Set(['apiKey.created', 'apiKey.rotated', 'apiKey.revoked']));
    for (const e of keyEvents) {
      expect(e.tenantId).toBeNull();
      expect(e.targetType).toBe('ApiKey');
      expect(Object.keys(JSON.parse(e.data)).sort()).toEqual(['allTenants', 'expiresAt', 'keyId', 'name', 'role', 'tenantIds']);
    }
    const rotated = keyEvents.find((e) => e.action === 'apiKey.rotated')!;
    expect(JSON.parse(rotated.data)).toEqual({ keyId: rotated.targetId, name: 'rotating', role: 'CLIENT_ADMIN', allTenants: false, tenantIds: [fabrikam.id], expiresAt: null });
    expect(rotated.actor).toMatch(/^api-key:test-admin \(/);
    events.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.prevHash).toBe(i === 0 ? '0'.repeat(64) : events[i - 1].hash);
      expect(e.hash).toBe(auditHash(e));
    });
    const text = JSON.stringify(await db.dataSource.getRepository(AuditEvent).find());
    for (const key of issued) {
      expect(text).not.toContain(key.slice(4));
      expect(text).not.toContain(hashApiKey(key));
    }
  });

  it('writes nothing when a key authenticates; the flush writes lastUsedAt, never backwards', async () => {
    await server.app.keyUsage.flush();
    const { key, record } = await createApiKey(db.dataSource, clock, { name: 'quiet', role: Role.AUDITOR, allTenants: false, tenantIds: [contoso.id] });
    clock.set('2026-11-02T11:00:00.000Z');
    db.counter.reset();
    for (let i = 0; i < 5; i++) expect((await server.gql(WHO, undefined, key)).status).toBe(200);
    const writes = db.counter.statements.filter((s) => /^\s*(UPDATE|INSERT|DELETE|REPLACE)\b/i.test(s));
    expect(writes).toEqual([]);
    const repo = db.dataSource.getRepository(ApiKey);
    expect((await repo.findOneByOrFail({ id: record.id })).lastUsedAt).toBeNull();
    const listed = (await server.gql(LIST)).body.data!.apiKeys.find((k: { name: string }) => k.name === 'quiet');
    expect(listed.lastUsedAt).toBe('2026-11-02T11:00:00.000Z');

    await server.app.keyUsage.flush();
    expect((await repo.findOneByOrFail({ id: record.id })).lastUsedAt?.toISOString()).toBe('2026-11-02T11:00:00.000Z');

    // Another server wrote a later use; this one's older use must not move it back.
    await repo.update({ id: record.id }, { lastUsedAt: new Date('2026-11-02T12:00:00.000Z') });
    clock.set('2026-11-02T11:30:00.000Z');
    await server.gql(WHO, undefined, key);
    expect((await server.gql(LIST)).body.data!.apiKeys.find((k: { name: string }) => k.name === 'quiet').lastUsedAt).toBe('2026-11-02T12:00:00.000Z');
    await server.app.keyUsage.flush();
    expect((await repo.findOneByOrFail({ id: record.id })).lastUsedAt?.toISOString()).toBe('2026-11-02T12:00:00.000Z');
    clock.set(NOW);
  });

  it('counts refused authentications and writes one auth.failures event per flush, without the tokens', async () => {
    await server.app.keyUsage.flush();
    const before = (await globalEvents()).length;
    const expired = await createApiKey(db.dataSource, clock, { name: 'lapsed', role: Role.AUDITOR, allTenants: false, tenantIds: [contoso.id], expiresAt: new Date(NOW) });
    const revoked = await createApiKey(db.dataSource, clock, { name: 'gone', role: Role.AUDITOR, allTenants: false, tenantIds: [contoso.id] });
    await db.dataSource.getRepository(ApiKey).update({ id: revoked.record.id }, { revokedAt: new Date(NOW) });
    const guessed = 'pgk_this_key_was_never_issued_0000000000000';
    const post = (authorization?: string) =>
      fetch(`${server.app.url}/graphql`, {
        method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify({ query: '{ viewer { name } }' }),
      });
    for (let i = 0; i < 3; i++) expect((await post(`Bearer ${guessed}`)).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await post(`Bearer ${expired.key}`)).status).toBe(401);
    expect((await post(`Bearer ${revoked.key}`)).status).toBe(401);
    expect((await post(`Basic ${Buffer.from('a:b').toString('base64')}`)).status).toBe(401);
    expect((await post()).status).toBe(401);
    clock.set('2026-11-02T10:01:00.000Z');
    await server.app.keyUsage.flush();

    const added = (await globalEvents()).slice(before);
    expect(added.map((e) => e.action).sort()).toEqual(['apiKey.usedAfterExpiry', 'auth.failures']);
    const failures = added.find((e) => e.action === 'auth.failures')!;
    expect(failures).toMatchObject({ actor: 'patchgraph', tenantId: null, targetId: null });
    const data = JSON.parse(failures.data);
    expect(data.counts).toEqual({ badHeader: 1, expiredKey: 2, missingHeader: 1, revokedKey: 1, unknownKey: 3 });
    expect(data.to).toBe('2026-11-02T10:01:00.000Z');
    expect(Date.parse(data.from)).toBeLessThanOrEqual(Date.parse(data.to));
    const afterExpiry = added.find((e) => e.action === 'apiKey.usedAfterExpiry')!;
    expect(afterExpiry.targetId).toBe(expired.record.id);
    expect(JSON.parse(afterExpiry.data)).toMatchObject({ keyId: expired.record.id, name: 'lapsed', attempts: 2 });
    const text = added.map((e) => e.data).join('');
    for (const token of [guessed, expired.key, revoked.key]) expect(text).not.toContain(token.slice(4, 20));

    // Nothing refused since: the next flush writes no event.
    await server.app.keyUsage.flush();
    expect((await globalEvents()).length).toBe(before + 2);
    clock.set(NOW);
  });

  it('answers authenticated requests while another connection holds the write lock (a second server on the same database)', async () => {
    const dataSource = await createDataSource(db.config);
    await dataSource.initialize();
    const second = await startTestServer({ ...db, dataSource }, {}, { clock });
    const { key, record } = await createApiKey(db.dataSource, clock, { name: 'busy hours', role: Role.AUDITOR, allTenants: false, tenantIds: [contoso.id] });
    const holder = await holdWriteLock(db, record.id);
    try {
      const started = Date.now();
      const answers = await Promise.all([second.gql(WHO, undefined, key), second.gql(WHO, undefined, key), server.gql(WHO, undefined, key)]);
      for (const res of answers) {
        expect(res.status).toBe(200);
        expect(res.body.data!.viewer.name).toBe('busy hours');
      }
      // The busy timeout (SQLite) or lock wait (InnoDB) would have held a write for seconds.
      expect(Date.now() - started).toBeLessThan(2_000);
      if (ENGINE === 'sqlite') {
        // The flush meets the lock, keeps the value for the next one, and does not throw.
        await second.app.keyUsage.flush();
        expect(second.app.keyUsage.pendingLastUse(record.id)?.toISOString()).toBe(NOW);
      }
    } finally {
      await holder.release();
    }
    // Stopping writes what is left, before the database closes.
    await second.stop();
    expect((await db.dataSource.getRepository(ApiKey).findOneByOrFail({ id: record.id })).lastUsedAt?.toISOString()).toBe(NOW);
  }, 30_000);
});

/** Another connection holding a write transaction: SQLite's BEGIN IMMEDIATE, or a row lock on the key on MariaDB. */
async function holdWriteLock(db: TestDatabase, keyId: string): Promise<{ release(): Promise<void> }> {
  if (db.config.engine === 'sqlite') {
    const Database = createRequire(__filename)('better-sqlite3');
    const conn = new Database(db.config.path);
    conn.exec('BEGIN IMMEDIATE');
    conn.prepare('UPDATE api_key SET name = name WHERE id = ?').run(keyId);
    return {
      release: async () => {
        conn.exec('ROLLBACK');
        conn.close();
      },
    };
  }
  const conn = await createConnection({ host: db.config.host, port: db.config.port, user: db.config.username, password: db.config.password, database: db.config.database });
  await conn.query('START TRANSACTION');
  await conn.query('UPDATE api_key SET name = name WHERE id = ?', [keyId]);
  return {
    release: async () => {
      await conn.query('ROLLBACK');
      await conn.end();
    },
  };
}
