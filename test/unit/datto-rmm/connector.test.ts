/** The Datto RMM connector against its simulator: mapping, audit economy, 429 handling. */
import { dattoRmmConnector } from '../../../connectors/datto-rmm';
import { dattoDate, toDeviceRecord } from '../../../connectors/datto-rmm/datto-device';
import { dateMs, DattoSimulator, startDattoSimulator } from '../../../connectors/datto-rmm/simulator';
import { parseConfig } from '../../../connectors/sdk/config';
import { eachRecord } from '../../../connectors/sdk/record-batch';
import { collectRun, knownFrom, recordingContext } from '../../../connectors/sdk/testkit/run';
import { MalformedResponseError } from '../../../connectors/sdk/errors';

const NOW = new Date('2026-11-02T10:00:00.000Z');

describe('Datto RMM connector', () => {
  let sim: DattoSimulator;
  beforeAll(async () => {
    sim = await startDattoSimulator({ pageSize: 10, devices: 40, seed: 3, now: NOW, rateLimit: false });
  });
  afterAll(() => sim.close());

  const open = (extra: Record<string, unknown> = {}) => {
    const recording = recordingContext(NOW);
    const connector = dattoRmmConnector.create(parseConfig(dattoRmmConnector, { ...sim.validConfig(), ...extra }), recording.context);
    return { connector, ...recording };
  };
  const audits = () => sim.requests().filter((r) => r.includes('/audit/device/')).length;

  it('yields every device with audit identifiers, site and posture; deleted ones flagged, in their site, and never audited', async () => {
    sim.resetStats();
    const { connector } = open();
    const run = await collectRun(connector);
    const live = sim.devices.filter((d) => !d.deleted);
    const deleted = sim.devices.filter((d) => d.deleted);
    expect(deleted.length).toBeGreaterThan(0);
    expect(run.devices.map((d) => d.externalId).sort()).toEqual(sim.devices.map((d) => d.uid).sort());
    expect(run.devices.filter((d) => d.deleted).map((d) => d.externalId).sort()).toEqual(deleted.map((d) => d.uid).sort());
    const bin = sim.sites.find((s) => s.name === 'Deleted Devices')!;
    expect(run.devices.filter((d) => d.deleted).every((d) => d.tenantKey === bin.uid && d.site?.id === bin.uid && d.site?.name === 'Deleted Devices' && d.serialNumber === null)).toBe(true);
    expect(audits()).toBe(live.filter((d) => d.deviceClass === 'device').length);
    for (const d of live.filter((x) => x.deviceClass === 'device')) {
      const record = run.devices.find((r) => r.externalId === d.uid)!;
      const audit = sim.auditOf(d.uid)!;
      expect(record).toMatchObject({ hostname: d.hostname, serialNumber: audit.bios.serialNumber, tenantKey: d.siteUid, tenantName: d.siteName, site: { id: d.siteUid, name: d.siteName }, manufacturer: audit.systemInfo.manufacturer });
      expect(record.macAddresses).toEqual(audit.nics.map((n) => n.macAddress));
    }
    const statuses = new Set(run.devices.map((d) => d.patchPosture?.status).filter(Boolean));
    expect([...statuses].sort()).toEqual(['APPROVED_PENDING', 'FULLY_PATCHED', 'INSTALL_ERROR', 'NO_DATA', 'NO_POLICY', 'REBOOT_REQUIRED']);
  });

  it('reuses what the engine holds while a device\'s audit date is unchanged, and audits only what changed', async () => {
    const first = await collectRun(open().connector);
    const { changedDeviceIds } = await sim.mutate();
    sim.resetStats();
    const again = await collectRun(open().connector, first.cursors, { known: knownFrom(first.devices) });
    expect(again.devices.map((d) => d.externalId).sort()).toEqual([...changedDeviceIds].sort());
    // mutate() moves lastAuditDate for its devices: exactly those are audited again.
    expect(audits()).toBe(changedDeviceIds.filter((id) => sim.devices.find((d) => d.uid === id)!.deviceClass === 'device').length);
  });

  it('never audits devices of sites that are not imported (unmapped or ignored)', async () => {
    // The engine answers siteImported from the instance's site mapping; here no site is imported.
    const { connector } = open();
    sim.resetStats();
    const devices = [];
    for await (const d of eachRecord(connector.devices({ mode: 'full', cursor: null, setCursor: () => undefined, siteImported: () => false }))) devices.push(d);
    expect(audits()).toBe(0);
    expect(devices.length).toBe(sim.devices.length);
    expect(devices.every((d) => d.serialNumber === null && d.tenantKey)).toBe(true);
  });

  it("takes each device's enrolment time from Datto's creationDate, whichever form the platform writes it in", async () => {
    const run = await collectRun(open().connector);
    expect(sim.devices.some((d) => typeof d.creationDate === 'string') && sim.devices.some((d) => typeof d.creationDate === 'number')).toBe(true);
    for (const d of sim.devices) {
      const record = run.devices.find((r) => r.externalId === d.uid)!;
      expect(record.enrolledAt?.getTime()).toBe(dateMs(d.creationDate));
      // Registered with Datto before it last checked in, and not in the future.
      expect(record.enrolledAt!.getTime()).toBeLessThan(record.lastCheckInAt!.getTime());
    }
  });

  it('waits the configured time after a 429 (Datto sends no Retry-After)', async () => {
    for (const [extra, wait] of [[{}, 120_000], [{ backoffOn429Seconds: 30 }, 30_000]] as const) {
      sim.resetStats();
      sim.inject({ type: 'status', status: 429, onRequest: 2 });
      const { connector, sleeps } = open(extra);
      await collectRun(connector);
      expect(sleeps).toContain(wait);
    }
  });
});

describe('Datto device fields', () => {
  const base = { uid: 'u1', hostname: 'NWD-PC-01', siteUid: 's1', siteName: 'Northwind Dental' };
  const none = { serialNumber: null, macAddresses: [], manufacturer: null, model: null };

  it('reads dates as epoch milliseconds or ISO strings, and 0 as never', () => {
    expect(dattoDate(1748874894000, 'x')!.toISOString()).toBe('2025-06-02T14:34:54.000Z');
    expect(dattoDate('2025-06-02T14:34:54.000+00:00', 'x')!.toISOString()).toBe('2025-06-02T14:34:54.000Z');
    expect(dattoDate('1748874894000', 'x')!.toISOString()).toBe('2025-06-02T14:34:54.000Z');
    expect(dattoDate(0, 'x')).toBeNull();
    expect(() => dattoDate('last Tuesday', 'device u1: lastSeen')).toThrow(MalformedResponseError);
  });

  it('maps creationDate to enrolledAt (epoch milliseconds or ISO), null when Datto has none, and refuses an unreadable one', () => {
    expect(toDeviceRecord({ ...base, creationDate: 1717228800000 }, none).enrolledAt!.toISOString()).toBe('2024-06-01T08:00:00.000Z');
    expect(toDeviceRecord({ ...base, creationDate: '2024-06-01T08:00:00.000+00:00' }, none).enrolledAt!.toISOString()).toBe('2024-06-01T08:00:00.000Z');
    expect(toDeviceRecord({ ...base, creationDate: null }, none).enrolledAt).toBeNull();
    expect(() => toDeviceRecord({ ...base, creationDate: 'soon' }, none)).toThrow(/creationDate/);
  });

  it('flags a device deleted in Datto, by its flag or by the "Deleted Devices" site, and no other', () => {
    expect(toDeviceRecord({ ...base, deleted: true }, none).deleted).toBe(true);
    expect(toDeviceRecord({ ...base, siteName: 'Deleted Devices' }, none).deleted).toBe(true);
    expect(toDeviceRecord({ ...base, deleted: false }, none).deleted).toBe(false);
  });

  it('makes an FQDN only from a DNS domain, never from a NetBIOS name or WORKGROUP', () => {
    expect(toDeviceRecord({ ...base, domain: 'northwind.local' }, none).fqdn).toBe('nwd-pc-01.northwind.local');
    expect(toDeviceRecord({ ...base, domain: 'NWD' }, none).fqdn).toBeNull();
    expect(toDeviceRecord({ ...base, domain: 'WORKGROUP' }, none).fqdn).toBeNull();
  });

  it('reports a device not seen for staleAfterDays (or never) as inactive', () => {
    const activity = { now: new Date('2026-11-02T10:00:00Z'), staleAfterDays: 30 };
    expect(toDeviceRecord({ ...base, lastSeen: Date.parse('2026-10-03T10:00:00Z') }, none, activity).inactive).toBe(false);
    expect(toDeviceRecord({ ...base, lastSeen: Date.parse('2026-10-03T09:59:00Z') }, none, activity).inactive).toBe(true);
    expect(toDeviceRecord({ ...base, lastSeen: null }, none, activity).inactive).toBe(true);
  });

  it('maps patchStatus and its counts to the device posture; devices without patch management have none', () => {
    const record = toDeviceRecord({ ...base, patchManagement: { patchStatus: 'InstallError', patchesApprovedPending: 4, patchesNotApproved: 1, patchesInstalled: 97 } }, none);
    expect(record.patchPosture).toEqual({ status: 'INSTALL_ERROR', approvedPending: 4, notApproved: 1, installed: 97 });
    expect(toDeviceRecord({ ...base, deviceClass: 'esxihost', patchManagement: null }, none).patchPosture).toBeNull();
  });
});
