/**
 * The SUSDB reader's half that can be tested without a SQL Server: row sets as the views return them (from the
 * seeded WSUS server) become the same envelope, and so the same records, as the collector's upload.
 * No SQL Server runs here; the queries themselves are checked in susdb-queries.test.ts.
 */
import { checkEnvelope } from '../../../connectors/wsus';
import { mapSnapshot } from '../../../connectors/wsus/mapping';
import { WsusSimulator } from '../../../connectors/wsus/simulator';
import { envelopeFromRows } from '../../../connectors/wsus/susdb-reader';

describe('SUSDB row sets → the collector envelope', () => {
  it('maps realistic row sets to exactly the records the collector upload gives', () => {
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
    const fromSql = mapSnapshot(checkEnvelope(envelope), options);
    const fromCollector = mapSnapshot(checkEnvelope(uploaded), options);
    expect(fromSql.devices).toEqual(fromCollector.devices);
    expect(fromSql.updates).toEqual(fromCollector.updates);
    expect(fromSql.patchStates).toEqual(fromCollector.patchStates);
    expect(fromSql.approvals).toEqual(fromCollector.approvals);
    expect(fromSql.patchStates.length).toBeGreaterThan(1000);
  });
});
