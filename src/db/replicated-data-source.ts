import { DataSource, QueryRunner, ReplicationMode } from 'typeorm';
import type { MysqlDataSourceOptions } from 'typeorm/driver/mysql/MysqlDataSourceOptions';
import { MysqlServer } from '../config/config';
import { isReplicaSafeRead, readMode } from './read-routing';

/** What every MySQL/MariaDB DataSource shares, whether it reads from replicas or not. */
export type MysqlBaseOptions = Omit<MysqlDataSourceOptions, 'host' | 'port' | 'username' | 'password' | 'database' | 'replication'>;

const credentials = (s: MysqlServer) => ({ host: s.host, port: s.port, username: s.username, password: s.password, database: s.database });

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
