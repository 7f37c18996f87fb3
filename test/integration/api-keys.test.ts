import { ApiKey, AuditEvent } from '../../src/entities';
import { ensureAdminKey, hashApiKey } from '../../src/auth/api-keys';
import { Authenticator } from '../../src/auth/authenticator';
import { UnauthenticatedError } from '../../src/errors';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';

describe(`API keys on ${ENGINE}`, () => {
  let db: TestDatabase;
  const clock = fixedClock('2026-11-02T10:00:00.000Z');
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(() => db.drop());

  it('creates an admin key on first start only, stores only its hash, and accepts it afterwards', async () => {
    const key = await ensureAdminKey(db.dataSource, clock);
    expect(key).toMatch(/^pgk_[A-Za-z0-9_-]{43}$/);
    expect(await ensureAdminKey(db.dataSource, clock)).toBeNull();

    const rows = await db.dataSource.getRepository(ApiKey).find();
    expect(rows).toHaveLength(1);
    expect(rows[0].secretHash).toBe(hashApiKey(key!));
    expect(JSON.stringify(rows)).not.toContain(key!.slice(12));

    const principal = await new Authenticator({ dataSource: db.dataSource, clock }).authenticate(`Bearer ${key}`);
    expect(principal).toMatchObject({ name: 'admin', role: 'MSP_ADMIN' });
    expect(principal.scope.all).toBe(true);
    expect(principal.label).not.toContain(key!.slice(12));
    // Recorded on the MSP-wide chain like any key, without the key.
    const events = await db.dataSource.getRepository(AuditEvent).findBy({ chainKey: 'global', action: 'apiKey.created' });
    expect(events.map((e) => [e.actor, e.targetId, JSON.parse(e.data).name])).toEqual([['patchgraph:first-start', rows[0].id, 'admin']]);
    expect(JSON.stringify(events)).not.toContain(key!.slice(12));
  });

  it('adds PATCHGRAPH_ADMIN_KEY once, even when other keys exist', async () => {
    const configured = 'pgk_configured_key_for_automation_0001';
    expect(await ensureAdminKey(db.dataSource, clock, configured)).toBeNull();
    expect(await ensureAdminKey(db.dataSource, clock, configured)).toBeNull();
    expect(await db.dataSource.getRepository(ApiKey).countBy({ secretHash: hashApiKey(configured) })).toBe(1);
    expect((await db.dataSource.getRepository(AuditEvent).find({ where: { chainKey: 'global', action: 'apiKey.created' }, order: { seq: 'ASC' } })).map((e) => e.actor))
      .toEqual(['patchgraph:first-start', 'patchgraph:PATCHGRAPH_ADMIN_KEY']);
    expect((await new Authenticator({ dataSource: db.dataSource, clock }).authenticate(`Bearer ${configured}`)).role).toBe('MSP_ADMIN');
  });

  it('refuses a revoked key', async () => {
    const configured = 'pgk_configured_key_for_automation_0001';
    await db.dataSource.getRepository(ApiKey).update({ secretHash: hashApiKey(configured) }, { revokedAt: clock.now() });
    await expect(new Authenticator({ dataSource: db.dataSource, clock }).authenticate(`Bearer ${configured}`)).rejects.toThrow(UnauthenticatedError);
  });
});
