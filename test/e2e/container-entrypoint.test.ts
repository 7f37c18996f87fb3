/**
 * The container's entry point (docker/entrypoint.sh) run the way the image runs it, without docker, which cannot pull
 * a base image here: the Dockerfile's environment, a fresh data directory standing in for the volume, and the
 * Dockerfile's own HEALTHCHECK command asked whether the server is healthy. On SQLite it relies on the defaults it
 * applies (the database in the data directory, every interface, no demo data); on MariaDB it is given a mysql://
 * DATABASE_URL, as compose.yaml gives it one. It compiles the project first when a source changed (on a fresh clone,
 * always), which took 3.5 min on the loaded 2-core CI machine: hence the long timeouts.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { ENGINE } from '../helpers/database';
import { execForm, readDockerfile } from '../helpers/dockerfile';

const ROOT = join(__dirname, '..', '..');
const ENTRYPOINT = join(ROOT, 'docker', 'entrypoint.sh');
const MYSQL_URL = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/';

/** The Dockerfile's HEALTHCHECK, exec form: what docker runs inside the container every interval. */
function healthcheckCommand(): string[] {
  const stages = readDockerfile(join(ROOT, 'Dockerfile'));
  const check = stages[stages.length - 1].instructions.find((i) => i.keyword === 'HEALTHCHECK');
  if (!check) throw new Error('the runtime stage has no HEALTHCHECK');
  return execForm(check.args);
}

function healthcheck(port: number): number | null {
  const [command, ...args] = healthcheckCommand();
  return spawnSync(command, args, { env: { ...process.env, PORT: String(port) }, timeout: 10_000 }).status;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The test process's environment without anything the entry point or the server would read as configuration. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(PATCHGRAPH_|DATABASE_URL$|REDIS_URL$|HOST$|PORT$|NODE_ENV$|LOG_FORMAT$|LOG_LEVEL$)/.test(name)) delete env[name];
  }
  return { ...env, PATCHGRAPH_SCHEDULER: 'false', ...extra };
}

interface Run {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

function runEntrypoint(env: NodeJS.ProcessEnv, args: string[] = []): Run {
  let stdout = '';
  let stderr = '';
  // From a directory of its own: the entry point must not depend on where it is started from.
  const child = spawn('sh', [ENTRYPOINT, ...args], { cwd: tmpdir(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  // 'close', not 'exit': by then all of the output has been read.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => ({ stdout, stderr }), exited };
}

async function waitForReady(run: Run, port: number, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void run.exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`the entry point exited with ${exitCode} before /readyz answered:\n${run.output().stderr}`);
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    if (res?.ok) return (await res.json()) as Record<string, unknown>;
    if (Date.now() > deadline) throw new Error(`/readyz did not answer within ${timeoutMs} ms:\n${run.output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

interface GraphQLAnswer {
  data?: Record<string, unknown>;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

async function graphql(port: number, key: string, query: string): Promise<GraphQLAnswer> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as GraphQLAnswer;
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Runs `body` against the serving entry point, then sends SIGTERM and checks the server shut down gracefully: only the
 * server itself does that, so it shows the shell exec'd it rather than dying and leaving it behind. When `body` fails,
 * its error is the one reported and the process is killed.
 */
async function whileServing(run: Run, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    run.child.kill('SIGKILL');
    throw err;
  }
  run.child.kill('SIGTERM');
  expect(await run.exited).toBe(0);
  expect(jsonLines(run.output().stdout).map((line) => line.msg)).toContain('shut down');
}

const adminKey = () => `pgk_container_${randomBytes(18).toString('hex')}`;
const secretKey = () => randomBytes(32).toString('base64');

describe('docker/entrypoint.sh', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'patchgraph-volume-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  (ENGINE === 'sqlite' ? it : it.skip)(
    'with only a data directory and secret files: migrates SQLite in the volume, serves on every interface without demo data, healthy until stopped',
    async () => {
      const port = await freePort();
      const secrets = mkdtempSync(join(tmpdir(), 'patchgraph-secrets-'));
      try {
        const key = adminKey();
        // Secrets as docker and Kubernetes mount them: files.
        writeFileSync(join(secrets, 'secret.key'), `${secretKey()}\n`, { mode: 0o600 });
        writeFileSync(join(secrets, 'admin.key'), key, { mode: 0o600 });
        const run = runEntrypoint(
          cleanEnv({ PATCHGRAPH_DATA_DIR: dataDir, PORT: String(port), PATCHGRAPH_SECRET_KEY_FILE: join(secrets, 'secret.key'), PATCHGRAPH_ADMIN_KEY_FILE: join(secrets, 'admin.key') }),
        );
        await whileServing(run, async () => {
          expect(await waitForReady(run, port, 420_000)).toEqual({ status: 'ready', database: 'better-sqlite3' });
          // DATABASE_URL's default: the database file lives in the volume.
          expect(readdirSync(dataDir)).toContain('patchgraph.db');
          const { stdout } = run.output();
          // `migrate` ran, and finished, before the server started.
          const migrated = stdout.indexOf('database is up to date (sqlite)');
          expect(migrated).toBeGreaterThanOrEqual(0);
          expect(stdout.indexOf('"msg":"patchgraph is listening"')).toBeGreaterThan(migrated);
          // HOST's default: reachable from outside the container's loopback.
          expect(jsonLines(stdout).find((line) => line.msg === 'patchgraph is listening')).toMatchObject({ url: `http://0.0.0.0:${port}` });
          // The admin key from its file works; PATCHGRAPH_DEMO's default leaves a production database empty.
          expect(await graphql(port, key, '{ viewer { role } tenants { totalCount } }')).toEqual({ data: { viewer: { role: 'MSP_ADMIN' }, tenants: { totalCount: 0 } } });
          expect(run.output().stderr).not.toContain(key);
          expect(healthcheck(port)).toBe(0);
          // The server runs with the bounded heap (scripts/bounded-heap.sh), as the process the shell exec'd.
          expect(readFileSync(`/proc/${run.child.pid}/cmdline`, 'utf8').split('\0')).toEqual(['node', '--max-old-space-size=256', 'bin/patchgraph.js', 'serve', '']);
        });
        expect(healthcheck(port)).toBe(1);
      } finally {
        rmSync(secrets, { recursive: true, force: true });
      }
    },
    480_000,
  );

  (ENGINE === 'mariadb' ? it : it.skip)(
    'with a mysql:// DATABASE_URL, as compose.yaml gives it: migrates MariaDB first, then serves and is healthy',
    async () => {
      const port = await freePort();
      const database = `pgtest_container_${process.pid}_${Date.now().toString(36)}`;
      const admin = await createConnection(MYSQL_URL);
      await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      try {
        const key = adminKey();
        const run = runEntrypoint(
          cleanEnv({ PATCHGRAPH_DATA_DIR: dataDir, PORT: String(port), DATABASE_URL: MYSQL_URL.replace(/\/[^/]*$/, `/${database}`), PATCHGRAPH_SECRET_KEY: secretKey(), PATCHGRAPH_ADMIN_KEY: key }),
        );
        await whileServing(run, async () => {
          expect(await waitForReady(run, port, 420_000)).toEqual({ status: 'ready', database: 'mariadb' });
          expect(run.output().stdout).toContain('database is up to date (mysql)');
          const [tables] = await admin.query(`SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ?`, [database]);
          expect(Number((tables as Array<{ n: number }>)[0].n)).toBeGreaterThan(10);
          expect(await graphql(port, key, '{ tenants { totalCount } }')).toEqual({ data: { tenants: { totalCount: 0 } } });
          // Nothing of a MariaDB deployment's goes into the volume but what the server writes there itself.
          expect(existsSync(join(dataDir, 'patchgraph.db'))).toBe(false);
          expect(healthcheck(port)).toBe(0);
        });
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
        await admin.end();
      }
    },
    480_000,
  );

  it('refuses to start without the connector-secrets key, naming the variables, before touching the volume', async () => {
    const run = runEntrypoint(cleanEnv({ PATCHGRAPH_DATA_DIR: dataDir, PORT: '1' }));
    expect(await run.exited).toBe(64);
    const { stderr } = run.output();
    expect(stderr).toContain('PATCHGRAPH_SECRET_KEY is not set');
    expect(stderr).toContain(`no key file at ${join(dataDir, 'secret.key')} (PATCHGRAPH_SECRET_KEY_FILE)`);
    expect(stderr).not.toMatch(/\n\s+at /); // one line, no stack trace
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('refuses a bad PATCHGRAPH_HEAP_MB, naming it, before touching the volume', async () => {
    const run = runEntrypoint(cleanEnv({ PATCHGRAPH_DATA_DIR: dataDir, PATCHGRAPH_SECRET_KEY: secretKey(), PATCHGRAPH_HEAP_MB: '256MB' }));
    expect(await run.exited).toBe(64);
    expect(run.output().stderr).toBe('patchgraph: configuration error: PATCHGRAPH_HEAP_MB: must be a whole number of MB between 128 and 1048576, got "256MB"\n');
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('refuses an admin key file it cannot read, naming the variable', async () => {
    const missing = join(dataDir, 'no-such-admin.key');
    const run = runEntrypoint(cleanEnv({ PATCHGRAPH_DATA_DIR: dataDir, PATCHGRAPH_SECRET_KEY: secretKey(), PATCHGRAPH_ADMIN_KEY_FILE: missing }));
    expect(await run.exited).toBe(64);
    expect(run.output().stderr).toBe(`patchgraph-entrypoint: PATCHGRAPH_ADMIN_KEY_FILE: cannot read ${missing}\n`);
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
