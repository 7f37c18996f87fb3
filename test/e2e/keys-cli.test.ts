/**
 * `patchgraph keys` as an operator runs it: the real CLI (bin/patchgraph.js) in a child process, on the database
 * a running test server uses. A key it creates works against the server at once, a revocation takes effect on
 * the server's next request, and the key appears on stdout only, once.
 */
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { GLOBAL_CHAIN } from '../../src/audit/audit-log';
import { ApiKey, AuditEvent, Tenant } from '../../src/entities';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { systemClock } from '../../src/util/clock';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

const ROOT = join(__dirname, '..', '..');
const WHO = '{ viewer { name role } tenants { nodes { name } } }';
// Each command compiles the TypeScript first when a source changed since the last build (about a minute on a busy machine).
const CLI_TIMEOUT = 600_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe(`patchgraph keys (the CLI) on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let contoso: Tenant;
  let fabrikam: Tenant;
  const runs: Run[] = [];
  const actor = `cli:${userInfo().username}`;

  function cli(...args: string[]): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'patchgraph.js'), 'keys', ...args], {
        cwd: ROOT, env: { ...process.env, DATABASE_URL: db.config.url, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => {
        // The compile notice is the build's, not the command's.
        const run = { code, stdout, stderr: stderr.replace(/^patchgraph: compil.*\n/gm, '') };
        runs.push(run);
        resolve(run);
      });
    });
  }

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db, {}, { clock: systemClock });
    const f = new Factory(db.dataSource);
    contoso = await f.tenant('Contoso');
    fabrikam = await f.tenant('Fabrikam');
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('creates a key that the running server accepts for exactly its tenants, printing it alone on stdout', async () => {
    const created = await cli('create', '--name', 'client portal', '--role', 'CLIENT_ADMIN', '--tenant', 'Contoso', '--tenant', toGlobalId('Tenant', fabrikam.id), '--expires-in', '30d');
    expect(created.stderr).toMatch(/^created API key \S+ "client portal" \(CLIENT_ADMIN, tenants Contoso, Fabrikam, expires \S+\); the key is printed once/);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^pgk_[A-Za-z0-9_-]{43}\n$/);
    const key = created.stdout.trim();
    expect(created.stderr).not.toContain(key.slice(4));

    const who = await server.gql(WHO, undefined, key);
    expect(who.body.data).toEqual({ viewer: { name: 'client portal', role: 'CLIENT_ADMIN' }, tenants: { nodes: [{ name: 'Contoso' }, { name: 'Fabrikam' }] } });

    const record = await db.dataSource.getRepository(ApiKey).findOneByOrFail({ name: 'client portal' });
    expect(record.createdBy).toBe(actor);
    const days = (record.expiresAt!.getTime() - record.createdAt.getTime()) / 86_400_000;
    expect(days).toBeCloseTo(30, 2);
    const [event] = await db.dataSource.getRepository(AuditEvent).findBy({ chainKey: GLOBAL_CHAIN, action: 'apiKey.created', targetId: record.id });
    expect(event).toMatchObject({ actor, tenantId: null });
    expect(event.data).not.toContain(key.slice(4));
  }, CLI_TIMEOUT);

  it('lists keys with the id rotate and revoke take, and never the key', async () => {
    // The server writes the key's use (from the test above) at its flush; the CLI reads what was written.
    await server.app.keyUsage.flush();
    const table = await cli('list');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+ROLE\s+STATUS\s+PREFIX\s+CREATED \(UTC\)\s+LAST USED\s+EXPIRES\s+TENANTS\s+NAME$/);
    const record = await db.dataSource.getRepository(ApiKey).findOneByOrFail({ name: 'client portal' });
    const row = lines.find((l) => l.endsWith('client portal'))!;
    expect(row.split(/\s{2,}/)).toEqual([
      toGlobalId('ApiKey', record.id), 'CLIENT_ADMIN', 'active', record.prefix, expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/),
      record.lastUsedAt!.toISOString().slice(0, 16).replace('T', ' '), expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/), 'Contoso, Fabrikam', 'client portal',
    ]);
    expect(lines.find((l) => l.endsWith('test-admin'))).toContain('(all tenants)');

    const json = await cli('list', '--json');
    const listed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(listed.find((k) => k.name === 'client portal')).toMatchObject({
      id: toGlobalId('ApiKey', record.id), prefix: record.prefix, role: 'CLIENT_ADMIN', status: 'ACTIVE', createdBy: actor, allTenants: false,
      tenants: [{ id: toGlobalId('Tenant', contoso.id), name: 'Contoso' }, { id: toGlobalId('Tenant', fabrikam.id), name: 'Fabrikam' }],
    });
    expect(json.stdout).not.toContain(record.secretHash);
    expect(json.stdout).not.toContain('secretHash');
  }, CLI_TIMEOUT);

  it('rotates by raw uuid and revokes by global id while the server runs: refused on the next request', async () => {
    const created = await cli('create', '--name', 'ops script', '--role', 'TECHNICIAN', '--all-tenants');
    const first = created.stdout.trim();
    expect((await server.gql(WHO, undefined, first)).body.data.viewer.name).toBe('ops script');
    const record = await db.dataSource.getRepository(ApiKey).findOneByOrFail({ name: 'ops script' });

    const rotated = await cli('rotate', record.id);
    expect(rotated.code).toBe(0);
    const second = rotated.stdout.trim();
    expect(second).toMatch(/^pgk_/);
    expect(second).not.toBe(first);
    expect((await server.gql(WHO, undefined, first)).status).toBe(401);
    expect((await server.gql(WHO, undefined, second)).body.data.viewer.name).toBe('ops script');

    const revoked = await cli('revoke', toGlobalId('ApiKey', record.id));
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked API key \S+ "ops script" \(TECHNICIAN, all tenants, does not expire\) at /);
    const refused = await server.gql(WHO, undefined, second);
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    const listed = await cli('list');
    expect(listed.stdout).not.toContain('ops script');
    expect((await cli('list', '--all')).stdout).toMatch(/revoked .*ops script/);
    const actions = (await db.dataSource.getRepository(AuditEvent).findBy({ chainKey: GLOBAL_CHAIN, targetId: record.id })).map((e) => [e.action, e.actor]);
    expect(actions.sort()).toEqual([['apiKey.created', actor], ['apiKey.revoked', actor], ['apiKey.rotated', actor]]);

    // Everything the CLI printed, but for the two keys on stdout, is free of key material.
    for (const run of runs) expect(run.stderr + run.stdout.replace(/^pgk_\S+\n$/, '')).not.toMatch(/pgk_[A-Za-z0-9_-]{20}/);
  }, CLI_TIMEOUT);

  it('refuses bad input with one line naming the flag and exit code 1', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['create', '--name', 'x', '--role', 'BOSS', '--all-tenants'], /^patchgraph: --role: must be one of MSP_ADMIN, TECHNICIAN, CLIENT_ADMIN, AUDITOR, got "BOSS"\n$/],
      [['create', '--name', 'x', '--role', 'AUDITOR', '--tenant', 'Globex'], /^patchgraph: --tenant: no tenant has the id or the exact name "Globex"\n$/],
      [['create', '--name', 'x', '--role', 'AUDITOR'], /^patchgraph: --tenant: give at least one --tenant/],
      [['create', '--name', 'x', '--role', 'AUDITOR', '--all-tenants', '--expires', 'next week'], /^patchgraph: --expires: must be an ISO 8601 date-time with a zone/],
      [['create', '--name', 'x', '--role', 'AUDITOR', '--all-tenants', '--expires', '2020-01-01T00:00:00Z'], /^patchgraph: --expires: must be in the future/],
      [['create', '--name', 'x', '--role', 'AUDITOR', '--all-tenants', '--expires-in', '3 weeks'], /^patchgraph: --expires-in: must be a number and a unit/],
      [['create', '--name', '\u202Eevil', '--role', 'AUDITOR', '--all-tenants'], /^patchgraph: --name: must not contain a format character/],
      [['revoke', 'not-an-id'], /^patchgraph: <id>: "not-an-id" is not an API key id/],
      [['rotate', toGlobalId('ApiKey', '00000000-0000-4000-8000-000000000000')], /^patchgraph: ApiKey "\S+" was not found\n$/],
    ];
    const before = await db.dataSource.getRepository(ApiKey).count();
    for (const [args, message] of cases) {
      const run = await cli(...args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 1, stdout: '' });
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    expect(await db.dataSource.getRepository(ApiKey).count()).toBe(before);
  }, CLI_TIMEOUT * 2);
});
