/**
 * The source-device columns a record fills are listed once (src/sync/apply/device-columns.ts). The two lists that
 * must stay separate — the table (SourceDevice entity) and the wire (DeviceRecord) — are checked against it here,
 * so a field added to one and not the others fails this test instead of being silently dropped or never written.
 */
import 'reflect-metadata';
import { getMetadataArgsStorage } from 'typeorm';
import type { DeviceRecord } from '../../connectors/sdk/contract';
import { SourceDevice } from '../../src/entities';
import { DEVICE_COLUMNS, DEVICE_UPDATE_COLUMNS, deviceDigest, toDeviceColumns } from '../../src/sync/apply/device-columns';
import { placeDevice } from '../../src/sync/device-placement';
import { ENGINE } from '../helpers/database';

/** Columns the engine decides itself (keys, identity, freshness, digests, operators' decisions): no record fills them. */
const ENGINE_COLUMNS = [
  'id', 'tenantId', 'connectorInstanceId', 'assetId', 'externalId', 'payloadDigest', 'statesDigest', 'matchedBy', 'pinnedAssetId',
  'forbiddenAssetIds', 'stale', 'deletedInSource', 'firstSeenAt', 'lastSeenAt',
];

/** Record fields that reach no device column, each for a reason of its own. */
const FIELDS_USED_ELSEWHERE = [
  'externalId', // the device's key, not a column the record's digest covers
  'deleted', // marks a held device stale, or keeps an unknown one as an unattached record
  'tenantName', // the name of an account-wide instance's vendor site (vendor_site.name)
];

/**
 * Every field of the wire record, filled. `Required` makes this fail to compile when the contract gains a field,
 * so the field has to be placed in a column or in FIELDS_USED_ELSEWHERE.
 */
const FULL: Required<DeviceRecord> = {
  externalId: 'dev-1', hostname: ' PC-0042 ', fqdn: 'pc-0042.contoso.example', serialNumber: 'SN-42', azureAdDeviceId: '6f1c2d3e-0000-4000-8000-000000000042',
  smbiosUuid: '4C4C4544-0042-3010-8052-B4C04F4A4B32', macAddresses: ['aa:bb:cc:dd:ee:02', 'AA-BB-CC-DD-EE-01', 'not a mac'], osName: 'Windows 11 Pro', osVersion: '23H2',
  osBuild: '22631.4037', lastCheckInAt: new Date('2026-11-01T08:00:00Z'), enrolledAt: new Date('2025-03-04T05:06:07Z'), tenantKey: 'org-3', tenantName: 'Contoso Ltd',
  site: { id: 'site-7', name: 'Head office' }, vendorSite: 'Old office', vendorSiteId: 'old-site', manufacturer: 'Dell Inc.', model: 'Latitude 7440', ownership: 'COMPANY',
  inactive: true, attributes: { z: 1, a: 'x' }, patchPosture: { status: 'APPROVED_PENDING', approvedPending: 3, notApproved: 1, installed: 40 }, revision: 'rev-9', deleted: false,
};

const entityColumns = () => getMetadataArgsStorage().columns.filter((c) => c.target === SourceDevice);

/** The columns a record gives, as an instance of either kind would store them. */
const stored = (record: DeviceRecord) => [false, true].map((accountWide) => toDeviceColumns(placeDevice(record, accountWide)));

// Nothing here touches a database: checked once, in the SQLite project.
(ENGINE === 'sqlite' ? describe : describe.skip)('source-device columns', () => {
  it('are columns of the source_device table, and every column of the table is either one of them or the engine\'s own', () => {
    const table = entityColumns().map((c) => c.propertyName);
    expect(DEVICE_COLUMNS.filter((c) => !table.includes(c))).toEqual([]);
    expect(table.filter((c) => !DEVICE_COLUMNS.includes(c as never) && !ENGINE_COLUMNS.includes(c)).sort()).toEqual([]);
  });

  it('clip each text to the length its table column holds', () => {
    const long = 'x'.repeat(1000);
    const clipped = toDeviceColumns({
      externalId: 'long', hostname: long, fqdn: long, serialNumber: long, azureAdDeviceId: long, smbiosUuid: long, osName: long, osVersion: long, osBuild: long,
      vendorSite: long, vendorSiteId: long, manufacturer: long, model: long, revision: long,
    });
    const varchar = entityColumns().filter((c) => c.options.type === 'varchar' && DEVICE_COLUMNS.includes(c.propertyName as never) && typeof (clipped as Record<string, unknown>)[c.propertyName] === 'string');
    expect(varchar.length).toBeGreaterThanOrEqual(13);
    for (const c of varchar) expect([c.propertyName, ((clipped as Record<string, unknown>)[c.propertyName] as string).length]).toEqual([c.propertyName, Number(c.options.length)]);
  });

  it('take every field of the wire record, except the few used elsewhere', () => {
    // The deprecated site fields count only where the new ones are absent (device-placement.ts).
    const { tenantKey: _key, site: _site, ...legacy } = FULL;
    const reaches = (record: DeviceRecord, field: keyof DeviceRecord) => {
      const without: DeviceRecord = { ...record };
      delete without[field];
      return JSON.stringify(stored({ ...without, externalId: FULL.externalId })) !== JSON.stringify(stored(record));
    };
    const reaching = (Object.keys(FULL) as Array<keyof DeviceRecord>).filter((field) => reaches(FULL, field) || reaches(legacy, field));
    const full = stored(FULL);
    expect(Object.keys(FULL).filter((f) => !reaching.includes(f as keyof DeviceRecord)).sort()).toEqual([...FIELDS_USED_ELSEWHERE].sort());
    // And no column is left without a field to fill it.
    for (const [accountWide, columns] of full.entries()) {
      expect([accountWide, Object.entries(columns).filter(([, v]) => v === null || v === false).map(([k]) => k)]).toEqual([accountWide, []]);
    }
  });

  it('are all written back when a stored device changes', () => {
    expect(DEVICE_COLUMNS.filter((c) => !DEVICE_UPDATE_COLUMNS.includes(c))).toEqual([]);
  });

  it('give the digests stored devices already hold, so the first run after an upgrade rewrites nothing', () => {
    // Digests computed by the release before the columns were listed once: a change here rewrites every device.
    const tenantsOwn = { ...FULL, tenantKey: undefined, site: undefined, tenantName: undefined, vendorSite: 'Head office', vendorSiteId: 'site-7' };
    expect(deviceDigest(toDeviceColumns(tenantsOwn))).toBe('a82b25257f27b8e09bfec19961f2fbd1e015dbbabf65a5073310e4063d942674');
    expect(deviceDigest(toDeviceColumns({ externalId: 'dev-2' }))).toBe('1c756930ea5706750111efcf042eb9737930079c869d51b581206e45fe2d85fd');
    // A source that reports no enrolment time keeps the digest it had before that column existed.
    expect(deviceDigest(toDeviceColumns({ ...tenantsOwn, enrolledAt: null }))).toBe('45e815108909b8d901cec1f78a6d9d2ade4da5a8bb5252a5b058c759bfde3d70');
  });
});
