/**
 * The container recipe (Dockerfile, compose.yaml, docker/entrypoint.sh) read and checked against each other and
 * against the code, since images cannot be built here: no base image can be pulled. What the entry point does when
 * run is test/e2e/container-entrypoint.test.ts. Engine-independent, so it runs in the sqlite project only.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { loadConfig, parseDatabaseUrl } from '../../src/config/config';
import { ENGINE } from '../helpers/database';
import { envOf, execForm, readDockerfile, Stage } from '../helpers/dockerfile';

// compose.yaml is YAML; js-yaml comes with jest (through babel-plugin-istanbul), so no dependency is added for it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { load: parseYaml } = require('js-yaml') as { load: (text: string) => unknown };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sourceHash } = require('../../scripts/build.js') as { sourceHash: (root?: string) => string };

const ROOT = join(__dirname, '..', '..');
const describeOnce = ENGINE === 'sqlite' ? describe : describe.skip;

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The entry point's `: "${NAME:=value}"` defaults, each expanded with those before it, as sh does. */
function entrypointDefaults(): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const [, name, value] of readFileSync(join(ROOT, 'docker', 'entrypoint.sh'), 'utf8').matchAll(/^: "\$\{(\w+):=(.*)\}"$/gm)) {
    defaults[name] = value.replace(/\$\{(\w+)\}/g, (_, ref: string) => defaults[ref] ?? '');
  }
  return defaults;
}

/** compose's `${VAR:?message}` and `${VAR}` replaced by a value, as compose does once the variable is set. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::\?[^}]*)?\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`compose.yaml uses \${${name}}, which the test does not set`);
    return vars[name];
  });
}

describeOnce('container recipe', () => {
  const stages = readDockerfile(join(ROOT, 'Dockerfile'));
  const runtime: Stage = stages[stages.length - 1];
  const all = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword);
  const one = (keyword: string) => {
    const found = all(keyword);
    expect(found).toHaveLength(1);
    return found[0].args;
  };
  const dockerEnv = envOf(runtime);
  const defaults = entrypointDefaults();
  const compose = parseYaml(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as Compose;
  const app = compose.services.patchgraph;

  it('builds in one stage and runs in another, on the same Node image, as an unprivileged user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    // better-sqlite3 is compiled in the build stage for its Node's ABI and must load in the runtime stage.
    expect(new Set(stages.map((s) => s.base)).size).toBe(1);
    expect(runtime.base).toMatch(/^node:\$\{NODE_VERSION\}-slim$/);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^ARG NODE_VERSION=(22|24)$/m);
    const user = all('USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    // The runtime stage installs nothing itself: its node_modules are the build stage's, pruned to production.
    expect(stages[0].instructions.map((i) => i.args).join('\n')).toContain('npm prune --omit=dev');
    expect(all('RUN').map((i) => i.args).join('\n')).not.toMatch(/npm (ci|install)/);
  });

  it("sets the entry point's defaults in the image's environment too, for commands run without it (docker exec)", () => {
    expect(Object.keys(defaults).sort()).toEqual(['DATABASE_URL', 'HOST', 'LOG_FORMAT', 'NODE_ENV', 'PATCHGRAPH_DATA_DIR', 'PATCHGRAPH_DEMO', 'PORT']);
    expect(dockerEnv).toMatchObject(defaults);
  });

  it('keeps data in one volume, where the default DATABASE_URL and the entry point put it', () => {
    const volume = execForm(one('VOLUME'));
    expect(volume).toEqual([defaults.PATCHGRAPH_DATA_DIR]);
    expect(dockerEnv.PATCHGRAPH_DATA_DIR).toBe(defaults.PATCHGRAPH_DATA_DIR);
    expect(dockerEnv.DATABASE_URL).toBe(defaults.DATABASE_URL);
    const db = parseDatabaseUrl(defaults.DATABASE_URL);
    expect(db.engine).toBe('sqlite');
    expect(db.engine === 'sqlite' && dirname(db.path)).toBe(volume[0]);
    // The server's own reading of that environment: data files and the default key file in the volume too.
    const config = loadConfig({ ...dockerEnv });
    expect(config.dataDir).toBe(volume[0]);
    expect(config.secretKeyFile).toBe(posix.join(volume[0], 'secret.key'));
    // compose mounts a named volume there.
    const mount = app.volumes?.map((v) => v.split(':')).find(([, target]) => target === volume[0]);
    expect(mount).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(mount![0]);
  });

  it('listens on one port everywhere: EXPOSE, PORT, the entry point, the healthcheck and compose', () => {
    const port = one('EXPOSE');
    expect(dockerEnv.PORT).toBe(port);
    expect(defaults.PORT).toBe(port);
    expect(loadConfig({ ...dockerEnv }).port).toBe(Number(port));
    // Every interface of the container: 127.0.0.1 would be unreachable through a published port.
    expect(dockerEnv.HOST).toBe('0.0.0.0');
    expect(defaults.HOST).toBe('0.0.0.0');
    expect(execForm(one('HEALTHCHECK')).join(' ')).toContain("process.env.PORT||4000");
    expect(port).toBe('4000');
    expect(app.ports?.map((p) => p.split(':').at(-1))).toEqual([port]);
    expect(app.environment?.PORT ?? port).toBe(port);
  });

  it('checks health on /readyz, a route the server has, with node (slim images have no curl)', () => {
    const command = execForm(one('HEALTHCHECK'));
    expect(command[0]).toBe('node');
    expect(command.join(' ')).toContain('/readyz');
    expect(readFileSync(join(ROOT, 'src', 'server', 'app.ts'), 'utf8')).toContain("app.get('/readyz'");
  });

  it('starts through the entry point, which the image installs executable', () => {
    const [entry] = execForm(one('ENTRYPOINT'));
    const copy = all('COPY').find((i) => i.args.endsWith(` ${entry}`) || i.args.endsWith(`/${entry}`));
    expect(copy?.args.split(' ')[0]).toBe('docker/entrypoint.sh');
    expect(statSync(join(ROOT, 'docker', 'entrypoint.sh')).mode & 0o111).toBe(0o111);
    expect(execForm(one('CMD'))).toEqual(['serve']);
  });

  it('copies into the runtime stage everything the build stamp covers, so the image never needs the compiler', () => {
    // bin/patchgraph.js compiles when the sources' hash differs from dist/.build-stamp, and the runtime stage has
    // no TypeScript: a folder left out would make every start fail. Copy what the Dockerfile copies, and compare.
    const into = mkdtempSync(join(tmpdir(), 'patchgraph-image-'));
    try {
      for (const { args } of all('COPY')) {
        // From the build stage (absolute paths under its WORKDIR /app) or from the build context (relative paths).
        const fromBuild = args.startsWith('--from=build ');
        const parts = args.split(' ').slice(fromBuild ? 1 : 0);
        if (parts.some((part) => part.startsWith('--'))) throw new Error(`COPY option the test does not read: ${args}`);
        const dest = parts.pop()!;
        if (!dest.startsWith('./')) continue; // outside the application directory: the entry point
        for (const source of parts) {
          const relative = fromBuild ? posix.relative('/app', source) : source;
          if (relative === 'node_modules' || relative === 'dist') continue; // built, not sources
          const target = dest.endsWith('/') || parts.length > 1 ? join(into, posix.relative('/app', posix.join('/app', dest)), posix.basename(relative)) : join(into, dest);
          cpSync(join(ROOT, relative), target, { recursive: true });
        }
      }
      expect(sourceHash(into)).toBe(sourceHash(ROOT));
      // What the server reads at run time besides dist/: the schema (which also marks the project root) and the intel baseline.
      expect(existsSync(join(into, 'schema', 'schema.graphql'))).toBe(true);
      expect(existsSync(join(into, 'intel', 'baseline'))).toBe(true);
      expect(existsSync(join(into, 'bin', 'patchgraph.js'))).toBe(true);
    } finally {
      rmSync(into, { recursive: true, force: true });
    }
  });

  it('leaves installed and built output, local data and secrets out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['.git', 'node_modules', 'dist', 'data', '*.key', '.env']) expect(ignored).toContain(entry);
  });

  it('compose: patchgraph on MariaDB and Redis, started once both are healthy, with the configuration the server accepts', () => {
    const { mariadb, redis } = compose.services;
    for (const [name, service] of Object.entries({ mariadb, redis })) {
      expect(service.healthcheck?.test.length).toBeGreaterThan(1);
      expect(app.depends_on?.[name]).toEqual({ condition: 'service_healthy' });
      // Named volumes: `docker compose down` keeps the data; only `down -v` removes it.
      expect(service.volumes?.some((v) => Object.keys(compose.volumes ?? {}).includes(v.split(':')[0]))).toBe(true);
    }
    // Secrets are required (${VAR:?…}): compose refuses to start without them instead of starting with empty ones.
    for (const name of ['PATCHGRAPH_SECRET_KEY', 'PATCHGRAPH_ADMIN_KEY']) expect(app.environment?.[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?`));
    expect(mariadb.environment?.MARIADB_PASSWORD).toMatch(/^\$\{MARIADB_PASSWORD:\?/);
    expect(app.environment?.DATABASE_URL).toContain('${MARIADB_PASSWORD:?');

    const vars = { MARIADB_PASSWORD: 'pw-from-env', MARIADB_ROOT_PASSWORD: 'root-pw', PATCHGRAPH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), PATCHGRAPH_ADMIN_KEY: 'pgk_compose_test_key_0123456789' };
    const env = Object.fromEntries(Object.entries(app.environment ?? {}).map(([name, value]) => [name, interpolate(String(value), vars)]));
    const config = loadConfig({ ...dockerEnv, ...env });
    expect(config.database).toMatchObject({
      engine: 'mysql',
      host: 'mariadb',
      port: 3306,
      database: mariadb.environment?.MARIADB_DATABASE,
      username: mariadb.environment?.MARIADB_USER,
      password: vars.MARIADB_PASSWORD,
    });
    expect(new URL(config.redisUrl!).hostname).toBe('redis');
    // With Redis, syncs are queued there and this server runs them (no separate worker service in the file).
    expect(config.syncQueue?.serverWorker).toBe('inline');
    expect(config.demo).toBe(false);
    expect(config.host).toBe('0.0.0.0');
  });
});
