/** What the audit seal tests share: the seal's reference result, and a connector instance and a run to seal. */
import { EntityManager } from 'typeorm';
import { digestOf, EventsDigest, LEAF_CHUNK, LEAF_VERSION, leavesWhere } from '../../src/audit/event-leaves';
import { insertRows } from '../../src/db/insert-rows';
import { ConnectorInstance, SyncRun, Tenant } from '../../src/entities';
import { SyncMode, SyncRunStatus, SyncTrigger } from '../../src/entities/enums';
import { newId } from '../../src/util/ids';

export type SealByTenant = Map<string, { rows: string[]; events: EventsDigest }>;

/** What the seal wrote before it streamed: every leaf of the run read, sorted, cut into rows; the digest over them all. */
export async function collectAndSortSeal(m: EntityManager, syncRunId: string): Promise<SealByTenant> {
  const out: SealByTenant = new Map();
  for (const [tenantId, leaves] of await leavesWhere(m, '{syncRunId} = ?', [syncRunId])) {
    const rows: string[] = [];
    for (let i = 0; i < leaves.length; i += LEAF_CHUNK) rows.push(JSON.stringify(leaves.slice(i, i + LEAF_CHUNK).map((l) => [l.kind, l.id, l.leaf])));
    out.set(tenantId, { rows, events: digestOf(leaves, LEAF_VERSION) });
  }
  return out;
}

export async function insertInstance(m: EntityManager, tenant: Tenant | null, kind: string, at: Date): Promise<ConnectorInstance> {
  const c = Object.assign(new ConnectorInstance(), {
    id: newId(), tenantId: tenant?.id ?? null, kind, name: kind, settingsJson: '{}', secretsCiphertext: null,
    syncIntervalSeconds: null, enabled: true, cursors: null, createdAt: at, updatedAt: at,
  });
  await insertRows(m, ConnectorInstance, [c]);
  return c;
}

/** A RUNNING run of the instance, as the engine starts one. */
export async function insertRunningRun(m: EntityManager, c: ConnectorInstance, at: Date): Promise<SyncRun> {
  const run = Object.assign(new SyncRun(), {
    id: newId(), connectorInstanceId: c.id, tenantId: c.tenantId, status: SyncRunStatus.RUNNING, mode: SyncMode.FULL, trigger: SyncTrigger.API,
    triggeredBy: 'test', startedAt: at, finishedAt: null, counts: '{}', errorKind: null, errorMessage: null,
  });
  await insertRows(m, SyncRun, [run]);
  return run;
}
