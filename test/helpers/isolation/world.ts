/**
 * The isolation suite's database: the demo (three clients' Intune, WSUS and Datto RMM data, loaded through the real
 * connectors and engine), plus what the demo never produces, so that every kind of row the graph holds exists for
 * the tenant under test (A) and for the others: a failed sync run with its error message and a secret set, stale and
 * deleted devices with their unattached records, a tenant-own catalog entry fixing a CVE Microsoft's data does not
 * know, and API keys limited to one client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceRecord, UpdateRecord } from '../../../connectors/sdk/contract';
import { ConnectorAdmin } from '../../../src/access/connector-admin';
import { TenantScope } from '../../../src/access/tenant-scope';
import { createApiKey } from '../../../src/auth/api-keys';
import { DemoSimulators } from '../../../src/demo/demo-simulations';
import { loadDemo } from '../../../src/demo/load-demo';
import { ChangeAdmin } from '../../../src/access/change-admin';
import { ChangeRisk, ChangeType } from '../../../src/change/change-kinds';
import { Asset, ConnectorInstance, Tenant, Update } from '../../../src/entities';
import { Role } from '../../../src/entities/enums';
import { toGlobalId } from '../../../src/graphql/types/global-id';
import { applyRun } from '../../../src/sync/apply/apply-run';
import { ReadParts, sourceRead } from '../sync';
import { newId } from '../../../src/util/ids';
import { TestDatabase } from '../database';
import { TestServer } from '../server';

/** The tenant whose principals probe the graph; every other client is "foreign" to it. */
export const TENANT_A = 'Northwind Dental';
export const TENANT_B = 'Contoso Academy Trust';

/** Values planted in B's rows that appear nowhere in A's: the fingerprint collector must find each of them. */
export const PLANTED_B = {
  ownUpdateTitle: 'Contoso gradebook 9.1 hotfix (Academy internal build)',
  ownCve: 'CVE-2099-70011',
  ownCveTitle: 'Gradebook 9 remote grade tampering',
  hostname: 'CAT-ISOLATION-01',
  staleHostname: 'CAT-ISOLATION-02',
  deletedHostname: 'CAT-ISOLATION-03',
  neverImportedHostname: 'CAT-ISOLATION-GONE',
  serial: 'CZC9-ISO-7731-B',
  mac: '02AC1D0B7731',
  intuneSecret: 'cat~Wrong.Isolation_Secret.41x9',
  apiKeyName: 'contoso-only auditor key',
  changeTitle: 'Gradebook server emergency patch (isolation)',
  changeTicket: 'AT-ISO-55821',
  windowName: 'Academy half-term Fridays (isolation)',
  ringName: 'Academy IT pilot (isolation)',
} as const;

export interface World {
  a: Tenant;
  b: Tenant;
  /** A's principals, one per role, limited to A. */
  keys: Record<Role, string>;
  /** A key limited to B: its row is B's, and its plain value a B secret. */
  bKey: string;
  simulators: DemoSimulators;
  close(): Promise<void>;
}

const T1 = new Date('2026-11-02T11:00:00.000Z');
const T2 = new Date('2026-11-02T12:00:00.000Z');

export async function buildWorld(db: TestDatabase, server: TestServer): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'patchgraph-isolation-'));
  const demo = await loadDemo({ dataSource: db.dataSource, secrets: server.secrets, clock: server.clock, engine: server.sync, dataDir: dir });
  const tenants = db.dataSource.getRepository(Tenant);
  const a = await tenants.findOneByOrFail({ name: TENANT_A });
  const b = await tenants.findOneByOrFail({ name: TENANT_B });

  await plantInventory(db, server, b);
  await failedRun(server, b, demo.simulators);
  await plantChanges(db, server, b);

  const keys = {} as Record<Role, string>;
  for (const role of Object.values(Role)) keys[role] = await server.keyFor(role, [a.id]);
  const { key: bKey } = await createApiKey(db.dataSource, server.clock, { name: PLANTED_B.apiKeyName, role: Role.AUDITOR, allTenants: false, tenantIds: [b.id] });
  return {
    a, b, keys, bKey, simulators: demo.simulators,
    async close() {
      await demo.simulators.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Two runs of a B inventory export through the engine's apply step: the first imports three machines and a
 * tenant-own update; the second, a complete read, leaves one out (stale), lists one as deleted and one deleted
 * machine never imported.
 */
async function plantInventory(db: TestDatabase, server: TestServer, b: Tenant): Promise<void> {
  const connectors = new ConnectorAdmin(db.dataSource, TenantScope.allTenants(), server.clock, { label: 'isolation-test' }, server.secrets);
  const instance = await connectors.create({ tenantId: b.id, kind: 'file-import', name: 'Contoso inventory export (isolation)', settings: { path: '/dev/null' }, syncIntervalSeconds: null, enabled: false });
  const own: UpdateRecord = {
    key: 'file:contoso-gradebook-9.1', title: PLANTED_B.ownUpdateTitle, vendor: 'Contoso Academy IT', classification: 'UPDATE', releasedAt: new Date('2026-10-20T00:00:00Z'),
    fixes: [{ cveId: PLANTED_B.ownCve, title: PLANTED_B.ownCveTitle, cvssBaseScore: 8.1, severity: 'IMPORTANT' }],
  };
  const device = (hostname: string, fields: Partial<DeviceRecord> = {}): DeviceRecord => ({
    externalId: `iso-${hostname.toLowerCase()}`, hostname, lastCheckInAt: T1, osName: 'Windows 11 Education', osBuild: '22631.4037', ...fields,
  });
  const first = device(PLANTED_B.hostname, { serialNumber: PLANTED_B.serial, macAddresses: [PLANTED_B.mac], fqdn: `${PLANTED_B.hostname.toLowerCase()}.contoso-academy.example` });
  const apply = async (read: ReadParts, now: Date) => {
    const fresh = await db.dataSource.getRepository(ConnectorInstance).findOneByOrFail({ id: instance.id });
    await db.dataSource.transaction((m) => applyRun(m, { instance: fresh, read: sourceRead(read), now, syncRunId: newId() }));
  };
  await apply({
    devices: [first, device(PLANTED_B.staleHostname), device(PLANTED_B.deletedHostname)],
    updates: [own],
    patchStates: [PLANTED_B.hostname, PLANTED_B.staleHostname].map((h) => ({ deviceExternalId: `iso-${h.toLowerCase()}`, updateKey: own.key, state: 'MISSING', evidence: 'REPORTED' })),
    fullDeviceRead: false,
  }, T1);
  await apply({
    devices: [{ ...first, lastCheckInAt: T2 }, device(PLANTED_B.deletedHostname, { deleted: true }), device(PLANTED_B.neverImportedHostname, { deleted: true })],
    updates: [own],
    patchStates: [{ deviceExternalId: first.externalId, updateKey: own.key, state: 'FAILED', evidence: 'REPORTED' }],
    fullDeviceRead: true,
  }, T2);
}

/** B's change management: a maintenance window, a ring, and an emergency change under way (the demo has A's). */
async function plantChanges(db: TestDatabase, server: TestServer, b: Tenant): Promise<void> {
  const admin = new ChangeAdmin(db.dataSource, TenantScope.allTenants(), server.clock);
  const technician = { id: 'isolation:technician', label: 'isolation:B technician' };
  const approver = { id: 'isolation:approver', label: 'isolation:B head of IT' };
  const asset = await db.dataSource.getRepository(Asset).findOneByOrFail({ tenantId: b.id, hostname: PLANTED_B.hostname });
  await admin.createWindow({ tenantId: b.id, name: PLANTED_B.windowName, rrule: 'FREQ=WEEKLY;BYDAY=FR', firstStart: '2026-01-02T16:00', timeZone: 'Europe/London', durationMinutes: 180 }, approver);
  const ring = await admin.createRing({ tenantId: b.id, name: PLANTED_B.ringName, position: 1, assetIds: [asset.id], minSuccessRate: 1, minDevices: 1, soakHours: 24 }, technician);
  const own = await db.dataSource.getRepository(Update).findOneByOrFail({ owner: b.id, title: PLANTED_B.ownUpdateTitle });
  const now = server.clock.now();
  const change = await admin.create({
    tenantId: b.id, type: ChangeType.EMERGENCY, title: PLANTED_B.changeTitle, description: 'Gradebook tampering fix before reports go out',
    updateIds: [own.id], kbs: [], targets: { assetIds: [asset.id], siteIds: [], ringIds: [ring.id] }, risk: ChangeRisk.HIGH,
    impact: 'Gradebook offline for ten minutes', testPlan: 'Staff laptop first', rollbackPlan: 'Reinstall 9.0 from the Academy share',
    plannedStart: now, plannedEnd: new Date(now.getTime() + 3_600_000), externalTickets: [{ system: 'Autotask', id: PLANTED_B.changeTicket }],
  }, technician);
  await admin.transition(change.id, 'submit', {}, technician, 1);
  await admin.transition(change.id, 'approve', { comment: 'Go' }, approver, 1);
}

/** B's Intune instance with a wrong client secret: a real sync that fails with the vendor's answer as its message. */
async function failedRun(server: TestServer, b: Tenant, simulators: DemoSimulators): Promise<void> {
  const settings = { ...simulators.settingsFor('intune', TENANT_B)!, clientSecret: PLANTED_B.intuneSecret };
  const created = await server.gql(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`, {
    input: { tenantId: toGlobalId('Tenant', b.id), kind: 'intune', name: 'Contoso Intune (rotated secret)', settings },
  });
  if (created.body.errors) throw new Error(`could not create B's failing Intune instance: ${JSON.stringify(created.body.errors)}`);
  const run = await server.gql(`mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { status errorMessage } }`, { id: created.body.data.createConnectorInstance.id });
  if (run.body.data?.triggerSync?.status !== 'FAILED' || !run.body.data.triggerSync.errorMessage) {
    throw new Error(`B's Intune sync with a wrong secret should fail with a message: ${JSON.stringify(run.body)}`);
  }
}
