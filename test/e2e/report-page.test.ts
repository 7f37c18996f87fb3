/**
 * The auditor's page over plain HTTP, on both engines: signing in with an API key gives a signed session cookie that
 * never holds the key; the cookie downloads the same report bytes as the Authorization header; a tampered, expired,
 * forged or revoked-key session is refused at once; POSTs from another origin are refused; the form's bad input is
 * the report's typed error on the page; the evidence pack form is checked the same way and its download takes the same
 * cookie. The browser side is report-page.browser.test.ts.
 */
import { createApiKey } from '../../src/auth/api-keys';
import { GLOBAL_CHAIN } from '../../src/audit/audit-log';
import { AuditEvent } from '../../src/entities';
import { Role } from '../../src/entities/enums';
import { roleMay } from '../../src/auth/permissions';
import { PRESETS } from '../../src/compliance/presets';
import { EVIDENCE_PACK_ROUTE } from '../../src/reports/evidence-pack/routes';
import { decodeGlobalId } from '../../src/graphql/types/global-id';
import { fixedClock } from '../../src/util/clock';
import { SESSION_COOKIE } from '../../src/reports/page/session-cookie';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { download } from '../helpers/http-download';
import { FROM, KNOWN_AT, loadPatchHistoryFixture, NOW, PatchHistoryFixture, TO } from '../helpers/patch-history-fixture';
import { startTestServer, TestServer } from '../helpers/server';

describe(`auditor's page sessions on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let fx: PatchHistoryFixture;
  const clock = fixedClock(NOW);
  let auditor: { key: string; id: string };
  let origin: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db, {}, { clock });
    origin = server.app.url;
    fx = await loadPatchHistoryFixture(server, db, clock);
    const { key, record } = await createApiKey(db.dataSource, clock, { name: 'Grant Thornton audit', role: Role.AUDITOR, allTenants: false, tenantIds: [decodeGlobalId(fx.contoso, 'tenant').key] });
    auditor = { key, id: record.id };
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const signIn = (apiKey: string, headers: Record<string, string> = { origin }) =>
    fetch(`${origin}/reports/session`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ apiKey }) });
  const cookieOf = (res: Response) => {
    const set = res.headers.get('set-cookie') ?? '';
    const m = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(set);
    if (!m) throw new Error(`no session cookie in ${JSON.stringify(set)}`);
    return { value: m[1], attributes: set };
  };
  const get = (path: string, cookie: string | null, extra: Record<string, string> = {}) =>
    fetch(`${origin}${path}`, { redirect: 'manual', headers: { ...(cookie !== null ? { cookie: `${SESSION_COOKIE}=${cookie}` } : {}), ...extra } });
  const csvPath = (tenant: string) => `/reports/patch-history.csv?${new URLSearchParams({ tenant, from: FROM, to: TO, knownAt: KNOWN_AT })}`;
  async function session(key = auditor.key): Promise<string> {
    const res = await signIn(key);
    expect(res.status).toBe(303);
    return cookieOf(res).value;
  }

  it('signs in with an AUDITOR key: a signed cookie naming the key id, HttpOnly, SameSite=Strict, Path=/reports, 8 hours, never the key', async () => {
    const res = await signIn(auditor.key);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/reports');
    const { value, attributes } = cookieOf(res);
    const [id, expiry, mac] = value.split('.');
    expect(id).toBe(auditor.id);
    expect(Number(expiry) * 1000).toBe(Date.parse(NOW) + 8 * 3600_000);
    expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(attributes).toMatch(/; HttpOnly/);
    expect(attributes).toMatch(/; SameSite=Strict/);
    expect(attributes).toMatch(/; Path=\/reports(;|$)/);
    expect(attributes).toMatch(/; Max-Age=28800(;|$)/);
    // Plain HTTP here: Secure would make the browser drop it.
    expect(attributes).not.toMatch(/Secure/);
    // Neither the key nor any 8 characters of its secret part appear in the cookie or anywhere in the answer.
    const secret = auditor.key.slice(4);
    const everything = `${attributes} ${await res.text()}`;
    for (let i = 0; i + 8 <= secret.length; i++) expect(everything).not.toContain(secret.slice(i, i + 8));

    const page = await get('/reports', value);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const text = await page.text();
    expect(text).toContain('Grant Thornton audit');
    expect(text).toContain('AUDITOR');
    // One tenant: no "All my tenants" option, and the other tenant is not offered.
    expect(text).toContain(`<option value="${fx.contoso}">Contoso Ltd</option>`);
    expect(text).not.toContain('Fabrikam');
    expect(text).not.toContain('All my tenants');
  });

  it('downloads with the session cookie the same bytes as with the Authorization header; the header path is as it was', async () => {
    const cookie = await session();
    const viaHeader = await download(`${origin}${csvPath(fx.contoso)}`, auditor.key);
    const viaCookie = await get(csvPath(fx.contoso), cookie);
    expect(viaHeader.status).toBe(200);
    expect(viaCookie.status).toBe(200);
    const body = Buffer.from(await viaCookie.arrayBuffer());
    expect(body.equals(viaHeader.body)).toBe(true);
    expect(body.toString().split('\n').length).toBeGreaterThan(5);
    expect(viaCookie.headers.get('x-patchgraph-generated-by')).toBe(`api-key:Grant Thornton audit (${auditor.id})`);
    // A header wins over a cookie: a bad header with a good cookie is refused, a good header with a bad cookie served.
    expect((await get(csvPath(fx.contoso), cookie, { authorization: 'Bearer pgk_not_a_key' })).status).toBe(401);
    expect((await get(csvPath(fx.contoso), 'garbage', { authorization: `Bearer ${auditor.key}` })).status).toBe(200);
    expect((await get(csvPath(fx.contoso), null)).status).toBe(401);
  });

  it('refuses a tampered signature, a stretched expiry, a forged key id and an expired session', async () => {
    const cookie = await session();
    const [id, expiry, mac] = cookie.split('.');
    const flipped = `${id}.${expiry}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
    const stretched = `${id}.${Number(expiry) + 86_400}.${mac}`;
    const other = await createApiKey(db.dataSource, clock, { name: 'other', role: Role.AUDITOR, allTenants: true, tenantIds: [] });
    const forged = `${other.record.id}.${expiry}.${mac}`;
    for (const bad of [flipped, stretched, forged, 'not-a-session']) {
      const report = await get(csvPath(fx.contoso), bad);
      expect(report.status).toBe(401);
      expect(((await report.json()) as any).errors[0]).toEqual({ message: 'The session is not valid; sign in again', extensions: { code: 'UNAUTHENTICATED' } });
      const page = await get('/reports', bad);
      expect(page.status).toBe(401);
      expect(await page.text()).toContain('The session is not valid; sign in again');
      // The bad cookie is cleared.
      expect(page.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Expires=Thu, 01 Jan 1970`));
    }
    expect((await get(csvPath(fx.contoso), cookie)).status).toBe(200);
    clock.set(new Date(Date.parse(NOW) + 8 * 3600_000 - 1000));
    expect((await get(csvPath(fx.contoso), cookie)).status).toBe(200);
    clock.set(new Date(Date.parse(NOW) + 8 * 3600_000));
    try {
      const expired = await get(csvPath(fx.contoso), cookie);
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as any).errors[0].message).toBe('The session has expired; sign in again');
    } finally {
      clock.set(NOW);
    }
  });

  it('ends the sessions of a revoked key and of a rotated key at once', async () => {
    const revoked = await createApiKey(db.dataSource, clock, { name: 'to revoke', role: Role.AUDITOR, allTenants: false, tenantIds: [decodeGlobalId(fx.contoso, 'tenant').key] });
    const rotated = await createApiKey(db.dataSource, clock, { name: 'to rotate', role: Role.AUDITOR, allTenants: false, tenantIds: [decodeGlobalId(fx.contoso, 'tenant').key] });
    const revokedCookie = await session(revoked.key);
    const rotatedCookie = await session(rotated.key);
    expect((await get(csvPath(fx.contoso), revokedCookie)).status).toBe(200);
    expect((await get(csvPath(fx.contoso), rotatedCookie)).status).toBe(200);
    const gid = (id: string) => Buffer.from(`ApiKey:${id}`).toString('base64url');
    expect((await server.gql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: gid(revoked.record.id) })).body.errors).toBeUndefined();
    expect((await server.gql('mutation($id: ID!) { rotateApiKey(id: $id) { key } }', { id: gid(rotated.record.id) })).body.errors).toBeUndefined();
    const afterRevoke = await get(csvPath(fx.contoso), revokedCookie);
    expect(afterRevoke.status).toBe(401);
    expect(((await afterRevoke.json()) as any).errors[0].message).toBe('The API key of this session has been revoked');
    const page = await get('/reports/download?format=csv&from=2026-10-01&to=2026-11-01', revokedCookie);
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('The API key of this session has been revoked');
    // Rotation changes the key's secret, which the cookie's MAC covers.
    expect((await get(csvPath(fx.contoso), rotatedCookie)).status).toBe(401);
  });

  it('refuses a wrong key with the form again (401), counted with the other authentication failures', async () => {
    await server.app.keyUsage.flush();
    const before = await db.dataSource.getRepository(AuditEvent).count({ where: { chainKey: GLOBAL_CHAIN } });
    const wrong = await signIn('pgk_this_key_was_never_issued_0000000000000');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const text = await wrong.text();
    expect(text).toContain('The API key is unknown or revoked');
    expect(text).toContain('<form method="post" action="/reports/session"');
    expect(text).not.toContain('pgk_this_key_was_never_issued');
    const forged = await get(csvPath(fx.contoso), 'not-a-session');
    expect(forged.status).toBe(401);
    clock.set('2026-11-02T10:01:00.000Z');
    try {
      await server.app.keyUsage.flush();
    } finally {
      clock.set(NOW);
    }
    const added = (await db.dataSource.getRepository(AuditEvent).find({ where: { chainKey: GLOBAL_CHAIN }, order: { seq: 'ASC' } })).slice(before);
    const failures = added.find((e) => e.action === 'auth.failures')!;
    expect(JSON.parse(failures.data).counts).toEqual({ badSession: 1, unknownKey: 1 });
    // An empty field is a typed error on the page and not a failed authentication.
    const empty = await signIn('  ');
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('apiKey: paste your API key');
  });

  it('refuses sign-in and sign-out posted from another origin, or with no Origin or Referer at all', async () => {
    for (const headers of [{ origin: 'http://evil.example' }, {}, { referer: 'http://evil.example/reports' }, { origin: 'null' }] as Array<Record<string, string>>) {
      const res = await signIn(auditor.key, headers);
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.text()).toContain('This form must be sent from the reports page of this server');
    }
    expect((await signIn(auditor.key, { referer: `${origin}/reports` })).status).toBe(303);
    const cookie = await session();
    const foreignSignOut = await fetch(`${origin}/reports/session/delete`, { method: 'POST', redirect: 'manual', headers: { origin: 'http://evil.example', cookie: `${SESSION_COOKIE}=${cookie}` } });
    expect(foreignSignOut.status).toBe(403);
    expect(foreignSignOut.headers.get('set-cookie')).toBeNull();
    const signOut = await fetch(`${origin}/reports/session/delete`, { method: 'POST', redirect: 'manual', headers: { origin, cookie: `${SESSION_COOKIE}=${cookie}` } });
    expect(signOut.status).toBe(303);
    expect(signOut.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Path=/reports.*Expires=Thu, 01 Jan 1970`));
  });

  it('checks the form: a valid one is sent on to the report route, bad input and another tenant are typed errors on the page', async () => {
    const cookie = await session();
    const ok = await get(`/reports/download?${new URLSearchParams({ tenant: fx.contoso, from: FROM, to: TO, format: 'csv', kb: '', cve: '', policy: '', knownAt: KNOWN_AT, severity: 'CRITICAL' })}`, cookie);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/reports/patch-history.csv?${new URLSearchParams({ tenant: fx.contoso, from: FROM, to: TO, knownAt: KNOWN_AT, severity: 'CRITICAL' })}`);

    const bad = await get(`/reports/download?${new URLSearchParams({ tenant: fx.contoso, from: '2026-13-01', to: TO, format: 'pdf' })}`, cookie);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^text\/html/);
    const badText = await bad.text();
    expect(badText).toContain('<code>BAD_USER_INPUT</code>: from: must be a date (2026-10-01, meaning its start in UTC) or an ISO 8601 date-time with a zone (2026-10-01T09:00:00Z), got &quot;2026-13-01&quot;');
    // The form comes back as it was sent.
    expect(badText).toContain('value="2026-13-01"');
    expect(badText).toMatch(/value="pdf" id="format-pdf" checked/);

    const kb = await get(`/reports/download?${new URLSearchParams({ from: FROM, to: TO, format: 'jsonl', kb: 'five' })}`, cookie);
    expect(kb.status).toBe(400);
    expect(await kb.text()).toContain('kb: &quot;five&quot; is not a KB number such as KB5041585');

    // Another tenant, chosen by forging the form: refused like one that does not exist, on the page and on the route.
    const foreign = await get(`/reports/download?${new URLSearchParams({ tenant: fx.fabrikam, from: FROM, to: TO, format: 'csv' })}`, cookie);
    expect(foreign.status).toBe(404);
    expect(await foreign.text()).toContain('<code>NOT_FOUND</code>');
    const direct = await get(csvPath(fx.fabrikam), cookie);
    expect(direct.status).toBe(404);
    expect(((await direct.json()) as any).errors[0].extensions.code).toBe('NOT_FOUND');
  });

  it('escapes every name it shows and lists every tenant of an all-tenants key, with "All my tenants"', async () => {
    await server.gql('mutation { createTenant(input: { name: "<script>alert(1)</script> & Co" }) { id } }');
    const { key } = await createApiKey(db.dataSource, clock, { name: 'MSP "audit" <desk>', role: Role.AUDITOR, allTenants: true, tenantIds: [] });
    const text = await (await get('/reports', await session(key))).text();
    expect(text).toContain('MSP &quot;audit&quot; &lt;desk&gt;');
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co');
    expect(text).not.toContain('<script');
    expect(text).toContain('<option value="" selected>All my tenants</option>');
    for (const name of ['Contoso Ltd', 'Fabrikam Inc']) expect(text).toContain(`>${name}</option>`);
  });
  describe('the evidence pack', () => {
    const DATE = '2026-10-14';
    const packQuery = (tenant: string, extra: Record<string, string> = {}) => new URLSearchParams({ tenant, policy: 'cyber-essentials-v3.3', date: DATE, knownAt: KNOWN_AT, ...extra });

    it('offers a form with the key\'s tenants (no "All my tenants") and the built-in and custom policies', async () => {
      const created = await server.gql('mutation($d: JSONObject!) { createPolicy(input: { key: "acme-internal", definition: $d }) { key } }', {
        d: { ...PRESETS['cyber-essentials-v3.3'], name: 'Acme internal <patching>' },
      });
      expect(created.body.errors).toBeUndefined();
      const text = await (await get('/reports', await session())).text();
      expect(text).toContain('<form method="get" action="/reports/download-pack" id="pack">');
      const select = (id: string) => new RegExp(`<select id="${id}"[^>]*>([\\s\\S]*?)</select>`).exec(text)![1];
      expect(select('pack-tenant').trim()).toBe(`<option value="${fx.contoso}">Contoso Ltd</option>`);
      const policies = select('pack-policy');
      expect(policies).toContain('<optgroup label="Built-in"><option value="cyber-essentials-v3.3">UK Cyber Essentials v3.3 (Danzell) (cyber-essentials-v3.3)</option>');
      expect(policies).toContain('<optgroup label="Custom"><option value="acme-internal">Acme internal &lt;patching&gt; (acme-internal)</option>');
      // Today's date by default.
      expect(text).toContain(`id="pack-date" name="date" value="${NOW.slice(0, 10)}"`);
    });

    it('shows the form to every role the permission matrix lets download packs, and only to those', async () => {
      for (const role of Object.values(Role)) {
        const { key } = await createApiKey(db.dataSource, clock, { name: `pack-${role}`, role, allTenants: false, tenantIds: [decodeGlobalId(fx.contoso, 'tenant').key] });
        const res = await get('/reports', await session(key));
        expect([role, res.status]).toEqual([role, 200]);
        const text = await res.text();
        expect([role, text.includes('id="pack"'), text.includes('id="report"')]).toEqual([role, roleMay(role, EVIDENCE_PACK_ROUTE), true]);
      }
    });

    it('sends a valid form on to the pack route, whose cookie download is the Authorization header\'s bytes', async () => {
      const cookie = await session();
      const sent = await get(`/reports/download-pack?${packQuery(fx.contoso, { from: '' })}`, cookie);
      expect(sent.status).toBe(303);
      const location = sent.headers.get('location')!;
      expect(location).toBe(`/reports/evidence-pack.zip?${packQuery(fx.contoso)}`);
      const viaCookie = await get(location, cookie);
      expect(viaCookie.status).toBe(200);
      expect(viaCookie.headers.get('content-type')).toBe('application/zip');
      expect(viaCookie.headers.get('x-patchgraph-generated-by')).toBe(`api-key:Grant Thornton audit (${auditor.id})`);
      const body = Buffer.from(await viaCookie.arrayBuffer());
      const viaHeader = await download(`${origin}${location}`, auditor.key);
      expect(viaHeader.status).toBe(200);
      expect(body.equals(viaHeader.body)).toBe(true);
      expect(viaCookie.headers.get('x-patchgraph-content-sha256')).toBe(viaHeader.headers['x-patchgraph-content-sha256']);
      // As on the patch history routes: a header wins over a cookie, and neither is a 401 with www-authenticate.
      expect((await get(location, cookie, { authorization: 'Bearer pgk_not_a_key' })).status).toBe(401);
      const none = await get(location, null);
      expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
      expect((await get(location, 'not-a-session')).status).toBe(401);
      // Another tenant is not found, through the cookie as through the header.
      const foreign = await get(`/reports/evidence-pack.zip?${packQuery(fx.fabrikam)}`, cookie);
      expect(foreign.status).toBe(404);
      expect(((await foreign.json()) as any).errors[0].extensions.code).toBe('NOT_FOUND');
    });

    it('shows the pack request\'s typed errors on the page, with the form as it was sent, and records nothing', async () => {
      const cookie = await session();
      const count = async () => Number((await db.dataSource.query("SELECT COUNT(*) AS n FROM audit_event WHERE action = 'report.generated'"))[0].n);
      const before = await count();
      const cases: Array<[URLSearchParams, number, string]> = [
        [packQuery(fx.contoso, { date: '2026-13-01' }), 400, '<code>BAD_USER_INPUT</code>: date: must be a date'],
        [packQuery(fx.contoso, { from: '2026-10-20' }), 400, '<code>BAD_USER_INPUT</code>: from: must be before date'],
        [packQuery(fx.contoso, { policy: '' }), 400, '<code>BAD_USER_INPUT</code>: policy: is required'],
        [packQuery(fx.contoso, { policy: 'no-such-policy' }), 400, '<code>BAD_USER_INPUT</code>: policy: no policy &quot;no-such-policy&quot;'],
        [packQuery(fx.contoso, { knownAt: '2026-10-10T00:00:00Z' }), 400, '<code>BAD_USER_INPUT</code>: knownAt: is before date'],
        [packQuery(fx.fabrikam), 404, '<code>NOT_FOUND</code>: '],
      ];
      for (const [query, status, message] of cases) {
        const res = await get(`/reports/download-pack?${query}`, cookie);
        expect([query.toString(), res.status]).toEqual([query.toString(), status]);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        const text = await res.text();
        expect(text).toContain(message);
        expect(text).toContain('id="pack"');
      }
      const again = await (await get(`/reports/download-pack?${packQuery(fx.contoso, { date: '2026-13-01', from: '2026-09-01' })}`, cookie)).text();
      expect(again).toContain('id="pack-date" name="date" value="2026-13-01"');
      expect(again).toContain('id="pack-from" name="from" value="2026-09-01"');
      expect(again).toMatch(/<option value="cyber-essentials-v3.3" selected>/);
      // Signed out, the form is the sign-in form.
      const signedOut = await get(`/reports/download-pack?${packQuery(fx.contoso)}`, null);
      expect(signedOut.status).toBe(401);
      expect(await signedOut.text()).toContain('Sign in first');
      expect(await count()).toBe(before);
    });
  });
});
