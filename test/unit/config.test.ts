import { ConfigError, loadConfig, parseDatabaseUrl } from '../../src/config/config';

describe('configuration from the environment', () => {
  it('defaults to the embedded SQLite file and production-safe limits', () => {
    const config = loadConfig({});
    expect(config.database).toMatchObject({ engine: 'sqlite', url: 'sqlite:./data/patchgraph.db' });
    expect(config.database.engine === 'sqlite' && config.database.path).toMatch(/\/data\/patchgraph\.db$/);
    expect(config).toMatchObject({ port: 4000, maxPageSize: 500, defaultPageSize: 50, maxQueryDepth: 12, production: true, demo: true });
  });

  it.each([
    ['mysql://root@127.0.0.1:3306/patchgraph', { engine: 'mysql', host: '127.0.0.1', port: 3306, username: 'root', password: '', database: 'patchgraph' }],
    ['mysql://app:s%40cret@db.internal/pg', { engine: 'mysql', host: 'db.internal', port: 3306, username: 'app', password: 's@cret', database: 'pg' }],
    ['mariadb://root@localhost:3307/x', { engine: 'mysql', port: 3307, database: 'x' }],
    ['sqlite::memory:', { engine: 'sqlite', path: ':memory:' }],
  ])('parses DATABASE_URL %s', (url, expected) => {
    expect(parseDatabaseUrl(url)).toMatchObject(expected);
  });

  it.each([
    [{ DATABASE_URL: 'postgres://localhost/x' }, 'DATABASE_URL', 'unsupported scheme'],
    [{ DATABASE_URL: 'mysql://localhost' }, 'DATABASE_URL', 'needs a database name'],
    [{ DATABASE_URL: 'nonsense' }, 'DATABASE_URL', 'not a URL'],
    [{ PORT: 'eighty' }, 'PORT', 'must be an integer'],
    [{ MAX_PAGE_SIZE: '0' }, 'MAX_PAGE_SIZE', 'between 1 and'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'must be one of'],
    [{ PATCHGRAPH_DEMO: 'maybe' }, 'PATCHGRAPH_DEMO', 'true or false'],
    [{ PATCHGRAPH_ADMIN_KEY: 'short' }, 'PATCHGRAPH_ADMIN_KEY', 'at least 24'],
  ])('rejects %j with an error naming %s', (env, variable, text) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toContain(text);
  });

  it('never lets the default page size exceed the maximum', () => {
    expect(loadConfig({ MAX_PAGE_SIZE: '20', DEFAULT_PAGE_SIZE: '100' }).defaultPageSize).toBe(20);
  });

  it('reads the read replicas of PATCHGRAPH_DATABASE_READ_URLS for a MySQL primary, and refuses them for SQLite', () => {
    const primary = { DATABASE_URL: 'mysql://app:pw@db-primary:3306/patchgraph' };
    expect(loadConfig(primary).database).not.toHaveProperty('readReplicas');
    expect(loadConfig({ ...primary, PATCHGRAPH_DATABASE_READ_URLS: ' ' }).database).not.toHaveProperty('readReplicas');
    const { database } = loadConfig({ ...primary, PATCHGRAPH_DATABASE_READ_URLS: 'mysql://ro:s%40cret@db-r1/patchgraph, mariadb://ro@db-r2:3307/pg_copy' });
    expect(database).toMatchObject({ engine: 'mysql', host: 'db-primary', database: 'patchgraph' });
    expect(database.engine === 'mysql' && database.readReplicas).toEqual([
      { url: 'mysql://ro:s%40cret@db-r1/patchgraph', host: 'db-r1', port: 3306, username: 'ro', password: 's@cret', database: 'patchgraph' },
      { url: 'mariadb://ro@db-r2:3307/pg_copy', host: 'db-r2', port: 3307, username: 'ro', password: '', database: 'pg_copy' },
    ]);

    const refusal = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig(env);
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('accepted');
    };
    const sqlite = refusal({ PATCHGRAPH_DATABASE_READ_URLS: 'mysql://ro@db-r1/patchgraph' });
    expect(sqlite).toBeInstanceOf(ConfigError);
    expect(sqlite.variable).toBe('PATCHGRAPH_DATABASE_READ_URLS');
    expect(sqlite.message).toContain('need a MySQL or MariaDB DATABASE_URL');
    for (const [urls, text] of [
      ['mysql://ro:hunter2@db-r1/patchgraph,postgres://ro:hunter2@db-r2/x', 'entry 2 of 2: unsupported scheme "postgres:"'],
      ['mysql://ro:hunter2@db-r1', 'entry 1 of 1: mysql URL needs a database name'],
      ['mysql://ro:hunter2@db-r1/patchgraph,,mysql://ro@db-r2/patchgraph', 'entry 2 of 3 is empty'],
      ['sqlite:./replica.db', 'entry 1 of 1: unsupported scheme "sqlite:"'],
      ['db-r1:hunter2', 'entry 1 of 1: unsupported scheme'],
      ['hunter2', 'entry 1 of 1: not a URL'],
    ]) {
      const err = refusal({ ...primary, PATCHGRAPH_DATABASE_READ_URLS: urls });
      expect(err.variable).toBe('PATCHGRAPH_DATABASE_READ_URLS');
      expect(err.message).toContain(text);
      // The URLs may hold passwords: an entry is named by its place, never echoed.
      expect(err.message).not.toContain('hunter2');
    }
  });

  it('queues syncs in Redis with REDIS_URL, and lets the server run them unless PATCHGRAPH_WORKER=off', () => {
    expect(loadConfig({}).syncQueue).toBeUndefined();
    const redis = { REDIS_URL: 'redis://127.0.0.1:6379' };
    // A server that set REDIS_URL for its rate limits before the queue existed keeps running its syncs.
    expect(loadConfig(redis).syncQueue).toMatchObject({ serverWorker: 'inline' });
    expect(loadConfig({ ...redis, PATCHGRAPH_WORKER: 'off' }).syncQueue).toMatchObject({ serverWorker: 'off' });
    expect(() => loadConfig({ PATCHGRAPH_WORKER: 'inline' })).toThrow(/PATCHGRAPH_WORKER/);
    expect(() => loadConfig({ ...redis, PATCHGRAPH_WORKER: 'sometimes' })).toThrow(/PATCHGRAPH_WORKER/);
  });
});
