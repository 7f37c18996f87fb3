import { ApiKey } from '../../src/entities';
import { Role } from '../../src/entities/enums';
import { authenticateApiKey, createApiKey, hashApiKey, KeyRefusedError, principalOf } from '../../src/auth/api-keys';
import { Principal } from '../../src/auth/principal';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';

/**
 * A request's key is read by a statement kept as text, on every request: it must resolve to the principal the
 * stored record gives (as the repository reads it), and a revocation or expiry holds from the very next request.
 */
describe(`the API key look-up on ${ENGINE}`, () => {
  let db: TestDatabase;
  const clock = fixedClock('2026-11-02T10:00:00.000Z');
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(() => db.drop());

  const comparable = (p: Principal) => ({ ...p, scope: { all: p.scope.all, tenants: p.scope.allowedIds() } });
  const refusal = (key: string) => authenticateApiKey(db.dataSource, clock, key).then(() => 'accepted', (err: unknown) => (err instanceof KeyRefusedError ? err.reason : err));

  it('resolves each key to the principal of its stored record', async () => {
    const f = new Factory(db.dataSource);
    const tenants = [await f.tenant(), await f.tenant()];
    const specs = [
      { name: 'msp', role: Role.MSP_ADMIN, allTenants: true, tenantIds: [] },
      { name: 'two tenants', role: Role.AUDITOR, allTenants: false, tenantIds: tenants.map((t) => t.id) },
      { name: 'expires later', role: Role.AUDITOR, allTenants: false, tenantIds: [tenants[1].id], expiresAt: new Date('2027-01-01T00:00:00.000Z') },
    ];
    for (const spec of specs) {
      const { key } = await createApiKey(db.dataSource, clock, spec);
      const stored = await db.dataSource.getRepository(ApiKey).findOneByOrFail({ secretHash: hashApiKey(key) });
      const principal = await authenticateApiKey(db.dataSource, clock, key);
      expect(comparable(principal)).toEqual(comparable(principalOf(stored)));
    }
    expect(await refusal('pgk_no_such_key')).toBe('unknownKey');
  });

  it('refuses a key revoked or expired since its last use, on the next request', async () => {
    const { key, record } = await createApiKey(db.dataSource, clock, { name: 'leaked', role: Role.MSP_ADMIN, allTenants: true, tenantIds: [] });
    expect(await refusal(key)).toBe('accepted');
    await db.dataSource.getRepository(ApiKey).update({ id: record.id }, { revokedAt: clock.now() });
    expect(await refusal(key)).toBe('revokedKey');

    const other = await createApiKey(db.dataSource, clock, { name: 'short-lived', role: Role.MSP_ADMIN, allTenants: true, tenantIds: [] });
    expect(await refusal(other.key)).toBe('accepted');
    await db.dataSource.getRepository(ApiKey).update({ id: other.record.id }, { expiresAt: clock.now() });
    expect(await refusal(other.key)).toBe('expiredKey');
  });
});
