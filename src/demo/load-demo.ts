/**
 * Demo mode: when the database has no connector instances, load a realistic sample the way a user would. Each
 * connector's demo hook (its folder's demo.ts) says how: Intune's and Datto RMM's start simulators in this process,
 * read by the real connectors (a Graph per Intune client; the MSP's one Datto account, an MSP-wide instance whose
 * sites are then mapped to the clients), and WSUS's builds each client's collector snapshot, pushed to the real WSUS
 * connector. Every instance is synced through the real engine, so everything the demo shows (merged assets, match
 * explanations, derived states, sync runs) comes from the same code paths as production data.
 */
import { setUpDemoCompliance } from './demo-compliance';
import { setUpDemoChanges } from './demo-changes';
import { DataSource } from 'typeorm';
import { CONNECTORS } from '../../connectors/registry';
import type { DemoSiteMapping } from '../../connectors/sdk/contract';
import { ConnectorAdmin } from '../access/connector-admin';
import { TenantAdmin } from '../access/tenant-admin';
import { TenantScope } from '../access/tenant-scope';
import { inTransaction } from '../db/transaction';
import { ConnectorInstance, Site, SyncRun, Tenant, Update, VendorSite } from '../entities';
import { SyncRunStatus, SyncTrigger } from '../entities/enums';
import { SecretBox } from '../secrets/secret-box';
import { SyncEngine } from '../sync/sync-engine';
import { Clock } from '../util/clock';
import { loadBundledCatalog } from '../catalog/bundled-catalog';
import { DEMO_TENANTS, demoToolName } from './demo-fleet';
import { demoClient } from './demo-clients';
import { DemoSimulators, startDemoSimulators } from './demo-simulations';

/** True when no connector instance exists yet: the only time the demo loads. */
export async function needsDemo(dataSource: DataSource): Promise<boolean> {
  return (await dataSource.getRepository(ConnectorInstance).count()) === 0;
}

export interface DemoResult {
  tenants: number;
  connectorInstances: number;
  syncRuns: SyncRun[];
  /** The demo's Graph simulators; close them when the server stops. */
  simulators: DemoSimulators;
}

export async function loadDemo(deps: { dataSource: DataSource; secrets: SecretBox; clock: Clock; engine: SyncEngine; dataDir: string }): Promise<DemoResult> {
  const { dataSource, secrets, clock, engine } = deps;
  const now = clock.now();
  const actor = { label: 'demo' };
  const scope = TenantScope.allTenants();
  const tenants = new TenantAdmin(dataSource, scope, clock, actor);
  const connectors = new ConnectorAdmin(dataSource, scope, clock, actor, secrets);

  // The real Microsoft catalog first, with its CVEs: the exports refer to its updates by key.
  if ((await dataSource.getRepository(Update).count()) === 0) await inTransaction(dataSource, (m) => loadBundledCatalog(m, now));

  const tenantIds = new Map<string, string>();
  for (const t of DEMO_TENANTS) {
    const existing = await dataSource.getRepository(Tenant).findOneBy({ name: t.name });
    const tenant = existing ?? (await tenants.createTenant(t.name));
    if (!existing) for (const site of t.sites) await tenants.createSite(tenant.id, site);
    tenantIds.set(t.name, tenant.id);
  }
  const simulators = await startDemoSimulators(now);
  type DemoInstanceToCreate = { tenant: string | null; kind: string; name: string; settings: Record<string, unknown>; payload?: unknown; siteMappings?: readonly DemoSiteMapping[] };
  const instances: DemoInstanceToCreate[] = [];
  const accountWide: DemoInstanceToCreate[] = [];
  for (const definition of CONNECTORS) {
    const name = demoToolName(definition.kind, definition.displayName);
    const simulation = simulators.byKind.get(definition.kind);
    for (const i of simulation?.instances ?? []) {
      (i.client === null ? accountWide : instances).push({ tenant: i.client, kind: definition.kind, name, settings: i.settings, siteMappings: i.siteMappings });
    }
    if (!definition.demo?.tenantInstance) continue;
    for (const t of DEMO_TENANTS.filter((x) => (x.tools as readonly string[]).includes(definition.kind))) {
      const { settings, payload } = definition.demo.tenantInstance(demoClient(t, definition.kind, now), now);
      instances.push({ tenant: t.name, kind: definition.kind, name, settings, payload });
    }
  }
  // MSP-wide accounts last: their sites map to the clients' sites, which the clients' own tools have filled.
  instances.push(...accountWide);

  const syncRuns: SyncRun[] = [];
  try {
    for (const i of instances) {
      const instance = await connectors.create({
        tenantId: i.tenant ? tenantIds.get(i.tenant)! : null, kind: i.kind, name: i.name, settings: i.settings,
        // A push source syncs when it uploads; the others are read hourly.
        syncIntervalSeconds: i.payload === undefined ? 3600 : null, enabled: true,
      });
      const sync = async () => {
        const run = await engine.run(instance.id, { trigger: SyncTrigger.DEMO, triggeredBy: 'demo', payload: i.payload });
        if (run.status !== SyncRunStatus.SUCCEEDED) throw new Error(`demo sync of ${i.name} for ${i.tenant ?? 'the MSP'} failed: ${run.errorMessage}`);
        syncRuns.push(run);
      };
      await sync();
      if (i.siteMappings) {
        // The first sync reported the account's sites; map the clients' as an operator would (mapVendorSite) and
        // leave any other site unmapped, as a new site waits. The next sync imports the clients' devices.
        await mapDemoSites(dataSource, connectors, instance.id, i.siteMappings, tenantIds);
        await sync();
      }
    }
    await setUpDemoCompliance(dataSource, clock);
    await setUpDemoChanges(dataSource, clock);
  } catch (err) {
    await simulators.close();
    throw err;
  }
  return { tenants: tenantIds.size, connectorInstances: instances.length, syncRuns, simulators };
}

async function mapDemoSites(dataSource: DataSource, connectors: ConnectorAdmin, instanceId: string, mappings: readonly DemoSiteMapping[], tenantIds: Map<string, string>): Promise<void> {
  const vendorSites = await dataSource.getRepository(VendorSite).findBy({ connectorInstanceId: instanceId });
  for (const s of mappings) {
    const vendorSite = vendorSites.find((v) => v.name === s.vendorSite);
    if (!vendorSite) continue;
    const tenantId = tenantIds.get(s.client)!;
    const site = s.site ? await dataSource.getRepository(Site).findOneBy({ tenantId, name: s.site }) : null;
    await connectors.mapVendorSite({ id: vendorSite.id, tenantId, siteId: site?.id ?? null, ignored: false });
  }
}
