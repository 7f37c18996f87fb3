/**
 * The local GraphiQL page in a real headless Chromium: it loads from this server alone (no request leaves
 * 127.0.0.1, nothing breaks the Content-Security-Policy), takes an API key, and runs a query with it as the
 * Bearer token. Where Chromium cannot be started the test fails on CI and is skipped loudly elsewhere.
 */
import { Browser, chromium, ConsoleMessage, Page, Request } from 'playwright-core';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

/** The page's DOM, as far as the callbacks run in the browser use it (this project compiles without the DOM library). */
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ON_CI = process.env.CI === 'true' || process.env.CI === '1';

describe(`GraphiQL in a browser on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let browser: Browser | null = null;

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
      process.stderr.write(`\n${'!'.repeat(100)}\n!! SKIPPING the GraphiQL browser test. ${why}\n!! Install it with: apt-get install -y chromium (or set CHROMIUM_PATH)\n${'!'.repeat(100)}\n\n`);
      return;
    }
    db = await openTestDatabase();
    server = await startTestServer(db, { PATCHGRAPH_DEV: '1' });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await db?.drop();
  });

  /** The text in one of GraphiQL's CodeMirror editors. */
  const editorText = (page: Page, selector: string) =>
    page.evaluate((sel) => (document.querySelector(`${sel} .CodeMirror`) as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue(), selector);

  it('opens /graphiql, takes an API key, runs { viewer { role } } with it as the Bearer token, and talks to no other host', async () => {
    if (!browser) return;
    const page = await browser.newPage();
    const requests: Request[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r));
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console ${m.type()}: ${m.text()}`);
    });

    await page.goto(`${server.app.url}/graphiql`, { waitUntil: 'load' });
    await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 30_000 });
    const setQuery = (query: string) =>
      page.evaluate((q) => (document.querySelector('.graphiql-query-editor .CodeMirror') as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(q), query);

    // Without a key the page does not call the server at all: each refusal would count against this address.
    await setQuery('{ viewer { role } }');
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() => /Paste an API key/.test(document.querySelector('.graphiql-response')?.textContent ?? ''));
    expect(requests.filter((r) => r.url().endsWith('/graphql'))).toHaveLength(0);

    await page.fill('#api-key', server.adminKey);
    await page.click('#key-form button[type=submit]');
    await expect(page.textContent('#key-state')).resolves.toBe('Key set for this tab.');
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    await setQuery('{ viewer { role } }');
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() => /MSP_ADMIN/.test(document.querySelector('.graphiql-response')?.textContent ?? ''), undefined, { timeout: 30_000 });
    expect(JSON.parse(await editorText(page, '.graphiql-response'))).toEqual({ data: { viewer: { role: 'MSP_ADMIN' } } });

    const api = requests.filter((r) => r.url() === `${server.app.url}/graphql`);
    expect(api.length).toBeGreaterThanOrEqual(1);
    for (const r of api) {
      expect(r.method()).toBe('POST');
      expect(r.headers().authorization).toBe(`Bearer ${server.adminKey}`);
    }
    // Every request went to this server: the page, its scripts and styles, and the API.
    expect(requests.length).toBeGreaterThanOrEqual(7);
    for (const r of requests) expect(new URL(r.url()).origin).toBe(new URL(server.app.url).origin);
    expect(new URL(server.app.url).hostname).toBe('127.0.0.1');
    expect(requests.some((r) => r.url().includes(server.adminKey))).toBe(false);
    expect(problems).toEqual([]);
    await page.close();
  });
});
