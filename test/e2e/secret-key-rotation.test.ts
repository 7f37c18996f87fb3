/**
 * `patchgraph secrets rotate-key`, the real CLI (bin/patchgraph.js) against the test database: instances are created
 * with secrets through GraphQL on a real server, then the key is rotated from the key file, from a given key file,
 * and from PATCHGRAPH_SECRET_KEY. Checked: each secret decrypts with the new key only, a restarted process syncs
 * with it while a running one cannot, the audit chains still verify, refusals and a tampered row change nothing,
 * both kinds of crash are recovered, and no key or secret value ever reaches the command's output.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { configureFileImport } from '../../connectors/file-import/policy';
import { startFileImportSimulator, FileImportSimulator, SIMULATOR_CLIENT_SECRET } from '../../connectors/file-import/simulator/server';
import { auditHash, GLOBAL_CHAIN } from '../../src/audit/audit-log';
import { createApiKey } from '../../src/auth/api-keys';
import { loadConfig } from '../../src/config/config';
import { AuditChainHead, AuditEvent, ConnectorInstance } from '../../src/entities';
import { Role, SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { secretKeyProblem } from '../../src/secrets/key-check';
import { SecretBox } from '../../src/secrets/secret-box';
import { RunningApp, startApp } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { SyncEngine } from '../../src/sync/sync-engine';
import { systemClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { recordingSleep } from '../helpers/sync';
import { tableDigests } from '../helpers/table-digest';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'patchgraph.js');
const CREATE = 'mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id name secretsSet } }';
const TRIGGER = 'mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { status errorKind } }';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The key's fingerprint as the audit event records it, computed independently of SecretBox. */
const fingerprint = (encoded: string) => createHash('sha256').update(Buffer.from(encoded.trim(), /^[0-9a-f]{64}$/i.test(encoded.trim()) ? 'hex' : 'base64')).digest('hex').slice(0, 8);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const mode = (path: string) => statSync(path).mode & 0o777;
const rawId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];
/**
 * Every table's digest but api_key's: the test server writes its keys' last use there in the background, whatever
 * the command does.
 */
async function dataDigests(db: TestDatabase): Promise<Record<string, string>> {
  const { api_key: _usage, ...rest } = await tableDigests(db.dataSource);
  return rest;
}
/** stderr without the lines the executable prints when it compiles first. */
const complaint = (run: Run) => run.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('patchgraph: compil'));

describe(`patchgraph secrets rotate-key on ${ENGINE}`, () => {
  let db: TestDatabase;
  let dir: string;
  let keyDir: string;
  let keyFile: string;
  let sim: FileImportSimulator;
  let app: RunningApp;
  let adminKey: string;
  let child: ChildProcess | undefined;
  const outputs: string[] = [];
  const keysUsed: string[] = [];
  /** Instance global id → its secret value, for the instances that have one. */
  const secretOf = new Map<string, string>();
  let feedId: string;
  let openFeedId: string;

  const rows = () => db.dataSource.getRepository(ConnectorInstance).find({ order: { id: 'ASC' } });
  const boxOf = (encoded: string) => SecretBox.fromEncodedKey(encoded);
  const currentKey = () => readFileSync(keyFile, 'utf8').trim();
  /** Every file in the key directory with its content and mode. */
  const keyDirState = () => Object.fromEntries(readdirSync(keyDir).sort().map((f) => [f, `${mode(join(keyDir, f)).toString(8)} ${readFileSync(join(keyDir, f), 'utf8')}`]));

  async function gql(query: string, variables?: Record<string, unknown>) {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    return body.data;
  }

  function spawnCli(args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
    const fullEnv: NodeJS.ProcessEnv = {
      ...process.env, DATABASE_URL: db.config.url, PATCHGRAPH_DATA_DIR: dir, PATCHGRAPH_SECRET_KEY_FILE: keyFile, LOG_FORMAT: 'json',
      PATCHGRAPH_DEMO: 'false', PATCHGRAPH_SCHEDULER: 'false', PORT: '0', ...env,
    };
    for (const [name, value] of Object.entries(fullEnv)) if (value === undefined) delete fullEnv[name];
    if (!('PATCHGRAPH_SECRET_KEY' in env)) delete fullEnv.PATCHGRAPH_SECRET_KEY;
    return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  async function rotate(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
    child = spawnCli(['secrets', 'rotate-key', ...args], env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child!.once('close', (c) => resolve(c)));
    outputs.push(stdout, stderr);
    return { code, stdout, stderr };
  }

  /** Exit 0 and nothing on stderr; a failure shows what the command said. */
  function expectSuccess(run: Run) {
    expect({ code: run.code, stderr: complaint(run) }).toEqual({ code: 0, stderr: [] });
  }

  async function verifyAuditChains(): Promise<AuditEvent[]> {
    const events = await db.dataSource.getRepository(AuditEvent).find({ order: { chainKey: 'ASC', seq: 'ASC' } });
    const heads = new Map((await db.dataSource.getRepository(AuditChainHead).find()).map((h) => [h.chainKey, h]));
    const chains = new Map<string, AuditEvent[]>();
    for (const e of events) chains.set(e.chainKey, [...(chains.get(e.chainKey) ?? []), e]);
    for (const [chainKey, chain] of chains) {
      chain.forEach((e, i) => {
        expect(e.seq).toBe(i + 1);
        expect(e.prevHash).toBe(i === 0 ? '0'.repeat(64) : chain[i - 1].hash);
        expect(e.hash).toBe(auditHash(e));
      });
      expect(heads.get(chainKey)).toMatchObject({ seq: chain.length, hash: chain[chain.length - 1].hash });
    }
    return chains.get(GLOBAL_CHAIN) ?? [];
  }

  /** Each instance with secrets: they decrypt with `encoded` to what was set, and with none of `others`. */
  async function expectSecretsUnder(encoded: string, others: string[]) {
    const stored = (await rows()).filter((r) => r.secretsCiphertext !== null);
    expect(stored.map((r) => r.id).sort()).toEqual([...secretOf.keys()].map(rawId).sort());
    for (const row of stored) {
      const secret = secretOf.get([...secretOf.keys()].find((g) => rawId(g) === row.id)!)!;
      expect(boxOf(encoded).decrypt(row.secretsCiphertext!, row.id)).toEqual({ clientSecret: secret });
      for (const other of others) expect(() => boxOf(other).decrypt(row.secretsCiphertext!, row.id)).toThrow('cannot be decrypted with this key');
    }
  }

  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-rotate-key-'));
    keyDir = join(dir, 'keys');
    mkdirSync(keyDir);
    keyFile = join(keyDir, 'secret.key');
    const firstKey = randomBytes(32).toString('base64');
    keysUsed.push(firstKey);
    writeFileSync(keyFile, `${firstKey}\n`, { mode: 0o600 });
    sim = await startFileImportSimulator({ devices: 6, pageSize: 50 });

    // The server as `serve` runs it, with the key file's key: what it stores is what the CLI must rotate.
    const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', NODE_ENV: 'production', PATCHGRAPH_DEMO: 'false', PATCHGRAPH_ALLOW_PRIVATE_URLS: 'true' });
    configureFileImport(config.fileImport);
    const logger = createLogger(config, new Writable({ write: (_c, _e, done) => done() }));
    const secrets = boxOf(firstKey);
    const sync = new SyncEngine({ dataSource: db.dataSource, secrets, clock: systemClock, logger, connectorContext: { sleep: recordingSleep().sleep } });
    app = await startApp({ config, dataSource: db.dataSource, clock: systemClock, logger, secrets, sync });
    adminKey = (await createApiKey(db.dataSource, systemClock, { name: 'test-admin', role: Role.MSP_ADMIN, allTenants: true, tenantIds: [] })).key;

    const tenantId = (await gql('mutation { createTenant(input: { name: "Contoso" }) { id } }')).createTenant.id;
    const create = async (name: string, settings: Record<string, unknown>) => (await gql(CREATE, { input: { tenantId, kind: 'file-import', name, settings } })).createConnectorInstance;
    const feed = await create('CMDB feed', sim.validConfig());
    feedId = feed.id;
    secretOf.set(feed.id, SIMULATOR_CLIENT_SECRET);
    for (const name of ['Backup feed', 'Asset register "north"']) {
      const secret = `s3cr3t-${randomBytes(12).toString('hex')}`;
      const created = await create(name, { ...sim.validConfig(), clientSecret: secret });
      expect(created.secretsSet).toEqual(['clientSecret']);
      secretOf.set(created.id, secret);
    }
    openFeedId = (await create('Open feed', { url: sim.validConfig().url })).id;
    await expectSecretsUnder(firstKey, []);
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await app?.stop();
    await sim?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad flags and bad new keys with one line naming the flag, and changes nothing', async () => {
    const digests = await dataDigests(db);
    const files = keyDirState();
    const malformed = join(dir, 'malformed.key');
    writeFileSync(malformed, 'not-a-key-at-all\n');
    const short = join(dir, 'short.key');
    writeFileSync(short, `${randomBytes(16).toString('base64')}\n`);
    const cases: Array<[string[], RegExp]> = [
      [[], /^patchgraph: give the new key with --new-key-file <path>, or --generate to make one$/],
      [['--generate', '--new-key-file', malformed], /^patchgraph: give either --new-key-file <path> or --generate, not both$/],
      [['--new-key-file', malformed], /^patchgraph: --new-key-file: .*malformed\.key must hold 32 bytes as base64 \(44 characters\) or 64 hex digits/],
      [['--new-key-file', short], /^patchgraph: --new-key-file: .*short\.key must hold 32 bytes/],
      [['--new-key-file', join(dir, 'missing.key')], /^patchgraph: --new-key-file: cannot read .*missing\.key: no such file$/],
      [['--new-key-file', keyFile], /^patchgraph: --new-key-file: .*secret\.key holds the current key .*; give a different key$/],
    ];
    for (const [args, expected] of cases) {
      const run = await rotate(args);
      expect({ args, code: run.code, stderr: complaint(run) }).toEqual({ args, code: 1, stderr: [expect.stringMatching(expected)] });
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(await dataDigests(db)).toEqual(digests);
    expect(keyDirState()).toEqual(files);
    // Six runs of the executable, each of which compiles first when the shared tree changed since the last one.
  }, 900_000);

  it('--dry-run checks that every secret decrypts and reports the count, changing nothing', async () => {
    const digests = await dataDigests(db);
    const files = keyDirState();
    const run = await rotate(['--dry-run', '--generate']);
    expectSuccess(run);
    expect(run.stdout).toContain('dry run: the secrets of all 3 connector instances that have secrets decrypt with the current key');
    expect(run.stdout).toContain(`fingerprint ${fingerprint(currentKey())}`);
    expect(await dataDigests(db)).toEqual(digests);
    expect(keyDirState()).toEqual(files);
  }, 600_000);

  it('--generate re-encrypts every secret under a new key file, keeps the old key, audits it; a restarted process syncs, a running one cannot', async () => {
    const oldKey = currentKey();
    const auditBefore = await verifyAuditChains();
    const run = await rotate(['--generate']);
    expectSuccess(run);
    const newKey = currentKey();
    keysUsed.push(newKey);
    expect(newKey).not.toBe(oldKey);
    expect(mode(keyFile)).toBe(0o600);
    const backups = readdirSync(keyDir).filter((f) => f.startsWith('secret.key.old-'));
    expect(backups).toHaveLength(1);
    const backup = join(keyDir, backups[0]);
    expect(readFileSync(backup, 'utf8').trim()).toBe(oldKey);
    expect(mode(backup)).toBe(0o600);
    expect(readdirSync(keyDir).sort()).toEqual(['secret.key', backups[0]]);
    expect(run.stdout).toContain(`new key installed in ${keyFile} (mode 0600); the previous key is kept in ${backup} (mode 0600)`);
    expect(run.stdout).toContain('re-encrypted the secrets of 3 connector instances');
    expect(run.stdout).toContain('Restart every patchgraph process');

    await expectSecretsUnder(newKey, [oldKey]);
    expect((await rows()).find((r) => r.id === rawId(openFeedId))!.secretsCiphertext).toBeNull();

    const global = await verifyAuditChains();
    const rotations = global.filter((e) => e.action === 'secrets.rotate_key');
    expect(rotations).toHaveLength(auditBefore.filter((e) => e.action === 'secrets.rotate_key').length + 1);
    const event = rotations[rotations.length - 1];
    expect(event).toMatchObject({ tenantId: null, action: 'secrets.rotate_key', targetType: 'SecretKey', actor: expect.stringMatching(/^cli:/) });
    expect(JSON.parse(event.data)).toEqual({ instances: 3, oldKeyFingerprint: fingerprint(oldKey), newKeyFingerprint: fingerprint(newKey) });

    // The running server still holds the old key: its syncs fail until it is restarted.
    expect((await gql(TRIGGER, { id: feedId })).triggerSync).toEqual({ status: 'FAILED', errorKind: 'config' });
    // A process started after the rotation reads the new key file and syncs against the feed's real token check.
    const restarted = new SyncEngine({ dataSource: db.dataSource, secrets: SecretBox.fromKeyFile(keyFile).box, clock: systemClock, connectorContext: { sleep: recordingSleep().sleep } });
    const synced = await restarted.run(rawId(feedId), { trigger: SyncTrigger.CLI });
    expect({ status: synced.status, error: synced.errorMessage }).toEqual({ status: SyncRunStatus.SUCCEEDED, error: null });
  }, 600_000);

  it('aborts the whole rotation, naming the instance, when one row does not decrypt; nothing changes', async () => {
    const [a, b] = [...secretOf.keys()].map(rawId);
    const repo = db.dataSource.getRepository(ConnectorInstance);
    const original = (await repo.findOneByOrFail({ id: b })).secretsCiphertext;
    try {
      // A's ciphertext copied onto B's row: valid under the key, but bound to A's id.
      await repo.update({ id: b }, { secretsCiphertext: (await repo.findOneByOrFail({ id: a })).secretsCiphertext });
      const digests = await dataDigests(db);
      const files = keyDirState();
      const bName = (await repo.findOneByOrFail({ id: b })).name;

      const run = await rotate(['--generate']);
      expect(run.code).toBe(1);
      const bGlobal = [...secretOf.keys()].find((g) => rawId(g) === b)!;
      expect(complaint(run)).toEqual([
        `patchgraph: nothing was changed: the secrets of connector instance ${JSON.stringify(bName)} (${bGlobal}) do not decrypt with the current key (${keyFile}, fingerprint ${fingerprint(currentKey())}); ` +
          're-enter them with updateConnectorInstance, or restore the key they were written with, then rotate again',
      ]);
      expect(await dataDigests(db)).toEqual(digests);
      expect(keyDirState()).toEqual(files);
    } finally {
      await repo.update({ id: b }, { secretsCiphertext: original });
    }
  }, 600_000);

  it('recovers from a crash before the commit: the next rotation removes the unused pending key and rotates', async () => {
    const oldKey = currentKey();
    const digests = await dataDigests(db);
    const pending = `${keyFile}.pending`;
    // Holding a write lock keeps the rotation from committing; it is killed once its new key is on disk.
    const holder = db.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query('UPDATE connector_instance SET name = name');
      child = spawnCli(['secrets', 'rotate-key', '--generate']);
      let said = '';
      child.stdout!.on('data', (d) => (said += d));
      child.stderr!.on('data', (d) => (said += d));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_c, signal) => resolve(signal)));
      const deadline = Date.now() + 500_000;
      while (!existsSync(pending)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the rotation never wrote its pending key:\n${said}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      outputs.push(said);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    expect(existsSync(pending)).toBe(true);
    expect(mode(pending)).toBe(0o600);
    // Complete although the process died right after it appeared.
    expect(readFileSync(pending, 'utf8')).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    keysUsed.push(readFileSync(pending, 'utf8').trim());
    expect(readdirSync(keyDir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(await dataDigests(db)).toEqual(digests);
    expect(currentKey()).toBe(oldKey);

    // The next rotation, with a key given in hex, sees nothing was encrypted with the pending key.
    const hexKey = randomBytes(32).toString('hex');
    keysUsed.push(hexKey);
    const given = join(dir, 'operator.key');
    writeFileSync(given, `${hexKey}\n`, { mode: 0o600 });
    const run = await rotate(['--new-key-file', given]);
    expectSuccess(run);
    expect(run.stdout).toContain(`removed ${pending}, left by a rotation that never committed`);
    expect(existsSync(pending)).toBe(false);
    expect(SecretBox.fromKeyFile(keyFile).box.sameKeyAs(SecretBox.fromEncodedKey(hexKey))).toBe(true);
    expect(readFileSync(given, 'utf8')).toBe(`${hexKey}\n`);
    await expectSecretsUnder(hexKey, [oldKey]);
    const rotations = (await verifyAuditChains()).filter((e) => e.action === 'secrets.rotate_key');
    expect(JSON.parse(rotations[rotations.length - 1].data)).toEqual({ instances: 3, oldKeyFingerprint: fingerprint(oldKey), newKeyFingerprint: fingerprint(hexKey) });
  }, 600_000);

  it('recovers from a crash after the commit: serve says which key the secrets need, and rotate-key finishes installing it', async () => {
    const oldKey = currentKey();
    const before = new Set(readdirSync(keyDir));
    const run = await rotate(['--generate']);
    expectSuccess(run);
    const newKey = currentKey();
    keysUsed.push(newKey);
    // Undo only the final key-file swap: what a crash between the commit and the rename leaves.
    const backup = readdirSync(keyDir).find((f) => !before.has(f))!;
    renameSync(keyFile, `${keyFile}.pending`);
    renameSync(join(keyDir, backup), keyFile);
    expect(currentKey()).toBe(oldKey);
    const rotationCount = (await verifyAuditChains()).filter((e) => e.action === 'secrets.rotate_key').length;

    child = spawnCli(['serve'], { LOG_LEVEL: 'info' });
    let log = '';
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    const deadline = Date.now() + 500_000;
    while (!log.includes('patchgraph is serving GraphQL')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not start:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Only its start-up matters here; how serve shuts down is tested elsewhere.
    child.kill('SIGKILL');
    await exited;
    outputs.push(log);
    const line = log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((l) => l.level === 50);
    expect(line?.msg).toMatch(new RegExp(`^the secrets of 3 of 3 connector instances do not decrypt with this process's key \\(${escape(keyFile)}, fingerprint ${fingerprint(oldKey)}\\): `));
    expect(line.msg).toMatch(
      new RegExp(
        `\\. They decrypt with ${escape(keyFile)}\\.pending, left by a \`patchgraph secrets rotate-key\` that re-encrypted them but stopped before installing that key: ` +
          `stop this process, run \`npx patchgraph secrets rotate-key\` to finish \\(it keeps the old key as ${escape(keyFile)}\\.old-<time>\\), then start every process again$`,
      ),
    );
    for (const g of secretOf.keys()) expect(line.msg).toContain(g);

    const finish = await rotate([]);
    expectSuccess(finish);
    expect(finish.stdout).toContain("re-encrypted 3 connector instances' secrets but stopped before installing the key");
    expect(currentKey()).toBe(newKey);
    expect(existsSync(`${keyFile}.pending`)).toBe(false);
    expect(mode(keyFile)).toBe(0o600);
    const backups = readdirSync(keyDir).filter((f) => f.startsWith('secret.key.old-') && !before.has(f));
    expect(backups.map((f) => readFileSync(join(keyDir, f), 'utf8').trim())).toEqual([oldKey]);
    await expectSecretsUnder(newKey, [oldKey]);
    // Finishing re-encrypts nothing and records nothing: the interrupted run's event already says what happened.
    expect((await verifyAuditChains()).filter((e) => e.action === 'secrets.rotate_key')).toHaveLength(rotationCount);
  }, 600_000);

  it('with PATCHGRAPH_SECRET_KEY: writes the generated key to a new file, touches no other file, and says to set the variable', async () => {
    const oldKey = currentKey();
    const files = keyDirState();
    const envKeyFile = join(dir, 'env', 'secret.key');
    const run = await rotate(['--generate'], { PATCHGRAPH_SECRET_KEY: oldKey, PATCHGRAPH_SECRET_KEY_FILE: envKeyFile });
    expectSuccess(run);
    const written = readdirSync(join(dir, 'env'));
    expect(written).toEqual([expect.stringMatching(/^secret\.key\.new-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/)]);
    const newKeyPath = join(dir, 'env', written[0]);
    expect(mode(newKeyPath)).toBe(0o600);
    const newKey = readFileSync(newKeyPath, 'utf8').trim();
    keysUsed.push(newKey);
    expect(run.stdout).toContain(`new key written to ${newKeyPath} (mode 0600)`);
    expect(run.stdout).toContain(`Now set PATCHGRAPH_SECRET_KEY to the key in ${newKeyPath} for every patchgraph process`);
    expect(run.stdout).toContain('Restart every patchgraph process');
    expect(keyDirState()).toEqual(files);
    await expectSecretsUnder(newKey, [oldKey]);
    const rotations = (await verifyAuditChains()).filter((e) => e.action === 'secrets.rotate_key');
    expect(JSON.parse(rotations[rotations.length - 1].data)).toMatchObject({ newKeyFingerprint: fingerprint(newKey) });

    // What `serve` logs at start when a process was not given the new key, and that it is quiet once it has it.
    const envConfig = (key: string) => ({ secretKey: key, secretKeyFile: envKeyFile });
    const problem = await secretKeyProblem(db.dataSource, boxOf(oldKey), envConfig(oldKey));
    expect(problem).toMatch(new RegExp(`^the secrets of 3 of 3 connector instances do not decrypt with this process's key \\(PATCHGRAPH_SECRET_KEY, fingerprint ${fingerprint(oldKey)}\\): `));
    expect(problem).toMatch(new RegExp(`\\. \`patchgraph secrets rotate-key\` re-encrypted the secrets at \\S+ with the key of fingerprint ${fingerprint(newKey)}: set PATCHGRAPH_SECRET_KEY to it and restart this process$`));
    expect(await secretKeyProblem(db.dataSource, boxOf(newKey), envConfig(newKey))).toBeNull();
  }, 600_000);

  it('never printed a key or a secret value', () => {
    expect(outputs.length).toBeGreaterThan(10);
    expect(keysUsed.every((k) => k.length >= 44)).toBe(true);
    const all = outputs.join('\n');
    for (const secret of secretOf.values()) expect(all).not.toContain(secret);
    for (const key of keysUsed) expect(all).not.toContain(key);
  });
});
