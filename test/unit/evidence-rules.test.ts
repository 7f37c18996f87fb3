/**
 * Identity's clone rule as pure functions: a serial shared by live records of one tool identifies nothing. (The
 * effective-state rule is decided in SQL: test/integration/effective-states.test.ts.)
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { AssetIdentity, DeviceIdentity, MAX_SHARERS_NAMED, resolveIdentity, SERIAL_SHARED_BY_LIVE_RECORDS } from '../../src/identity/match';
import { liveAtOnce, SerialHolder, serialsSharedByLiveRecords } from '../../src/identity/shared-serials';

const day = (d: number) => new Date(Date.UTC(2026, 10, d, 9, 0, 0));
// A VMware clone carries its template's BIOS serial, spaces and all.
const VMWARE_SERIAL = 'VMware-42 1a 2b 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8';

const holder = (sourceId: string, over: Partial<SerialHolder> = {}): SerialHolder => ({
  sourceId, serialNumber: VMWARE_SERIAL, outOfDate: false, lastCheckInAt: day(20), enrolledAt: day(1), ...over,
});

describe('serialsSharedByLiveRecords', () => {
  it('two live clones checking in side by side void each other', () => {
    const shared = serialsSharedByLiveRecords([holder('vm-a'), holder('vm-b', { enrolledAt: day(3) })]);
    expect(shared.get('vm-a')?.others()).toEqual(['vm-b']);
    expect(shared.get('vm-b')?.others()).toEqual(['vm-a']);
  });

  it('a re-enrolment is not a clone: the old record went quiet before the new one enrolled', () => {
    const old = holder('old', { lastCheckInAt: day(10), enrolledAt: day(1) });
    const fresh = holder('new', { lastCheckInAt: day(20), enrolledAt: day(11) });
    expect(liveAtOnce(old, fresh)).toBe(false);
    expect(serialsSharedByLiveRecords([old, fresh]).size).toBe(0);
  });

  it('a re-image racing the old record\'s last report by hours is still a re-enrolment', () => {
    const old = holder('old', { lastCheckInAt: new Date(day(11).getTime() + 5 * 3_600_000), enrolledAt: day(1), outOfDate: true });
    expect(liveAtOnce(old, holder('new', { enrolledAt: day(11) }))).toBe(false);
  });

  it('a clone that went inactive stays its twin\'s clone: their lives overlapped for months', () => {
    const shared = serialsSharedByLiveRecords([holder('vm-a', { outOfDate: true, lastCheckInAt: day(15) }), holder('vm-b', { enrolledAt: day(3) })]);
    expect(shared.get('vm-b')?.others()).toEqual(['vm-a']);
  });

  it('without enrolment times an out-of-date record shares its serial with nobody', () => {
    const shared = serialsSharedByLiveRecords([holder('a', { enrolledAt: null }), holder('b', { enrolledAt: null, outOfDate: true })]);
    expect(shared.size).toBe(0);
  });

  it('without enrolment times two active records sharing a serial are taken as clones', () => {
    const shared = serialsSharedByLiveRecords([holder('a', { enrolledAt: null }), holder('b', { enrolledAt: null })]);
    expect([...shared.keys()].sort()).toEqual(['a', 'b']);
  });

  it('a clone group thousands strong is held once, not as a list of the others per record', () => {
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const clones = Array.from({ length: 5_000 }, (_, i) => holder(`vm-${String(i).padStart(5, '0')}`));
    gc();
    const before = process.memoryUsage().heapUsed;
    const shared = serialsSharedByLiveRecords(clones);
    gc();
    const held = process.memoryUsage().heapUsed - before;
    expect(shared.size).toBe(5_000);
    // As lists, 5,000 clones held 25 million ids (some 200 MB).
    expect(held).toBeLessThan(20 * 1024 * 1024);
    const others = shared.get('vm-00042')!.others();
    expect(others).toHaveLength(4_999);
    expect(others).not.toContain('vm-00042');
    expect(others.slice(0, 2)).toEqual(['vm-00000', 'vm-00001']);
  });

  it('placeholder serials and unique serials are never reported', () => {
    const shared = serialsSharedByLiveRecords([
      holder('a', { serialNumber: 'To Be Filled By O.E.M.' }), holder('b', { serialNumber: 'To Be Filled By O.E.M.' }),
      holder('c', { serialNumber: 'PF3ABCD1' }), holder('d', { serialNumber: '5CG1234XYZ' }),
    ]);
    expect(shared.size).toBe(0);
  });
});

describe('resolveIdentity with a serial shared by live records', () => {
  const INTUNE = 'intune-1';
  const DATTO = 'datto-1';
  const device = (over: Partial<DeviceIdentity>): DeviceIdentity => ({ tenantId: 't', sourceId: 'x', connectorInstanceId: INTUNE, ...over });
  const asset = (assetId: string, sources: Partial<DeviceIdentity>[]): AssetIdentity => ({ assetId, tenantId: 't', sources: sources.map(device) });

  it('skips SERIAL_NUMBER, records the conflict, and joins the clone by its own host name', () => {
    const vmA = asset('asset-a', [{ sourceId: 'intune-a', serialNumber: VMWARE_SERIAL, hostname: 'FAB-VM-01' }]);
    const vmBInDatto = asset('asset-b', [{ sourceId: 'datto-b', connectorInstanceId: DATTO, serialNumber: VMWARE_SERIAL, hostname: 'FAB-VM-02' }]);
    const r = resolveIdentity(
      device({ sourceId: 'intune-b', serialNumber: VMWARE_SERIAL, hostname: 'FAB-VM-02', serialSharedWith: ['intune-a'] }),
      [vmA, vmBInDatto],
    );
    expect(r.assetId).toBe('asset-b');
    expect(r.matchedBy.rule).toBe('HOSTNAME');
    expect(r.conflicts[0]).toMatch(new RegExp(`^${SERIAL_SHARED_BY_LIVE_RECORDS}: serial VMWARE-421A2B3C4D5E6F70-8192A3B4C5D6E7F8 .*intune-a`));
  });

  it('names the first sharers of a large clone group and counts the rest: the reason is stored with every clone', () => {
    const sharers = Array.from({ length: 2_500 }, (_, i) => `vm-${String(i).padStart(5, '0')}`).reverse();
    const r = resolveIdentity(device({ sourceId: 'vm-new', serialNumber: VMWARE_SERIAL, hostname: 'FAB-VM-NEW', serialSharedWith: sharers }), []);
    const named = sharers.slice().sort().slice(0, MAX_SHARERS_NAMED).join(', ');
    expect(r.conflicts[0]).toBe(
      `${SERIAL_SHARED_BY_LIVE_RECORDS}: serial VMWARE-421A2B3C4D5E6F70-8192A3B4C5D6E7F8 is also reported by live record(s) ${named} and 2,490 more of connector ${INTUNE}; it identifies no single machine`,
    );
  });

  it('without the shared mark the same serial would merge the clone into its twin (the defect)', () => {
    const vmA = asset('asset-a', [{ sourceId: 'intune-a', serialNumber: VMWARE_SERIAL, hostname: 'FAB-VM-01' }]);
    const r = resolveIdentity(device({ sourceId: 'intune-b', serialNumber: VMWARE_SERIAL, hostname: 'FAB-VM-02' }), [vmA]);
    expect(r).toMatchObject({ assetId: 'asset-a', matchedBy: { rule: 'SERIAL_NUMBER' } });
  });

  it('a clone with nothing else to go on is a new asset, never its twin', () => {
    const vmA = asset('asset-a', [{ sourceId: 'intune-a', serialNumber: VMWARE_SERIAL, hostname: 'FAB-VM-01', macAddresses: ['005056A1B2C3'] }]);
    const r = resolveIdentity(
      device({ sourceId: 'intune-b', serialNumber: VMWARE_SERIAL, hostname: 'FAB-VM-02', macAddresses: ['005056A1B2C4'], serialSharedWith: ['intune-a'] }),
      [vmA],
    );
    expect(r.assetId).toBeNull();
  });
});
