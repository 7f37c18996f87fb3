/**
 * A process killed mid-sync with SIGKILL: `patchgraph sync` (the real CLI, bin/patchgraph.js) is reading a slow feed
 * when it is killed, so it records nothing and releases nothing. Its run stays RUNNING and its lease blocks the
 * instance for at most PATCHGRAPH_SYNC_LEASE_SECONDS (5 here); the first sync after that marks the dead run FAILED
 * (abandoned, naming the killed process) and succeeds at once.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectorAdmin } from '../../src/access/connector-admin';
import { TenantScope } from '../../src/access/tenant-scope';
import { SourceDevice, SyncLock, SyncRun } from '../../src/entities';
import { SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { SecretBox } from '../../src/secrets/secret-box';
import { SyncEngine } from '../../src/sync/sync-engine';
import { SyncInProgressError } from '../../src/sync/sync-lock';
import { systemClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startSlowFeed, SlowFeed } from '../helpers/slow-feed';
import { recordingSleep } from '../helpers/sync';

const ROOT = join(__dirname, '..', '..');
const LEASE_SECONDS = 5;

describe(`a sync killed with SIGKILL on ${ENGINE}`, () => {
  let db: TestDatabase;
  let dir: string;
  let feed: SlowFeed;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    db = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-sync-killed-'));
    // The killed process's read hangs after its first page; every later read answers at once.
    feed = await startSlowFeed((n) => (n === 1 ? { devices: ['read-by-the-killed-process'], thenHang: true } : { devices: ['read-after'] }));
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await feed.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('blocks the instance only until its lease expires; the next sync marks the dead run abandoned and succeeds', async () => {
    const key = randomBytes(32).toString('base64');
    const secrets = SecretBox.fromEncodedKey(key);
    const tenant = await new Factory(db.dataSource).tenant();
    const admin = new ConnectorAdmin(db.dataSource, TenantScope.allTenants(), systemClock, { label: 'test' }, secrets);
    const instance = await admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'slow feed', settings: { url: feed.url }, enabled: true });

    const env: NodeJS.ProcessEnv = {
      ...process.env, DATABASE_URL: db.config.url, PATCHGRAPH_SECRET_KEY: key, PATCHGRAPH_DATA_DIR: dir, PATCHGRAPH_SYNC_LEASE_SECONDS: String(LEASE_SECONDS),
      PATCHGRAPH_ALLOW_PRIVATE_URLS: 'true', LOG_FORMAT: 'json',
    };
    child = spawn(process.execPath, [join(ROOT, 'bin', 'patchgraph.js'), 'sync', '--connector', instance.id], { cwd: ROOT, env, stdio: 'ignore' });
    const killed = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_code, signal) => resolve(signal)));
    await feed.received(2); // compiled if needed, started, read the first page; the second never comes
    child.kill('SIGKILL');
    expect(await killed).toBe('SIGKILL');
    const killedAt = Date.now();

    const dead = await db.dataSource.getRepository(SyncRun).findOneByOrFail({ connectorInstanceId: instance.id });
    expect(dead.status).toBe(SyncRunStatus.RUNNING);
    const lease = await db.dataSource.getRepository(SyncLock).findOneByOrFail({ connectorInstanceId: instance.id });
    expect(lease.holder).toMatch(new RegExp(`:${child.pid}$`));
    expect(lease.expiresAt.getTime() - killedAt).toBeLessThanOrEqual(LEASE_SECONDS * 1000);

    const engine = new SyncEngine({ dataSource: db.dataSource, secrets, clock: systemClock, connectorContext: { sleep: recordingSleep().sleep } });
    await expect(engine.run(instance.id, { trigger: SyncTrigger.CLI })).rejects.toBeInstanceOf(SyncInProgressError);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lease.expiresAt.getTime() - Date.now()) + 100));
    const next = await engine.run(instance.id, { trigger: SyncTrigger.CLI });
    const blockedMs = Date.now() - killedAt;
    expect(next.status).toBe(SyncRunStatus.SUCCEEDED);
    expect(blockedMs).toBeLessThan((LEASE_SECONDS + 3) * 1000);
    const abandoned = await db.dataSource.getRepository(SyncRun).findOneByOrFail({ id: dead.id });
    expect(abandoned).toMatchObject({ status: SyncRunStatus.FAILED, errorKind: 'abandoned' });
    expect(abandoned.errorMessage).toContain(`(${lease.holder}) died or lost the database`);
    expect((await db.dataSource.getRepository(SourceDevice).findBy({ connectorInstanceId: instance.id })).map((d) => d.externalId)).toEqual(['read-after']);
    process.stdout.write(`SIGKILLed sync blocked its instance for ${blockedMs} ms (lease ${LEASE_SECONDS} s)\n`);
  }, 260_000);
});
