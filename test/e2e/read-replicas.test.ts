/**
 * Read replicas (PATCHGRAPH_DATABASE_READ_URLS) on MariaDB: the "replica" is a second database on the same server
 * holding a copy of the primary's rows, reached through a user that may only SELECT. The copy is then made to
 * differ (a tenant renamed, its asset gone), as a lagging replica would, so each answer shows where it was read.
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
  const replicaName = `pgreplica_${process.pid}_${Date.now().toString(36)}`;
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
    await admin.query(`CREATE DATABASE \`${replicaName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const [tables] = await admin.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? AND table_type = ?', [primaryName, 'BASE TABLE']);
    for (const { t } of tables as Array<{ t: string }>) {
      await admin.query(`CREATE TABLE \`${replicaName}\`.\`${t}\` LIKE \`${primaryName}\`.\`${t}\``);
      await admin.query(`INSERT INTO \`${replicaName}\`.\`${t}\` SELECT * FROM \`${primaryName}\`.\`${t}\``);
    }
    // What a lagging replica shows: the tenant under an older name, its asset not arrived yet.
    await admin.query(`UPDATE \`${replicaName}\`.tenant SET name = 'Acme Ltd (replica)'`);
    await admin.query(`DELETE FROM \`${replicaName}\`.asset`);
    await admin.query(`CREATE USER IF NOT EXISTS '${readOnlyUser}'@'%' IDENTIFIED BY 'ro-secret'`);
    await admin.query(`CREATE USER IF NOT EXISTS '${readOnlyUser}'@'localhost' IDENTIFIED BY 'ro-secret'`);
    await admin.query(`GRANT SELECT ON \`${replicaName}\`.* TO '${readOnlyUser}'@'%', '${readOnlyUser}'@'localhost'`);

    const base = new URL(MYSQL_URL);
    const replicaUrl = `mysql://${readOnlyUser}:ro-secret@${base.hostname}:${base.port || 3306}/${replicaName}`;
    const config = { ...parseDatabaseUrl(MYSQL_URL.replace(/\/[^/]*$/, `/${primaryName}`)), readReplicas: [] } as Extract<DatabaseConfig, { engine: 'mysql' }>;
    config.readReplicas = [{ ...(parseDatabaseUrl(replicaUrl) as Extract<DatabaseConfig, { engine: 'mysql' }>) }];
    replicated = await createDataSource(config);
    await replicated.initialize();
    // The key the test server creates is written now, after the copy: it exists on the primary only.
    server = await startTestServer({ ...db, dataSource: replicated });
  });

  afterAll(async () => {
    await server?.stop();
    if (replicated?.isInitialized) await replicated.destroy();
    await db?.drop();
    await admin?.query(`DROP DATABASE IF EXISTS \`${replicaName}\``);
    await admin?.query(`DROP USER IF EXISTS '${readOnlyUser}'@'%', '${readOnlyUser}'@'localhost'`);
    await admin?.end();
  });

  const primaryTenant = async () => ((await admin.query(`SELECT name FROM \`${primaryName}\`.tenant WHERE id = ?`, [tenantId])) as any)[0][0].name;
  const replicaTenant = async () => ((await admin.query(`SELECT name FROM \`${replicaName}\`.tenant WHERE id = ?`, [tenantId])) as any)[0][0].name;

  it('answers a portal query from the replica, after authenticating the key on the primary', async () => {
    const res = await server.gql('{ tenants { nodes { name assetCount } } }');
    // A key read from the replica would not exist there: the request would be refused as unauthenticated.
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.tenants.nodes).toEqual([{ name: 'Acme Ltd (replica)', assetCount: 0 }]);
  });

  it('runs a mutation on the primary, returning the object as it just wrote it, and writes nothing to the replica', async () => {
    const res = await server.gql('mutation($input: RenameTenantInput!) { renameTenant(input: $input) { name assetCount } }', {
      input: { id: toGlobalId('Tenant', tenantId), name: 'Acme Group' },
    });
    expect(res.body.errors).toBeUndefined();
    // The name and the asset count are the primary's: a read from the replica would give "(replica)" and 0.
    expect(res.body.data.renameTenant).toEqual({ name: 'Acme Group', assetCount: 1 });
    expect(await primaryTenant()).toBe('Acme Group');
    expect(await replicaTenant()).toBe('Acme Ltd (replica)');
    // Until the replica catches up, a query still reads what it holds: the lag the README describes.
    expect((await server.gql('{ tenants { nodes { name } } }')).body.data.tenants.nodes).toEqual([{ name: 'Acme Ltd (replica)' }]);
  });

  it('reads from the primary outside a replica scope, in transactions, and for statements that lock or write', async () => {
    const names = async () => ({
      entity: (await replicated.getRepository(Tenant).findOneByOrFail({ id: tenantId })).name,
      raw: (await replicated.query('SELECT name FROM tenant WHERE id = ?', [tenantId]))[0].name,
      inTransaction: await replicated.transaction(async (m) => (await m.findOneByOrFail(Tenant, { id: tenantId })).name),
    });
    expect(await names()).toEqual({ entity: 'Acme Group', raw: 'Acme Group', inTransaction: 'Acme Group' });
    expect(await withReadScope(names)).toEqual({ entity: 'Acme Group', raw: 'Acme Group', inTransaction: 'Acme Group' });
    expect(await withReadScope(async () => {
      allowReplicaReads();
      return names();
    })).toEqual({ entity: 'Acme Ltd (replica)', raw: 'Acme Ltd (replica)', inTransaction: 'Acme Group' });
    await withReadScope(async () => {
      allowReplicaReads();
      // A write in a replica scope still goes to the primary (the replica's user could not write it at all).
      await replicated.query('UPDATE tenant SET name = ? WHERE id = ?', ['Acme Group Ltd', tenantId]);
      await replicated.getRepository(Tenant).update({ id: tenantId }, { name: 'Acme Group plc' });
    });
    expect(await primaryTenant()).toBe('Acme Group plc');
    expect(await replicaTenant()).toBe('Acme Ltd (replica)');
  });
});
