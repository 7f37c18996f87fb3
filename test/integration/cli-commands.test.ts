/**
 * The command-line tool as a newcomer meets it: `instances` to find an id, `sync` (which must leave push-only
 * instances alone) and `--version`. The commands open their own database from DATABASE_URL, as they do for a user.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ConnectorAdmin } from '../../src/access/connector-admin';
import { TenantScope } from '../../src/access/tenant-scope';
import { instancesCommand } from '../../src/cli/instances.command';
import { packageVersion } from '../../src/cli/main';
import { syncCommand } from '../../src/cli/sync.command';
import { Config, loadConfig } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';
import { runMigrations } from '../../src/db/migrate';
import { SyncRun } from '../../src/entities';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { SecretBox } from '../../src/secrets/secret-box';
import { ENGINE } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { InventoryFile } from '../helpers/inventory';

const ROOT = join(__dirname, '..', '..');

function capture() {
  const lines: string[] = [];
  const out = new Writable({ write: (chunk, _e, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) });
  return { lines, out };
}

// The commands read DATABASE_URL like any process; one engine is enough for what they print.
const describeOnSqlite = ENGINE === 'sqlite' ? describe : describe.skip;

describeOnSqlite('the patchgraph CLI', () => {
  let dir: string;
  let config: Config;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-cli-commands-'));
    const key = randomBytes(32).toString('base64');
    config = loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`, PATCHGRAPH_SECRET_KEY: key, LOG_LEVEL: 'silent' });
    // Instances are created the way the API creates them, in the commands' database.
    const ds = await createDataSource(config.database);
    await ds.initialize();
    await runMigrations(ds);
    const factory = new Factory(ds);
    const northwind = await factory.tenant('Northwind Dental');
    const contoso = await factory.tenant('Contoso Academy Trust');
    const admin = new ConnectorAdmin(ds, TenantScope.allTenants(), { now: () => new Date() }, { label: 'test' }, SecretBox.fromEncodedKey(key));
    const feed = new InventoryFile().write([{ externalId: 'c1', hostname: 'CLI-1' }]);
    ids.feed = (await admin.create({ tenantId: northwind.id, kind: 'file-import', name: 'Asset register', settings: { path: feed.path }, syncIntervalSeconds: 3600 })).id;
    ids.wsusNorthwind = (await admin.create({ tenantId: northwind.id, kind: 'wsus', name: 'WSUS wsus01', settings: { ingestKey: 'n'.repeat(40) } })).id;
    ids.wsusContoso = (await admin.create({ tenantId: contoso.id, kind: 'wsus', name: 'WSUS wsus01', settings: { ingestKey: 'c'.repeat(40) } })).id;
    // An MSP-wide feed files each device under a vendor site; nobody maps this one, so its device is only counted.
    const mspFeed = new InventoryFile().write([{ externalId: 'm1', hostname: 'MSP-1', vendorSiteId: 'uid-new', vendorSite: 'New client' }]);
    ids.msp = (await admin.create({ tenantId: null, kind: 'file-import', name: 'MSP register', settings: { path: mspFeed.path } })).id;
    await ds.destroy();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function runs(instanceId: string): Promise<SyncRun[]> {
    const ds = await createDataSource(config.database);
    await ds.initialize();
    try {
      return await ds.getRepository(SyncRun).findBy({ connectorInstanceId: instanceId });
    } finally {
      await ds.destroy();
    }
  }

  it('`instances` lists each instance with the id the API and --connector take, its kind, tenant and how it syncs', async () => {
    const { lines, out } = capture();
    expect(await instancesCommand(config, {}, out)).toBe(0);
    expect(lines[0]).toMatch(/^ID +KIND +TENANT +SYNCS +NAME$/);
    const rows = lines.slice(1).map((l) => l.split(/ {2,}/));
    // MSP-wide first, then by tenant, kind and name.
    expect(rows).toEqual([
      [toGlobalId('ConnectorInstance', ids.msp), 'file-import', '(MSP-wide)', 'on demand', 'MSP register'],
      [toGlobalId('ConnectorInstance', ids.wsusContoso), 'wsus', 'Contoso Academy Trust', 'push-only', 'WSUS wsus01'],
      [toGlobalId('ConnectorInstance', ids.feed), 'file-import', 'Northwind Dental', 'every 1h', 'Asset register'],
      [toGlobalId('ConnectorInstance', ids.wsusNorthwind), 'wsus', 'Northwind Dental', 'push-only', 'WSUS wsus01'],
    ]);
  });

  it('`instances --kind --tenant --quiet` prints only the matching ids, one a line, for the shell to pass on', async () => {
    const wsus = capture();
    await instancesCommand(config, { kind: 'wsus', quiet: true }, wsus.out);
    expect(wsus.lines.sort()).toEqual([toGlobalId('ConnectorInstance', ids.wsusNorthwind), toGlobalId('ConnectorInstance', ids.wsusContoso)].sort());
    const one = capture();
    await instancesCommand(config, { kind: 'wsus', tenant: 'northwind', quiet: true }, one.out);
    expect(one.lines).toEqual([toGlobalId('ConnectorInstance', ids.wsusNorthwind)]);
    const none = capture();
    await instancesCommand(config, { kind: 'intune' }, none.out);
    expect(none.lines).toEqual(['no connector instances match --kind/--tenant']);
  });

  it('`sync` skips push-only instances with a line each, syncs the rest, and records no run for the skipped', async () => {
    const { lines, out } = capture();
    expect(await syncCommand(config, {}, out)).toBe(0);
    const skipped = lines.filter((l) => l.endsWith(': skipped: push-only, its collector uploads'));
    expect(skipped.sort()).toEqual([`WSUS wsus01 [wsus] ${ids.wsusContoso}: skipped: push-only, its collector uploads`, `WSUS wsus01 [wsus] ${ids.wsusNorthwind}: skipped: push-only, its collector uploads`].sort());
    expect(lines.some((l) => new RegExp(`^Asset register \\[file-import\\] ${ids.feed}: full sync ok`).test(l))).toBe(true);
    expect(await runs(ids.wsusNorthwind)).toEqual([]);
    expect(await runs(ids.wsusContoso)).toEqual([]);
    expect(await runs(ids.feed)).toHaveLength(1);
  });

  it('`sync --connector` with a push-only instance says why and fails, without recording a FAILED run', async () => {
    for (const given of [toGlobalId('ConnectorInstance', ids.wsusNorthwind), ids.wsusNorthwind]) {
      const { lines, out } = capture();
      await expect(syncCommand(config, { connector: given }, out)).rejects.toThrow(
        `--connector: WSUS wsus01 [wsus] ${ids.wsusNorthwind} is push-only: it syncs when its collector uploads to its ingest URL, not from here`,
      );
      expect(lines).toEqual([]);
    }
    expect(await runs(ids.wsusNorthwind)).toEqual([]);
  });

  it('`sync --connector` takes the id `instances --quiet` printed, and refuses an empty or a multi-line one instead of syncing everything', async () => {
    const listed = capture();
    await instancesCommand(config, { kind: 'file-import', tenant: 'Northwind', quiet: true }, listed.out);
    const { lines, out } = capture();
    expect(await syncCommand(config, { connector: `${listed.lines[0]}\n` }, out)).toBe(0);
    expect(lines.filter((l) => l.includes('sync ok'))).toHaveLength(1);
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^Asset register \\[file-import\\] ${ids.feed}: (full|incremental) sync ok`));

    await expect(syncCommand(config, { connector: '' }, capture().out)).rejects.toThrow('--connector: no id given (`npx patchgraph instances` lists them)');
    const both = capture();
    await instancesCommand(config, { kind: 'wsus', quiet: true }, both.out);
    await expect(syncCommand(config, { connector: both.lines.join('\n') }, capture().out)).rejects.toThrow('--connector: takes one id, got 2');
    expect(await runs(ids.msp)).toHaveLength(1); // from the plain `sync` above only
  });

  it('`--version` prints package.json\'s version, from the real executable and without compiling anything', () => {
    const expected = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    for (const flag of ['--version', '-V']) {
      const started = Date.now();
      const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'patchgraph.js'), flag], { encoding: 'utf8', timeout: 20_000 });
      expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status: 0, stdout: `${expected}\n`, stderr: '' });
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    // The CLI's own --version (and its --help line) reads the same file, from src/cli here and from dist/src/cli.
    expect(packageVersion()).toBe(expected);
    expect(packageVersion(join(ROOT, 'dist', 'src', 'cli'))).toBe(expected);
  });

  it('loads only the command it runs: --help and a refused option load no command, `keys list` not the server', () => {
    // The built CLI run as bin/patchgraph.js runs it; on exit it names the command modules and heavy libraries loaded.
    const loaded = (args: string[]) => {
      const script = `require('./scripts/build.js').build({ ifChanged: true });
        process.on('exit', () => process.stderr.write('\\nloaded: ' + JSON.stringify(Object.keys(require.cache)
          .map((f) => /dist\\/src\\/cli\\/([\\w-]+)\\.command\\.js$/.exec(f)?.[1] ?? /node_modules\\/(typeorm|type-graphql|@apollo\\/server)\\//.exec(f)?.[1])
          .filter((name, i, all) => name && all.indexOf(name) === i).sort()) + '\\n'));
        require('./dist/src/cli/main.js').main(['node', 'patchgraph', ...${JSON.stringify(args)}]);`;
      const result = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`, LOG_LEVEL: 'silent' } });
      return JSON.parse(/\nloaded: (.*)\n/.exec(result.stderr)?.[1] ?? 'null');
    };
    expect(loaded(['--help'])).toEqual([]);
    expect(loaded(['keys', 'create', '--no-such-option'])).toEqual([]);
    expect(loaded(['keys', 'list'])).toEqual(['keys', 'type-graphql', 'typeorm']);
  });

  it('starts the server without the libraries only some deployments use: SQL Server, PDF, Redis and BullMQ load when used', () => {
    // What `serve` imports, built; each library below is loaded by the code that needs it (a SUSDB reader, the first
    // PDF, REDIS_URL), not by every server, CLI command and test file.
    const optional = ['mssql', 'tedious', 'pdfkit', 'fontkit', 'ioredis', 'bullmq'];
    const script = `require('./scripts/build.js').build({ ifChanged: true });
      require('./dist/src/cli/serve.command.js');
      require('./dist/src/server/app.js');
      const names = ${JSON.stringify(optional)};
      const loaded = names.filter((name) => Object.keys(require.cache).some((f) => f.includes('/node_modules/' + name + '/')));
      require('./dist/src/reports/formats/pdf.js').newPdfDocument({ autoFirstPage: false });
      const afterPdf = Object.keys(require.cache).some((f) => f.includes('/node_modules/pdfkit/'));
      process.stdout.write(JSON.stringify({ loaded, afterPdf }));`;
    const result = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, LOG_LEVEL: 'silent' } });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ loaded: [], afterPdf: true });
  });
});
