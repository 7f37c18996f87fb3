/**
 * What a run's records carry beyond identity and state: the vulnerabilities an update fixes (catalog rules: first
 * reporter wins, missing links are added) and device facts (manufacturer, model, ownership, attributes, inactive).
 * Driven through applyRun with hand-built reads, so the rules are tested apart from any connector's format.
 */
import type { DeviceRecord, PatchStateRecord, UpdateRecord } from '../../connectors/sdk/contract';
import { Asset, ConnectorInstance, SourceDevice, Update, UpdateVulnerability, Vulnerability } from '../../src/entities';
import { AssetStatus } from '../../src/entities/enums';
import { readSource } from '../../src/sync/read-source';
import { ENGINE, openTestDatabase, TestDatabase } from '../helpers/database';
import { Factory } from '../helpers/factories';
import { applyRead, ReadParts, sourceRead, syncHarness } from '../helpers/sync';

describe(`run records beyond identity on ${ENGINE}`, () => {
  let db: TestDatabase;
  let h: ReturnType<typeof syncHarness>;
  let factory: Factory;
  beforeAll(async () => {
    db = await openTestDatabase();
    h = syncHarness(db.dataSource);
    factory = new Factory(db.dataSource);
  });
  afterAll(() => db.drop());

  const repo = <T extends object>(e: new () => T) => db.dataSource.getRepository(e);
  const apply = (instance: ConnectorInstance, parts: ReadParts) => applyRead(db.dataSource, instance, sourceRead(parts));
  async function instance(): Promise<ConnectorInstance> {
    const tenant = await factory.tenant();
    return h.admin.create({ tenantId: tenant.id, kind: 'file-import', name: 'facts', settings: { path: '/dev/null' }, enabled: false });
  }
  const update = (kb: string, fixes: UpdateRecord['fixes']): UpdateRecord => ({
    key: `test:${kb}`, kb, title: `${kb} test update`, vendor: 'Microsoft', releasedAt: new Date('2026-02-10T08:00:00Z'), fixes,
  });
  const cvesOf = async (kb: string) => {
    const u = await repo(Update).findOneByOrFail({ catalogKey: `test:${kb}` });
    const links = await repo(UpdateVulnerability).findBy({ updateId: u.id });
    const vulns = await repo(Vulnerability).findBy(links.map((l) => ({ id: l.vulnerabilityId })));
    return { update: u, cves: vulns.map((v) => v.cveId).sort() };
  };

  it('creates the vulnerabilities an update fixes, links them and derives its highest CVSS score', async () => {
    const i = await instance();
    await apply(i, {
      updates: [update('KB9000001', [
        { cveId: 'CVE-2026-21510', title: 'Windows Shell Security Feature Bypass', cvssBaseScore: 8.8, severity: 'IMPORTANT', exploited: true },
        { cveId: 'CVE-2026-21513', cvssBaseScore: 8.8, severity: 'IMPORTANT' },
        { cveId: 'CVE-2026-21533', cvssBaseScore: 7.8 },
      ])],
    });
    const { update: u, cves } = await cvesOf('KB9000001');
    expect(cves).toEqual(['CVE-2026-21510', 'CVE-2026-21513', 'CVE-2026-21533']);
    expect(u.maxCvssBaseScore).toBe(8.8);
    expect(await repo(Vulnerability).findOneByOrFail({ cveId: 'CVE-2026-21510' })).toMatchObject({
      title: 'Windows Shell Security Feature Bypass', exploited: true, severity: 'IMPORTANT', kevDateAdded: null,
    });
  });

  it('never rewrites a known vulnerability, but adds links a known update lacks and re-derives its score', async () => {
    const i = await instance();
    await apply(i, { updates: [update('KB9000002', [{ cveId: 'CVE-2026-30001', title: 'First word', cvssBaseScore: 5.0 }])] });
    await apply(i, {
      updates: [update('KB9000002', [
        { cveId: 'CVE-2026-30001', title: 'A later, different title', cvssBaseScore: 9.9 },
        { cveId: 'CVE-2026-30002', cvssBaseScore: 7.5 },
      ])],
    });
    const { update: u, cves } = await cvesOf('KB9000002');
    expect(cves).toEqual(['CVE-2026-30001', 'CVE-2026-30002']);
    expect(await repo(Vulnerability).findOneByOrFail({ cveId: 'CVE-2026-30001' })).toMatchObject({ title: 'First word', cvssBaseScore: 5 });
    expect(u.maxCvssBaseScore).toBe(7.5);
    const links = await repo(UpdateVulnerability).countBy({ updateId: u.id });
    await apply(i, { updates: [update('KB9000002', [{ cveId: 'CVE-2026-30002' }])] });
    expect(await repo(UpdateVulnerability).countBy({ updateId: u.id })).toBe(links);
  });

  it('stores device facts, shows manufacturer and model on the asset, and rewrites nothing when they are unchanged', async () => {
    const i = await instance();
    const device: DeviceRecord = {
      externalId: 'm-1', hostname: 'CONTOSO-LT-0001', serialNumber: '5CD1234XYZ', manufacturer: 'HP', model: 'HP EliteBook 840 G10',
      ownership: 'COMPANY', attributes: { managementAgent: 'mdm', complianceState: 'compliant' }, lastCheckInAt: new Date('2026-11-01T09:00:00Z'),
    };
    await apply(i, { devices: [device] });
    const stored = await repo(SourceDevice).findOneByOrFail({ connectorInstanceId: i.id, externalId: 'm-1' });
    expect(stored).toMatchObject({ manufacturer: 'HP', model: 'HP EliteBook 840 G10', ownership: 'COMPANY', inactive: false, attributes: { complianceState: 'compliant', managementAgent: 'mdm' } });
    expect(await repo(Asset).findOneByOrFail({ id: stored.assetId! })).toMatchObject({ manufacturer: 'HP', model: 'HP EliteBook 840 G10', status: AssetStatus.ACTIVE });

    // The same facts with the attributes in another order are the same device: no write.
    const again = await apply(i, { devices: [{ ...device, attributes: { complianceState: 'compliant', managementAgent: 'mdm' } }] });
    expect(again.devices.changed).toBe(0);
  });

  it('an inactive device makes its asset STALE unless another source still reports the machine', async () => {
    const i = await instance();
    await apply(i, { devices: [{ externalId: 'q-1', hostname: 'QUIET-PC', serialNumber: 'QUIET0001', inactive: true }] });
    const quiet = await repo(SourceDevice).findOneByOrFail({ connectorInstanceId: i.id, externalId: 'q-1' });
    expect(quiet.inactive).toBe(true);
    expect((await repo(Asset).findOneByOrFail({ id: quiet.assetId! })).status).toBe(AssetStatus.STALE);

    const other = await h.admin.create({ tenantId: i.tenantId!, kind: 'file-import', name: 'rmm', settings: { path: '/dev/null' }, enabled: false });
    await apply(other, { devices: [{ externalId: 'r-1', hostname: 'QUIET-PC', serialNumber: 'QUIET0001' }] });
    expect((await repo(Asset).findOneByOrFail({ id: quiet.assetId! })).status).toBe(AssetStatus.ACTIVE);
  });

  it("names the asset by a tool's reported host name rather than a label cut from another tool's FQDN", async () => {
    const wsus = await instance();
    await apply(wsus, { devices: [{ externalId: 'w-1', fqdn: 'nwd-pc-003.northwind.example', lastCheckInAt: new Date('2026-11-02T09:00:00Z') }] });
    const rmm = await h.admin.create({ tenantId: wsus.tenantId!, kind: 'file-import', name: 'rmm', settings: { path: '/dev/null' }, enabled: false });
    await apply(rmm, { devices: [{ externalId: 'r-1', hostname: 'NWD-PC-003', lastCheckInAt: new Date('2026-11-01T09:00:00Z') }] });
    const source = await repo(SourceDevice).findOneByOrFail({ connectorInstanceId: rmm.id, externalId: 'r-1' });
    expect((await repo(Asset).findOneByOrFail({ id: source.assetId! })).hostname).toBe('NWD-PC-003');
  });

  describe('records the engine refuses before writing', () => {
    const connectorOf = (devices: DeviceRecord[], updates: UpdateRecord[] = [], states: PatchStateRecord[] = []) => ({
      testConnection: async () => ({ message: '' }),
      devices: async function* () { yield* devices; },
      updates: async function* () { yield* updates; },
      patchStates: async function* () { yield* states; },
    });
    const refusal = (devices: DeviceRecord[], updates: UpdateRecord[] = [], states: PatchStateRecord[] = []) =>
      readSource(connectorOf(devices, updates, states), {}).then(() => 'accepted', (e: Error) => e.message);

    it('a device, an update or a patch state yielded twice in one run, naming it', async () => {
      const state = (deviceExternalId: string, updateKey: string): PatchStateRecord => ({ deviceExternalId, updateKey, state: 'MISSING', evidence: 'REPORTED' });
      expect(await refusal([{ externalId: 'a' }, { externalId: 'b' }, { externalId: 'a' }])).toBe('devices: a was yielded twice in one run');
      expect(await refusal([], [update('KB1', undefined), update('KB2', undefined), update('KB1', undefined)])).toBe('updates: test:KB1 was yielded twice in one run');
      const devices = [{ externalId: 'a' }, { externalId: 'b' }];
      // The same update on two devices, and two updates on one device, are distinct states.
      expect(await refusal(devices, [], [state('a', 'KB1'), state('b', 'KB1'), state('a', 'KB2')])).toBe('accepted');
      expect(await refusal(devices, [], [state('a', 'KB1'), state('b', 'KB1'), state('b', 'KB2'), state('b', 'KB1')])).toBe('patchStates: b × KB1 was yielded twice in one run');
    });

    it('a patch state with a missing key, an unknown state or evidence, or a time that is not one, naming the state', async () => {
      const devices = [{ externalId: 'a' }];
      const state = (fields: Partial<PatchStateRecord>): PatchStateRecord => ({ deviceExternalId: 'a', updateKey: 'KB1', state: 'MISSING', evidence: 'REPORTED', ...fields });
      expect(await refusal(devices, [], [state({ reportedAt: new Date('2026-11-01T00:00:00Z'), installedAt: null })])).toBe('accepted');
      expect(await refusal(devices, [], [state({ updateKey: '' })])).toBe('patch state a/: deviceExternalId and updateKey are required');
      expect(await refusal(devices, [], [state({ state: 'PATCHED' as never })])).toBe('patch state a/KB1: unknown state "PATCHED"');
      expect(await refusal(devices, [], [state({ evidence: 'RUMOUR' as never })])).toBe('patch state a/KB1: unknown evidence "RUMOUR"');
      expect(await refusal(devices, [], [state({ reportedAt: new Date('not a date') })])).toBe('patch state a/KB1: reportedAt is not a valid date');
      expect(await refusal(devices, [], [state({ installedAt: '2026-11-01' as never })])).toBe('patch state a/KB1: installedAt is not a valid date');
    });

    it.each([
      ['an unknown ownership', { ownership: 'LEASED' as never }, /unknown ownership "LEASED"/],
      ['a nested attribute', { attributes: { hardware: { tpm: '2.0' } as never } }, /attribute "hardware" must be a short name with a flat value/],
      ['inactive that is not a boolean', { inactive: 'yes' as never }, /inactive is not true or false/],
    ])('a device with %s', async (_name, fields, message) => {
      expect(await refusal([{ externalId: 'x', ...fields }])).toMatch(message);
    });

    it.each([
      ['a fix that is not a CVE id', { cveId: 'MS24-001' }, /cveId is not a CVE id/],
      ['a CVSS score above 10', { cveId: 'CVE-2024-38063', cvssBaseScore: 98 }, /cvssBaseScore must be a number from 0 to 10/],
    ])('an update with %s', async (_name, fix, message) => {
      expect(await refusal([], [update('KB9000009', [fix])])).toMatch(message);
    });
  });
});
