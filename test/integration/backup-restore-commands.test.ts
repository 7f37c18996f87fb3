/**
 * `backup` and `restore` on SQLite, the cases an operator trips over: a backup never overwrites a file unless told
 * to; a restore installs only a backup that is sound (SQLite's integrity, migrations this version knows, audit
 * chains that verify) and, when it refuses, leaves the database exactly as it was.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { backupCommand, restoreCommand } from '../../src/cli/backup.command';
import { Config, loadConfig } from '../../src/config/config';
import { openSqliteFile } from '../../src/db/sqlite-file';
import { fixedClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer } from '../helpers/server';

const describeOnSqlite = ENGINE === 'sqlite' ? describe : describe.skip;
const clock = fixedClock('2026-12-05T12:00:00Z');

function capture() {
  let text = '';
  return { out: new Writable({ write: (chunk, _e, done) => ((text += String(chunk)), done()) }), text: () => text };
}

describeOnSqlite('backup and restore commands on SQLite', () => {
  let db: TestDatabase;
  let dir: string;
  let source: Config;
  let backup: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    const server = await startTestServer(db);
    const tenant = (await server.gql('mutation { createTenant(input: { name: "Backed-up school" }) { id } }')).body.data!.createTenant.id;
    const instance = (await server.gql('mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }', {
      input: { tenantId: tenant, kind: 'wsus', name: 'WSUS', settings: { ingestKey: 'backup-commands-ingest-key-0123456789' } },
    })).body.data!.createConnectorInstance.id;
    const wsus = new WsusSimulator({ computers: 10, updates: 20, seed: 5, now: new Date('2026-11-02T09:00:00Z') });
    expect((await wsus.upload(`${server.app.url}/ingest/wsus/${instance}`, 'backup-commands-ingest-key-0123456789')).status).toBe(200);
    await server.stop();
    dir = mkdtempSync(join(tmpdir(), 'patchgraph-backup-commands-'));
    source = loadConfig({ DATABASE_URL: `sqlite:${(db.config as { path: string }).path}`, LOG_LEVEL: 'silent' });
    backup = join(dir, 'backup.db');
    expect(await backupCommand(source, { out: backup }, capture().out)).toBe(0);
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const target = (name: string) => loadConfig({ DATABASE_URL: `sqlite:${join(dir, name)}`, LOG_LEVEL: 'silent' });

  it('prints the size, SHA-256, row counts and chain heads of what it wrote; refuses an existing --out unless --force', async () => {
    const file = join(dir, 'printed.db');
    const first = capture();
    await backupCommand(source, { out: file }, first.out);
    const sha = require('node:crypto').createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(first.text()).toContain(`sha256    ${sha}`);
    expect(first.text()).toMatch(/size {6}\d+ bytes/);
    expect(first.text()).toMatch(/^ {4}patch_state +\d+$/m);
    expect(first.text()).toMatch(/^ {4}[0-9a-f-]{36} +seq +\d+ {2}[0-9a-f]{64}$/m);
    // The database alone does not bring connector secrets back: the key that opens them is named.
    expect(first.text()).toContain(`encrypted with the key in ${source.secretKeyFile}`);

    writeFileSync(file, 'keep me');
    await expect(backupCommand(source, { out: file }, capture().out)).rejects.toThrow(/^--out: .*printed\.db exists; pass --force to replace it$/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(await backupCommand(source, { out: file, force: true }, capture().out)).toBe(0);
    expect(readFileSync(file).subarray(0, 15).toString()).toBe('SQLite format 3');
    await expect(backupCommand(source, { out: join(dir, 'no', 'such', 'dir.db') }, capture().out)).rejects.toThrow(/^--out: the directory .* does not exist$/);
  });

  it('restores into a new path a database whose rows are the backup\'s, and keeps the one it replaces', async () => {
    const config = target('restored.db');
    const out = capture();
    expect(await restoreCommand(config, { from: backup }, out.out, clock)).toBe(0);
    expect(out.text()).toMatch(/audit chains verified: 2 \(/); // the tenant's and the MSP-wide chain
    const rows = (file: string) => {
      const d = openSqliteFile(file, { readonly: true });
      try {
        return d.prepare('SELECT * FROM audit_event ORDER BY chainKey, seq').all();
      } finally {
        d.close();
      }
    };
    expect(rows(join(dir, 'restored.db'))).toEqual(rows(backup));
    const second = capture();
    expect(await restoreCommand(config, { from: backup }, second.out, clock)).toBe(0);
    expect(existsSync(join(dir, 'restored.db.before-restore-2026-12-05T12-00-00-000Z'))).toBe(true);
  });

  it('refuses a backup whose audit chain does not verify, naming the chain and the break, and leaves the database alone', async () => {
    const tampered = join(dir, 'tampered.db');
    copyFileSync(backup, tampered);
    const t = openSqliteFile(tampered);
    t.prepare('DROP TRIGGER "trg_audit_event_no_update"').run();
    t.prepare("UPDATE audit_event SET actor = 'someone else' WHERE seq = 1").run();
    t.close();
    const config = target('guarded.db');
    copyFileSync(backup, join(dir, 'guarded.db'));
    const before = readFileSync(join(dir, 'guarded.db'));
    await expect(restoreCommand(config, { from: tampered }, capture().out, clock)).rejects.toThrow(/^--from: the audit chain of .* does not verify: HASH_MISMATCH at audit event 1/);
    expect(readFileSync(join(dir, 'guarded.db')).equals(before)).toBe(true);
    expect(existsSync(join(dir, 'guarded.db-wal'))).toBe(false);
  });

  it('refuses a backup written by a newer version (a migration it does not know), and tells an older one\'s pending migrations', async () => {
    const newer = join(dir, 'newer.db');
    copyFileSync(backup, newer);
    const n = openSqliteFile(newer);
    n.prepare("INSERT INTO migrations (timestamp, name) VALUES (1899999999999, 'FromTheFuture1899999999999')").run();
    n.close();
    await expect(restoreCommand(target('newer-target.db'), { from: newer }, capture().out, clock)).rejects.toThrow(/^--from: .* newer version of patchgraph \(migrations unknown to this one: FromTheFuture1899999999999\)/);
    expect(existsSync(join(dir, 'newer-target.db'))).toBe(false);

    const older = join(dir, 'older.db');
    copyFileSync(backup, older);
    const o = openSqliteFile(older);
    const last = o.prepare('SELECT name FROM migrations ORDER BY id DESC LIMIT 1').get() as { name: string };
    o.prepare('DELETE FROM migrations WHERE name = ?').run(last.name);
    o.close();
    const out = capture();
    expect(await restoreCommand(target('older-target.db'), { from: older }, out.out, clock)).toBe(0);
    expect(out.text()).toContain('1 migration(s) pending');
    expect(out.text()).toContain('npx patchgraph audit verify --all');
  });

  it('refuses to restore over a database whose sync lease is live, unless --force', async () => {
    const busy = join(dir, 'busy.db');
    copyFileSync(backup, busy);
    const b = openSqliteFile(busy);
    const instance = (b.prepare('SELECT id FROM connector_instance').get() as { id: string }).id;
    // A lease as a sync running elsewhere holds it: it runs out a minute after the clock's now.
    const lease = "INSERT INTO sync_lock (connectorInstanceId, token, holder, acquiredAt, expiresAt) VALUES (?, 'tok', 'worker-7:4242', '2026-12-05 11:59:00.000', '2026-12-05 12:01:00.000')";
    b.prepare(lease).run(instance);
    b.close();
    const before = readFileSync(busy);
    await expect(restoreCommand(target('busy.db'), { from: backup }, capture().out, clock)).rejects.toThrow(/^--force: the database looks in use: 1 sync lease\(s\) are live \(held by worker-7:4242\)/);
    expect(readFileSync(busy).equals(before)).toBe(true);
    // Once it has run out, nothing holds the database.
    expect(await restoreCommand(target('busy.db'), { from: backup }, capture().out, fixedClock('2026-12-05T12:02:00Z'))).toBe(0);
    const again = openSqliteFile(busy);
    again.prepare(lease).run(instance);
    again.close();
    expect(await restoreCommand(target('busy.db'), { from: backup, force: true }, capture().out, clock)).toBe(0);
    const restored = openSqliteFile(busy, { readonly: true });
    expect(restored.prepare('SELECT COUNT(*) AS n FROM sync_lock').get()).toEqual({ n: 0 });
    restored.close();
  });

  it('refuses a file that is not a backup, and a restore over the backup itself', async () => {
    const notOne = join(dir, 'notes.txt');
    writeFileSync(notOne, 'not a database');
    await expect(restoreCommand(target('x.db'), { from: notOne }, capture().out, clock)).rejects.toThrow(/^--from: .*notes\.txt is not a SQLite database$/);
    await expect(restoreCommand(target('backup.db'), { from: backup }, capture().out, clock)).rejects.toThrow(/^--from: is the database itself/);
    await expect(restoreCommand(target('x.db'), { from: join(dir, 'missing.db') }, capture().out, clock)).rejects.toThrow(/^--from: there is no file at /);
  });
});
