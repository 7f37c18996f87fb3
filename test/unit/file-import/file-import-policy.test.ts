/**
 * The server's files and networks are not a file-import instance's to read: `path` stays in the operator's import
 * directory (checked when saved and again when opened), `url` and `tokenUrl` stay off internal addresses (checked as
 * written, and again for every address a name resolves to, redirects included). Real files, symlinks and HTTP
 * servers on 127.0.0.1; only DNS is a test resolver.
 */
import { createServer, Server } from 'node:http';
import { mkdtemp, mkdir, realpath, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileImportConnector, parseFileImportConfig } from '../../../connectors/file-import';
import { checkedAddresses, guardedFetch, internalAddressKind, parseAllowance, Resolver } from '../../../connectors/file-import/address-guard';
import { configureFileImport, DEFAULT_POLICY, fileImportPolicy, setFileImportPolicy } from '../../../connectors/file-import/policy';
import { FileImportSimulator, startFileImportSimulator, writeInventoryFiles } from '../../../connectors/file-import/simulator';
import type { Connector } from '../../../connectors/sdk/contract';
import { ConfigError } from '../../../connectors/sdk/errors';
import { loadConfig } from '../../../src/config/config';
import { systemClock } from '../../../src/util/clock';
import { failure, read } from './streams';

const context = { clock: systemClock, sleep: async () => undefined };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** A resolver from a fixed table, counting its questions; unknown names fail as getaddrinfo does. */
function resolverOf(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

afterEach(() => setFileImportPolicy(DEFAULT_POLICY));

describe('internal addresses', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.8.9.10', 'a loopback address'],
    ['10.1.2.3', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['169.254.169.254', 'a link-local address'],
    ['0.0.0.0', 'an unspecified address'],
    ['224.0.0.251', 'a multicast address'],
    ['255.255.255.255', 'a reserved address'],
    ['::1', 'a loopback address'],
    ['::', 'an unspecified address'],
    ['fe80::1', 'a link-local address'],
    ['fc00::1', 'a unique-local address'],
    ['fd12:3456::1', 'a unique-local address'],
    ['ff02::1', 'a multicast address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:a9fe:a9fe', 'a link-local address'],
    ['::ffff:10.0.0.5', 'a private address'],
    ['64:ff9b::a9fe:a9fe', 'a link-local address'],
    ['2002:7f00:1::1', 'a loopback address'],
  ])('%s is %s', (address, kind) => {
    expect(internalAddressKind(address)).toBe(kind);
  });

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is public', (address) => {
    expect(internalAddressKind(address)).toBeUndefined();
  });

  it('refuses bad allow-list entries, naming them', () => {
    expect(() => parseAllowance(['10.0.0.0/33'])).toThrow('"10.0.0.0/33" has a prefix longer than the address');
    expect(() => parseAllowance(['not a host!'])).toThrow('"not a host!" is neither a host name');
  });
});

describe('url and tokenUrl, as written (the default policy: no internal addresses)', () => {
  it.each([
    ['url', { url: 'http://127.0.0.1:8080/inventory' }, '127.0.0.1, a loopback address'],
    ['url', { url: 'http://169.254.169.254/latest/meta-data' }, '169.254.169.254, a link-local address'],
    ['url', { url: 'http://[::1]:8080/' }, '[::1], a loopback address'],
    ['url', { url: 'http://10.20.30.40/feed' }, '10.20.30.40, a private address'],
    ['url', { url: 'http://[::ffff:127.0.0.1]/feed' }, 'a loopback address'],
    ['url', { url: 'http://2130706433/feed' }, ''],
    ['url', { url: 'http://0x7f.0.0.1/feed' }, ''],
    ['url', { url: 'http://localhost:8080/feed' }, 'localhost, a loopback address'],
    ['tokenUrl', { url: 'https://feed.example.com', tokenUrl: 'http://192.168.0.10/token', clientId: 'c', clientSecret: 's' }, '192.168.0.10, a private address'],
  ])('refuses %s %j', (field, raw, words) => {
    const error = configError(() => parseFileImportConfig(raw));
    expect(error.field).toBe(field);
    expect(error.message).toContain(words);
    // Decimal and hex forms are either read as the address they are, or refused as no URL at all: never let through.
    expect(error.message).toMatch(/PATCHGRAPH_ALLOW_PRIVATE_URLS|must be an absolute http\(s\) URL/);
  });

  it('accepts a public host name: whether it is internal is decided when it is resolved', () => {
    expect(parseFileImportConfig({ url: 'https://feed.example.com/v1' })).toMatchObject({ url: 'https://feed.example.com/v1' });
  });

  it('accepts internal addresses the operator allows: all of them, or by host name or network', () => {
    configureFileImport({ importDir: null, allowPrivateUrls: true, privateUrlAllowList: [] });
    expect(parseFileImportConfig({ url: 'http://127.0.0.1:8080' }).url).toBe('http://127.0.0.1:8080');
    configureFileImport({ importDir: null, allowPrivateUrls: false, privateUrlAllowList: ['10.20.0.0/16', 'localhost'] });
    expect(parseFileImportConfig({ url: 'http://10.20.30.40/feed' }).url).toBe('http://10.20.30.40/feed');
    expect(parseFileImportConfig({ url: 'http://localhost:8080' }).url).toBe('http://localhost:8080');
    expect(configError(() => parseFileImportConfig({ url: 'http://10.21.0.1/feed' })).field).toBe('url');
    expect(configError(() => parseFileImportConfig({ url: 'http://169.254.169.254/' })).field).toBe('url');
  });
});

describe('url and tokenUrl, when connecting', () => {
  let sim: FileImportSimulator;
  beforeEach(async () => {
    sim = await startFileImportSimulator({ pageSize: 50, devices: 3, seed: 5 });
  });
  afterEach(() => sim.close());

  /** The simulator's settings with its 127.0.0.1 replaced by `host` (which the test resolver sends to 127.0.0.1). */
  function viaHost(host: string, tokenHost = host): Record<string, unknown> {
    const config = sim.validConfig() as Record<string, string>;
    return { ...config, url: config.url.replace('127.0.0.1', host), tokenUrl: config.tokenUrl.replace('127.0.0.1', tokenHost) };
  }
  const connect = (raw: Record<string, unknown>): Connector => fileImportConnector.create(parseFileImportConfig(raw), context);

  it('refuses a host name that resolves to a private address, before any request is sent', async () => {
    const resolve = resolverOf({ 'inventory.attacker.example': ['127.0.0.1'] });
    setFileImportPolicy({ resolve });
    const error = await failure(read(connect(viaHost('inventory.attacker.example')), 'devices'));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('tokenUrl');
    expect(error.message).toContain('inventory.attacker.example, which resolves to 127.0.0.1, a loopback address');
    expect(error.message).toContain('PATCHGRAPH_ALLOW_PRIVATE_URLS');
    expect(sim.stats()).toEqual({ dataRequests: 0, tokenRequests: 0, unauthorized: 0 });
    // Refused, not retried: asking again cannot change the answer.
    expect(resolve.asked).toEqual(['inventory.attacker.example']);
  });

  it('refuses a name when any one of its addresses is internal', async () => {
    const resolve = resolverOf({ 'mixed.example': ['93.184.216.34', '10.0.0.5'] });
    await expect(checkedAddresses('mixed.example', parseAllowance([]), resolve, 'url')).rejects.toThrow('mixed.example, which resolves to 10.0.0.5, a private address');
  });

  it('lets a public address through, and connects to the address it checked without resolving again', async () => {
    const resolve = resolverOf({ 'public.example': ['192.0.2.1'] });
    const fetchIt = guardedFetch({ allowance: parseAllowance([]), resolve, field: 'url' });
    // 192.0.2.1 (TEST-NET-1) goes nowhere: what matters is that the guard let it through to the socket, once.
    const outcome = await fetchIt('http://public.example:9/', { signal: AbortSignal.timeout(300) }).catch((err: Error) => err);
    expect(outcome).not.toBeInstanceOf(ConfigError);
    expect(resolve.asked).toEqual(['public.example']);
  });

  it('syncs from internal hosts the operator allows by name, through the checked connection', async () => {
    const resolve = resolverOf({ 'inventory.corp.test': ['127.0.0.1'], 'login.corp.test': ['127.0.0.1'] });
    configureFileImport({ importDir: null, allowPrivateUrls: false, privateUrlAllowList: ['inventory.corp.test', 'login.corp.test'] });
    setFileImportPolicy({ ...fileImportPolicy(), resolve });
    const { records } = await read<{ externalId: string }>(connect(viaHost('inventory.corp.test', 'login.corp.test')), 'devices');
    expect(records).toHaveLength(3);
    expect(sim.stats()).toMatchObject({ tokenRequests: 1 });
    expect(resolve.asked.sort()).toEqual(expect.arrayContaining(['inventory.corp.test', 'login.corp.test']));
  });

  it('checks every redirect again: an allowed feed cannot send the client on to an internal host', async () => {
    let server: Server | undefined;
    try {
      server = createServer((req, res) => {
        const port = (server!.address() as AddressInfo).port;
        const to = req.url === '/to-metadata' ? 'http://169.254.169.254/latest/meta-data/' : `http://admin.corp.test:${port}/secret`;
        res.writeHead(302, { location: to }).end();
      });
      await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
      const port = (server.address() as AddressInfo).port;
      const resolve = resolverOf({ 'feed.corp.test': ['127.0.0.1'], 'admin.corp.test': ['127.0.0.1'] });
      const fetchIt = guardedFetch({ allowance: parseAllowance(['feed.corp.test']), resolve, field: 'url' });
      const toMetadata = await fetchIt(`http://feed.corp.test:${port}/to-metadata`).catch((err: Error) => err);
      expect(toMetadata).toBeInstanceOf(ConfigError);
      expect((toMetadata as Error).message).toContain('169.254.169.254, a link-local address');
      const toAdmin = await fetchIt(`http://feed.corp.test:${port}/to-admin`).catch((err: Error) => err);
      expect(toAdmin).toBeInstanceOf(ConfigError);
      expect((toAdmin as Error).message).toContain('admin.corp.test, which resolves to 127.0.0.1, a loopback address');
    } finally {
      await new Promise((done) => server?.close(done));
    }
  });
});

describe('path and the import directory', () => {
  let root: string;
  let importDir: string;
  let elsewhere: string;
  beforeEach(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'pg-import-policy-')));
    importDir = join(root, 'imports');
    elsewhere = join(root, 'other-client');
    await mkdir(importDir);
    await mkdir(elsewhere);
    await writeInventoryFiles(elsewhere, { devices: 4, seed: 1 });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const useImportDir = () => configureFileImport({ importDir, allowPrivateUrls: false, privateUrlAllowList: [] });

  it('refuses every path while no import directory is set, saying how to enable one', () => {
    const error = configError(() => parseFileImportConfig({ path: join(importDir, 'inventory.json') }));
    expect(error.field).toBe('path');
    expect(error.message).toContain('file paths are disabled on this server');
    expect(error.message).toContain('PATCHGRAPH_IMPORT_DIR');
  });

  it('refuses paths outside the import directory: absolute, with .., and through a symlink', async () => {
    useImportDir();
    await symlink(elsewhere, join(importDir, 'shortcut'));
    for (const path of [join(elsewhere, 'inventory.json'), '/etc/passwd', `${importDir}/../other-client/inventory.json`, '../other-client/inventory.json', 'shortcut/inventory.json']) {
      const error = configError(() => parseFileImportConfig({ path }));
      expect(error.field).toBe('path');
      expect(error.message).toContain(`outside the import directory ${importDir}`);
    }
  });

  it('accepts a path inside the import directory, absolute or relative, existing or not yet', async () => {
    useImportDir();
    const written = await writeInventoryFiles(importDir, { devices: 2, seed: 2 });
    expect(parseFileImportConfig({ path: written.jsonPath }).path).toBe(written.jsonPath);
    expect(parseFileImportConfig({ path: 'inventory.json' }).path).toBe('inventory.json');
    expect(parseFileImportConfig({ path: 'later/tuesday.json' }).path).toBe('later/tuesday.json');
    const { records } = await read(fileImportConnector.create(parseFileImportConfig({ path: 'inventory.json' }), context), 'devices');
    expect(records).toHaveLength(2);
  });

  it('refuses at sync time a file swapped for a symlink out of the import directory after it was saved', async () => {
    useImportDir();
    const written = await writeInventoryFiles(importDir, { devices: 2, seed: 2 });
    const config = parseFileImportConfig({ path: written.jsonPath });
    // Created before the swap, as a run's connector is: the check that catches it is the one made when opening.
    const connector = fileImportConnector.create(config, context);
    await unlink(written.jsonPath);
    await symlink(join(elsewhere, 'inventory.json'), written.jsonPath);
    const error = await failure(read(connector, 'devices'));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`outside the import directory ${importDir} (it leads to ${join(elsewhere, 'inventory.json')})`);
    // A run that starts after the swap is refused when its settings are checked again.
    expect(configError(() => fileImportConnector.create(config, context)).field).toBe('path');
  });

  it('refuses a CSV directory whose files lead out of the import directory', async () => {
    useImportDir();
    const csvDir = join(importDir, 'csv');
    await mkdir(csvDir);
    const written = await writeInventoryFiles(elsewhere, { devices: 2, seed: 3 });
    await writeFile(join(csvDir, 'updates.csv'), 'key,title,vendor,releasedAt\r\n');
    await writeFile(join(csvDir, 'patch-states.csv'), 'deviceExternalId,updateKey,state\r\n');
    await symlink(join(written.csvDir, 'devices.csv'), join(csvDir, 'devices.csv'));
    const config = parseFileImportConfig({ path: csvDir });
    const error = await failure(read(fileImportConnector.create(config, context), 'devices'));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('outside the import directory');
  });

  it('refuses at sync time when the operator has since removed the import directory setting', async () => {
    useImportDir();
    const written = await writeInventoryFiles(importDir, { devices: 1, seed: 4 });
    const connector = fileImportConnector.create(parseFileImportConfig({ path: written.jsonPath }), context);
    setFileImportPolicy(DEFAULT_POLICY);
    const error = await failure(read(connector, 'devices'));
    expect(error.message).toContain('file paths are disabled on this server');
  });
});

describe('the operator settings, from the environment', () => {
  it('reads the import directory as its real path and the allowances, closed when nothing is set', async () => {
    expect(loadConfig({}).fileImport).toEqual({ importDir: null, allowPrivateUrls: false, privateUrlAllowList: [] });
    const dir = await mkdtemp(join(tmpdir(), 'pg-import-env-'));
    try {
      const config = loadConfig({ PATCHGRAPH_IMPORT_DIR: dir, PATCHGRAPH_ALLOW_PRIVATE_URLS: 'yes', PATCHGRAPH_PRIVATE_URL_ALLOW_LIST: ' feed.corp.test , 10.0.0.0/8 ' });
      expect(config.fileImport).toEqual({ importDir: await realpath(dir), allowPrivateUrls: true, privateUrlAllowList: ['feed.corp.test', '10.0.0.0/8'] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops the start naming the variable when a setting is wrong', () => {
    expect(() => loadConfig({ PATCHGRAPH_IMPORT_DIR: '/no/such/import/dir' })).toThrow('PATCHGRAPH_IMPORT_DIR: /no/such/import/dir does not exist');
    expect(() => loadConfig({ PATCHGRAPH_PRIVATE_URL_ALLOW_LIST: '10.0.0.0/40' })).toThrow('PATCHGRAPH_PRIVATE_URL_ALLOW_LIST: "10.0.0.0/40" has a prefix longer');
    expect(() => loadConfig({ PATCHGRAPH_ALLOW_PRIVATE_URLS: 'maybe' })).toThrow('PATCHGRAPH_ALLOW_PRIVATE_URLS: must be true or false');
  });
});
