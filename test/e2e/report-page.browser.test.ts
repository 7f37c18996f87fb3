/**
 * The auditor's page in a real headless Chromium, on both engines: an AUDITOR key for one tenant signs in, picks
 * the period and CSV, clicks Download, and the file the browser saves has the rows the CSV endpoint gives for the
 * same query with the key as its Bearer token. A wrong key shows the error; the other tenant is not offered, and
 * forging it into the form is refused on the page; a revoked key's session is refused at the next download; the
 * evidence pack form downloads the bytes GET /reports/evidence-pack.zip gives the key for the same query. The
 * page runs no script, so nothing here fills in anything a person could not. Where Chromium cannot be started the
 * test fails on CI and is skipped loudly elsewhere.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { Browser, BrowserContext, chromium, ConsoleMessage, Page } from 'playwright-core';
import { createApiKey } from '../../src/auth/api-keys';
import { Role } from '../../src/entities/enums';
import { decodeGlobalId } from '../../src/graphql/types/global-id';
import { SESSION_COOKIE } from '../../src/reports/page/session-cookie';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { download } from '../helpers/http-download';
import { FROM, KNOWN_AT, loadPatchHistoryFixture, NOW, PatchHistoryFixture, TO } from '../helpers/patch-history-fixture';
import { startTestServer, TestServer } from '../helpers/server';

/** The DOM as far as the callbacks run in the browser use it (this project compiles without the DOM library). */
interface DomElement { value: string; textContent: string | null; appendChild(child: DomElement): void }
declare const document: { createElement(tag: string): DomElement };
declare function getComputedStyle(element: unknown): { backgroundColor: string };

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ON_CI = process.env.CI === 'true' || process.env.CI === '1';

describe(`the auditor's page in a browser on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let fx: PatchHistoryFixture;
  let browser: Browser | null = null;
  const clock = fixedClock(NOW);
  let auditor: { key: string; id: string };
  const problems: string[] = [];

  beforeAll(async () => {
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
        timeout: 30_000,
      });
    } catch (err) {
      const why = `Chromium at ${CHROMIUM} could not be started: ${(err as Error).message.split('\n')[0]}`;
      if (ON_CI) throw new Error(`${why}; on CI the browser test is required (.ci/run installs chromium)`);
      process.stderr.write(`\n${'!'.repeat(100)}\n!! SKIPPING the auditor's page browser test. ${why}\n!! Install it with: apt-get install -y chromium (or set CHROMIUM_PATH)\n${'!'.repeat(100)}\n\n`);
      return;
    }
    db = await openTestDatabase();
    server = await startTestServer(db, {}, { clock });
    fx = await loadPatchHistoryFixture(server, db, clock);
    const { key, record } = await createApiKey(db.dataSource, clock, { name: 'Contoso auditor', role: Role.AUDITOR, allTenants: false, tenantIds: [decodeGlobalId(fx.contoso, 'tenant').key] });
    auditor = { key, id: record.id };
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await db?.drop();
  });

  /** A fresh browser profile on the page; every CSP report, page error and console error is collected. */
  async function open(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser!.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    // Responses are checked by their address below; the browser's own favicon request is the only 404 expected.
    page.on('response', (r) => {
      if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') problems.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    page.on('console', (m: ConsoleMessage) => {
      if ((m.type() === 'error' && !/^Failed to load resource/.test(m.text())) || /Content Security Policy/i.test(m.text())) problems.push(`console ${m.type()}: ${m.text()}`);
    });
    await page.goto(`${server.app.url}/reports`, { waitUntil: 'load' });
    return { context, page };
  }
  async function signIn(page: Page, key: string): Promise<void> {
    await page.fill('#api-key', key);
    await page.click('#sign-in button[type=submit]');
    await page.waitForLoadState('load');
  }
  const rowsOf = (csv: string) => parse(csv, { columns: true }) as Array<Record<string, string>>;

  it('signs in with an AUDITOR key, picks October and CSV, and downloads the rows the CSV endpoint gives', async () => {
    if (!browser) return;
    problems.length = 0;
    const { context, page } = await open();
    await expect(page.title()).resolves.toBe('Reports: sign in · patchgraph');
    await signIn(page, auditor.key);
    await expect(page.textContent('#who-name')).resolves.toBe('Contoso auditor');
    await expect(page.textContent('#who-role')).resolves.toBe('AUDITOR');
    // The style sheet applies under the page's CSP.
    await expect(page.$eval('#download', (b) => getComputedStyle(b).backgroundColor)).resolves.toBe('rgb(36, 104, 204)');

    // Only the key's tenant can be chosen.
    const options = await page.$$eval('#tenant option', (os) => (os as unknown as DomElement[]).map((o) => ({ value: o.value, text: o.textContent })));
    expect(options).toEqual([{ value: fx.contoso, text: 'Contoso Ltd' }]);

    await page.selectOption('#tenant', fx.contoso);
    await page.fill('#from', FROM);
    await page.fill('#to', TO);
    await page.check('#format-csv');
    const [saved] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(saved.suggestedFilename()).toBe(`patch-history_${FROM}_${TO}.csv`);
    const file = readFileSync((await saved.path())!, 'utf8');

    const viaApi = await download(`${server.app.url}/reports/patch-history.csv?${new URLSearchParams({ tenant: fx.contoso, from: FROM, to: TO })}`, auditor.key);
    expect(viaApi.status).toBe(200);
    const rows = rowsOf(file);
    expect(rows.length).toBe(10);
    expect(rows).toEqual(rowsOf(viaApi.body.toString('utf8')));
    expect(new Set(rows.map((r) => r.tenant))).toEqual(new Set(['Contoso Ltd']));

    // The browser holds the signed session cookie and nothing else of the key.
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name)).toEqual([SESSION_COOKIE]);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/reports' });
    expect(cookies[0].value.startsWith(`${auditor.id}.`)).toBe(true);
    expect(cookies[0].value).not.toContain(auditor.key.slice(4, 20));
    expect(problems).toEqual([]);
    problems.length = 0;
    await context.close();
  });

  it('downloads the evidence pack from its form: the bytes the pack route gives the key for the same query', async () => {
    if (!browser) return;
    problems.length = 0;
    const { context, page } = await open();
    await signIn(page, auditor.key);
    await page.selectOption('#pack-tenant', fx.contoso);
    await page.selectOption('#pack-policy', 'cyber-essentials-v3.3');
    await page.fill('#pack-date', '2026-10-14');
    await page.fill('#pack-knownAt', KNOWN_AT);
    const [saved] = await Promise.all([page.waitForEvent('download'), page.click('#download-pack')]);
    expect(saved.suggestedFilename()).toBe('evidence-pack_cyber-essentials-v3.3_2026-10-15.zip');
    const file = readFileSync((await saved.path())!);
    const viaApi = await download(`${server.app.url}/reports/evidence-pack.zip?${new URLSearchParams({ tenant: fx.contoso, policy: 'cyber-essentials-v3.3', date: '2026-10-14', knownAt: KNOWN_AT })}`, auditor.key);
    expect(viaApi.status).toBe(200);
    expect(file.equals(viaApi.body)).toBe(true);

    // A bad date is the pack request's typed error on the page.
    await page.fill('#pack-from', '2026-10-20');
    await page.click('#download-pack');
    await page.waitForLoadState('load');
    await expect(page.textContent('#error')).resolves.toMatch(/^BAD_USER_INPUT: from: must be before date/);
    problems.splice(0, problems.length, ...problems.filter((p) => !/HTTP 400 for .*\/reports\/download-pack/.test(p)));
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a wrong key\'s error on the sign-in form', async () => {
    if (!browser) return;
    const { context, page } = await open();
    const answer = page.waitForResponse((r) => r.url().endsWith('/reports/session'));
    await signIn(page, 'pgk_not_issued_by_this_server_00000000000000');
    expect((await answer).status()).toBe(401);
    await expect(page.textContent('#error')).resolves.toBe('UNAUTHENTICATED: The API key is unknown or revoked');
    expect(await page.$('#api-key')).not.toBeNull();
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });

  it('refuses another tenant forged into the form, and shows the typed error of bad input on the page', async () => {
    if (!browser) return;
    const { context, page } = await open();
    await signIn(page, auditor.key);
    // The select offers no other tenant; a person editing the page's HTML could still send one.
    await page.$eval('#tenant', (element, id) => {
      const select = element as unknown as DomElement;
      const option = document.createElement('option');
      option.value = id;
      option.textContent = 'Fabrikam Inc';
      select.appendChild(option);
      select.value = id;
    }, fx.fabrikam);
    await page.click('#download');
    await page.waitForLoadState('load');
    await expect(page.textContent('#error')).resolves.toMatch(/^NOT_FOUND: /);

    await page.fill('#from', TO);
    await page.fill('#to', FROM);
    await page.click('#download');
    await page.waitForLoadState('load');
    await expect(page.textContent('#error')).resolves.toBe('BAD_USER_INPUT: from: must be before to (2026-11-01T00:00:00.000Z is not before 2026-10-01T00:00:00.000Z)');
    await context.close();
  });

  it('refuses a revoked key\'s session at the next download', async () => {
    if (!browser) return;
    const { key, record } = await createApiKey(db.dataSource, clock, { name: 'short-lived auditor', role: Role.AUDITOR, allTenants: false, tenantIds: [decodeGlobalId(fx.contoso, 'tenant').key] });
    const { context, page } = await open();
    await signIn(page, key);
    await page.fill('#from', FROM);
    await page.fill('#to', TO);
    const [first] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(rowsOf(readFileSync((await first.path())!, 'utf8')).length).toBe(10);

    const revoked = await server.gql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: Buffer.from(`ApiKey:${record.id}`).toString('base64url') });
    expect(revoked.body.errors).toBeUndefined();
    let downloaded = false;
    page.on('download', () => {
      downloaded = true;
    });
    const answer = page.waitForResponse((r) => r.url().includes('/reports/download'));
    await page.click('#download');
    expect((await answer).status()).toBe(401);
    await page.waitForLoadState('load');
    await expect(page.textContent('#error')).resolves.toBe('UNAUTHENTICATED: The API key of this session has been revoked');
    expect(await page.$('#api-key')).not.toBeNull();
    expect(downloaded).toBe(false);
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });
});
