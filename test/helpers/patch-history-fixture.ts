/**
 * A small fixed history for the patch history report, made by real syncs of the file-import connector through the
 * server (each at a fixed time), with the bundled Microsoft catalog's CVEs and the intel baseline's KEV and EPSS
 * facts. Tenant Contoso has three machines and three updates over three syncs in October 2026, then a fourth sync
 * after the report's knownAt; tenant Fabrikam has one machine of its own.
 */
import { join } from 'node:path';
import { importIntelFile } from '../../src/intel/import-intel';
import { fixedClock } from '../../src/util/clock';
import { TestDatabase } from './database';
import { InventoryFile, KB1, KB2, Rec } from './inventory';
import { TestServer } from './server';

export const T1 = '2026-10-05T08:00:00.000Z';
export const T2 = '2026-10-12T08:00:00.000Z';
export const T3 = '2026-10-20T08:00:00.000Z';
/** The report's knownAt: after the third sync, before the fourth. */
export const KNOWN_AT = '2026-10-25T00:00:00.000Z';
export const T4 = '2026-10-28T08:00:00.000Z';
export const NOW = '2026-11-02T10:00:00.000Z';
export const FROM = '2026-10-01';
export const TO = '2026-11-01';

/** An update only Contoso's inventory reports: its own catalog entry, no CVEs, LOW. */
export const AGENT = { key: 'contoso:agent-7.2', title: 'Contoso endpoint agent 7.2', vendor: 'Contoso', releasedAt: '2026-10-01T00:00:00Z', severity: 'LOW', classification: 'UPDATE' };

const DEVICES: Rec[] = [
  { externalId: 'pc-01', hostname: 'CON-PC-01', serialNumber: 'SN-PC-0001', osName: 'Windows 11 Pro', vendorSite: 'Head Office', lastCheckInAt: T1 },
  { externalId: 'pc-02', hostname: 'CON-PC-02', serialNumber: 'SN-PC-0002', osName: 'Windows 11 Pro', lastCheckInAt: T1 },
  { externalId: 'srv-01', hostname: 'CON-SRV-01', serialNumber: 'SN-SRV-0001', osName: 'Windows Server 2022 Standard', vendorSite: 'Head Office', lastCheckInAt: T1 },
];

type State = [device: string, update: string, state: string, reportedAt?: string];
const states = (rows: State[]): Rec[] => rows.map(([deviceExternalId, updateKey, state, reportedAt]) => ({ deviceExternalId, updateKey, state, ...(reportedAt ? { reportedAt } : {}) }));

/** What Contoso's inventory says at each sync. */
export const SYNCS: Array<{ at: string; states: Rec[] }> = [
  {
    at: T1,
    states: states([
      ['pc-01', KB1.key, 'MISSING', '2026-10-05T07:30:00Z'], ['pc-01', KB2.key, 'MISSING'], ['pc-01', AGENT.key, 'INSTALLED', '2026-10-02T12:00:00Z'],
      // Installed before the period: its event is dated by the vendor before October, so it is not in the report.
      ['pc-02', KB1.key, 'INSTALLED', '2026-09-20T10:00:00Z'], ['pc-02', KB2.key, 'FAILED', '2026-10-05T06:00:00Z'],
      // First seen not applicable: no transition that matters.
      ['srv-01', KB1.key, 'PENDING_REBOOT', '2026-10-04T22:00:00Z'], ['srv-01', KB2.key, 'NOT_APPLICABLE'],
    ]),
  },
  {
    at: T2,
    states: states([
      ['pc-01', KB1.key, 'INSTALLED', '2026-10-11T09:15:00Z'], ['pc-01', KB2.key, 'MISSING'], ['pc-01', AGENT.key, 'MISSING', '2026-10-12T07:00:00Z'],
      // FAILED to MISSING: still missing, the failure cleared; not in the report.
      ['pc-02', KB1.key, 'INSTALLED', '2026-09-20T10:00:00Z'], ['pc-02', KB2.key, 'MISSING'],
      ['srv-01', KB1.key, 'INSTALLED'], ['srv-01', KB2.key, 'NOT_APPLICABLE'],
    ]),
  },
  {
    at: T3,
    states: states([
      ['pc-01', KB1.key, 'INSTALLED', '2026-10-11T09:15:00Z'], ['pc-01', KB2.key, 'NOT_APPLICABLE'], ['pc-01', AGENT.key, 'MISSING', '2026-10-12T07:00:00Z'],
      ['pc-02', KB1.key, 'INSTALLED', '2026-09-20T10:00:00Z'], ['pc-02', KB2.key, 'INSTALLED', '2026-10-19T20:00:00Z'],
      ['srv-01', KB1.key, 'INSTALLED'], ['srv-01', KB2.key, 'NOT_APPLICABLE'],
    ]),
  },
  {
    at: T4,
    states: states([
      ['pc-01', KB1.key, 'INSTALLED', '2026-10-11T09:15:00Z'], ['pc-01', KB2.key, 'NOT_APPLICABLE'], ['pc-01', AGENT.key, 'INSTALLED', '2026-10-27T16:00:00Z'],
      ['pc-02', KB1.key, 'INSTALLED', '2026-09-20T10:00:00Z'], ['pc-02', KB2.key, 'INSTALLED', '2026-10-19T20:00:00Z'],
      ['srv-01', KB1.key, 'INSTALLED'], ['srv-01', KB2.key, 'NOT_APPLICABLE'],
    ]),
  },
];

/** A policy whose clock starts when a machine is first seen lacking a critical fix: 7 days. */
export const FIRST_DETECTED_POLICY = {
  key: 'fixture-first-detected-7d',
  definition: {
    name: 'Fixture: critical fixes within 7 days of detection', description: 'For the patch history report test', source: 'test fixture',
    timeZone: 'UTC', dueSoonHours: 24, deviceRules: [],
    findingRules: [{ id: 'critical-7d', description: 'Critical: 7 days from first detection', scope: { vendorSeverity: ['CRITICAL'] }, clockStart: 'FIRST_DETECTED', allowance: { days: 7 } }],
  },
};

export interface PatchHistoryFixture {
  contoso: string;
  fabrikam: string;
  headOffice: string;
  contosoInstance: string;
  /** Runs Contoso's fourth sync (after knownAt). */
  syncAfterKnownAt(): Promise<void>;
}

export async function loadPatchHistoryFixture(server: TestServer, db: TestDatabase, clock: ReturnType<typeof fixedClock>): Promise<PatchHistoryFixture> {
  const data = async (query: string, variables?: Record<string, unknown>) => {
    const res = await server.gql(query, variables);
    if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
    return res.body.data;
  };
  const sync = async (id: string) => {
    const run = (await data('mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true, full: true }) { status errorMessage } }', { id })).triggerSync;
    if (run.status !== 'SUCCEEDED') throw new Error(`sync failed: ${run.errorMessage}`);
  };
  clock.set('2026-09-30T12:00:00.000Z');
  const contoso = (await data('mutation { createTenant(input: { name: "Contoso Ltd" }) { id } }')).createTenant.id;
  const fabrikam = (await data('mutation { createTenant(input: { name: "Fabrikam Inc" }) { id } }')).createTenant.id;
  const headOffice = (await data('mutation($t: ID!) { createSite(input: { tenantId: $t, name: "Head Office" }) { id } }', { t: contoso })).createSite.id;
  await data('mutation($k: String!, $d: JSONObject!) { createPolicy(input: { key: $k, definition: $d }) { key } }', { k: FIRST_DETECTED_POLICY.key, d: FIRST_DETECTED_POLICY.definition });
  await data('mutation($t: ID!) { assignPolicy(input: { policyKey: "cyber-essentials-v3.3", tenantId: $t }) { id } }', { t: contoso });
  const intel = join(__dirname, '..', '..', 'intel', 'baseline');
  await importIntelFile(db.dataSource, join(intel, 'kev', 'known_exploited_vulnerabilities_2026.08.21.json'), new Date('2026-09-30T12:00:00.000Z'));
  await importIntelFile(db.dataSource, join(intel, 'epss', 'epss_first-api_via-emba_2026-08-16_subset.csv'), new Date('2026-09-30T12:00:00.000Z'));

  const inventory = new InventoryFile('contoso.json');
  const instance = async (tenantId: string, name: string, path: string) =>
    (await data('mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }', { input: { tenantId, kind: 'file-import', name, settings: { path } } })).createConnectorInstance.id;
  const contosoInstance = await instance(contoso, 'Contoso inventory', inventory.path);
  const fabrikamInventory = new InventoryFile('fabrikam.json').write(
    [{ externalId: 'fab-01', hostname: 'FAB-PC-01', serialNumber: 'SN-FAB-0001', osName: 'Windows 11 Pro', lastCheckInAt: T1 }],
    states([['fab-01', KB1.key, 'MISSING', '2026-10-05T07:00:00Z']]),
  );
  const fabrikamInstance = await instance(fabrikam, 'Fabrikam inventory', fabrikamInventory.path);

  const run = async (i: number) => {
    const s = SYNCS[i];
    clock.set(s.at);
    inventory.write(DEVICES.map((d) => ({ ...d, lastCheckInAt: s.at })), s.states, [KB1, KB2, AGENT]);
    await sync(contosoInstance);
  };
  await run(0);
  await sync(fabrikamInstance);
  await run(1);
  await run(2);
  clock.set(NOW);
  return { contoso, fabrikam, headOffice, contosoInstance, syncAfterKnownAt: async () => {
    await run(3);
    clock.set(NOW);
  } };
}
