/**
 * The demo's vendor tools that are read over HTTP run in this process as simulators, started by their connectors'
 * demo hooks (`DemoHook.startSimulation`, in each connector's demo.ts) over the machines the other demo tools see.
 * They live as long as the server; on a restart they come up on new ports and the demo's instances are pointed at
 * them.
 */
import { DataSource } from 'typeorm';
import { CONNECTORS } from '../../connectors/registry';
import type { ConnectorDefinition, DemoSimulation } from '../../connectors/sdk/contract';
import { ConnectorAdmin } from '../access/connector-admin';
import { TenantScope } from '../access/tenant-scope';
import { ConnectorInstance, Tenant } from '../entities';
import { SecretBox } from '../secrets/secret-box';
import { Clock } from '../util/clock';
import { demoClient } from './demo-clients';
import { DEMO_TENANTS, demoToolName } from './demo-fleet';

export interface DemoSimulators {
  /** The running simulation of each kind that has one. */
  readonly byKind: ReadonlyMap<string, DemoSimulation<any>>;
  /** Settings of a client's demo instance of `kind`; undefined when the client has none. */
  settingsFor(kind: string, client: string): Record<string, unknown> | undefined;
  close(): Promise<void>;
}

const simulated = (): Array<ConnectorDefinition<any>> => CONNECTORS.filter((c) => c.demo?.startSimulation);

export async function startDemoSimulators(now: Date): Promise<DemoSimulators> {
  const byKind = new Map<string, DemoSimulation<any>>();
  const close = async () => void (await Promise.all([...byKind.values()].map((s) => s.close())));
  try {
    for (const definition of simulated()) {
      const clients = DEMO_TENANTS.filter((t) => (t.tools as readonly string[]).includes(definition.kind)).map((t) => demoClient(t, definition.kind, now));
      byKind.set(definition.kind, await definition.demo!.startSimulation!(clients, now));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    byKind,
    settingsFor: (kind, client) => byKind.get(kind)?.instances.find((i) => i.client === client)?.settings,
    close,
  };
}

/**
 * After a restart: starts the simulators again and points the demo's instances at their new ports (a settings
 * change, audited like any other). Returns null when the database holds no instance a simulation serves.
 */
export async function resumeDemoSimulators(deps: { dataSource: DataSource; secrets: SecretBox; clock: Clock }): Promise<DemoSimulators | null> {
  const repo = deps.dataSource.getRepository(ConnectorInstance);
  const existing = new Map<string, ConnectorInstance[]>();
  for (const definition of simulated()) {
    const found = await repo.findBy({ kind: definition.kind, name: demoToolName(definition.kind, definition.displayName) });
    if (found.length) existing.set(definition.kind, found);
  }
  if (existing.size === 0) return null;
  const simulators = await startDemoSimulators(deps.clock.now());
  const admin = new ConnectorAdmin(deps.dataSource, TenantScope.allTenants(), deps.clock, { label: 'demo' }, deps.secrets);
  for (const [kind, instances] of existing) {
    for (const instance of instances) {
      const tenant = instance.tenantId ? await deps.dataSource.getRepository(Tenant).findOneBy({ id: instance.tenantId }) : null;
      const settings = simulators.byKind.get(kind)!.endpointOf(tenant ? tenant.name : null);
      if (settings) await admin.update({ id: instance.id, settings });
    }
  }
  return simulators;
}
