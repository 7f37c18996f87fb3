/**
 * One machine reported by WSUS and by Intune names the same KB for the same Patch Tuesday. WSUS reports each
 * product's own KB (the collector's upload → POST /ingest/wsus/:id); Intune derives states from the build, with a
 * catalog whose items, like Graph's, cover every product of a Patch Tuesday and name each product's KB per revision.
 * Both sources must land on the same Update rows, and Intune must never add a sibling product's KB.
 */
import { buildManagedDevice, startIntuneSimulator } from '../../connectors/intune/simulator';
import { WsusSimulator } from '../../connectors/wsus/simulator';
import { MICROSOFT_CATALOG } from '../../connectors/shared/microsoft/microsoft-catalog';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { startTestServer, TestServer } from '../helpers/server';

const NOW = new Date('2026-11-02T10:00:00.000Z'); // the test server's fixed clock
const KEY = 'wsus-ingest-key-for-intune-kb-test-0123456789';

/**
 * Real fixed builds (MSRC, connectors/shared/microsoft/data): Windows 10 22H2 at 19045.4780 has August 2024's KB5041580 and lacks
 * September's KB5043064 and February 2026's KB5075912; Windows 11 23H2 at 22631.4037 has KB5041585 and lacks
 * KB5043076 and KB5075941. Graph's September item names KB5043064, KB5043076 and KB5043080 in its revisions.
 */
const MACHINES = [
  { host: 'CAT-LT-101', build: '19045.4780', product: 'Windows 10 Version 22H2 for x64-based Systems', installed: ['KB5041580'], missing: ['KB5043064', 'KB5075912'] },
  { host: 'CAT-LT-102', build: '22631.4037', product: 'Windows 11 Version 23H2 for x64-based Systems', installed: ['KB5041585'], missing: ['KB5043076', 'KB5075941'] },
];

describe(`WSUS and Intune name the same KB for the same machine and month on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;

  const data = async (query: string, variables?: Record<string, unknown>) => {
    const res = await server.gql(query, variables);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it("puts the Intune-derived and the WSUS-reported state of each month's update on the same Update row", async () => {
    // The fixed builds above are MSRC's; if the bundled data ever changes, this test must be read again.
    for (const m of MACHINES) {
      for (const kb of [...m.installed, ...m.missing]) expect(MICROSOFT_CATALOG.updates.find((u) => u.kb === kb)?.products).toContain(m.product);
    }
    const create = `mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`;
    const tenantId = (await data(`mutation { createTenant(input: { name: "Contoso Academy" }) { id } }`)).createTenant.id;
    const wsusId = (await data(create, { input: { tenantId, kind: 'wsus', name: 'WSUS wsus01', settings: { ingestKey: KEY } } })).createConnectorInstance.id;
    const wsus = new WsusSimulator({
      now: NOW, seed: 11,
      fleet: {
        computers: MACHINES.map((m, i) => ({
          id: `0c5e7a1b-2d3f-4a5b-8c6d-00000000010${i + 1}`, name: `${m.host.toLowerCase()}.contoso-academy.example`, group: 'Workstations', osBuild: m.build,
        })),
      },
    });
    const upload = await wsus.upload(`${server.app.url}/ingest/wsus/${wsusId}`, KEY);
    expect({ status: upload.status, body: upload.status === 200 ? null : upload.body }).toEqual({ status: 200, body: null });

    const intune = await startIntuneSimulator({
      pageSize: 10, now: NOW,
      fleet: MACHINES.map((m, i) => buildManagedDevice({
        id: `aaaaaaaa-0000-4000-8000-00000000010${i + 1}`, deviceName: m.host, osVersion: `10.0.${m.build}`,
        lastSyncDateTime: '2026-11-02T09:00:00Z', enrolledDateTime: '2026-01-01T00:00:00Z',
      })),
    });
    try {
      const intuneId = (await data(create, { input: { tenantId, kind: 'intune', name: 'Intune', settings: intune.validConfig() } })).createConnectorInstance.id;
      const run = (await data(`mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true }) { status errorMessage } }`, { id: intuneId })).triggerSync;
      expect(run).toEqual({ status: 'SUCCEEDED', errorMessage: null });
      // The Graph catalog really was read: the derivation below is not the bundled data's alone.
      expect(intune.requests().some((r) => r.startsWith('/beta/deviceManagement/windowsUpdateCatalogItems'))).toBe(true);
    } finally {
      await intune.close();
    }

    for (const m of MACHINES) {
      const nodes = (await data(`query($t: ID!, $h: String!) { assets(filter: { tenantIds: [$t], hostnameContains: $h }) { nodes {
        hostname sources { connector { kind } }
        patchStates(view: ALL_SOURCES) { state evidence source { connector { kind } } update { id kb releasedAt } } } } }`, { t: tenantId, h: m.host })).assets.nodes;
      expect(nodes).toHaveLength(1);
      const asset = nodes[0];
      expect(asset.sources.map((s: any) => s.connector.kind).sort()).toEqual(['intune', 'wsus']);

      const intuneStates = asset.patchStates.filter((s: any) => s.source.connector.kind === 'intune');
      const wsusByUpdate = new Map<string, any>(asset.patchStates.filter((s: any) => s.source.connector.kind === 'wsus').map((s: any) => [s.update.id, s]));

      // Intune names exactly this release's KBs: no sibling product's KB of the same Patch Tuesday.
      expect({ host: m.host, states: Object.fromEntries(intuneStates.map((s: any) => [s.update.kb, s.state])) }).toEqual({
        host: m.host, states: Object.fromEntries([...m.installed.map((kb) => [kb, 'INSTALLED']), ...m.missing.map((kb) => [kb, 'MISSING'])]),
      });
      expect(intuneStates.every((s: any) => s.evidence === 'DERIVED')).toBe(true);

      // And for every month, WSUS reports a state on that very Update row, agreeing on installed or not.
      for (const s of intuneStates) {
        const reported = wsusByUpdate.get(s.update.id);
        expect({ host: m.host, kb: s.update.kb, wsus: reported?.update.kb, evidence: reported?.evidence }).toEqual({ host: m.host, kb: s.update.kb, wsus: s.update.kb, evidence: 'REPORTED' });
        expect({ kb: s.update.kb, installed: reported.state === 'INSTALLED' }).toEqual({ kb: s.update.kb, installed: s.state === 'INSTALLED' });
      }
      // One release per month, one KB: no month appears under two KB numbers on this machine.
      const cumulative = asset.patchStates.filter((s: any) => MICROSOFT_CATALOG.updates.some((u) => u.kb === s.update.kb));
      const kbsByMonth = new Map<string, Set<string>>();
      for (const s of cumulative) kbsByMonth.set(s.update.releasedAt.slice(0, 7), (kbsByMonth.get(s.update.releasedAt.slice(0, 7)) ?? new Set()).add(s.update.kb));
      expect({ host: m.host, months: Object.fromEntries([...kbsByMonth].map(([month, kbs]) => [month, [...kbs]])) }).toEqual({
        host: m.host,
        months: Object.fromEntries([...m.installed, ...m.missing].map((kb) => [MICROSOFT_CATALOG.updates.find((u) => u.kb === kb)!.releasedAt.slice(0, 7), [kb]])),
      });
    }
  });
});
