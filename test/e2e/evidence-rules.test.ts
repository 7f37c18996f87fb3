/**
 * The evidence rules end to end, on both engines: real connectors over HTTP to the vendor simulators, the sync
 * engine, the database, and GraphQL.
 * - A BIOS serial two live records of one tool share (VMware clones) identifies nothing: each clone joins its own
 *   host name in the other tools, whichever tool syncs first. A re-enrolment (the old record went quiet before the
 *   new one enrolled, or is inactive) still merges by serial.
 * - One effective patch state per asset and update (current source, then freshest, then REPORTED before DERIVED)
 *   is what counts, filters and default lists read; view ALL_SOURCES shows the rest.
 * - Asset OS fields are merged field by field: a fresher Datto record without a build keeps Intune's build.
 * Builds and KBs are Windows 11 23H2's from the bundled Microsoft catalog: KB5041585 fixed in 22631.4037 (CRITICAL),
 * KB5043076 in 22631.4169 (CRITICAL), KB5075941 in 22631.6649 (IMPORTANT).
 */
import { DattoSimulator, startDattoSimulator } from '../../connectors/datto-rmm/simulator';
import { IntuneSimulator, startIntuneSimulator } from '../../connectors/intune/simulator';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import {
  CLONE_SERIAL, dattoFleet, fileImportUpdates, HARDWARE, intuneWindows, KB, NOW, OPTIPLEX, VDI_01, VDI_02,
} from '../helpers/evidence-fleet';
import { InventoryFile } from '../helpers/inventory';
import { startTestServer, TestServer } from '../helpers/server';

const ASSETS = `query($f: AssetFilterInput) { assets(first: 50, filter: $f) { nodes {
  id hostname serialNumber manufacturer osName osVersion osBuild status missingUpdateCount
  sources { externalId hostname inactive lastCheckInAt connector { kind } matchedBy { rule values { name value } conflicts } }
  missing: patchStates(states: [MISSING]) { update { kb } }
  effectiveStates: patchStates { state evidence effective update { kb } source { externalId } }
  allStates: patchStates(view: ALL_SOURCES) { state evidence effective sourceOutOfDate update { kb } source { externalId } } } } }`;
const PATCH_STATES = `query($f: PatchStateFilterInput) { patchStates(first: 100, filter: $f) { totalCount nodes {
  state effective sourceOutOfDate update { kb } source { externalId } } } }`;

type Row = [string, string, ...unknown[]];
const sorted = (rows: Row[]) => [...rows].sort((a, b) => (a.join('|') < b.join('|') ? -1 : 1));

describe(`evidence rules through the connectors and GraphQL on ${ENGINE}`, () => {
  let db: TestDatabase;
  let server: TestServer;

  const data = async (query: string, variables?: Record<string, unknown>) => {
    const res = await server.gql(query, variables);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!;
  };
  const newTenant = async (name: string): Promise<string> =>
    (await data(`mutation($n: String!) { createTenant(input: { name: $n }) { id } }`, { n: name })).createTenant.id;
  const newInstance = async (tenantId: string, kind: string, name: string, settings: Record<string, unknown>): Promise<string> =>
    (await data(`mutation($input: CreateConnectorInstanceInput!) { createConnectorInstance(input: $input) { id } }`, {
      input: { tenantId, kind, name, settings },
    })).createConnectorInstance.id;
  const sync = async (id: string) => {
    const run = (await data(`mutation($id: ID!) { triggerSync(input: { connectorInstanceId: $id, wait: true, full: true }) { status errorMessage } }`, { id })).triggerSync;
    // An internal error's message is only in the server log: show it in the failure.
    const logged = run.status === 'SUCCEEDED' ? undefined : server.logs.filter((l) => l.err).at(-1)?.err?.message;
    expect({ ...run, logged }).toEqual({ status: 'SUCCEEDED', errorMessage: null, logged: undefined });
  };
  const assets = async (tenantId: string, filter: Record<string, unknown> = {}): Promise<any[]> =>
    (await data(ASSETS, { f: { tenantIds: [tenantId], ...filter } })).assets.nodes;
  const assetNamed = async (tenantId: string, hostname: string) => {
    const found = (await assets(tenantId)).filter((a) => a.hostname === hostname);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const patchStates = async (filter: Record<string, unknown>) => (await data(PATCH_STATES, { f: filter })).patchStates;
  /** Bundled catalog only: the derivation the rules are about, independent of the simulated tenant catalog. */
  const intuneSettings = (sim: IntuneSimulator) => ({ ...sim.validConfig(), updateCatalog: 'bundled' });

  beforeAll(async () => {
    db = await openTestDatabase();
    server = await startTestServer(db);
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  describe('two live VMware clones and a physical desktop in Intune and Datto RMM', () => {
    let intune: IntuneSimulator;
    let datto: DattoSimulator;
    const tenants = new Map<string, string>();
    const ORDERS = [['Intune first', ['intune', 'datto-rmm']], ['Datto first', ['datto-rmm', 'intune']]] as const;

    beforeAll(async () => {
      intune = await startIntuneSimulator({ pageSize: 10, now: NOW, fleet: [VDI_01.intune, VDI_02.intune, OPTIPLEX.intune] });
      datto = await startDattoSimulator({ pageSize: 10, now: NOW, rateLimit: false, fleet: dattoFleet([VDI_01.datto, VDI_02.datto, OPTIPLEX.datto]) });
      // A third tool that knows the second VM only by its FQDN (a CMDB export).
      const cmdb = new InventoryFile('cmdb.json').write([{ externalId: 'CI0004471', fqdn: 'fab-vdi-02.fabrikam.local', manufacturer: 'VMware, Inc.' }], [], []);
      for (const [label, order] of ORDERS) {
        const tenantId = await newTenant(`Fabrikam (${label})`);
        const ids: Record<string, string> = {
          intune: await newInstance(tenantId, 'intune', 'Fabrikam Intune', intuneSettings(intune)),
          'datto-rmm': await newInstance(tenantId, 'datto-rmm', 'Fabrikam Datto', datto.validConfig()),
        };
        for (const kind of order) await sync(ids[kind]);
        await sync(await newInstance(tenantId, 'file-import', 'Fabrikam CMDB', { path: cmdb.path }));
        tenants.set(label, tenantId);
      }
    });
    afterAll(async () => {
      await intune?.close();
      await datto?.close();
    });

    it.each(ORDERS.map(([label]) => label))('%s: each clone is its own asset, joined across tools by host name, never by its shared serial', async (label) => {
      const tenantId = tenants.get(label)!;
      const all = await assets(tenantId);
      expect(all.map((a) => a.hostname).sort()).toEqual(['FAB-OPTI-0107', 'FAB-VDI-01', 'FAB-VDI-02']);

      for (const vm of [VDI_01, VDI_02]) {
        const asset = all.find((a) => a.hostname === vm.hostname);
        // Neither clone absorbed its twin: every source of the asset names this VM, and the CMDB record joins VDI-02.
        const expected: Row[] = [['intune', vm.intune.id], ['datto-rmm', vm.datto.device.uid]];
        if (vm === VDI_02) expected.push(['file-import', 'CI0004471']);
        expect(sorted(asset.sources.map((s: any) => [s.connector.kind, s.externalId]))).toEqual(sorted(expected));
        expect(asset.serialNumber).toBe(CLONE_SERIAL);

        const [first, second] = label === 'Intune first' ? ['intune', 'datto-rmm'] : ['datto-rmm', 'intune'];
        const byKind = Object.fromEntries(asset.sources.map((s: any) => [s.connector.kind, s]));
        expect(byKind[first].matchedBy.rule).toBe('NEW');
        expect(byKind[second].matchedBy).toMatchObject({ rule: 'HOSTNAME', values: [{ name: 'hostname', value: vm.hostname }] });
        for (const kind of [first, second]) {
          // The serial is void in both tools: each holds two live records reporting it.
          const twin = vm === VDI_01 ? VDI_02 : VDI_01;
          const twinId = kind === 'intune' ? twin.intune.id : twin.datto.device.uid;
          const conflict = byKind[kind].matchedBy.conflicts.find((c: string) => c.startsWith('SERIAL_SHARED_BY_LIVE_RECORDS:'));
          expect(conflict).toMatch(/^SERIAL_SHARED_BY_LIVE_RECORDS: serial VMWARE-421A2B3C4D5E6F70-8192A3B4C5D6E7F8 /);
          expect(conflict).toContain(twinId);
        }
        if (vm === VDI_02) expect(byKind['file-import'].matchedBy).toMatchObject({ rule: 'HOSTNAME', values: [{ name: 'hostname', value: 'FAB-VDI-02' }] });
        expect(asset.sources.some((s: any) => s.matchedBy.rule === 'SERIAL_NUMBER')).toBe(false);
      }
      // Each VM's patch states are its own build's: VDI-01 (22631.4169) lacks February 2026, VDI-02 (22631.6649) lacks nothing.
      expect(all.find((a) => a.hostname === 'FAB-VDI-01').missing.map((s: any) => s.update.kb)).toEqual([KB.FEB26]);
      expect(all.find((a) => a.hostname === 'FAB-VDI-02').missingUpdateCount).toBe(0);
    });

    it.each(ORDERS.map(([label]) => label))('%s: a fresher Datto record without a build keeps the build Intune reports', async (label) => {
      const desktop = await assetNamed(tenants.get(label)!, 'FAB-OPTI-0107');
      expect(desktop.sources.map((s: any) => s.connector.kind).sort()).toEqual(['datto-rmm', 'intune']);
      expect(desktop.sources.find((s: any) => s.matchedBy.rule !== 'NEW').matchedBy.rule).toBe('SERIAL_NUMBER');
      const checkIns = Object.fromEntries(desktop.sources.map((s: any) => [s.connector.kind, Date.parse(s.lastCheckInAt)]));
      expect(checkIns['datto-rmm']).toBeGreaterThan(checkIns.intune);
      // Field by field, freshest first: Datto's name and version, and Intune's build where Datto has none.
      expect(desktop).toMatchObject({ osName: 'Microsoft Windows 11 Pro 23H2 22631', osVersion: '23H2', osBuild: '22631.4169', manufacturer: 'Dell Inc.' });
    });
  });

  describe('re-enrolled Intune laptops', () => {
    let intune: IntuneSimulator;
    let tenantId: string;
    // J8K2QY3: Autopilot reset; the old record last synced the evening before the new one enrolled (both still active).
    const reset = {
      old: intuneWindows(11, 'NWD-LT-014', 'J8K2QY3', '22631.4037', { lastSync: '2026-10-12T16:40:00Z', enrolled: '2025-02-03T10:15:00Z', hw: HARDWARE.latitude, wifi: 'F4:6B:8C:2A:91:3E' }),
      fresh: intuneWindows(12, 'NWD-LT-014', 'J8K2QY3', '22631.6649', { lastSync: '2026-11-02T07:55:00Z', enrolled: '2026-10-13T09:05:00Z', hw: HARDWARE.latitude, wifi: 'F4:6B:8C:2A:91:3E' }),
    };
    // 5CG3281KQW: re-imaged; the old record synced once more after the new one enrolled, then went quiet 45 days ago.
    const reimaged = {
      old: intuneWindows(21, 'NWD-LT-022', '5CG3281KQW', '22631.3880', { lastSync: '2026-09-18T11:20:00Z', enrolled: '2025-06-10T08:00:00Z', hw: HARDWARE.elitebook, wifi: '8C:17:59:4D:E2:05' }),
      fresh: intuneWindows(22, 'NWD-LT-022', '5CG3281KQW', '22631.6649', { lastSync: '2026-11-02T08:45:00Z', enrolled: '2026-09-17T14:30:00Z', hw: HARDWARE.elitebook, wifi: '8C:17:59:4D:E2:05' }),
    };

    beforeAll(async () => {
      intune = await startIntuneSimulator({ pageSize: 10, now: NOW, fleet: [reset.old, reset.fresh, reimaged.old, reimaged.fresh] });
      tenantId = await newTenant('Northwind Dental');
      await sync(await newInstance(tenantId, 'intune', 'Northwind Intune', intuneSettings(intune)));
    });
    afterAll(() => intune?.close());

    const expectOneAssetBySerial = (asset: any, pair: { old: { id: string }; fresh: { id: string } }, serial: string) => {
      expect(asset.sources.map((s: any) => s.externalId).sort()).toEqual([pair.old.id, pair.fresh.id].sort());
      expect(asset.sources.map((s: any) => s.matchedBy.rule).sort()).toEqual(['NEW', 'SERIAL_NUMBER']);
      expect(asset.sources.find((s: any) => s.matchedBy.rule === 'SERIAL_NUMBER').matchedBy.values).toEqual([{ name: 'serialNumber', value: serial }]);
      expect(asset.sources.flatMap((s: any) => s.matchedBy.conflicts).filter((c: string) => c.startsWith('SERIAL_SHARED'))).toEqual([]);
    };

    it('merges by serial when the old record went quiet before the new one enrolled, and the fresher record decides', async () => {
      const asset = await assetNamed(tenantId, 'NWD-LT-014');
      expectOneAssetBySerial(asset, reset, 'J8K2QY3');
      expect(asset.sources.every((s: any) => !s.inactive)).toBe(true);
      // Both records are current; the fresh one (22631.6649) checked in last, so the old build's MISSING states do not count.
      expect(asset).toMatchObject({ osBuild: '22631.6649', missingUpdateCount: 0, missing: [] });
      expect(sorted(asset.allStates.filter((s: any) => s.state === 'MISSING').map((s: any) => [s.update.kb, s.source.externalId, s.effective])))
        .toEqual(sorted([[KB.SEP24, reset.old.id, false], [KB.FEB26, reset.old.id, false]]));
    });

    it('merges by serial when the old record is inactive, though it synced after the new one enrolled', async () => {
      const asset = await assetNamed(tenantId, 'NWD-LT-022');
      expectOneAssetBySerial(asset, reimaged, '5CG3281KQW');
      expect(Object.fromEntries(asset.sources.map((s: any) => [s.externalId, s.inactive]))).toEqual({ [reimaged.old.id]: true, [reimaged.fresh.id]: false });
      expect(asset.status).toBe('ACTIVE');
    });

    it("counts, filters and lists only the fresh record's states; ALL_SOURCES still shows the old record's, out of date", async () => {
      const asset = await assetNamed(tenantId, 'NWD-LT-022');
      expect(asset).toMatchObject({ osBuild: '22631.6649', missingUpdateCount: 0, missing: [] });
      expect(sorted(asset.effectiveStates.map((s: any) => [s.update.kb, s.state, s.source.externalId, s.effective]))).toEqual(sorted([
        [KB.AUG24, 'INSTALLED', reimaged.fresh.id, true], [KB.SEP24, 'INSTALLED', reimaged.fresh.id, true], [KB.FEB26, 'INSTALLED', reimaged.fresh.id, true],
      ]));
      expect(sorted(asset.allStates.map((s: any) => [s.update.kb, s.state, s.source.externalId, s.effective, s.sourceOutOfDate]))).toEqual(sorted([
        [KB.AUG24, 'INSTALLED', reimaged.fresh.id, true, false], [KB.SEP24, 'INSTALLED', reimaged.fresh.id, true, false], [KB.FEB26, 'INSTALLED', reimaged.fresh.id, true, false],
        [KB.AUG24, 'MISSING', reimaged.old.id, false, true], [KB.SEP24, 'MISSING', reimaged.old.id, false, true], [KB.FEB26, 'MISSING', reimaged.old.id, false, true],
      ]));

      const hostnames = async (filter: Record<string, unknown>) => (await assets(tenantId, filter)).map((a) => a.hostname).sort();
      expect(await hostnames({ hasMissingUpdates: true })).toEqual([]);
      expect(await hostnames({ hasMissingUpdates: false })).toEqual(['NWD-LT-014', 'NWD-LT-022']);
      expect(await hostnames({ missingSeverities: ['CRITICAL', 'IMPORTANT'] })).toEqual([]);

      const filter = { tenantIds: [tenantId], assetIds: [asset.id] };
      expect((await patchStates({ ...filter, states: ['MISSING'] })).totalCount).toBe(0);
      const effective = await patchStates(filter);
      expect(effective.totalCount).toBe(3);
      expect(effective.nodes.every((s: any) => s.effective && !s.sourceOutOfDate && s.source.externalId === reimaged.fresh.id)).toBe(true);
      const stale = await patchStates({ ...filter, states: ['MISSING'], view: 'ALL_SOURCES' });
      expect(sorted(stale.nodes.map((s: any) => [s.update.kb, s.source.externalId, s.effective, s.sourceOutOfDate])))
        .toEqual(sorted([KB.AUG24, KB.SEP24, KB.FEB26].map((kb) => [kb, reimaged.old.id, false, true])));
    });
  });

  describe('one desktop in Intune (DERIVED) and an RMM export (REPORTED)', () => {
    let intune: IntuneSimulator;
    let tenantId: string;
    let intuneId: string;
    let rmmId: string;
    const desktop = intuneWindows(31, 'CTA-RECEPTION-02', 'CZC1347BX9', '22631.4169', { lastSync: '2026-11-02T08:00:00Z', enrolled: '2025-09-01T12:00:00Z', hw: HARDWARE.elitedesk });
    const rmm = new InventoryFile('rmm-export.json');
    // The agent has installed February 2026 (REPORTED); Intune's inventoried build (22631.4169) says it is missing (DERIVED).
    const writeRmm = (lastCheckInAt: string) =>
      rmm.write(
        [{ externalId: 'rmm-88213', hostname: 'CTA-RECEPTION-02', serialNumber: 'CZC1347BX9', manufacturer: 'HP', model: 'HP EliteDesk 800 G6 Small Form Factor PC', lastCheckInAt }],
        [KB.SEP24, KB.FEB26].map((kb) => ({ deviceExternalId: 'rmm-88213', updateKey: `microsoft:${kb}`, state: 'INSTALLED', evidence: 'REPORTED', reportedAt: lastCheckInAt })),
        fileImportUpdates([KB.SEP24, KB.FEB26]),
      );
    const state = async () => {
      const asset = await assetNamed(tenantId, 'CTA-RECEPTION-02');
      const feb = asset.allStates.filter((s: any) => s.update.kb === KB.FEB26);
      return {
        sources: asset.sources.length,
        missingUpdateCount: asset.missingUpdateCount,
        effective: feb.filter((s: any) => s.effective).map((s: any) => [s.evidence, s.state]),
        flagged: (await assets(tenantId, { hasMissingUpdates: true, missingSeverities: ['IMPORTANT'] })).map((a) => a.hostname),
      };
    };

    beforeAll(async () => {
      intune = await startIntuneSimulator({ pageSize: 10, now: NOW, fleet: [desktop] });
      tenantId = await newTenant('Contoso Academy Trust');
      intuneId = await newInstance(tenantId, 'intune', 'Contoso Intune', intuneSettings(intune));
      rmmId = await newInstance(tenantId, 'file-import', 'Contoso RMM export', { path: writeRmm('2026-11-02T08:00:00Z').path });
      await sync(intuneId);
      await sync(rmmId);
    });
    afterAll(() => intune?.close());

    it('takes the REPORTED state when both sources checked in at the same time', async () => {
      expect(await state()).toEqual({ sources: 2, missingUpdateCount: 0, effective: [['REPORTED', 'INSTALLED']], flagged: [] });
    });

    it('takes the freshest source otherwise, whatever its evidence', async () => {
      // Intune checks in later, still at 22631.4169: its DERIVED MISSING is now the newer word.
      intune.devices[0].lastSyncDateTime = '2026-11-02T09:30:00Z';
      await sync(intuneId);
      expect(await state()).toEqual({ sources: 2, missingUpdateCount: 1, effective: [['DERIVED', 'MISSING']], flagged: ['CTA-RECEPTION-02'] });
      // Then the agent checks in after that: its REPORTED INSTALLED decides again.
      writeRmm('2026-11-02T09:45:00Z');
      await sync(rmmId);
      expect(await state()).toEqual({ sources: 2, missingUpdateCount: 0, effective: [['REPORTED', 'INSTALLED']], flagged: [] });
    });
  });
});
