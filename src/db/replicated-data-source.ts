import { DataSource, QueryRunner, ReplicationMode } from 'typeorm';
import type { MysqlDataSourceOptions } from 'typeorm/driver/mysql/MysqlDataSourceOptions';
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver';
import { MysqlServer } from '../config/config';
import { isReplicaSafeRead, pinnedReplica, readMode } from './read-routing';

/** What every MySQL/MariaDB DataSource shares, whether it reads from replicas or not. */
export type MysqlBaseOptions = Omit<MysqlDataSourceOptions, 'host' | 'port' | 'username' | 'password' | 'database' | 'replication'>;

const credentials = (s: MysqlServer) => ({ host: s.host, port: s.port, username: s.username, password: s.password, database: s.database });

function connectionOf(driver: MysqlDriver, pattern: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    driver.poolCluster.getConnection(pattern, (err: Error | null, connection: unknown) => {
      if (err) reject(err);
      // TypeORM's own preparation: an error handler on the connection, without which a dropped one crashes the process.
      else resolve(driver['prepareDbConnection'](connection));
    });
  });
}

/**
 * A primary with read replicas (TypeORM replication over a mysql2 pool cluster) whose SELECTs go to a replica only
 * where read-routing.ts allows it. Transactions, writes and the schema work always use the primary: TypeORM gives
 * them a "master" query runner.
 */
export class ReplicatedDataSource extends DataSource {
  constructor(base: MysqlBaseOptions, primary: MysqlServer, replicas: MysqlServer[]) {
    super({
      ...base,
      replication: {
        master: credentials(primary),
        slaves: replicas.map(credentials),
        // The primary unless a scope opened itself to replicas; overridden below per call, stated here for readers.
        defaultMode: 'master',
        // A replica that keeps failing is left out for a while and then tried again, instead of forever (mysql2's 0).
        removeNodeErrorCount: 3,
        restoreNodeTimeout: 30_000,
        selector: 'RR',
      },
    } as MysqlDataSourceOptions);
    // TypeORM asks the pool cluster for any replica ("SLAVE*") on every connection; a request keeps to one.
    const driver = this.driver as MysqlDriver;
    let next = 0;
    driver.obtainSlaveConnection = async () => {
      const node = `SLAVE${pinnedReplica(() => next++ % replicas.length)}`;
      try {
        return await connectionOf(driver, node);
      } catch {
        // That replica is down (or left out after its errors): another one serves, or the primary, which is never
        // behind, rather than none.
        return connectionOf(driver, 'SLAVE*').catch(() => driver.obtainMasterConnection());
      }
    };
  }

  /** Read by TypeORM's SelectQueryBuilder (find, findOne, getMany, …) when it runs outside a transaction. */
  override defaultReplicationModeForReads(): ReplicationMode {
    return readMode();
  }

  /** Raw SQL gets the primary from TypeORM whatever it is; a plain SELECT in a replica scope goes to a replica. */
  override async query<T = any>(sql: string, parameters?: any[] | Record<string, unknown>, queryRunner?: QueryRunner): Promise<T> {
    if (queryRunner || readMode() !== 'slave' || !isReplicaSafeRead(sql)) return super.query<T>(sql, parameters, queryRunner);
    const replica = this.createQueryRunner('slave');
    try {
      return await super.query<T>(sql, parameters, replica);
    } finally {
      await replica.release();
    }
  }
}
