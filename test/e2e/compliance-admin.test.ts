/**
 * Managing compliance over real HTTP on a real database: custom policies (validation naming the field, versions that
 * are never edited), policy assignments and their history (asOf), risk exceptions (scope checks, tenant isolation,
 * status at the server's clock, revocation), advisories, and the per-asset class and ESU settings; every change
 * leaves an audit event on the right chain, with the chain intact and no key material in it.
 */
import { createHash } from 'node:crypto';
import { auditHash, GLOBAL_CHAIN } from '../../src/audit/audit-log';
import { PRESETS } from '../../src/compliance/presets';
import { Asset, AuditEvent, Site, Tenant } from '../../src/entities';
import { Role } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { GraphQLResponse, startTestServer, TestServer } from '../helpers/server';

const CE = 'cyber-essentials-v3.3';
const DFE = 'dfe-cyber-standards';
const base = () => JSON.parse(JSON.stringify(PRESETS[CE])) as Record<string, any>;

function expectError(res: GraphQLResponse, code: string, field?: string): void {
  expect(res.body.errors).toHaveLength(1);
  const [error] = res.body.errors!;
  expect({ code: error.extensions?.code, field: error.extensions?.field }).toEqual({ code, field });
  expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |node_modules|stacktrace/);
}

describe(`compliance management on ${ENGINE}`, () => {
  const clock = fixedClock('2026-11-02T10:00:00.000Z');
  let db: TestDatabase;
  let server: TestServer;
  let f: Factory;
  let acme: Tenant;
  let globex: Tenant;
  let acmeHq: Site;
  let acmeDepot: Site;
  let globexSite: Site;
  let acmeServer: Asset;
  let acmeLaptop: Asset;
  let globexPc: Asset;
  const g: Record<string, string> = {};
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    db = await openTestDatabase();
    f = new Factory(db.dataSource);
    await f.catalog();
    acme = await f.tenant('Acme Ltd');
    globex = await f.tenant('Globex Corp');
    acmeHq = await f.site(acme, 'Acme HQ');
    acmeDepot = await f.site(acme, 'Acme Depot');
    globexSite = await f.site(globex, 'Globex HQ');
    [acmeServer, acmeLaptop, globexPc] = await f.insertAssets([
      f.asset(acme, { hostname: 'ACME-SRV-01', siteId: acmeHq.id, osName: 'Windows Server 2022 Standard' }),
      f.asset(acme, { hostname: 'ACME-LT-01', siteId: acmeHq.id, osName: 'Windows 11 Pro' }),
      f.asset(globex, { hostname: 'GLX-PC-01', siteId: globexSite.id, osName: 'Windows 10 Pro' }),
    ]);
    server = await startTestServer(db, {}, { clock });
    Object.assign(g, {
      acme: toGlobalId('Tenant', acme.id), globex: toGlobalId('Tenant', globex.id), acmeHq: toGlobalId('Site', acmeHq.id),
      acmeDepot: toGlobalId('Site', acmeDepot.id), globexSite: toGlobalId('Site', globexSite.id), acmeServer: toGlobalId('Asset', acmeServer.id),
      acmeLaptop: toGlobalId('Asset', acmeLaptop.id), globexPc: toGlobalId('Asset', globexPc.id),
      update: (await server.gql('{ updates(first: 1) { nodes { id } } }')).body.data.updates.nodes[0].id,
    });
    keys.clientAdmin = await server.keyFor(Role.CLIENT_ADMIN, [acme.id]);
    keys.technician = await server.keyFor(Role.TECHNICIAN, [acme.id]);
    keys.auditor = await server.keyFor(Role.AUDITOR, [acme.id]);
    keys.acmeAdmin = await server.keyFor(Role.MSP_ADMIN, [acme.id]);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const count = async (table: string) => Number((await db.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  const events = async (action: string) => (await db.dataSource.getRepository(AuditEvent).find({ where: { action }, order: { seq: 'ASC' } })).map((e) => ({ ...e, data: JSON.parse(e.data) }));

  describe('policies', () => {
    const create = (key: string, definition: unknown, key2?: string) =>
      server.gql('mutation($k: String!, $d: JSONObject!) { createPolicy(input: { key: $k, definition: $d }) { key version builtIn name definition } }', { k: key, d: definition }, key2);
    const update = (key: string, definition: unknown) =>
      server.gql('mutation($k: String!, $d: JSONObject!) { updatePolicy(input: { key: $k, definition: $d }) { key version definition } }', { k: key, d: definition });

    it('refuses a bad definition naming the field, and stores nothing', async () => {
      const rule = (over: Record<string, unknown>) => ({ ...base(), findingRules: [{ id: 'r1', description: 'x', scope: { cvssAtLeast: 7 }, clockStart: 'RELEASE', allowance: { days: 14 }, ...over }] });
      const cases: Array<[unknown, string, RegExp]> = [
        [{ ...base(), timeZone: 'Mars/Olympus_Mons' }, 'input.definition.timeZone', /not an IANA time zone/],
        [{ ...base(), colour: 'red' }, 'input.definition', /unknown field "colour"/],
        [{ ...base(), findingRules: [base().findingRules[0], base().findingRules[0]] }, 'input.definition.findingRules[1].id', /used by another rule/],
        [rule({ allowance: { kevDueDate: true } }), 'input.definition.findingRules[0].allowance', /kevDueDate needs scope.kev/],
        [rule({ clockStart: 'FIRST_DETECTED', allowance: { months: 1 } }), 'input.definition.findingRules[0].allowance.months', /hours or days, not calendar months/],
      ];
      for (const [definition, field, message] of cases) {
        const res = await create('acme-bad', definition);
        expectError(res, 'BAD_USER_INPUT', field);
        expect(res.body.errors![0].message).toMatch(message);
      }
      expectError(await create('Acme Internal', base()), 'BAD_USER_INPUT', 'input.key');
      expectError(await create(CE, base()), 'CONFLICT', 'input.key');
      expect(await count('compliance_policy')).toBe(0);
    });

    it('adds a version for each change and never edits one; a preset cannot be changed', async () => {
      const v1 = { ...base(), name: 'Acme internal: 30 days', dueSoonHours: 48 };
      const created = await create('acme-internal-30d', v1);
      expect(created.body.errors).toBeUndefined();
      expect(created.body.data.createPolicy).toMatchObject({ key: 'acme-internal-30d', version: '1', builtIn: false, name: 'Acme internal: 30 days' });
      expectError(await create('acme-internal-30d', v1), 'CONFLICT', 'input.key');

      clock.advance(60_000);
      const v2 = { ...v1, dueSoonHours: 24 };
      expect((await update('acme-internal-30d', v2)).body.data.updatePolicy).toMatchObject({ version: '2', definition: { dueSoonHours: 24 } });
      // The same rules again add nothing.
      expect((await update('acme-internal-30d', v2)).body.data.updatePolicy.version).toBe('2');
      expectError(await update(CE, v2), 'BAD_USER_INPUT', 'input.key');
      expectError(await update('no-such-policy', v2), 'NOT_FOUND');
      expectError(await update('acme-internal-30d', { ...v2, dueSoonHours: -1 }), 'BAD_USER_INPUT', 'input.definition');

      const read = await server.gql(`{ latest: policy(key: "acme-internal-30d") { version definition }
        first: policy(key: "acme-internal-30d", version: "1") { version definition createdAt }
        preset: policy(key: "${CE}") { version builtIn source createdAt }
        policies { key version builtIn versions { version } } }`, undefined, keys.auditor);
      expect(read.body.errors).toBeUndefined();
      expect(read.body.data.latest).toMatchObject({ version: '2', definition: { dueSoonHours: 24 } });
      expect(read.body.data.first).toMatchObject({ version: '1', definition: { dueSoonHours: 48 }, createdAt: '2026-11-02T10:00:00.000Z' });
      expect(read.body.data.preset).toMatchObject({ version: 'builtin', builtIn: true, createdAt: null });
      expect(read.body.data.preset.source).toContain('14 days');
      const listed = read.body.data.policies as Array<{ key: string; version: string; builtIn: boolean; versions: Array<{ version: string }> }>;
      expect(listed.filter((p) => p.builtIn).map((p) => p.key)).toEqual(Object.keys(PRESETS));
      expect(listed.filter((p) => !p.builtIn)).toEqual([{ key: 'acme-internal-30d', version: '2', builtIn: false, versions: [{ version: '1' }, { version: '2' }] }]);
      expectError(await server.gql('{ policy(key: "acme-internal-30d", version: "3") { key } }'), 'NOT_FOUND');
      expectError(await server.gql('{ policy(key: "acme-internal-30d", version: "latest") { key } }'), 'BAD_USER_INPUT', 'version');

      const rows = await db.dataSource.query('SELECT version, definition FROM compliance_policy ORDER BY version');
      expect(rows.map((r: { version: number; definition: string }) => [Number(r.version), JSON.parse(r.definition).dueSoonHours])).toEqual([[1, 48], [2, 24]]);
      const audit = [...(await events('policy.create')), ...(await events('policy.update'))];
      expect(audit.map((e) => [e.chainKey, e.tenantId, e.data.key, e.data.version])).toEqual([[GLOBAL_CHAIN, null, 'acme-internal-30d', 1], [GLOBAL_CHAIN, null, 'acme-internal-30d', 2]]);
      expect(audit[1].data.definitionSha256).toBe(createHash('sha256').update(rows[1].definition).digest('hex'));
    });

    it('lets only an all-tenants MSP admin write policies', async () => {
      expectError(await create('acme-own', base(), keys.acmeAdmin), 'FORBIDDEN');
      expectError(await create('acme-own', base(), keys.technician), 'FORBIDDEN');
      expect(await count("compliance_policy WHERE policyKey = 'acme-own'")).toBe(0);
    });
  });

  describe('assignments', () => {
    const assign = (policyKey: string, tenantId: string, siteId: string | null, key?: string) =>
      server.gql('mutation($p: String!, $t: ID!, $s: ID) { assignPolicy(input: { policyKey: $p, tenantId: $t, siteId: $s }) { id policyKey active assignedAt removedAt tenant { name } site { name } policy { version } } }', { p: policyKey, t: tenantId, s: siteId }, key);
    const tenantAssignments = async (asOf: string | null) => {
      const res = await server.gql('query($t: ID!, $at: DateTimeISO) { tenant(id: $t) { policyAssignments(asOf: $at) { policyKey site { name } } } }', { t: g.acme, at: asOf }, keys.auditor);
      expect(res.body.errors).toBeUndefined();
      return res.body.data.tenant.policyAssignments.map((a: { policyKey: string; site: { name: string } | null }) => `${a.policyKey}@${a.site?.name ?? 'tenant'}`);
    };

    it('keeps the history: which policies applied as of any time', async () => {
      clock.set('2026-11-03T09:00:00.000Z');
      const ce = await assign(CE, g.acme, null, keys.technician);
      expect(ce.body.errors).toBeUndefined();
      expect(ce.body.data.assignPolicy).toMatchObject({ policyKey: CE, active: true, removedAt: null, tenant: { name: 'Acme Ltd' }, site: null, policy: { version: 'builtin' } });
      const dfe = await assign(DFE, g.acme, g.acmeHq);
      expect(dfe.body.data.assignPolicy.site).toEqual({ name: 'Acme HQ' });
      expectError(await assign(CE, g.acme, null), 'CONFLICT', 'input.policyKey');

      clock.set('2026-11-10T09:00:00.000Z');
      const removed = await server.gql('mutation($id: ID!) { unassignPolicy(id: $id) { active removedAt } }', { id: ce.body.data.assignPolicy.id }, keys.technician);
      expect(removed.body.data.unassignPolicy).toEqual({ active: false, removedAt: '2026-11-10T09:00:00.000Z' });
      clock.advance(60_000);
      const again = await server.gql('mutation($id: ID!) { unassignPolicy(id: $id) { removedAt } }', { id: ce.body.data.assignPolicy.id });
      expect(again.body.data.unassignPolicy.removedAt).toBe('2026-11-10T09:00:00.000Z');

      expect(await tenantAssignments(null)).toEqual([`${DFE}@Acme HQ`]);
      expect(await tenantAssignments('2026-11-05T00:00:00.000Z')).toEqual([`${CE}@tenant`, `${DFE}@Acme HQ`]);
      expect(await tenantAssignments('2026-11-03T09:00:00.000Z')).toEqual([`${CE}@tenant`, `${DFE}@Acme HQ`]);
      expect(await tenantAssignments('2026-11-03T08:59:59.999Z')).toEqual([]);
      expect(await tenantAssignments('2026-11-10T09:00:00.000Z')).toEqual([`${DFE}@Acme HQ`]);

      const sites = await server.gql('query($at: DateTimeISO) { sites { nodes { name policyAssignments(asOf: $at) { policyKey } } } }', { at: '2026-11-05T00:00:00.000Z' }, keys.auditor);
      const bySite = Object.fromEntries(sites.body.data.sites.nodes.map((s: any) => [s.name, s.policyAssignments.map((a: any) => a.policyKey)]));
      expect(bySite).toEqual({ 'Acme Depot': [CE], 'Acme HQ': [CE, DFE] });

      // Closed, never deleted.
      expect(await count('policy_assignment')).toBe(2);
      const audit = [...(await events('policy.assign')), ...(await events('policy.unassign'))];
      expect(audit.map((e) => [e.chainKey, e.action, e.data.policyKey])).toEqual([[acme.id, 'policy.assign', CE], [acme.id, 'policy.assign', DFE], [acme.id, 'policy.unassign', CE]]);
    });

    it('refuses unknown policies, sites of another tenant and tenants out of scope', async () => {
      const before = await count('policy_assignment');
      const unknown = await assign('no-such-policy', g.acme, null);
      expectError(unknown, 'BAD_USER_INPUT', 'input.policyKey');
      expect(unknown.body.errors![0].message).toContain('no-such-policy');
      expectError(await assign(CE, g.acme, g.globexSite), 'BAD_USER_INPUT', 'input.siteId');
      // To a key of Acme's, Globex and its sites do not exist.
      expectError(await assign(CE, g.acme, g.globexSite, keys.technician), 'NOT_FOUND');
      expectError(await assign(CE, g.globex, null, keys.technician), 'NOT_FOUND');
      expectError(await assign(CE, g.acmeHq, null), 'BAD_USER_INPUT', 'input.tenantId');
      expect(await count('policy_assignment')).toBe(before);
    });
  });

  describe('risk exceptions', () => {
    const FIELDS = 'id status owner reason compensatingControl cveId policyKey validFrom expiresAt revokedAt tenant { name } site { name } asset { hostname } update { id }';
    const create = (input: Record<string, unknown>, key?: string) =>
      server.gql(`mutation($i: CreateRiskExceptionInput!) { createRiskException(input: $i) { ${FIELDS} } }`, {
        i: { tenantId: g.acme, owner: 'Jane Smith, practice manager', reason: 'The imaging software breaks with this fix; vendor patch due in January', expiresAt: '2027-01-31T00:00:00.000Z', ...input },
      }, key);

    it('lets a client admin accept a risk for its own tenant\'s asset', async () => {
      clock.set('2026-11-12T09:00:00.000Z');
      const res = await create({ assetId: g.acmeServer, cveId: 'cve-2026-21510', policyKey: CE, compensatingControl: 'Isolated VLAN, no inbound internet' }, keys.clientAdmin);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.createRiskException).toMatchObject({
        status: 'ACTIVE', cveId: 'CVE-2026-21510', policyKey: CE, validFrom: '2026-11-12T09:00:00.000Z', revokedAt: null,
        tenant: { name: 'Acme Ltd' }, site: null, asset: { hostname: 'ACME-SRV-01' }, update: null,
      });
      const [event] = await events('risk_exception.create');
      expect(event).toMatchObject({ chainKey: acme.id, targetType: 'RiskException', data: { cveId: 'CVE-2026-21510', owner: 'Jane Smith, practice manager' } });
      expect(event.actor).toContain('CLIENT_ADMIN');
    });

    it('keeps tenants apart: another tenant\'s asset, site or tenant is not found', async () => {
      const before = await count('risk_exception');
      for (const input of [{ assetId: g.globexPc }, { siteId: g.globexSite }, { tenantId: g.globex, assetId: g.globexPc }, { assetId: toGlobalId('Asset', '00000000-0000-4000-8000-000000000000') }]) {
        const res = await create(input, keys.clientAdmin);
        expectError(res, 'NOT_FOUND');
        expect(res.body.errors![0].message).not.toContain('GLX');
      }
      // A principal that sees both tenants is told the asset is the other tenant's.
      expectError(await create({ assetId: g.globexPc }), 'BAD_USER_INPUT', 'input.assetId');
      expectError(await create({ siteId: g.globexSite }), 'BAD_USER_INPUT', 'input.siteId');
      expect(await count('risk_exception')).toBe(before);

      const listed = await server.gql('{ riskExceptions { totalCount nodes { tenant { name } } } }', undefined, keys.auditor);
      expect(listed.body.data.riskExceptions.nodes.every((n: any) => n.tenant.name === 'Acme Ltd')).toBe(true);
      expectError(await server.gql('query($t: ID!) { riskExceptions(tenantId: $t) { totalCount } }', { t: g.globex }, keys.auditor), 'NOT_FOUND');
    });

    it('refuses bad input naming the field', async () => {
      const before = await count('risk_exception');
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ cveId: 'CVE-26-1' }, 'input.cveId'],
        [{ cveId: 'CVE-2026-21510', validFrom: '2026-12-01T00:00:00.000Z', expiresAt: '2026-11-30T00:00:00.000Z' }, 'input.expiresAt'],
        [{ cveId: 'CVE-2026-21510', expiresAt: '2026-11-01T00:00:00.000Z' }, 'input.expiresAt'],
        [{ cveId: 'CVE-2026-21510', expiresAt: '2027-11-13T00:00:00.000Z' }, 'input.expiresAt'],
        [{}, 'input'],
        [{ siteId: g.acmeHq, assetId: g.acmeServer }, 'input.assetId'],
        [{ policyKey: 'no-such-policy' }, 'input.policyKey'],
        [{ cveId: 'CVE-2026-21510', owner: '   ' }, 'input.owner'],
        [{ cveId: 'CVE-2026-21510', reason: 'ok\u202eevil' }, 'input.reason'],
      ];
      for (const [input, field] of cases) expectError(await create(input, keys.clientAdmin), 'BAD_USER_INPUT', field);
      expect(await count('risk_exception')).toBe(before);
    });

    it('answers status at the server clock, lists by activeAt and includeExpired, and revokes', async () => {
      clock.set('2026-11-12T09:00:00.000Z');
      const pending = await create({ updateId: g.update, validFrom: '2026-12-01T00:00:00.000Z', expiresAt: '2026-12-15T00:00:00.000Z' }, keys.technician);
      expect(pending.body.data.createRiskException).toMatchObject({ status: 'PENDING', update: { id: g.update } });
      const short = await create({ siteId: g.acmeHq, expiresAt: '2026-11-20T00:00:00.000Z' });
      expect(short.body.data.createRiskException).toMatchObject({ status: 'ACTIVE', site: { name: 'Acme HQ' } });
      const toRevoke = await create({ cveId: 'CVE-2025-29824' }, keys.clientAdmin);

      clock.set('2026-11-25T09:00:00.000Z');
      const revoked = await server.gql('mutation($id: ID!) { revokeRiskException(id: $id, reason: "Patched after all") { status revokedAt } }', { id: toRevoke.body.data.createRiskException.id }, keys.clientAdmin);
      expect(revoked.body.data.revokeRiskException).toEqual({ status: 'REVOKED', revokedAt: '2026-11-25T09:00:00.000Z' });
      expectError(await server.gql('mutation($id: ID!) { revokeRiskException(id: $id, reason: " ") { status } }', { id: pending.body.data.createRiskException.id }), 'BAD_USER_INPUT', 'reason');
      const [event] = await events('risk_exception.revoke');
      expect(event).toMatchObject({ chainKey: acme.id, data: { reason: 'Patched after all' } });

      const list = async (args: string) => {
        const res = await server.gql(`{ riskExceptions${args} { totalCount nodes { id status } } }`, undefined, keys.auditor);
        expect(res.body.errors).toBeUndefined();
        return res.body.data.riskExceptions;
      };
      const ids = { pending: pending.body.data.createRiskException.id, short: short.body.data.createRiskException.id, revoked: toRevoke.body.data.createRiskException.id };
      const now = await list('');
      expect(now.nodes).toContainEqual({ id: ids.pending, status: 'PENDING' });
      expect(now.nodes.map((n: any) => n.id)).not.toContain(ids.short);
      expect(now.nodes.map((n: any) => n.id)).not.toContain(ids.revoked);
      const all = await list('(includeExpired: true)');
      expect(all.nodes).toEqual(expect.arrayContaining([{ id: ids.short, status: 'EXPIRED' }, { id: ids.revoked, status: 'REVOKED' }]));
      expect(all.totalCount).toBe(now.totalCount + 2);
      const then = await list('(activeAt: "2026-11-15T00:00:00.000Z")');
      expect(then.nodes.map((n: any) => n.id)).toEqual(expect.arrayContaining([ids.short, ids.revoked]));
      expect(then.nodes.map((n: any) => n.id)).not.toContain(ids.pending);
      const paged = await server.gql('{ riskExceptions(first: 1, includeExpired: true) { nodes { expiresAt } pageInfo { hasNextPage } } }');
      expect(paged.body.data.riskExceptions).toEqual({ nodes: [{ expiresAt: '2026-11-20T00:00:00.000Z' }], pageInfo: { hasNextPage: true } });
    });
  });

  describe('advisories', () => {
    const create = (input: Record<string, unknown>, key?: string) =>
      server.gql('mutation($i: CreateAdvisoryInput!) { createAdvisory(input: $i) { id authority reference title noticeAt cveIds kbs url } }', {
        i: { authority: 'DfE', reference: 'DFE-ZD-2026-04', title: 'Windows zero-day: patch within 3 days', noticeAt: '2026-11-11T08:00:00.000Z', ...input },
      }, key);

    it('records a notice with its CVEs and KBs, and everyone reads it', async () => {
      const res = await create({ cveIds: ['cve-2026-21510', 'CVE-2026-21510'], kbs: ['5075912'], url: 'https://www.gov.uk/guidance/example-notice' });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.createAdvisory).toMatchObject({ authority: 'DfE', cveIds: ['CVE-2026-21510'], kbs: ['KB5075912'], url: 'https://www.gov.uk/guidance/example-notice' });
      const read = await server.gql('{ advisories(authority: "dfe") { reference cveIds } other: advisories(authority: "NCSC") { reference } }', undefined, keys.clientAdmin);
      expect(read.body.data).toEqual({ advisories: [{ reference: 'DFE-ZD-2026-04', cveIds: ['CVE-2026-21510'] }], other: [] });
      const [event] = await events('advisory.create');
      expect(event).toMatchObject({ chainKey: GLOBAL_CHAIN, tenantId: null, data: { authority: 'DfE', reference: 'DFE-ZD-2026-04', kbs: ['KB5075912'] } });
    });

    it('refuses duplicates and bad input naming the field', async () => {
      const before = await count('advisory');
      expectError(await create({ authority: 'dfe', reference: 'dfe-zd-2026-04', cveIds: ['CVE-2026-21510'] }), 'CONFLICT', 'input.reference');
      expectError(await create({ reference: 'X-1' }), 'BAD_USER_INPUT', 'input.cveIds');
      expectError(await create({ reference: 'X-2', cveIds: ['CVE-2026-21510', 'MS26-001'] }), 'BAD_USER_INPUT', 'input.cveIds[1]');
      expectError(await create({ reference: 'X-3', kbs: ['KB12'] }), 'BAD_USER_INPUT', 'input.kbs[0]');
      expectError(await create({ reference: 'X-4', kbs: ['KB5075912'], url: 'http://www.gov.uk/notice' }), 'BAD_USER_INPUT', 'input.url');
      expectError(await create({ reference: 'X-5', kbs: ['KB5075912'], url: 'https://user:hunter2@www.gov.uk/notice' }), 'BAD_USER_INPUT', 'input.url');
      expectError(await create({ reference: 'X-6', kbs: ['KB5075912'], noticeAt: '2027-01-01T00:00:00.000Z' }), 'BAD_USER_INPUT', 'input.noticeAt');
      expectError(await create({ reference: 'X-7', kbs: ['KB5075912'] }, keys.acmeAdmin), 'FORBIDDEN');
      expect(await count('advisory')).toBe(before);
    });
  });

  describe('asset class and ESU', () => {
    const read = async (id: string) => (await server.gql('query($id: ID!) { asset(id: $id) { assetClass assetClassSource esuUntil } }', { id }, keys.auditor)).body.data.asset;

    it('takes the class from the rule until one is set by hand, and records ESU', async () => {
      expect(await read(g.acmeServer)).toEqual({ assetClass: 'SERVER', assetClassSource: 'RULE', esuUntil: null });
      expect(await read(g.acmeLaptop)).toEqual({ assetClass: 'WORKSTATION', assetClassSource: 'RULE', esuUntil: null });

      const set = await server.gql('mutation($a: ID!) { setAssetClass(assetId: $a, assetClass: INTERNET_FACING_SERVER) { hostname assetClass assetClassSource } }', { a: g.acmeServer }, keys.technician);
      expect(set.body.data.setAssetClass).toEqual({ hostname: 'ACME-SRV-01', assetClass: 'INTERNET_FACING_SERVER', assetClassSource: 'MANUAL' });
      const esu = await server.gql('mutation($a: ID!) { setAssetEsu(assetId: $a, esuUntil: "2027-10-12") { esuUntil } }', { a: g.acmeLaptop }, keys.technician);
      expect(esu.body.data.setAssetEsu).toEqual({ esuUntil: '2027-10-12' });
      expect(await read(g.acmeLaptop)).toEqual({ assetClass: 'WORKSTATION', assetClassSource: 'RULE', esuUntil: '2027-10-12' });

      const back = await server.gql('mutation($a: ID!) { setAssetClass(assetId: $a, assetClass: null) { assetClass assetClassSource } }', { a: g.acmeServer });
      expect(back.body.data.setAssetClass).toEqual({ assetClass: 'SERVER', assetClassSource: 'RULE' });
      const noEsu = await server.gql('mutation($a: ID!) { setAssetEsu(assetId: $a, esuUntil: null) { esuUntil } }', { a: g.acmeLaptop });
      expect(noEsu.body.data.setAssetEsu).toEqual({ esuUntil: null });

      const audit = [...(await events('asset.set_class')), ...(await events('asset.set_esu'))];
      expect(audit.map((e) => [e.chainKey, e.targetId, e.data])).toEqual([
        [acme.id, acmeServer.id, { from: null, to: 'INTERNET_FACING_SERVER' }],
        [acme.id, acmeServer.id, { from: 'INTERNET_FACING_SERVER', to: null }],
        [acme.id, acmeLaptop.id, { from: null, to: '2027-10-12' }],
        [acme.id, acmeLaptop.id, { from: '2027-10-12', to: null }],
      ]);
    });

    it('refuses bad dates and assets out of scope', async () => {
      const esu = (a: string, d: string, key?: string) => server.gql('mutation($a: ID!, $d: LocalDate) { setAssetEsu(assetId: $a, esuUntil: $d) { esuUntil } }', { a, d }, key);
      expectError(await esu(g.acmeLaptop, '2026-02-30'), 'BAD_USER_INPUT');
      expectError(await esu(g.acmeLaptop, '1999-12-31'), 'BAD_USER_INPUT', 'esuUntil');
      expectError(await esu(g.globexPc, '2027-10-12', keys.technician), 'NOT_FOUND');
      expectError(await server.gql('mutation($a: ID!) { setAssetClass(assetId: $a, assetClass: SERVER) { id } }', { a: g.globexPc }, keys.technician), 'NOT_FOUND');
      expect(await db.dataSource.query('SELECT assetClassOverride, esuUntil FROM asset WHERE id = ?', [globexPc.id])).toEqual([{ assetClassOverride: null, esuUntil: null }]);
    });
  });

  it('writes audit chains that verify and hold no key material', async () => {
    const all = await db.dataSource.getRepository(AuditEvent).find({ order: { chainKey: 'ASC', seq: 'ASC' } });
    const mine = all.filter((e) => /^(policy|risk_exception|advisory|asset\.set)/.test(e.action));
    expect(new Set(mine.map((e) => e.action))).toEqual(new Set([
      'policy.create', 'policy.update', 'policy.assign', 'policy.unassign', 'risk_exception.create', 'risk_exception.revoke', 'advisory.create', 'asset.set_class', 'asset.set_esu',
    ]));
    for (const e of all) expect(e.hash).toBe(auditHash(e));
    const text = JSON.stringify(mine);
    for (const key of [server.adminKey, ...Object.values(keys)]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(key.slice(0, 12));
    }
    expect(text).not.toContain('hunter2');
  });
});
