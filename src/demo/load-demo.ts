/**
 * Demo mode: when the database has no connector instances, load a realistic sample the way a user would — write
 * the demo tools' exports to files, create a file-import connector instance per export, and sync each through the
 * real engine. Everything the demo shows (merged assets, match explanations, sync runs) is produced by the same
 * code paths as production data.
 */
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ConnectorAdmin } from '../access/connector-admin';
import { TenantAdmin } from '../access/tenant-admin';
import { TenantScope } from '../access/tenant-scope';
import { inTransaction } from '../db/transaction';
import { ConnectorInstance, SyncRun, Tenant, Update } from '../entities';
import { SyncRunStatus, SyncTrigger } from '../entities/enums';
import { SecretBox } from '../secrets/secret-box';
import { SyncEngine } from '../sync/sync-engine';
import { Clock } from '../util/clock';
import { loadCatalog } from './catalog';
import { DEMO_TOOL_NAMES, writeDemoExports } from './demo-exports';

/** True when no connector instance exists yet: the only time the demo loads. */
export async function needsDemo(dataSource: DataSource): Promise<boolean> {
  return (await dataSource.getRepository(ConnectorInstance).count()) === 0;
}

export interface DemoResult {
  tenants: number;
  connectorInstances: number;
  syncRuns: SyncRun[];
}

export async function loadDemo(deps: { dataSource: DataSource; secrets: SecretBox; clock: Clock; engine: SyncEngine; dataDir: string }): Promise<DemoResult> {
  const { dataSource, secrets, clock, engine } = deps;
  const now = clock.now();
  const actor = { label: 'demo' };
  const scope = TenantScope.allTenants();
  const tenants = new TenantAdmin(dataSource, scope, clock, actor);
  const connectors = new ConnectorAdmin(dataSource, scope, clock, actor, secrets);

  // The real Microsoft catalog first, with its CVEs: the exports refer to its updates by key.
  if ((await dataSource.getRepository(Update).count()) === 0) await inTransaction(dataSource, (m) => loadCatalog(m, now));

  const exports = writeDemoExports(join(deps.dataDir, 'demo'), now);
  const tenantIds = new Map<string, string>();
  for (const e of exports) {
    if (!tenantIds.has(e.tenant.name)) {
      const existing = await dataSource.getRepository(Tenant).findOneBy({ name: e.tenant.name });
      const tenant = existing ?? (await tenants.createTenant(e.tenant.name));
      if (!existing) for (const site of e.tenant.sites) await tenants.createSite(tenant.id, site);
      tenantIds.set(e.tenant.name, tenant.id);
    }
  }
  const syncRuns: SyncRun[] = [];
  for (const e of exports) {
    const instance = await connectors.create({
      tenantId: tenantIds.get(e.tenant.name)!, kind: 'file-import', name: DEMO_TOOL_NAMES[e.tool], settings: { path: e.path },
      syncIntervalSeconds: 3600, enabled: true,
    });
    const run = await engine.run(instance.id, { trigger: SyncTrigger.DEMO, triggeredBy: 'demo' });
    if (run.status !== SyncRunStatus.SUCCEEDED) throw new Error(`demo sync of ${e.path} failed: ${run.errorMessage}`);
    syncRuns.push(run);
  }
  return { tenants: tenantIds.size, connectorInstances: exports.length, syncRuns };
}
