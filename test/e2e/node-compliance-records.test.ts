/** node(id:) reaches compliance records within the caller's tenants, like every other Node, and never an API key. */
import { Role } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

describe(`node(id:) for compliance records on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  const ids: Record<string, string> = {};
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    db = await openTestDatabase();
    const f = new Factory(db.dataSource);
    const acme = await f.tenant('Acme Ltd');
    const globex = await f.tenant('Globex Corp');
    server = await startTestServer(db);
    const data = async (query: string, variables?: Record<string, unknown>) => {
      const res = await server.gql(query, variables);
      expect(res.body.errors).toBeUndefined();
      return res.body.data;
    };
    const acmeId = toGlobalId('Tenant', acme.id);
    ids.exception = (await data(`mutation($t: ID!) { createRiskException(input: { tenantId: $t, cveId: "CVE-2024-38178", owner: "IT lead",
      reason: "Vendor fix pending", expiresAt: "2026-12-01T00:00:00Z" }) { id } }`, { t: acmeId })).createRiskException.id;
    ids.assignment = (await data('mutation($t: ID!) { assignPolicy(input: { policyKey: "cisa-bod-22-01", tenantId: $t }) { id } }', { t: acmeId })).assignPolicy.id;
    ids.advisory = (await data(`mutation { createAdvisory(input: { authority: "NCSC", reference: "NCSC-2026-001", title: "Patch now",
      noticeAt: "2026-11-01T00:00:00Z", cveIds: ["CVE-2024-38178"], kbs: [] }) { id } }`)).createAdvisory.id;
    ids.apiKey = (await data('{ apiKeys { id } }')).apiKeys[0].id;
    keys.acme = await server.keyFor(Role.AUDITOR, [acme.id]);
    keys.globex = await server.keyFor(Role.AUDITOR, [globex.id]);
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  const node = (id: string, key: string) => server.gql('query($id: ID!) { node(id: $id) { __typename id } }', { id }, key);

  it('answers a tenant\'s exception and assignment to that tenant\'s principals, NOT_FOUND to others', async () => {
    for (const [what, type] of [['exception', 'RiskException'], ['assignment', 'PolicyAssignment']]) {
      expect((await node(ids[what], keys.acme)).body.data.node).toEqual({ __typename: type, id: ids[what] });
      expect((await node(ids[what], keys.globex)).body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }
  });

  it('answers an advisory, which every tenant shares, to anyone', async () => {
    expect((await node(ids.advisory, keys.globex)).body.data.node).toEqual({ __typename: 'Advisory', id: ids.advisory });
  });

  it('refuses API key ids even to an admin: reading keys is Query.apiKeys, MSP_ADMIN only', async () => {
    expect((await node(ids.apiKey, server.adminKey)).body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
