/**
 * The contract kit's EngineProbe over a real database of the current jest project (SQLite or MariaDB) and the
 * real sync engine.
 */
import { createHash } from 'node:crypto';
import type { EngineProbe, ProbeRun } from '../../connectors/sdk/testkit/engine-probe';
import { SyncTrigger } from '../../src/entities/enums';
import { parseCounts } from '../../src/sync/run-counts';
import { openTestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { syncHarness } from '../helpers/sync';

// Every table a sync may write, except its own run records and the lease.
const SNAPSHOT_TABLES: Array<{ table: string; where: string }> = [
  { table: 'source_device', where: 'tenantId = ?' },
  { table: 'asset', where: 'tenantId = ?' },
  { table: 'patch_state', where: 'tenantId = ?' },
  { table: 'patch_event', where: 'tenantId = ?' },
  { table: 'software_update', where: '1 = 1 OR ? IS NULL' },
  { table: 'vulnerability', where: '1 = 1 OR ? IS NULL' },
  { table: 'patch_posture_event', where: 'tenantId = ?' },
  { table: 'update_approval', where: 'tenantId = ?' },
  { table: 'connector_instance', where: 'tenantId = ?' },
];

const normalise = (row: Record<string, unknown>) =>
  JSON.stringify(Object.keys(row).sort().map((k) => [k, row[k] instanceof Date ? (row[k] as Date).toISOString() : row[k] === null ? null : String(row[k])]));

export async function openEngineProbe(): Promise<EngineProbe & { close(): Promise<void> }> {
  const db = await openTestDatabase();
  const { engine, admin } = syncHarness(db.dataSource);
  const factory = new Factory(db.dataSource);
  const tenantOf = new Map<string, string>();

  return {
    async createInstance(kind, rawConfig) {
      const tenant = await factory.tenant();
      const instance = await admin.create({ tenantId: tenant.id, kind, name: `${kind} under test`, settings: rawConfig, enabled: false });
      tenantOf.set(instance.id, tenant.id);
      return instance.id;
    },
    async sync(instanceId, options = {}): Promise<ProbeRun> {
      const run = await engine.run(instanceId, { trigger: SyncTrigger.CLI, triggeredBy: 'contract kit', full: options.full, payload: options.payload });
      return { status: run.status as ProbeRun['status'], mode: run.mode, errorMessage: run.errorMessage, counts: parseCounts(run) };
    },
    async snapshot(instanceId) {
      const hash = createHash('sha256');
      for (const { table, where } of SNAPSHOT_TABLES) {
        const rows: Array<Record<string, unknown>> = await db.dataSource.query(`SELECT * FROM ${table} WHERE ${where} ORDER BY id`, [tenantOf.get(instanceId)]);
        hash.update(table);
        for (const row of rows) hash.update(normalise(row));
      }
      return hash.digest('hex');
    },
    async staleDevices(instanceId) {
      const rows: Array<{ externalId: string }> = await db.dataSource.query(
        'SELECT externalId FROM source_device WHERE connectorInstanceId = ? AND stale = 1 ORDER BY externalId',
        [instanceId],
      );
      return rows.map((r) => r.externalId);
    },
    close: () => db.drop(),
  };
}
