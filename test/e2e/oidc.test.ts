import { JWTPayload } from 'jose';
import { Tenant } from '../../src/entities';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { API_CLIENT_ID, oidcEnv, SigningKey, TestIdentityProvider } from '../helpers/oidc-provider';
import { startTestServer, TestServer } from '../helpers/server';

const NOW = new Date('2026-11-02T10:00:00.000Z');
const at = (secondsFromNow: number) => Math.floor(NOW.getTime() / 1000) + secondsFromNow;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const GROUP_TECHNICIANS = '0b6f2c1e-7a3d-4e8f-9b1a-2c3d4e5f6a7b';
const WHO = '{ viewer { name role allTenants } tenants { totalCount nodes { name } } sites { nodes { name } } }';

/**
 * Entra ID v2 access tokens against a real server over HTTP, the keys served by a local identity provider on
 * 127.0.0.1: a valid token shows its mapped role and only its mapped tenants' data; each forged, stale or unmapped
 * token is a 401 UNAUTHENTICATED saying what was wrong, with the token in neither the answer nor the server's logs.
 */
describe(`OIDC bearer tokens on ${ENGINE}`, () => {
  let db: TestDatabase;
  let idp: TestIdentityProvider;
  let deadIdp: TestIdentityProvider;
  let key: SigningKey;
  let server: TestServer;
  let groupsServer: TestServer;
  let deadIdpServer: TestServer;
  let contoso: Tenant;
  let fabrikam: Tenant;

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    contoso = await f.tenant('Contoso Ltd');
    fabrikam = await f.tenant('Fabrikam Inc');
    await f.site(contoso, 'Contoso HQ');
    await f.site(fabrikam, 'Fabrikam Plant');
    idp = await TestIdentityProvider.start();
    key = await idp.newKey();
    // The README's example map: app roles, one for the MSP's admins on every tenant, one for a client's auditor by name.
    server = await startTestServer(db, oidcEnv(idp, {
      'patchgraph.admin': { role: 'MSP_ADMIN', tenants: '*' },
      'Contoso.Auditor': { role: 'AUDITOR', tenants: ['Contoso Ltd'] },
    }, { PATCHGRAPH_OIDC_JWKS_COOLDOWN_SECONDS: '1', PATCHGRAPH_OIDC_JWKS_CACHE_SECONDS: '2' }));
    groupsServer = await startTestServer(db, oidcEnv(idp, [{ value: GROUP_TECHNICIANS, role: 'TECHNICIAN', tenants: [toGlobalId('Tenant', fabrikam.id)] }], { PATCHGRAPH_OIDC_ROLE_CLAIM: 'groups' }));
    deadIdp = await TestIdentityProvider.start();
    deadIdpServer = await startTestServer(db, oidcEnv(deadIdp, { 'patchgraph.admin': { role: 'MSP_ADMIN', tenants: '*' } }));
  }, 60_000);

  afterAll(async () => {
    for (const s of [server, groupsServer, deadIdpServer]) await s?.stop();
    await idp?.stop();
    await db?.drop();
  });

  const token = (extra: JWTPayload = {}, signer: SigningKey = key) => idp.sign(idp.claims(NOW, extra), signer);

  /** The request is refused as unauthenticated with `message`, and the token shows up nowhere. */
  async function expectRefused(target: TestServer, bearer: string, message: string | RegExp) {
    const res = await target.gql(WHO, undefined, bearer);
    const answer = JSON.stringify(res.body);
    const logs = JSON.stringify(target.logs);
    const signature = bearer.split('.')[2];
    expect({
      status: res.status, code: res.body.errors?.[0]?.extensions?.code, data: res.body.data ?? null, message: res.body.errors?.[0]?.message,
      tokenInAnswer: answer.includes(bearer) || (signature !== '' && answer.includes(signature)),
      tokenInLogs: logs.includes(bearer) || (signature !== '' && logs.includes(signature)),
    }).toEqual({ status: 401, code: 'UNAUTHENTICATED', data: null, message: typeof message === 'string' ? message : expect.stringMatching(message), tokenInAnswer: false, tokenInLogs: false });
  }

  it('gives a token with the admin app role MSP_ADMIN on every tenant, named by its user', async () => {
    const res = await server.gql(WHO, undefined, await token({ roles: ['patchgraph.admin'] }));
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: { data: {
        viewer: { name: 'alice@contoso-msp.example', role: 'MSP_ADMIN', allTenants: true },
        tenants: { totalCount: 2, nodes: [{ name: 'Contoso Ltd' }, { name: 'Fabrikam Inc' }] },
        sites: { nodes: [{ name: 'Contoso HQ' }, { name: 'Fabrikam Plant' }] },
      } },
    });
  });

  it('limits a token with a client\'s role to that client\'s data; another tenant\'s id is NOT_FOUND', async () => {
    const bearer = await token({ roles: ['Contoso.Auditor'], preferred_username: 'auditor@contoso.example' });
    const res = await server.gql(WHO, undefined, bearer);
    expect(res.body).toEqual({ data: {
      viewer: { name: 'auditor@contoso.example', role: 'AUDITOR', allTenants: false },
      tenants: { totalCount: 1, nodes: [{ name: 'Contoso Ltd' }] },
      sites: { nodes: [{ name: 'Contoso HQ' }] },
    } });
    const other = await server.gql('query($id: ID!) { tenant(id: $id) { name } }', { id: toGlobalId('Tenant', fabrikam.id) }, bearer);
    expect(other.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  });

  it('when both roles are held, the first in the map decides: MSP_ADMIN on all, not a mix', async () => {
    const res = await server.gql(WHO, undefined, await token({ roles: ['Contoso.Auditor', 'patchgraph.admin'] }));
    expect(res.body.data?.viewer).toEqual({ name: 'alice@contoso-msp.example', role: 'MSP_ADMIN', allTenants: true });
  });

  it('maps Entra group object ids by the groups claim, tenants given by the id the API shows', async () => {
    const res = await groupsServer.gql(WHO, undefined, await token({ groups: ['9d8c7b6a-0000-4000-8000-000000000001', GROUP_TECHNICIANS] }));
    expect(res.body.data).toEqual({
      viewer: { name: 'alice@contoso-msp.example', role: 'TECHNICIAN', allTenants: false },
      tenants: { totalCount: 1, nodes: [{ name: 'Fabrikam Inc' }] },
      sites: { nodes: [{ name: 'Fabrikam Plant' }] },
    });
  });

  it('keeps accepting API keys beside tokens', async () => {
    const res = await server.gql('{ viewer { name role } }');
    expect(res.body.data?.viewer).toEqual({ name: 'test-admin', role: 'MSP_ADMIN' });
  });

  it('accepts a token expired by less than the 60 s clock skew', async () => {
    const res = await server.gql(WHO, undefined, await token({ roles: ['patchgraph.admin'], iat: at(-3600), nbf: at(-3600), exp: at(-59) }));
    expect(res.body.data?.viewer.role).toBe('MSP_ADMIN');
  });

  const refused: Array<[string, () => Promise<string>, string | RegExp]> = [
    ['expired beyond the skew', () => token({ roles: ['patchgraph.admin'], iat: at(-3600), nbf: at(-3600), exp: at(-61) }),
      'The token has expired at 2026-11-02T09:58:59.000Z (60 s of clock skew allowed)'],
    ['for another audience', () => token({ roles: ['patchgraph.admin'], aud: 'https://graph.microsoft.com' }),
      'The token is for another audience (aud): it was not issued for this API'],
    ['from another issuer', () => token({ roles: ['patchgraph.admin'], iss: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0' }),
      'The token is from another issuer (iss) than the configured identity provider'],
    ['unsigned (alg none)', async () => TestIdentityProvider.unsigned(idp.claims(NOW, { roles: ['patchgraph.admin'] }), key.kid),
      "The token's signing algorithm (alg) is not allowed; allowed: RS256"],
    ['HS256 signed with the provider\'s public key', () => idp.signHs256WithPublicKey(idp.claims(NOW, { roles: ['patchgraph.admin'] }), key),
      "The token's signing algorithm (alg) is not allowed; allowed: RS256"],
    ['signed by a key the provider does not publish (unknown kid)', async () => token({ roles: ['patchgraph.admin'] }, await idp.newKey({ publish: false })),
      "The token's signing key (kid) is not one the identity provider publishes"],
    ['with a payload changed after signing', async () => {
      const [header, , signature] = (await token({ roles: ['Contoso.Auditor'] })).split('.');
      return `${header}.${Buffer.from(JSON.stringify(idp.claims(NOW, { roles: ['patchgraph.admin'] }))).toString('base64url')}.${signature}`;
    }, "The token's signature is invalid"],
    ['with a changed signature', async () => {
      const [header, payload, signature] = (await token({ roles: ['patchgraph.admin'] })).split('.');
      const i = Math.floor(signature.length / 2);
      return `${header}.${payload}.${signature.slice(0, i)}${signature[i] === 'A' ? 'B' : 'A'}${signature.slice(i + 1)}`;
    }, "The token's signature is invalid"],
    ['whose roles map to no patchgraph role', () => token({ roles: ['Reader', 'patchgraph.Admin'] }),
      "No patchgraph role is mapped to this token's roles (PATCHGRAPH_OIDC_ROLE_MAP)"],
    ['without roles at all', () => token(),
      "No patchgraph role is mapped to this token's roles (PATCHGRAPH_OIDC_ROLE_MAP)"],
  ];
  it.each(refused)('refuses a token %s: 401 UNAUTHENTICATED saying so, the token nowhere', async (_name, make, message) => {
    await expectRefused(server, await make(), message);
  });

  it('refuses groups the provider could not fit in the token (Entra overage), telling the operator to use app roles', async () => {
    const bearer = await token({ _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: `https://graph.microsoft.com/v1.0/users/${API_CLIENT_ID}/getMemberObjects` } } });
    await expectRefused(groupsServer, bearer, 'The token has too many groups for Entra ID to list them in it (groups overage), so no role can be read from "groups"; the operator should map Entra app roles instead (PATCHGRAPH_OIDC_ROLE_CLAIM=roles)');
    await expectRefused(groupsServer, await token({ groups: ['9d8c7b6a-0000-4000-8000-000000000001'] }), "No patchgraph role is mapped to this token's groups (PATCHGRAPH_OIDC_ROLE_MAP)");
  });

  it('answers 401, not 500, while the identity provider is down, logging why, and recovers when it is back', async () => {
    await deadIdp.stop();
    const bearer = await deadIdp.sign(deadIdp.claims(NOW, { roles: ['patchgraph.admin'] }), await deadIdp.newKey());
    await expectRefused(deadIdpServer, bearer, "The identity provider's signing keys could not be fetched, so the token cannot be checked; try again later");
    expect(deadIdpServer.logs.filter((l) => l.level === 50).map((l) => [l.msg, l.reason])).toEqual([
      ["OIDC: the identity provider's signing keys could not be fetched", 'fetch failed: ECONNREFUSED'],
    ]);

    // The main server has the keys cached: once the cache is older than PATCHGRAPH_OIDC_JWKS_CACHE_SECONDS it must refetch.
    const valid = await token({ roles: ['patchgraph.admin'] });
    expect((await server.gql(WHO, undefined, valid)).status).toBe(200);
    idp.failing = true;
    try {
      await sleep(2_100);
      await expectRefused(server, valid, "The identity provider's signing keys could not be fetched, so the token cannot be checked; try again later");
      expect(server.logs.filter((l) => l.level === 50).at(-1)).toMatchObject({ reason: 'Expected 200 OK from the JSON Web Key Set HTTP response' });
    } finally {
      idp.failing = false;
    }
    expect((await server.gql(WHO, undefined, valid)).body.data?.viewer.role).toBe('MSP_ADMIN');
  });

  it('follows key rotation: a newly published key is fetched for its kid, a removed one stops working once the cache expires', async () => {
    const next = await idp.newKey({ publish: false });
    const oldToken = await token({ roles: ['patchgraph.admin'] });
    const newToken = await token({ roles: ['patchgraph.admin'] }, next);
    expect((await server.gql(WHO, undefined, oldToken)).status).toBe(200);
    await expectRefused(server, newToken, "The token's signing key (kid) is not one the identity provider publishes");

    idp.publish(next);
    await sleep(1_100); // PATCHGRAPH_OIDC_JWKS_COOLDOWN_SECONDS since the last fetch
    const fetches = idp.hits.jwks;
    expect((await server.gql(WHO, undefined, newToken)).body.data?.viewer.role).toBe('MSP_ADMIN');
    expect(idp.hits.jwks).toBe(fetches + 1);

    idp.unpublish(key);
    await sleep(2_100); // PATCHGRAPH_OIDC_JWKS_CACHE_SECONDS
    await expectRefused(server, oldToken, "The token's signing key (kid) is not one the identity provider publishes");
    expect((await server.gql(WHO, undefined, newToken)).body.data?.viewer.role).toBe('MSP_ADMIN');
  });
});
