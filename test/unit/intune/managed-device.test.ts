/** Intune managedDevice → DeviceRecord, including the Graph conventions a naive mapping gets wrong. */
import { decodeCursor, encodeCursor, incrementalFilters } from '../../../connectors/intune/device-cursor';
import { toDeviceRecord } from '../../../connectors/intune/managed-device';
import { MalformedResponseError } from '../../../connectors/sdk/errors';

const NOW = new Date('2026-11-02T10:00:00Z');
const knowsAll = () => true;
const laptop = {
  id: '8d1f5c2e-4b7a-4e0b-9a61-2c5f0e7d3b11', deviceName: 'CONTOSO-LT-0142', azureADDeviceId: 'b6e3a0f4-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
  serialNumber: '5CD1234XYZ', operatingSystem: 'Windows', osVersion: '10.0.22631.4317', manufacturer: 'HP', model: 'HP EliteBook 840 G10',
  complianceState: 'compliant', managementAgent: 'mdm', managedDeviceOwnerType: 'company', deviceEnrollmentType: 'windowsAzureADJoin',
  lastSyncDateTime: '2026-11-01T14:34:54.1234567Z', enrolledDateTime: '2025-06-02T09:00:00Z', wiFiMacAddress: '3C7C3F9A1B2C', ethernetMacAddress: null,
  isEncrypted: true,
};
const map = (over: Record<string, unknown> = {}, staleAfterDays = 30, derivable: (b: number) => boolean = knowsAll) =>
  toDeviceRecord({ ...laptop, ...over }, NOW, staleAfterDays, derivable);

describe('a managed device as a device record', () => {
  it('keeps every identifier and fact we use, with Windows name and build from osVersion', () => {
    const { record, windows } = map();
    expect(record).toMatchObject({
      externalId: laptop.id, hostname: 'CONTOSO-LT-0142', serialNumber: '5CD1234XYZ', azureAdDeviceId: laptop.azureADDeviceId,
      macAddresses: ['3C7C3F9A1B2C'], manufacturer: 'HP', model: 'HP EliteBook 840 G10', osName: 'Windows 11', osVersion: '10.0.22631.4317',
      osBuild: '22631.4317', ownership: 'COMPANY', inactive: false,
      attributes: { complianceState: 'compliant', managementAgent: 'mdm', enrollmentType: 'windowsAzureADJoin', encrypted: true, windowsRelease: 'Windows 11 23H2', patchStates: 'derived from the OS build' },
    });
    expect(record.lastCheckInAt!.toISOString()).toBe('2026-11-01T14:34:54.123Z');
    expect(windows).toEqual({ major: 10, minor: 0, build: 22631, revision: 4317 });
  });

  it('reads 0001-01-01T00:00:00Z as never, and the all-zero Entra id as none', () => {
    const { record, lastContact } = map({ lastSyncDateTime: '0001-01-01T00:00:00Z', azureADDeviceId: '00000000-0000-0000-0000-000000000000' });
    expect(record.lastCheckInAt).toBeNull();
    expect(record.azureAdDeviceId).toBeNull();
    // Never synced: Intune last heard from it when it enrolled.
    expect(lastContact!.toISOString()).toBe('2025-06-02T09:00:00.000Z');
  });

  it('keeps enrolledDateTime as the enrolment time, with 0001-01-01T00:00:00Z (and null) meaning never', () => {
    expect(map().record.enrolledAt!.toISOString()).toBe('2025-06-02T09:00:00.000Z');
    expect(map({ enrolledDateTime: '2024-01-15T08:30:00.1234567Z' }).record.enrolledAt!.toISOString()).toBe('2024-01-15T08:30:00.123Z');
    expect(map({ enrolledDateTime: '0001-01-01T00:00:00Z' }).record.enrolledAt).toBeNull();
    expect(map({ enrolledDateTime: null }).record.enrolledAt).toBeNull();
    // Enrolment is not a check-in: a device enrolled but never synced still has no lastCheckInAt.
    const neverSynced = map({ lastSyncDateTime: '0001-01-01T00:00:00Z' }).record;
    expect(neverSynced).toMatchObject({ lastCheckInAt: null, enrolledAt: new Date('2025-06-02T09:00:00Z') });
  });

  it('tolerates the fields list calls leave null', () => {
    const { record } = map({ ethernetMacAddress: null, serialNumber: null, manufacturer: null, model: null, managedDeviceOwnerType: null, isEncrypted: null });
    expect(record).toMatchObject({ serialNumber: null, manufacturer: null, model: null, ownership: null, macAddresses: ['3C7C3F9A1B2C'] });
    expect(record.attributes).not.toHaveProperty('encrypted');
  });

  it('is inactive once it has not checked in for more than staleAfterDays', () => {
    expect(map({ lastSyncDateTime: '2026-10-03T10:00:00Z' }).record.inactive).toBe(false); // exactly 30 days
    expect(map({ lastSyncDateTime: '2026-10-03T09:59:00Z' }).record.inactive).toBe(true);
    expect(map({ lastSyncDateTime: '2026-10-03T09:59:00Z' }, 45).record.inactive).toBe(false);
    expect(map({ lastSyncDateTime: '0001-01-01T00:00:00Z', enrolledDateTime: '0001-01-01T00:00:00Z' }).record.inactive).toBe(true);
  });

  it('says why a device has no derived patch states', () => {
    expect(map({ operatingSystem: 'iOS', osVersion: '17.5.1' }).record).toMatchObject({ osName: 'iOS', osBuild: null, attributes: { patchStates: 'not derived: not Windows' } });
    expect(map({ osVersion: '10.0.22000.3260' }, 30, () => false).record.attributes).toMatchObject({ patchStates: 'not derived: no cumulative updates known for build 22000' });
    expect(map({ managedDeviceOwnerType: 'personal' }).record.ownership).toBe('PERSONAL');
  });

  it.each([
    ['no id', { id: undefined }, /a managed device has no id/],
    ['a lastSyncDateTime that is not a date', { lastSyncDateTime: 'yesterday' }, /lastSyncDateTime "yesterday" is not a date/],
    // Refused even when lastSyncDateTime is set: the enrolment time is now kept, so a broken one cannot pass unseen.
    ['an enrolledDateTime that is not a date', { enrolledDateTime: 'last spring' }, /enrolledDateTime "last spring" is not a date/],
  ])('refuses a device with %s', (_name, over, message) => {
    expect(() => map(over)).toThrow(MalformedResponseError);
    expect(() => map(over)).toThrow(message);
  });
});

describe('the incremental device cursor', () => {
  const cursor = { v: 1 as const, lastSync: '2026-11-01T14:34:54.1234567Z', checkedAt: '2026-11-01T10:00:00.000Z', catalog: 'abc' };

  it('round-trips, and anything else reads as no cursor (a full read)', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor('2026-11-01T14:34:54Z')).toBeNull();
    expect(decodeCursor(JSON.stringify({ ...cursor, v: 2 }))).toBeNull();
    expect(decodeCursor(null)).toBeNull();
  });

  it('asks for devices that checked in since, verbatim, and for those that went quiet since the last run', () => {
    expect(incrementalFilters(cursor, NOW, 30)).toEqual([
      'lastSyncDateTime gt 2026-11-01T14:34:54.1234567Z',
      'lastSyncDateTime ge 2026-10-02T10:00:00.000Z and lastSyncDateTime lt 2026-10-03T10:00:00.000Z',
    ]);
    expect(incrementalFilters({ ...cursor, checkedAt: NOW.toISOString() }, NOW, 30)).toEqual(['lastSyncDateTime gt 2026-11-01T14:34:54.1234567Z']);
  });
});
