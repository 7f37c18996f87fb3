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
