/**
 * The catalog's split trust, both directions: what one client's tools report about an update only they have is
 * that client's alone (another client neither lists it nor reaches it by id), and no client's tool can retitle an
 * update or re-score a CVE that Microsoft's data describes, for itself or for anyone else.
 */
import type { UpdateRecord } from '../../connectors/sdk/contract';
import { ConnectorInstance, Tenant } from '../../src/entities';
import { Role } from '../../src/entities/enums';
import { toGlobalId } from '../../src/graphql/types/global-id';
import { applyRun } from '../../src/sync/apply/apply-run';
import { sourceRead } from '../helpers/sync';
import { newId } from '../../src/util/ids';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { startTestServer, TestServer } from '../helpers/server';

const NOW = new Date('2026-11-02T10:00:00.000Z');
// A WSUS collector's own update (no KB in Microsoft's data): the title is whatever the client's server says.
const LOCAL_KEY = 'wsus:7c1e2f30-5d4b-4a8e-9f61-0b2c3d4e5f60';
const local = (title: string): UpdateRecord => ({ key: LOCAL_KEY, title, vendor: 'Contoso Medical', classification: 'UPDATE', releasedAt: new Date('2026-10-20T00:00:00Z') });
const TRUE_TITLE = '2026-02 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5075912)';

describe(`catalog trust across tenants on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;
  let f: Factory;
  const tenants: Record<'acme' | 'globex', { tenant: Tenant; wsus: ConnectorInstance; key: string }> = {} as never;

  async function report(who: 'acme' | 'globex', updates: UpdateRecord[]) {
    const { wsus } = tenants[who];
    const read = sourceRead({
      devices: [{ externalId: `${who}-pc-01`, hostname: `${who.toUpperCase()}-PC-01`, lastCheckInAt: NOW }],
      updates,
      patchStates: updates.map((u) => ({ deviceExternalId: `${who}-pc-01`, updateKey: u.key, state: 'MISSING', evidence: 'REPORTED' })),
    });
    await db.dataSource.transaction((m) => applyRun(m, { instance: wsus, read, now: NOW, syncRunId: newId() }));
  }
  const titles = async (who: 'acme' | 'globex', filter = '') => {
    const res = await server.gql(`{ updates(first: 500${filter}) { nodes { title shared reportedFor { name } } } }`, {}, tenants[who].key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.updates.nodes as Array<{ title: string; shared: boolean; reportedFor: { name: string } | null }>;
  };

  beforeAll(async () => {
    db = await openTestDatabase();
    f = new Factory(db.dataSource);
    server = await startTestServer(db);
    for (const [who, name] of [['acme', 'Acme Clinics'], ['globex', 'Globex Dental']] as const) {
      const tenant = await f.tenant(name);
      tenants[who] = { tenant, wsus: await f.connector(tenant, 'wsus'), key: await server.keyFor(Role.CLIENT_ADMIN, [tenant.id]) };
    }
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it("one client's own update is listed and reachable only by that client", async () => {
    await report('acme', [local('PatientRecords 4.2 hotfix (Contoso Medical internal)')]);
    expect(await titles('acme')).toEqual([{ title: 'PatientRecords 4.2 hotfix (Contoso Medical internal)', shared: false, reportedFor: { name: 'Acme Clinics' } }]);
    expect(await titles('globex')).toEqual([]);
    const [row] = await db.dataSource.query(`SELECT id FROM software_update WHERE ${db.dataSource.driver.escape('catalogKey')} = ?`, [LOCAL_KEY]);
    const probe = await server.gql('query($id: ID!) { node(id: $id) { id } }', { id: toGlobalId('Update', row.id) }, tenants.globex.key);
    expect(probe.body.data?.node ?? null).toBeNull();
  });

  it('another client reporting the same key gets its own entry, and neither sees the other\'s title', async () => {
    await report('globex', [local('Imaging bridge 7 driver')]);
    expect((await titles('globex')).map((u) => u.title)).toEqual(['Imaging bridge 7 driver']);
    expect((await titles('acme')).map((u) => u.title)).toEqual(['PatientRecords 4.2 hotfix (Contoso Medical internal)']);
  });

  it("no client's tool can retitle or re-score an update Microsoft's data describes, for anyone", async () => {
    const poisoned: UpdateRecord = {
      key: 'microsoft:KB5075912', kb: 'KB5075912', title: 'URGENT: install PatientRecords 4.2 from http://evil.example', vendor: 'Microsoft',
      products: ['Everything'], classification: 'SECURITY', severity: 'LOW', releasedAt: new Date('2020-01-01T00:00:00Z'),
      fixes: [{ cveId: 'CVE-2026-20846', title: 'Nothing to see', cvssBaseScore: 1.0, severity: 'LOW' }],
    };
    await report('acme', [poisoned]);
    for (const who of ['acme', 'globex'] as const) {
      const [u] = await titles(who, ', filter: { kb: "KB5075912" }');
      expect(u).toEqual({ title: TRUE_TITLE, shared: true, reportedFor: null });
    }
    const res = await server.gql('{ vulnerabilities(filter: { cveIds: ["CVE-2026-20846"] }) { nodes { title cvssBaseScore } } }', {}, tenants.globex.key);
    expect(res.body.data!.vulnerabilities.nodes).toEqual([{ title: 'GDI+ Denial of Service Vulnerability', cvssBaseScore: 7.5 }]);
  });

  it("Microsoft's facts replace what a client's own entry said first about a CVE", async () => {
    await report('globex', [{ ...local('Imaging bridge 8 driver'), key: 'file:bridge-8', fixes: [{ cveId: 'CVE-2024-38178', title: 'Made up', cvssBaseScore: 0.1 }] }]);
    await report('acme', [{ key: 'microsoft:KB5041585', title: 'ignored', vendor: 'x', releasedAt: NOW }]);
    const after = await server.gql('{ vulnerabilities(filter: { cveIds: ["CVE-2024-38178"] }) { nodes { title cvssBaseScore } } }', {}, tenants.globex.key);
    expect(after.body.data!.vulnerabilities.nodes).toEqual([{ title: 'Scripting Engine Memory Corruption Vulnerability', cvssBaseScore: 7.5 }]);
  });
});
