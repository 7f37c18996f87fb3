import { Writable } from 'node:stream';
import { OidcVerifier } from '../../src/auth/oidc';
import { OidcConfig } from '../../src/config/oidc-config';
import { Tenant } from '../../src/entities';
import { Role } from '../../src/entities/enums';
import { UnauthenticatedError } from '../../src/errors';
import { createLogger } from '../../src/server/logger';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { API_CLIENT_ID, PORTAL_CLIENT_ID, SigningKey, TestIdentityProvider } from '../helpers/oidc-provider';

const NOW = new Date('2026-11-02T10:00:00.000Z');
const at = (secondsFromNow: number) => Math.floor(NOW.getTime() / 1000) + secondsFromNow;

describe(`OidcVerifier against a local identity provider on ${ENGINE}`, () => {
  let db: TestDatabase;
  let idp: TestIdentityProvider;
  let key: SigningKey;
  let contoso: Tenant;
  let fabrikam: Tenant;
  const clock = fixedClock(NOW);
  const logs: Array<Record<string, any>> = [];
  const logger = createLogger({ logLevel: 'info' }, new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  }));

  function config(overrides: Partial<OidcConfig> = {}): OidcConfig {
    return {
      issuer: idp.issuer, audiences: [API_CLIENT_ID], algorithms: ['RS256'], clockSkewSeconds: 60, roleClaim: 'roles',
      roleMap: [
        { value: 'patchgraph.admin', role: Role.MSP_ADMIN, tenants: '*' },
        { value: 'Contoso.Technician', role: Role.TECHNICIAN, tenants: ['contoso ltd'] },
        { value: 'Fabrikam.Technician', role: Role.TECHNICIAN, tenants: [] },
        { value: 'Ghost.Auditor', role: Role.AUDITOR, tenants: ['Ghost Corp'] },
      ],
      jwksCacheSeconds: 600, jwksCooldownSeconds: 30,
      ...overrides,
    };
  }
  const verifier = (overrides: Partial<OidcConfig> = {}) => new OidcVerifier(config(overrides), { dataSource: db.dataSource, clock, logger });

  async function refusal(promise: Promise<unknown>): Promise<string> {
    const err = await promise.then(() => null, (e: unknown) => e);
    if (!(err instanceof UnauthenticatedError)) throw new Error(`expected UNAUTHENTICATED, got ${err instanceof Error ? err.stack : String(err)}`);
    return err.message;
  }

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    contoso = await f.tenant('Contoso Ltd');
    fabrikam = await f.tenant('Fabrikam Inc');
    idp = await TestIdentityProvider.start();
    key = await idp.newKey();
  });
  afterAll(async () => {
    await idp.stop();
    await db.drop();
  });
  beforeEach(() => clock.set(NOW));

  it('fetches nothing until the first token, then discovers the key set once', async () => {
    const before = { ...idp.hits };
    const v = verifier();
    expect(idp.hits).toEqual(before);
    await v.verify(await idp.sign(idp.claims(NOW, { roles: ['patchgraph.admin'] }), key));
    await v.verify(await idp.sign(idp.claims(NOW, { roles: ['patchgraph.admin'] }), key));
    expect(idp.hits).toEqual({ discovery: before.discovery + 1, jwks: before.jwks + 1 });
  });

  it('makes a principal from an Entra v2 user token: tid/oid, preferred_username, the mapped role and tenants', async () => {
    const claims = idp.claims(NOW, { roles: ['Contoso.Technician'] });
    const principal = await verifier().verify(await idp.sign(claims, key));
    expect({ ...principal, scope: undefined }).toEqual({
      kind: 'oidc', id: `${idp.tenantId}/${claims.oid}`, name: 'alice@contoso-msp.example', role: Role.TECHNICIAN, scope: undefined,
      label: `oidc:alice@contoso-msp.example (${idp.tenantId}/${claims.oid})`,
    });
    expect([principal.scope.all, principal.scope.allows(contoso.id), principal.scope.allows(fabrikam.id)]).toEqual([false, true, false]);
  });

  it('names an app-only token by its application (azp, or appid in v1), and falls back to iss/sub without tid/oid', async () => {
    const appOnly = idp.claims(NOW, { roles: ['patchgraph.admin'], preferred_username: undefined, name: undefined, scp: undefined });
    expect((await verifier().verify(await idp.sign(appOnly, key))).name).toBe(PORTAL_CLIENT_ID);
    const v1 = idp.claims(NOW, { roles: ['patchgraph.admin'], preferred_username: undefined, name: undefined, azp: undefined, appid: 'v1-app-id', ver: '1.0' });
    expect((await verifier().verify(await idp.sign(v1, key))).name).toBe('v1-app-id');
    const bare = idp.claims(NOW, { roles: ['patchgraph.admin'], tid: undefined, oid: undefined, sub: 'subject-1' });
    expect((await verifier().verify(await idp.sign(bare, key))).id).toBe(`${idp.issuer}/subject-1`);
  });

  it('reads the groups claim when configured, with group object ids as values', async () => {
    const group = '0b6f2c1e-7a3d-4e8f-9b1a-2c3d4e5f6a7b';
    const v = verifier({ roleClaim: 'groups', roleMap: [{ value: group, role: Role.AUDITOR, tenants: [fabrikam.id] }] });
    const principal = await v.verify(await idp.sign(idp.claims(NOW, { groups: ['11111111-2222-3333-4444-555555555555', group] }), key));
    expect([principal.role, principal.scope.allows(fabrikam.id), principal.scope.allows(contoso.id)]).toEqual([Role.AUDITOR, true, false]);
  });

  it('accepts a token expired by less than the clock skew and refuses one expired by more, by the Clock', async () => {
    const token = await idp.sign(idp.claims(NOW, { roles: ['patchgraph.admin'], iat: at(-3600), nbf: at(-3600), exp: at(0) }), key);
    clock.set(new Date(NOW.getTime() + 59_000));
    await expect(verifier().verify(token)).resolves.toMatchObject({ role: Role.MSP_ADMIN });
    clock.set(new Date(NOW.getTime() + 61_000));
    expect(await refusal(verifier().verify(token))).toBe('The token has expired at 2026-11-02T10:00:00.000Z (60 s of clock skew allowed)');
    expect(await refusal(verifier({ clockSkewSeconds: 0 }).verify(await idp.sign(idp.claims(NOW, { roles: ['patchgraph.admin'], exp: at(-1) }), key))))
      .toMatch(/^The token has expired/);
  });

  it('refuses a token not valid yet beyond the skew', async () => {
    const early = await idp.sign(idp.claims(NOW, { roles: ['patchgraph.admin'], nbf: at(120) }), key);
    expect(await refusal(verifier().verify(early))).toBe('The token is not valid yet (nbf is in the future by more than the 60 s of clock skew allowed)');
    await expect(verifier({ clockSkewSeconds: 180 }).verify(early)).resolves.toMatchObject({ kind: 'oidc' });
  });

  it.each([
    ['exp', 'The token lacks the required "exp" claim'],
    ['aud', 'The token lacks the required "aud" claim'],
    ['iss', 'The token lacks the required "iss" claim'],
  ])('refuses a token without %s', async (claim, message) => {
    const claims = idp.claims(NOW, { roles: ['patchgraph.admin'] });
    delete claims[claim];
    expect(await refusal(verifier().verify(await idp.sign(claims, key)))).toBe(message);
  });

  it('refuses a token naming neither oid nor sub', async () => {
    const claims = idp.claims(NOW, { roles: ['patchgraph.admin'], oid: undefined, sub: undefined });
    expect(await refusal(verifier().verify(await idp.sign(claims, key)))).toBe('The token has neither an "oid" nor a "sub" claim, so it names no user or application');
  });

  it('accepts any configured audience, and only those', async () => {
    const token = await idp.sign(idp.claims(NOW, { roles: ['patchgraph.admin'], aud: 'api://patchgraph' }), key);
    expect(await refusal(verifier().verify(token))).toBe('The token is for another audience (aud): it was not issued for this API');
    await expect(verifier({ audiences: [API_CLIENT_ID, 'api://patchgraph'] }).verify(token)).resolves.toMatchObject({ kind: 'oidc' });
  });

  it('refuses algorithms outside the configured list even when the key set holds a matching key', async () => {
    const ec = await idp.newKey({ alg: 'ES256' });
    const token = await idp.sign(idp.claims(NOW, { roles: ['patchgraph.admin'] }), ec);
    expect(await refusal(verifier().verify(token))).toBe("The token's signing algorithm (alg) is not allowed; allowed: RS256");
    await expect(verifier({ algorithms: ['RS256', 'ES256'] }).verify(token)).resolves.toMatchObject({ kind: 'oidc' });
    idp.unpublish(ec);
  });

  it('refetches the key set for an unknown kid at most once per cooldown', async () => {
    const v = verifier({ jwksCooldownSeconds: 1 });
    await v.verify(await idp.sign(idp.claims(NOW, { roles: ['patchgraph.admin'] }), key));
    const stranger = await idp.newKey({ publish: false });
    const before = idp.hits.jwks;
    const forged = await idp.sign(idp.claims(NOW, { roles: ['patchgraph.admin'] }), stranger);
    for (let i = 0; i < 5; i += 1) expect(await refusal(v.verify(forged))).toBe("The token's signing key (kid) is not one the identity provider publishes");
    expect(idp.hits.jwks).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await refusal(v.verify(forged))).toMatch(/kid/);
    expect(idp.hits.jwks).toBe(before + 1);
  });

  it('refuses a token whose roles map to nothing, and Entra\'s groups overage with advice to use app roles', async () => {
    expect(await refusal(verifier().verify(await idp.sign(idp.claims(NOW, { roles: ['Readers'] }), key))))
      .toBe("No patchgraph role is mapped to this token's roles (PATCHGRAPH_OIDC_ROLE_MAP)");
    expect(await refusal(verifier().verify(await idp.sign(idp.claims(NOW), key)))).toMatch(/^No patchgraph role is mapped/);
    const groups = verifier({ roleClaim: 'groups' });
    const overage = idp.claims(NOW, { _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects' } } });
    expect(await refusal(groups.verify(await idp.sign(overage, key)))).toBe(
      'The token has too many groups for Entra ID to list them in it (groups overage), so no role can be read from "groups"; ' +
        'the operator should map Entra app roles instead (PATCHGRAPH_OIDC_ROLE_CLAIM=roles)',
    );
    expect(await refusal(groups.verify(await idp.sign(idp.claims(NOW, { hasgroups: true }), key)))).toMatch(/groups overage/);
  });

  it('grants nothing for a tenant name that resolves to nothing, and logs that once', async () => {
    const v = verifier();
    for (let i = 0; i < 3; i += 1) {
      const principal = await v.verify(await idp.sign(idp.claims(NOW, { roles: ['Ghost.Auditor'] }), key));
      expect([principal.role, principal.scope.all, principal.scope.allows(contoso.id), principal.scope.allows(fabrikam.id)]).toEqual([Role.AUDITOR, false, false, false]);
    }
    expect(logs.filter((l) => l.tenant === 'Ghost Corp').map((l) => [l.level, l.msg]))
      .toEqual([[40, 'PATCHGRAPH_OIDC_ROLE_MAP names a tenant that does not exist (renamed or removed?); it grants nothing']]);
  });

  it('refuses with UNAUTHENTICATED when discovery answers for another issuer, and logs why', async () => {
    const v = verifier({ issuer: `${idp.issuer}/` });
    const token = await idp.sign(idp.claims(NOW, { roles: ['patchgraph.admin'], iss: `${idp.issuer}/` }), key);
    expect(await refusal(v.verify(token))).toBe("The identity provider's signing keys could not be fetched, so the token cannot be checked; try again later");
    expect(logs.filter((l) => l.level === 50).at(-1)).toMatchObject({ msg: "OIDC: the identity provider's signing keys could not be fetched", reason: expect.stringContaining('is for issuer') });
    expect(logs.filter((l) => l.level === 50).at(-1)?.reason).toMatch(/not PATCHGRAPH_OIDC_ISSUER$/);
  });

  it('uses a configured JWKS URL without discovery, and refuses while the provider answers 503', async () => {
    const v = verifier({ jwksUrl: idp.jwksUrl });
    const before = idp.hits.discovery;
    await v.verify(await idp.sign(idp.claims(NOW, { roles: ['patchgraph.admin'] }), key));
    expect(idp.hits.discovery).toBe(before);
    idp.failing = true;
    try {
      const fresh = verifier({ jwksUrl: idp.jwksUrl });
      expect(await refusal(fresh.verify(await idp.sign(idp.claims(NOW, { roles: ['patchgraph.admin'] }), key)))).toMatch(/signing keys could not be fetched/);
      expect(logs.filter((l) => l.level === 50).at(-1)).toMatchObject({ reason: 'Expected 200 OK from the JSON Web Key Set HTTP response' });
    } finally {
      idp.failing = false;
    }
  });

  it('never writes a token to the log', async () => {
    const token = await idp.sign(idp.claims(NOW, { roles: ['nothing'] }), key);
    await refusal(verifier().verify(token));
    const text = JSON.stringify(logs);
    expect(logs.length).toBeGreaterThan(0);
    expect([text.includes(token), text.includes(token.split('.')[2])]).toEqual([false, false]);
  });
});
