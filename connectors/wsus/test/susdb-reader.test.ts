/**
 * The SUSDB reader's half that can be tested without a SQL Server: row sets as the views return them (from the
 * seeded WSUS server) become the same envelope, and so the same records, as the collector's upload.
 * No SQL Server runs here; the queries themselves are checked in susdb-queries.test.ts.
 */
import { checkEnvelope } from '..';
import { mapSnapshot } from '../mapping';
import { WsusSimulator } from '../simulator';
import { TransientError } from '../../sdk/errors';
import type { WsusConfig } from '../config';
import { envelopeFromRows, testSusdb } from '../susdb-reader';

describe('SUSDB row sets → the collector envelope', () => {
  it('maps realistic row sets to exactly the records the collector upload gives', async () => {
    const wsus = new WsusSimulator({ computers: 60, updates: 80, seed: 9, now: new Date('2026-11-02T09:00:00Z') });
    const uploaded = wsus.snapshot();
    const rows = wsus.rows();
    // What the driver returns: one row per (update, product), GUIDs as text, datetimes as Dates (useUTC).
    const asDriverRows = <T extends Record<string, unknown>>(r: T[]) =>
      r.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(v) ? new Date(`${v}Z`) : v])));
    const envelope = envelopeFromRows(
      {
        computerTargets: asDriverRows(rows.computerTargets as never),
        targetGroups: asDriverRows(rows.targetGroups as never),
        groupMemberships: asDriverRows(rows.groupMemberships as never),
        updates: asDriverRows(rows.updates.map(({ ProductTitles: _p, ...u }) => u) as never),
        updateProducts: rows.updates.flatMap((u) => (u.ProductTitles ?? []).map((ProductTitle) => ({ UpdateId: u.UpdateId, ProductTitle }))),
        installations: wsus.installationRows() as never,
        approvals: asDriverRows(rows.approvals as never),
      },
      uploaded.server,
      new Date(uploaded.generatedAt),
    );
    const options = { targetGroups: 'sites' as const, staleAfterDays: 30 };
    const made = async (e: unknown) => {
      const mapped = await mapSnapshot(await checkEnvelope(e), options);
      return { ...mapped, patchStates: [...mapped.patchStates] };
    };
    const fromSql = await made(envelope);
    const fromCollector = await made(uploaded);
    expect(fromSql.devices).toEqual(fromCollector.devices);
    expect(fromSql.updates).toEqual(fromCollector.updates);
    expect(fromSql.patchStates).toEqual(fromCollector.patchStates);
    expect(fromSql.approvals).toEqual(fromCollector.approvals);
    expect(fromSql.patchStates.length).toBeGreaterThan(1000);
    // Both paths name each computer's OS build as the seeded server knows it, although ClientVersion (the update
    // agent's version) says 19041 on Windows 10 22H2 and 22621 on Windows 11 23H2.
    const truth = new Map(wsus.computers.map((c) => [c.id.toLowerCase(), c.osBuild]));
    expect(new Map(fromSql.devices.map((d) => [d.externalId, d.osBuild]))).toEqual(truth);
    expect([...truth.values()].some((b) => b.startsWith('19045.'))).toBe(true);
  });

  it('passes the OS columns through as the driver returns them, so the build comes from OSBuildNumber here too', async () => {
    // vComputerTarget for a Windows 10 22H2 laptop at KB5043064 (19045.4894): ints as numbers, datetimes as Dates.
    const row = {
      ComputerTargetId: '3c2d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f', Name: 'ws-0212.corp.example', IPAddress: '10.20.1.17', LastSyncResult: 1,
      LastSyncTime: new Date('2026-11-02T01:12:40.217Z'), LastReportedStatusTime: new Date('2026-11-02T01:14:03.903Z'), ClientVersion: '10.0.19041.4894',
      OSArchitecture: 'AMD64', Make: 'HP', Model: 'HP EliteBook 840 G8 Notebook PC', BiosName: 'T37 Ver. 01.17.00', BiosVersion: 'HPQOEM - 0',
      OSMajorVersion: 10, OSMinorVersion: 0, OSBuildNumber: 19045, OSServicePackMajorNumber: 0, OSDefaultUILanguage: 'en-GB',
    };
    const envelope = envelopeFromRows(
      { computerTargets: [row], targetGroups: [], groupMemberships: [], updates: [], updateProducts: [], installations: [], approvals: [] },
      { id: 'sqlhost/susdb', name: 'SQLHOST' },
      new Date('2026-11-02T03:00:00Z'),
    );
    expect(envelope.rows.computerTargets[0]).toMatchObject({ OSMajorVersion: 10, OSMinorVersion: 0, OSBuildNumber: 19045, ClientVersion: '10.0.19041.4894', LastSyncTime: '2026-11-02T01:12:40.217' });
    const [device] = (await mapSnapshot(await checkEnvelope(JSON.parse(JSON.stringify(envelope))), { targetGroups: 'sites', staleAfterDays: 30 })).devices;
    expect(device).toMatchObject({ osName: 'Windows 10', osVersion: '10.0.19045.4894', osBuild: '19045.4894', attributes: expect.objectContaining({ windowsRelease: 'Windows 10 22H2' }) });
  });

  it('names an unreachable SQL Server as a transient fault, with its host and port', async () => {
    // Nothing listens on port 1: the driver (loaded on this first connection) is refused at once.
    const tried = testSusdb({ sqlServer: '127.0.0.1', sqlPort: 1, sqlUser: 'patchgraph', sqlPassword: 'not used' } as WsusConfig);
    await expect(tried).rejects.toThrow(TransientError);
    await expect(tried).rejects.toThrow('SQL Server 127.0.0.1:1 could not be reached (ESOCKET)');
  });
});
