/**
 * `patchgraph instances [--kind KIND] [--tenant TEXT] [--quiet]`: the connector instances, with the ids that
 * `patchgraph sync --connector`, `node(id:)`, `triggerSync` and `updateConnectorInstance` take. --quiet prints only
 * the ids, so a shell can pass one on without jq: `npx patchgraph sync --connector "$(npx patchgraph instances
 * --kind datto-rmm -q)"`.
 */
import { Writable } from 'node:stream';
import { Config } from '../config/config';
import { ConnectorInstance, Tenant } from '../entities';
import { toGlobalId } from '../graphql/types/global-id';
import { createLogger } from '../server/logger';
import { isPushOnly } from '../sync/scheduler';
import { openDatabase } from './open-database';

export interface InstancesCommandOptions {
  kind?: string;
  tenant?: string;
  quiet?: boolean;
}

const MSP_WIDE = '(MSP-wide)';

/** How the instance syncs: what an operator needs before choosing `sync --connector` or waiting for an upload. */
function syncsBy(instance: ConnectorInstance): string {
  if (!instance.enabled) return 'disabled';
  if (isPushOnly(instance)) return 'push-only';
  const every = instance.syncIntervalSeconds;
  if (every === null) return 'on demand';
  return every % 3600 === 0 ? `every ${every / 3600}h` : every % 60 === 0 ? `every ${every / 60}m` : `every ${every}s`;
}

export async function instancesCommand(config: Config, options: InstancesCommandOptions, out: NodeJS.WriteStream | Writable = process.stdout): Promise<number> {
  const logger = createLogger({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const dataSource = await openDatabase(config, logger);
  try {
    const tenants = new Map((await dataSource.getRepository(Tenant).find()).map((t) => [t.id, t.name]));
    const tenantText = options.tenant?.toLowerCase();
    const rows = (await dataSource.getRepository(ConnectorInstance).find())
      .filter((i) => !options.kind || i.kind === options.kind)
      .filter((i) => tenantText === undefined || (i.tenantId !== null && tenants.get(i.tenantId)!.toLowerCase().includes(tenantText)))
      .map((i) => ({
        id: toGlobalId('ConnectorInstance', i.id),
        kind: i.kind,
        tenant: i.tenantId === null ? MSP_WIDE : tenants.get(i.tenantId)!,
        syncs: syncsBy(i),
        name: i.name,
      }))
      // MSP-wide instances first, then by tenant, kind and name: the order an operator scans for a client.
      .sort((a, b) => Number(b.tenant === MSP_WIDE) - Number(a.tenant === MSP_WIDE) || a.tenant.localeCompare(b.tenant) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));

    if (options.quiet) {
      for (const row of rows) out.write(`${row.id}\n`);
      return 0;
    }
    if (rows.length === 0) {
      const filtered = options.kind !== undefined || options.tenant !== undefined;
      out.write(filtered ? 'no connector instances match --kind/--tenant\n' : 'no connector instances yet (createConnectorInstance adds one)\n');
      return 0;
    }
    const header = { id: 'ID', kind: 'KIND', tenant: 'TENANT', syncs: 'SYNCS', name: 'NAME' };
    const columns = ['id', 'kind', 'tenant', 'syncs'] as const;
    const widths = Object.fromEntries(columns.map((c) => [c, Math.max(...[header, ...rows].map((r) => r[c].length))]));
    for (const row of [header, ...rows]) out.write(`${columns.map((c) => row[c].padEnd(widths[c])).join('  ')}  ${row.name}\n`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}
