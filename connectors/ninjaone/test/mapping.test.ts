/**
 * NinjaOne bodies as the Public API v2 answers them (field names, epoch-second times with fractions, KB numbers
 * written with and without "KB") turned into patchgraph records.
 */
import { MalformedResponseError } from '../../sdk';
import { directoryOf, kbOf, laterState, mapDevice, mapPatchInstall, mapPendingPatch, mapUpdate, osBuildOf } from '../mapping';
import type { NinjaDevice, NinjaOsPatch, NinjaOsPatchInstall } from '../payloads';

const directory = directoryOf(
  [{ id: 2, name: 'Contoso Ltd' }],
  [{ id: 7, name: 'Head Office', organizationId: 2 }],
);

const NOW = new Date('2024-08-20T12:00:00Z');

/** One element of GET /v2/devices-detailed, trimmed of fields the connector does not read. */
const laptop: NinjaDevice = {
  id: 1043,
  organizationId: 2,
  locationId: 7,
  nodeClass: 'WINDOWS_WORKSTATION',
  approvalStatus: 'APPROVED',
  offline: false,
  displayName: 'Reception laptop',
  systemName: 'CON-WS-1043',
  dnsName: 'CON-WS-1043.contoso.local',
  netbiosName: 'CON-WS-1043',
  created: 1686231545.123,
  lastContact: 1724152800.532,
  lastUpdate: 1724152812.01,
  ipAddresses: ['10.2.7.43'],
  macAddresses: ['00:1A:2B:3C:4D:5E'],
  os: { manufacturer: 'Microsoft Corporation', name: 'Windows 11 Professional Edition', architecture: '64-bit', buildNumber: '22631', releaseId: '23H2', needsReboot: true },
  system: { name: 'CON-WS-1043', manufacturer: 'Dell Inc.', model: 'Latitude 5440', biosSerialNumber: '7XK2Q34', serialNumber: '7XK2Q34', domain: 'contoso.local', virtualMachine: false },
};

describe('a NinjaOne device', () => {
  it('carries every identifier NinjaOne gives, its organization as tenant key and its location as site', () => {
    const record = mapDevice(laptop, directory, { now: NOW, staleAfterDays: 30 });
    expect(record).toEqual({
      externalId: '1043',
      hostname: 'CON-WS-1043',
      fqdn: 'con-ws-1043.contoso.local',
      serialNumber: '7XK2Q34',
      macAddresses: ['00:1A:2B:3C:4D:5E'],
      osName: 'Windows 11 Professional Edition',
      osBuild: '22631',
      osVersion: null,
      lastCheckInAt: new Date(1724152800532),
      enrolledAt: new Date(1686231545123),
      tenantKey: '2',
      tenantName: 'Contoso Ltd',
      site: { id: '7', name: 'Head Office' },
      manufacturer: 'Dell Inc.',
      model: 'Latitude 5440',
      ownership: null,
      inactive: false,
      attributes: {
        nodeClass: 'WINDOWS_WORKSTATION',
        displayName: 'Reception laptop',
        offline: false,
        approvalStatus: 'APPROVED',
        releaseId: '23H2',
        needsReboot: true,
        virtualMachine: false,
      },
    });
  });

  it('is inactive once silent for longer than the instance allows, and when it never checked in', () => {
    const silent = { ...laptop, lastContact: NOW.getTime() / 1000 - 31 * 86400 };
    expect(mapDevice(silent, directory, { now: NOW, staleAfterDays: 30 }).inactive).toBe(true);
    expect(mapDevice(silent, directory, { now: NOW, staleAfterDays: 45 }).inactive).toBe(false);
    expect(mapDevice({ ...laptop, lastContact: undefined }, directory, { now: NOW, staleAfterDays: 30 }).inactive).toBe(true);
  });

  it('falls back to the BIOS serial and the DNS name, and gives no FQDN for a bare name', () => {
    const sparse: NinjaDevice = { id: 5, organizationId: 2, dnsName: 'KIOSK-01', system: { serialNumber: '  ', biosSerialNumber: 'ABC123' } };
    const record = mapDevice(sparse, directory, { now: NOW, staleAfterDays: 30 });
    expect(record).toMatchObject({ hostname: 'KIOSK-01', fqdn: null, serialNumber: 'ABC123', site: null, tenantKey: '2', macAddresses: [] });
  });

  it('names an organization or location the directory lacks by id only', () => {
    const record = mapDevice({ ...laptop, organizationId: 99, locationId: 98 }, directory, { now: NOW, staleAfterDays: 30 });
    expect(record).toMatchObject({ tenantKey: '99', tenantName: null, site: { id: '98', name: null } });
  });

  it('refuses a device without a numeric id as a malformed answer', () => {
    expect(() => mapDevice({ systemName: 'X' } as unknown as NinjaDevice, directory, { now: NOW, staleAfterDays: 30 })).toThrow(MalformedResponseError);
  });

  it('reads the build from a bare build number or a full Windows version', () => {
    expect(osBuildOf('19045')).toBe('19045');
    expect(osBuildOf('10.0.22631.4169')).toBe('22631.4169');
    expect(osBuildOf('Build 19045')).toBeNull();
  });
});

const pending: NinjaOsPatch = {
  id: 'f1b0c6a8-3f4e-4b8e-9a51-2d1c7f0e4a11',
  deviceId: 1043,
  name: '2024-08 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5041585)',
  kbNumber: '5041585',
  severity: 'CRITICAL',
  status: 'APPROVED',
  type: 'SECURITY_UPDATES',
  timestamp: 1724140000.25,
};

describe('NinjaOne patches', () => {
  it('key a KB by Microsoft\'s catalog key however NinjaOne writes the number', () => {
    expect(kbOf('5041585')).toBe('KB5041585');
    expect(kbOf('kb5041585')).toBe('KB5041585');
    expect(kbOf('')).toBeNull();
    expect(mapUpdate(pending)).toEqual({
      key: 'microsoft:KB5041585',
      kb: 'KB5041585',
      title: pending.name,
      vendor: 'Microsoft',
      severity: 'CRITICAL',
      classification: 'SECURITY',
    });
  });

  it('key a patch without a KB (a driver) by its NinjaOne id, published by its manufacturer, and refuse one with neither', () => {
    const driver = { ...pending, kbNumber: null, id: 'drv-1', name: 'Intel Corporation - Display - 31.0.101.4502', type: 'DRIVERS', severity: 'UNSPECIFIED' };
    expect(mapUpdate(driver)).toMatchObject({ key: 'ninjaone:drv-1', kb: null, vendor: 'Intel Corporation', classification: 'DRIVER', severity: 'UNSPECIFIED' });
    expect(() => mapUpdate({ ...driver, id: undefined })).toThrow(MalformedResponseError);
  });

  it('count pending, approved and rejected patches as missing and failed ones as failed, with the report time', () => {
    const states = ['PENDING', 'APPROVED', 'REJECTED', 'FAILED', 'SOMETHING_NEW'].map((status) => mapPendingPatch({ ...pending, status }).state);
    expect(states).toEqual(['MISSING', 'MISSING', 'MISSING', 'FAILED', 'UNKNOWN']);
    expect(mapPendingPatch(pending)).toEqual({
      deviceExternalId: '1043',
      updateKey: 'microsoft:KB5041585',
      state: 'MISSING',
      evidence: 'REPORTED',
      reportedAt: new Date(1724140000250),
    });
  });

  it('take an install\'s time only when it succeeded', () => {
    const install: NinjaOsPatchInstall = { ...pending, status: 'INSTALLED', installedAt: 1724150000, timestamp: 1724150000 };
    expect(mapPatchInstall(install)).toMatchObject({ state: 'INSTALLED', installedAt: new Date(1724150000000), reportedAt: new Date(1724150000000) });
    expect(mapPatchInstall({ ...install, status: 'FAILED' })).toMatchObject({ state: 'FAILED', installedAt: null });
  });

  it('let the later report win when both speak of one patch on one device', () => {
    const stillPending = mapPendingPatch({ ...pending, status: 'FAILED' });
    const installedLater = mapPatchInstall({ ...pending, status: 'INSTALLED', installedAt: 1724150000, timestamp: 1724150000 });
    const failedEarlier = mapPatchInstall({ ...pending, status: 'FAILED', installedAt: 1724100000, timestamp: 1724100000 });
    expect(laterState(stillPending, installedLater, true).state).toBe('INSTALLED');
    expect(laterState(stillPending, failedEarlier, true)).toBe(stillPending);
    expect(laterState(installedLater, stillPending, false)).toBe(installedLater);
  });
});
