/**
 * Read replicas (PATCHGRAPH_DATABASE_READ_URLS) on MariaDB: each "replica" is another database on the same server
 * holding a copy of the primary's rows, reached through a user that may only SELECT. The copies are then made to
 * differ (the tenant renamed after its replica, its asset gone), as lagging replicas would, so each answer shows
 * where it was read.
 * Portal queries read from the replica; authentication, mutations (and the objects they return), transactions and
 * everything outside a GraphQL query read from the primary; writes land on the primary only.
 */
import { Connection, createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { DatabaseConfig, parseDatabaseUrl } from '../../src/config/config';
import { createDataSource } from '../../src/db/data-source';
import { allowReplicaReads, withReadScope } from '../../src/db/read-routing';
import { Tenant } from '../../src/entities';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

const describeOnMariadb = ENGINE === 'mariadb' ? describe : describe.skip;
const MYSQL_URL = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/';

describeOnMariadb('read replicas on MariaDB', () => {
  let db: TestDatabase;
  let admin: Connection;
  let replicated: DataSource;
  let server: TestServer;
  let primaryName: string;
  const replicaNames = [1, 2].map((n) => `pgreplica${n}_${process.pid}_${Date.now().toString(36)}`);
  const REPLICA_NAMES = ['Acme Ltd (replica 1)', 'Acme Ltd (replica 2)'];
  const readOnlyUser = `pgro${process.pid}`;
  let tenantId: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    primaryName = (db.config as Extract<DatabaseConfig, { engine: 'mysql' }>).database;
    const f = new Factory(db.dataSource);
    const acme = await f.tenant('Acme Ltd');
    tenantId = acme.id;
    await f.insertAssets([f.asset(acme, { hostname: 'ACME-PC-01' })]);

    admin = await createConnection({ uri: MYSQL_URL, multipleStatements: true });
    await admin.query(`CREATE USER IF NOT EXISTS '${readOnlyUser}'@'%' IDENTIFIED BY 'ro-secret'`);
    await admin.query(`CREATE USER IF NOT EXISTS '${readOnlyUser}'@'localhost' IDENTIFIED BY 'ro-secret'`);
    const [tables] = await admin.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? AND table_type = ?', [primaryName, 'BASE TABLE']);
    for (const [i, replica] of replicaNames.entries()) {
      await admin.query(`CREATE DATABASE \`${replica}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      for (const { t } of tables as Array<{ t: string }>) {
        await admin.query(`CREATE TABLE \`${replica}\`.\`${t}\` LIKE \`${primaryName}\`.\`${t}\``);
        await admin.query(`INSERT INTO \`${replica}\`.\`${t}\` SELECT * FROM \`${primaryName}\`.\`${t}\``);
      }
      // What a lagging replica shows: the tenant under an older name, its asset not arrived yet.
      await admin.query(`UPDATE \`${replica}\`.tenant SET name = ?`, [`Acme Ltd (replica ${i + 1})`]);
      await admin.query(`DELETE FROM \`${replica}\`.asset`);
      await admin.query(`GRANT SELECT ON \`${replica}\`.* TO '${readOnlyUser}'@'%', '${readOnlyUser}'@'localhost'`);
    }

    const base = new URL(MYSQL_URL);
    const config = { ...parseDatabaseUrl(MYSQL_URL.replace(/\/[^/]*$/, `/${primaryName}`)) } as Extract<DatabaseConfig, { engine: 'mysql' }>;
    config.readReplicas = replicaNames.map((replica) => {
      const parsed = parseDatabaseUrl(`mysql://${readOnlyUser}:ro-secret@${base.hostname}:${base.port || 3306}/${replica}`) as Extract<DatabaseConfig, { engine: 'mysql' }>;
      return { url: parsed.url, host: parsed.host, port: parsed.port, username: parsed.username, password: parsed.password, database: parsed.database };
    });
    replicated = await createDataSource(config);
    await replicated.initialize();
    // The key the test server creates is written now, after the copy: it exists on the primary only.
    server = await startTestServer({ ...db, dataSource: replicated });
  });

  afterAll(async () => {
    await server?.stop();
    if (replicated?.isInitialized) await replicated.destroy();
    await db?.drop();
    for (const replica of replicaNames) await admin?.query(`DROP DATABASE IF EXISTS \`${replica}\``);
    await admin?.query(`DROP USER IF EXISTS '${readOnlyUser}'@'%', '${readOnlyUser}'@'localhost'`);
    await admin?.end();
  });

  const primaryTenant = async () => ((await admin.query(`SELECT name FROM \`${primaryName}\`.tenant WHERE id = ?`, [tenantId])) as any)[0][0].name;
  const replicaTenants = async () => Promise.all(replicaNames.map(async (replica) => ((await admin.query(`SELECT name FROM \`${replica}\`.tenant WHERE id = ?`, [tenantId])) as any)[0][0].name));

  it('answers portal queries from the replicas, each from one replica throughout, after authenticating the key on the primary', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await server.gql('query($id: ID!) { tenants { nodes { name assetCount } } tenant(id: $id) { name } }', { id: toGlobalId('Tenant', tenantId) });
      // A key read from a replica would not exist there: the request would be refused as unauthenticated.
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      const [listed] = res.body.data.tenants.nodes;
      expect(REPLICA_NAMES).toContain(listed.name);
      expect(listed.assetCount).toBe(0);
      // Every statement of one request went to the same replica, so they agree with each other.
      expect(res.body.data.tenant.name).toBe(listed.name);
      seen.add(listed.name);
    }
    // Requests are spread over the replicas.
    expect([...seen].sort()).toEqual(REPLICA_NAMES);
  });

  it('runs a mutation on the primary, returning the object as it just wrote it, and writes nothing to the replicas', async () => {
    const res = await server.gql('mutation($input: RenameTenantInput!) { renameTenant(input: $input) { name assetCount } }', {
      input: { id: toGlobalId('Tenant', tenantId), name: 'Acme Group' },
    });
    expect(res.body.errors).toBeUndefined();
    // The name and the asset count are the primary's: a read from a replica would give "(replica n)" and 0.
    expect(res.body.data.renameTenant).toEqual({ name: 'Acme Group', assetCount: 1 });
    expect(await primaryTenant()).toBe('Acme Group');
    expect(await replicaTenants()).toEqual(REPLICA_NAMES);
    // Until the replicas catch up, a query still reads what they hold: the lag the README describes.
    expect(REPLICA_NAMES).toContain((await server.gql('{ tenants { nodes { name } } }')).body.data.tenants.nodes[0].name);
  });

  it('reads from the primary outside a replica scope, in transactions, and for statements that lock or write', async () => {
    const names = async () => ({
      entity: (await replicated.getRepository(Tenant).findOneByOrFail({ id: tenantId })).name,
      raw: (await replicated.query('SELECT name FROM tenant WHERE id = ?', [tenantId]))[0].name,
      inTransaction: await replicated.transaction(async (m) => (await m.findOneByOrFail(Tenant, { id: tenantId })).name),
    });
    expect(await names()).toEqual({ entity: 'Acme Group', raw: 'Acme Group', inTransaction: 'Acme Group' });
    expect(await withReadScope(names)).toEqual({ entity: 'Acme Group', raw: 'Acme Group', inTransaction: 'Acme Group' });
    const fromReplica = await withReadScope(async () => {
      allowReplicaReads();
      return names();
    });
    expect(REPLICA_NAMES).toContain(fromReplica.entity);
    expect(fromReplica).toEqual({ entity: fromReplica.entity, raw: fromReplica.entity, inTransaction: 'Acme Group' });
    await withReadScope(async () => {
      allowReplicaReads();
      // A write in a replica scope still goes to the primary (the replicas' user could not write it at all).
      await replicated.query('UPDATE tenant SET name = ? WHERE id = ?', ['Acme Group Ltd', tenantId]);
      await replicated.getRepository(Tenant).update({ id: tenantId }, { name: 'Acme Group plc' });
    });
    expect(await primaryTenant()).toBe('Acme Group plc');
    expect(await replicaTenants()).toEqual(REPLICA_NAMES);
  });

  it('reads from the primary when no replica answers', async () => {
    const config = { ...parseDatabaseUrl(MYSQL_URL.replace(/\/[^/]*$/, `/${primaryName}`)) } as Extract<DatabaseConfig, { engine: 'mysql' }>;
    // Nothing listens on port 1: every connection to this replica is refused.
    config.readReplicas = [{ url: 'mysql://ro@127.0.0.1:1/x', host: '127.0.0.1', port: 1, username: 'ro', password: '', database: 'x' }];
    const unreachable = await createDataSource(config);
    await unreachable.initialize();
    try {
      const read = () => withReadScope(async () => {
        allowReplicaReads();
        return (await unreachable.getRepository(Tenant).findOneByOrFail({ id: tenantId })).name;
      });
      expect(await read()).toBe(await primaryTenant());
      expect(await read()).toBe(await primaryTenant());
    } finally {
      await unreachable.destroy();
    }
  });
});
