import { readCsv, writeCsv } from '../../../connectors/file-import/csv';
import { parseRow } from '../../../connectors/file-import/format';
import { parseInventoryDocument } from '../../../connectors/file-import/inventory-json';
import { parseIsoDate } from '../../../connectors/file-import/iso-date';
import { MalformedResponseError } from '../../../connectors/sdk/errors';
import { placementOf } from '../../../src/sync/device-placement';

const DEVICE_HEADER = 'externalId,hostname,serialNumber,macAddresses,lastCheckInAt,vendorSite';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

function devices(csv: string) {
  return readCsv(csv, 'devices.csv', 'devices').map(({ row, values }) => parseRow('devices', values, { where: `devices.csv row ${row}`, noun: 'column' }));
}

describe('CSV reading', () => {
  it('handles RFC 4180 quoting, a BOM, CRLF, blank lines and ; or space separated lists', () => {
    const csv =
      '\uFEFF' +
      `${DEVICE_HEADER}\r\n` +
      'dev-1,"NW-LT-001","5CG1234ABC","D4:81:D7:11:22:33; 3C-6A-A7-44-55-66",2026-02-19T08:30:00Z,"Northwind, Leeds"\r\n' +
      '\r\n' +
      'dev-2,"say ""hi""",,D4:81:D7:11:22:34 3C:6A:A7:44:55:67,,"Head\r\nOffice"\r\n';
    const rows = devices(csv);
    expect(rows.map((r) => r.record)).toEqual([
      expect.objectContaining({
        externalId: 'dev-1',
        hostname: 'NW-LT-001',
        macAddresses: ['D4:81:D7:11:22:33', '3C-6A-A7-44-55-66'],
        lastCheckInAt: new Date('2026-02-19T08:30:00Z'),
        vendorSite: 'Northwind, Leeds',
      }),
      expect.objectContaining({
        externalId: 'dev-2',
        hostname: 'say "hi"',
        serialNumber: null,
        macAddresses: ['D4:81:D7:11:22:34', '3C:6A:A7:44:55:67'],
        lastCheckInAt: null,
        vendorSite: 'Head\r\nOffice',
      }),
    ]);
    // Row numbers are a spreadsheet's: header row 1, the blank line row 3.
    expect(readCsv(csv, 'devices.csv', 'devices').map((r) => r.row)).toEqual([2, 4]);
  });

  it("reads a device's tenant key and name and its site's id and name into the contract's fields; without them, no site", () => {
    const rows = devices(
      'externalId,tenantKey,tenantName,siteId,siteName,vendorSite\n' +
      'dev-1,org-1842,Northwind Traders,loc-77,Northwind HQ,\n' +
      'dev-2,org-1842,Northwind Traders,,Leeds,\n' +
      'dev-3,,,,,Head Office\n',
    );
    expect(rows.map((r) => [r.record.tenantKey, r.record.tenantName, r.record.site])).toEqual([
      ['org-1842', 'Northwind Traders', { id: 'loc-77', name: 'Northwind HQ' }],
      ['org-1842', 'Northwind Traders', { id: null, name: 'Leeds' }],
      [null, null, undefined],
    ]);
    // A row on the deprecated column alone gives no site at all, so the engine reads vendorSite as it always did.
    expect('site' in rows[2].record).toBe(false);
    expect(placementOf(rows[2].record)).toMatchObject({ siteName: 'Head Office' });
    expect(placementOf(rows[1].record)).toMatchObject({ tenantKey: 'org-1842', siteName: 'Leeds' });
  });

  it('names the file, row and column of a bad value', () => {
    const lines = [DEVICE_HEADER, ...Array.from({ length: 12 }, (_, i) => `dev-${i},h${i},,,2026-02-19T08:30:00Z,`), 'dev-x,hx,,,yesterday,'];
    const error = thrown(() => devices(lines.join('\n')));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toMatch(/^devices\.csv row 14, column lastCheckInAt: "yesterday" is not an ISO 8601 date/);
  });

  it.each([
    ['a missing required value', 'externalId,hostname\n ,pc1\n', 'devices.csv row 2, column externalId: a value is required'],
    ['a bad MAC address', 'externalId,macAddresses\nd1,00:11:22\n', 'devices.csv row 2, column macAddresses: "00:11:22" is not a MAC address'],
    ['a local time without a zone', 'externalId,lastCheckInAt\nd1,2026-02-19T08:30:00\n', 'devices.csv row 2, column lastCheckInAt: "2026-02-19T08:30:00" has no time zone'],
    ['an impossible date', 'externalId,modifiedAt\nd1,2026-02-30\n', 'devices.csv row 2, column modifiedAt: "2026-02-30" is not a real calendar date'],
    ['a row with too many values', 'externalId,hostname\nd1,pc1,extra\n', 'devices.csv row 2: has 3 values but the header has 2 columns'],
    ['a row with too few values', 'externalId,hostname\nd1,pc1\nd2\n', 'devices.csv row 3: has 1 values but the header has 2 columns'],
    ['an unclosed quote', 'externalId,hostname\nd1,"pc1\n', 'devices.csv: Quote Not Closed'],
    ['a duplicated header', 'externalId,hostname,hostname\nd1,a,b\n', 'devices.csv row 1, column hostname: appears twice in the header'],
    ['a missing required column', 'hostname\npc1\n', 'devices.csv row 1: has no externalId column, which is required'],
    ['an empty file', '', 'devices.csv is empty'],
    ['a semicolon-separated file', 'externalId;hostname\nd1;pc1\n', 'the file is semicolon-separated'],
  ])('refuses %s', (_name, csv, message) => {
    const error = thrown(() => devices(csv));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toContain(message);
  });

  it('refuses an unknown column, naming it, and suggests the right spelling of a miscased one', () => {
    const unknown = thrown(() => devices('externalId,hostame\nd1,pc1\n'));
    expect(unknown).toBeInstanceOf(MalformedResponseError);
    expect(unknown.message).toMatch(/^devices\.csv row 1, column "hostame": unknown column; the columns are externalId, hostname/);
    expect(thrown(() => devices('externalId,HostName\nd1,pc1\n')).message).toContain('column "HostName": unknown column (did you mean "hostname"?)');
  });

  it('reads updates and patch states: ; lists, KB numbers, enums in any case, the evidence default', () => {
    const updates = readCsv(
      'key,kb,title,vendor,products,classification,severity,releasedAt,supersedes\n' +
        'microsoft:KB5041585,5041585,"2024-08 Cumulative Update for Windows 11 Version 23H2 (KB5041585)",Microsoft,"Windows 11 Version 22H2;Windows 11 Version 23H2",Security Updates,critical,2024-08-13,kb5040442\n',
      'updates.csv',
      'updates',
    ).map(({ values }) => parseRow('updates', values, { where: 'updates.csv', noun: 'column' }).record);
    expect(updates).toEqual([
      {
        key: 'microsoft:KB5041585',
        kb: 'KB5041585',
        title: '2024-08 Cumulative Update for Windows 11 Version 23H2 (KB5041585)',
        vendor: 'Microsoft',
        products: ['Windows 11 Version 22H2', 'Windows 11 Version 23H2'],
        classification: 'SECURITY',
        severity: 'CRITICAL',
        releasedAt: new Date('2024-08-13T00:00:00Z'),
        supersedes: ['KB5040442'],
      },
    ]);
    const states = readCsv(
      'deviceExternalId,updateKey,state,evidence,reportedAt,installedAt\n' +
        'd1,microsoft:KB5041585,pending reboot,,2024-08-14T10:00:00+02:00,\n' +
        'd2,microsoft:KB5041585,Pending_Reboot,derived,,\n' +
        'd3,microsoft:KB5041585,installed,REPORTED,,2024-08-15T09:00:00.123456Z\n',
      'patch-states.csv',
      'patchStates',
    ).map(({ values }) => parseRow('patchStates', values, { where: 'patch-states.csv', noun: 'column' }).record);
    expect(states).toEqual([
      { deviceExternalId: 'd1', updateKey: 'microsoft:KB5041585', state: 'PENDING_REBOOT', evidence: 'REPORTED', reportedAt: new Date('2024-08-14T08:00:00Z'), installedAt: null },
      { deviceExternalId: 'd2', updateKey: 'microsoft:KB5041585', state: 'PENDING_REBOOT', evidence: 'DERIVED', reportedAt: null, installedAt: null },
      { deviceExternalId: 'd3', updateKey: 'microsoft:KB5041585', state: 'INSTALLED', evidence: 'REPORTED', reportedAt: null, installedAt: new Date('2024-08-15T09:00:00.123Z') },
    ]);
  });

  it('takes an update without a release date, which the catalog then dates by first sight', () => {
    expect(parseRow('updates', { key: 'contoso:agent-7.3', title: 'Contoso agent 7.3', vendor: 'Contoso' }, { where: 'inventory.json updates[0]', noun: 'field' }).record)
      .toMatchObject({ key: 'contoso:agent-7.3', releasedAt: null });
  });

  it.each([
    ['updates', { key: 'KB5041585', title: 't', vendor: 'Microsoft', releasedAt: '2024-08-13' }, 'field key: "KB5041585" is not a vendor-prefixed key'],
    ['updates', { key: 'microsoft:KB1', kb: 'KB12x', title: 't', vendor: 'Microsoft', releasedAt: '2024-08-13' }, 'field kb: "KB12x" is not a KB number'],
    ['updates', { key: 'microsoft:KB1', title: 't', vendor: 'Microsoft', severity: 'urgent', releasedAt: '2024-08-13' }, 'field severity: "urgent" is not one of CRITICAL, IMPORTANT'],
    ['updates', { key: 'microsoft:KB1', title: 't', vendor: 'Microsoft', releasedAt: 'last week' }, 'field releasedAt:'],
    ['patchStates', { deviceExternalId: 'd1', updateKey: 'microsoft:KB1', state: 'broken' }, 'field state: "broken" is not one of MISSING, INSTALLED'],
    ['patchStates', { deviceExternalId: 'd1', updateKey: 'microsoft:KB1' }, 'field state: a value is required'],
    ['devices', { externalId: 42 }, 'field externalId: must be text, not a number 42'],
    ['devices', { externalId: 'd1', macAddresses: [1] }, 'field macAddresses: list items must be text'],
    ['devices', { externalId: 'd1', colour: 'blue' }, 'field "colour": unknown field; the fields are externalId'],
    ['devices', 'd1', 'inventory.json devices[0]: must be an object, not a string'],
  ] as const)('JSON %s item %j is refused: %s', (stream, item, message) => {
    const error = thrown(() => parseRow(stream, item, { where: `inventory.json ${stream}[0]`, noun: 'field' }));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toContain(message);
  });

  it('writes CSV that reads back to the same rows (quotes, lists, dates)', () => {
    const rows = [{ externalId: 'd,1', hostname: 'say "hi"', macAddresses: ['00:11:22:33:44:55', '00:11:22:33:44:56'], vendorSite: ' padded ', lastCheckInAt: new Date('2026-02-19T08:30:00Z') }];
    const back = readCsv(writeCsv('devices', rows), 'devices.csv', 'devices');
    expect(back[0].values).toMatchObject({ externalId: 'd,1', hostname: 'say "hi"', macAddresses: '00:11:22:33:44:55;00:11:22:33:44:56', vendorSite: ' padded ', lastCheckInAt: '2026-02-19T08:30:00.000Z' });
  });
});

describe('ISO 8601 dates', () => {
  it.each([
    ['2024-08-13', '2024-08-13T00:00:00.000Z'],
    ['2024-08-13T07:00:00Z', '2024-08-13T07:00:00.000Z'],
    ['2024-08-13 09:00:00+02:00', '2024-08-13T07:00:00.000Z'],
    ['2024-08-13T09:00+0200', '2024-08-13T07:00:00.000Z'],
    ['2024-08-13T07:00:00.5z', '2024-08-13T07:00:00.500Z'],
  ])('reads %s', (text, iso) => {
    expect((parseIsoDate(text) as Date).toISOString()).toBe(iso);
  });

  it.each(['yesterday', '13/08/2024', '2024-8-13', '2024-02-30', '2024-08-13T25:00:00Z', '2024-08-13T07:00:00'])('refuses %s', (text) => {
    expect(typeof parseIsoDate(text)).toBe('string');
  });
});

describe('the JSON inventory document', () => {
  const doc = (fields: Record<string, unknown>) => JSON.stringify({ format: 'patchgraph-inventory', version: 1, devices: [], updates: [], patchStates: [], ...fields });

  it('accepts the documented shape (with a BOM)', () => {
    expect(parseInventoryDocument(`\uFEFF${doc({ devices: [{ externalId: 'd1' }] })}`, 'inventory.json').devices).toEqual([{ externalId: 'd1' }]);
  });

  it.each([
    ['not JSON', '{"format": ', 'inventory.json is not valid JSON'],
    ['a list', '[]', 'must hold a JSON object'],
    ['no format', JSON.stringify({ version: 1, devices: [], updates: [], patchStates: [] }), 'it has no "format"'],
    ['another format', doc({ format: 'cyclonedx' }), 'its format is "cyclonedx"'],
    ['no version', doc({ version: undefined }), 'it has no "version"'],
    ['version 2', doc({ version: 2 }), 'its version is 2; this connector reads "version": 1'],
    ['a missing stream', doc({ patchStates: undefined }), '"patchStates" must be a list'],
    ['a misspelt stream', doc({ patchstates: [] }), 'unknown top-level field "patchstates"'],
  ])('refuses %s', (_name, text, message) => {
    const error = thrown(() => parseInventoryDocument(text, 'inventory.json'));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toContain(message);
  });
});
