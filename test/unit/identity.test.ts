import {
  AssetIdentity,
  DeviceIdentity,
  ManualIdentityOverride,
  MatchRule,
  resolveIdentity,
} from '../../src/identity/match';
import { normaliseAzureAdId, normaliseHostname, normaliseMac, normaliseSerial } from '../../src/identity/normalise';

describe('normaliseSerial', () => {
  it.each([
    ['  pf2abc3d ', 'PF2ABC3D'],
    ['5CG 1234 XYZ', '5CG1234XYZ'],
    ['VMware-56 4d 12 34', 'VMWARE-564D1234'],
    ['c02\tx1234', 'C02X1234'],
    ['ABCD', 'ABCD'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normaliseSerial(input)).toBe(expected);
  });

  it.each([
    '',
    '   ',
    'To Be Filled By O.E.M.',
    'to be filled by o.e.m.',
    'TO BE FILLED BY O.E.M',
    'System Serial Number',
    'Default string',
    'Default',
    'None',
    'N/A',
    'Not Specified',
    '0',
    '123456789',
    'Chassis Serial Number',
    'INVALID',
    'invalid',
    '0000000000',
    'XXXXXXX',
    'xxxxxxx',
    'ABC',
    ' A B ',
  ])('rejects junk %j', (input) => {
    expect(normaliseSerial(input)).toBeNull();
  });

  it('rejects null and undefined', () => {
    expect(normaliseSerial(null)).toBeNull();
    expect(normaliseSerial(undefined)).toBeNull();
  });
});

describe('normaliseMac', () => {
  it.each([
    ['A4:C3:F0:12:34:56', 'A4C3F0123456'],
    ['a4c3f0123456', 'A4C3F0123456'],
    ['A4-C3-F0-12-34-56', 'A4C3F0123456'],
    ['a4c3.f012.3456', 'A4C3F0123456'],
    [' 3c:52:82:aa:bb:cc ', '3C5282AABBCC'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normaliseMac(input)).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['too short', 'A4:C3:F0:12:34'],
    ['too long', 'A4:C3:F0:12:34:56:78'],
    ['non-hex', 'G4:C3:F0:12:34:56'],
    ['all zero', '00:00:00:00:00:00'],
    ['broadcast', 'FF:FF:FF:FF:FF:FF'],
    ['multicast', '01:00:5E:00:00:FB'],
    ['randomised Wi-Fi (DA:)', 'DA:A1:19:12:34:56'],
    ['locally administered (02:)', '02:00:4C:4F:4F:50'],
    ['locally administered lower case (x6)', 'f6:12:34:56:78:9a'],
    ['Hyper-V', '00:15:5D:01:02:03'],
    ['VMware 00:50:56', '00-50-56-AB-CD-EF'],
    ['VMware 00:0C:29', '000c29abcdef'],
    ['VirtualBox', '08:00:27:12:34:56'],
  ])('rejects %s %j', (_name, input) => {
    expect(normaliseMac(input)).toBeNull();
  });

  it('rejects null and undefined', () => {
    expect(normaliseMac(null)).toBeNull();
    expect(normaliseMac(undefined)).toBeNull();
  });
});

describe('normaliseHostname', () => {
  it.each([
    ['fs01.corp.example.local', 'FS01'],
    ['FS01', 'FS01'],
    [' fs01 ', 'FS01'],
    ['desktop-4f7k2qz', 'DESKTOP-4F7K2QZ'],
    ['laptop-042.', 'LAPTOP-042'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normaliseHostname(input)).toBe(expected);
  });

  it.each(['', '   ', 'localhost', 'LOCALHOST', 'localhost.localdomain', '.corp.example.local', 'unknown', '10.0.0.15', 'fe80::1'])(
    'rejects %j',
    (input) => {
      expect(normaliseHostname(input)).toBeNull();
    },
  );

  it('rejects null and undefined', () => {
    expect(normaliseHostname(null)).toBeNull();
    expect(normaliseHostname(undefined)).toBeNull();
  });
});

describe('normaliseAzureAdId', () => {
  it.each([
    ['6F9C2B1E-3A4D-4E5F-8A9B-0C1D2E3F4A5B', '6f9c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b'],
    [' 6f9c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b ', '6f9c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b'],
    ['{6F9C2B1E-3A4D-4E5F-8A9B-0C1D2E3F4A5B}', '6f9c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normaliseAzureAdId(input)).toBe(expected);
  });

  it.each([
    '',
    '00000000-0000-0000-0000-000000000000',
    '6f9c2b1e3a4d4e5f8a9b0c1d2e3f4a5b',
    '6f9c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5',
    'zf9c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b',
    'not-a-guid',
  ])('rejects %j', (input) => {
    expect(normaliseAzureAdId(input)).toBeNull();
  });

  it('rejects null and undefined', () => {
    expect(normaliseAzureAdId(null)).toBeNull();
    expect(normaliseAzureAdId(undefined)).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------------
// resolveIdentity: real-life cases

const CONTOSO = 'tenant-contoso';
const FABRIKAM = 'tenant-fabrikam';
const INTUNE = 'ci-intune';
const DATTO = 'ci-datto';
const WSUS = 'ci-wsus';

const AAD_1 = '6f9c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b';
const AAD_2 = '1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a';
const AAD_ZERO = '00000000-0000-0000-0000-000000000000';

type Partial_ = Omit<DeviceIdentity, 'tenantId' | 'connectorInstanceId' | 'sourceId'> & { tenantId?: string };

const intune = (sourceId: string, p: Partial_ = {}): DeviceIdentity => ({ tenantId: CONTOSO, connectorInstanceId: INTUNE, sourceId, ...p });
const datto = (sourceId: string, p: Partial_ = {}): DeviceIdentity => ({ tenantId: CONTOSO, connectorInstanceId: DATTO, sourceId, ...p });
const wsus = (sourceId: string, p: Partial_ = {}): DeviceIdentity => ({ tenantId: CONTOSO, connectorInstanceId: WSUS, sourceId, ...p });
const asset = (assetId: string, ...sources: DeviceIdentity[]): AssetIdentity => ({ assetId, tenantId: sources[0]?.tenantId ?? CONTOSO, sources });

interface Row {
  name: string;
  device: DeviceIdentity;
  candidates: AssetIdentity[];
  manual?: ManualIdentityOverride;
  assetId: string | null;
  rule: MatchRule;
  values: Record<string, string>;
  conflicts: string[];
}

const rows: Row[] = [
  {
    name: 'device present in only one tool → NEW',
    device: intune('i-100', { azureAdDeviceId: AAD_1, serialNumber: 'PF2ABC3D', hostname: 'LT-0100' }),
    candidates: [],
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: [],
  },
  {
    name: 'Intune device joins the Datto asset carrying its Entra id in a UDF',
    device: intune('i-101', { azureAdDeviceId: AAD_1.toUpperCase(), serialNumber: 'PF2ABC3D', hostname: 'LT-0101' }),
    candidates: [asset('A1', datto('d-101', { azureAdDeviceId: `{${AAD_1}}`, hostname: 'LT-0101' }))],
    assetId: 'A1',
    rule: 'AZURE_AD_DEVICE_ID',
    values: { azureAdDeviceId: AAD_1 },
    conflicts: [],
  },
  {
    name: 're-imaged laptop: same serial, new Entra id from the same Intune instance → SERIAL',
    device: intune('i-102-new', { azureAdDeviceId: AAD_2, serialNumber: '5CG1234XYZ', hostname: 'LT-0102' }),
    candidates: [
      asset(
        'A1',
        intune('i-102-old', { azureAdDeviceId: AAD_1, serialNumber: '5CG1234XYZ', hostname: 'LT-0102' }),
        datto('d-102', { serialNumber: '5cg 1234 xyz', hostname: 'LT-0102' }),
      ),
    ],
    assetId: 'A1',
    rule: 'SERIAL_NUMBER',
    values: { serialNumber: '5CG1234XYZ' },
    conflicts: [],
  },
  {
    name: 'renamed device, same Entra id, new hostname → AZURE_AD_DEVICE_ID',
    device: intune('i-103', { azureAdDeviceId: AAD_1, serialNumber: 'PF2RENAM', hostname: 'FIN-LT-07' }),
    candidates: [asset('A1', datto('d-103', { azureAdDeviceId: AAD_1, serialNumber: 'PF2RENAM', hostname: 'DESKTOP-4F7K2QZ' }))],
    assetId: 'A1',
    rule: 'AZURE_AD_DEVICE_ID',
    values: { azureAdDeviceId: AAD_1 },
    conflicts: [],
  },
  {
    name: 'renamed device, same serial, new hostname, no Entra id → SERIAL',
    device: datto('d-104', { serialNumber: 'PF2RENAM', hostname: 'FIN-LT-07' }),
    candidates: [asset('A1', intune('i-104', { serialNumber: 'PF2RENAM', hostname: 'DESKTOP-4F7K2QZ' }))],
    assetId: 'A1',
    rule: 'SERIAL_NUMBER',
    values: { serialNumber: 'PF2RENAM' },
    conflicts: [],
  },
  {
    name: 'cloned VMs with a duplicate serial: serial ambiguous, falls back to hostname',
    device: wsus('w-105', { serialNumber: 'VMware-56 4d 12 34 ab cd', fqdn: 'app02.corp.example.local' }),
    candidates: [
      asset('A1', datto('d-105a', { serialNumber: 'VMware-56 4d 12 34 ab cd', hostname: 'APP01' })),
      asset('A2', datto('d-105b', { serialNumber: 'VMware-56 4d 12 34 ab cd', hostname: 'APP02' })),
    ],
    assetId: 'A2',
    rule: 'HOSTNAME',
    values: { hostname: 'APP02' },
    conflicts: ['SERIAL_NUMBER VMWARE-564D1234ABCD is ambiguous: matches assets A1, A2'],
  },
  {
    name: 'cloned VMs with a duplicate serial and nothing else in common → NEW',
    device: datto('d-106', { serialNumber: 'VMware-56 4d 12 34 ab cd', hostname: 'APP03' }),
    candidates: [
      asset('A2', intune('i-106b', { serialNumber: 'VMware-56 4d 12 34 ab cd', hostname: 'APP02' })),
      asset('A1', intune('i-106a', { serialNumber: 'VMware-56 4d 12 34 ab cd', hostname: 'APP01' })),
    ],
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: ['SERIAL_NUMBER VMWARE-564D1234ABCD is ambiguous: matches assets A1, A2'],
  },
  {
    name: 'white-box PCs with "To Be Filled By O.E.M." serials do not merge',
    device: intune('i-107', { serialNumber: 'To Be Filled By O.E.M.', hostname: 'SHOP-PC-2' }),
    candidates: [asset('A1', datto('d-107', { serialNumber: 'To Be Filled By O.E.M.', hostname: 'SHOP-PC-1' }))],
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: [],
  },
  {
    name: 'white-box PC with a junk serial still matches by its real NIC MAC',
    device: intune('i-108', { serialNumber: 'System Serial Number', macAddresses: ['3C:52:82:AA:BB:CC'], hostname: 'SHOP-PC-3' }),
    candidates: [asset('A1', datto('d-108', { serialNumber: 'Default string', macAddresses: ['3c-52-82-aa-bb-cc'], hostname: 'SHOP-PC-3' }))],
    assetId: 'A1',
    rule: 'MAC_ADDRESS',
    values: { macAddress: '3C5282AABBCC' },
    conflicts: [],
  },
  {
    name: 'same hostname in two tenants never merges',
    device: datto('d-109', { hostname: 'FS01' }),
    candidates: [asset('B1', datto('d-other', { tenantId: FABRIKAM, hostname: 'FS01', serialNumber: 'FAB00001' }))],
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: [],
  },
  {
    name: 'same Entra id seen in another tenant is ignored; same-tenant hostname wins',
    device: intune('i-110', { azureAdDeviceId: AAD_1, hostname: 'FS02' }),
    candidates: [
      asset('B1', intune('i-other', { tenantId: FABRIKAM, azureAdDeviceId: AAD_1 })),
      asset('A1', datto('d-110', { hostname: 'fs02' })),
    ],
    assetId: 'A1',
    rule: 'HOSTNAME',
    values: { hostname: 'FS02' },
    conflicts: [],
  },
  {
    name: 'WSUS FQDN "fs01.corp.example.local" joins Datto FS01 + domain and Intune deviceName FS01',
    device: wsus('w-111', { fqdn: 'fs01.corp.example.local' }),
    candidates: [
      asset(
        'A1',
        datto('d-111', { hostname: 'FS01', fqdn: 'FS01.corp.example.local', serialNumber: 'CZJ1234567' }),
        intune('i-111', { hostname: 'FS01', serialNumber: 'CZJ1234567' }),
      ),
    ],
    assetId: 'A1',
    rule: 'HOSTNAME',
    values: { hostname: 'FS01' },
    conflicts: [],
  },
  {
    name: 'MAC "A4-C3-F0-12-34-56" (WSUS) matches "A4:C3:F0:12:34:56" (Datto)',
    device: wsus('w-112', { macAddresses: ['A4-C3-F0-12-34-56'], fqdn: 'lt-0112.corp.example.local' }),
    candidates: [asset('A1', datto('d-112', { macAddresses: ['A4:C3:F0:12:34:56'], hostname: 'LT-0112-OLD' }))],
    assetId: 'A1',
    rule: 'MAC_ADDRESS',
    values: { macAddress: 'A4C3F0123456' },
    conflicts: [],
  },
  {
    name: 'MAC "a4c3f0123456" (Intune) matches "A4-C3-F0-12-34-56" (WSUS inventory)',
    device: intune('i-113', { macAddresses: ['a4c3f0123456', 'DA:A1:19:00:00:01'] }),
    candidates: [asset('A1', wsus('w-113', { macAddresses: ['00:15:5D:01:02:03', 'A4-C3-F0-12-34-56'] }))],
    assetId: 'A1',
    rule: 'MAC_ADDRESS',
    values: { macAddress: 'A4C3F0123456' },
    conflicts: [],
  },
  {
    name: 'randomised Wi-Fi MAC does not match',
    device: intune('i-114', { macAddresses: ['DA:A1:19:12:34:56'], hostname: 'IPHONE-JANE' }),
    candidates: [asset('A1', datto('d-114', { macAddresses: ['da:a1:19:12:34:56'], hostname: 'IPHONE-JOHN' }))],
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: [],
  },
  {
    name: 'Hyper-V vEthernet MAC does not match',
    device: datto('d-115', { macAddresses: ['00:15:5D:01:02:03'], hostname: 'DEV-LT-01' }),
    candidates: [asset('A1', intune('i-115', { macAddresses: ['00155D010203'], hostname: 'DEV-LT-02' }))],
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: [],
  },
  {
    name: 'conflicting serials never merge, even with the same hostname',
    device: datto('d-116', { serialNumber: 'PF2AAAA1', hostname: 'RECEPTION' }),
    candidates: [asset('A1', intune('i-116', { serialNumber: 'PF2BBBB2', hostname: 'RECEPTION' }))],
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: ['asset A1 rejected for HOSTNAME: serial number PF2BBBB2 differs from PF2AAAA1'],
  },
  {
    name: 'conflicting Entra ids from different tools never merge, even with the same serial and hostname',
    device: intune('i-117', { azureAdDeviceId: AAD_2, serialNumber: 'PF2SAME1', hostname: 'LT-0117' }),
    candidates: [asset('A1', datto('d-117', { azureAdDeviceId: AAD_1, serialNumber: 'PF2SAME1', hostname: 'LT-0117' }))],
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: [
      `asset A1 rejected for SERIAL_NUMBER: Azure AD device id ${AAD_1} from connector ${DATTO} differs from ${AAD_2}`,
      `asset A1 rejected for HOSTNAME: Azure AD device id ${AAD_1} from connector ${DATTO} differs from ${AAD_2}`,
    ],
  },
  {
    name: 'Entra id beats a differing serial (mainboard replaced)',
    device: intune('i-118', { azureAdDeviceId: AAD_1, serialNumber: 'PF2NEWMB' }),
    candidates: [asset('A1', datto('d-118', { azureAdDeviceId: AAD_1, serialNumber: 'PF2OLDMB' }))],
    assetId: 'A1',
    rule: 'AZURE_AD_DEVICE_ID',
    values: { azureAdDeviceId: AAD_1 },
    conflicts: [],
  },
  {
    name: 'stronger rule wins when a weaker one points at another asset',
    device: intune('i-119', { azureAdDeviceId: AAD_1, hostname: 'LT-0119' }),
    candidates: [asset('A1', datto('d-119a', { hostname: 'LT-0119' })), asset('A2', datto('d-119b', { azureAdDeviceId: AAD_1 }))],
    assetId: 'A2',
    rule: 'AZURE_AD_DEVICE_ID',
    values: { azureAdDeviceId: AAD_1 },
    conflicts: [],
  },
  {
    name: 'manual pin wins over an Entra id match elsewhere',
    device: intune('i-120', { azureAdDeviceId: AAD_1 }),
    candidates: [asset('A1', datto('d-120', { azureAdDeviceId: AAD_1 }))],
    manual: { pinnedAssetId: 'A9' },
    assetId: 'A9',
    rule: 'MANUAL',
    values: { pinnedAssetId: 'A9' },
    conflicts: [],
  },
  {
    name: 'manual pin to an asset of another tenant is ignored',
    device: datto('d-121', { hostname: 'FS01' }),
    candidates: [asset('B1', datto('d-other', { tenantId: FABRIKAM, hostname: 'FS01' }))],
    manual: { pinnedAssetId: 'B1' },
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: ['pinned asset B1 ignored: it belongs to another tenant'],
  },
  {
    name: 'manual split: the forbidden asset never matches, even by serial',
    device: intune('i-122', { serialNumber: 'PF2SPLIT', hostname: 'LT-0122' }),
    candidates: [asset('A1', datto('d-122', { serialNumber: 'PF2SPLIT', hostname: 'LT-0122' }))],
    manual: { forbiddenAssetIds: ['A1'] },
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: ['asset A1 excluded: forbidden by a manual split'],
  },
  {
    name: 'manual split: a serial match on the forbidden asset falls to a hostname match on another',
    device: intune('i-123', { serialNumber: 'PF2SPLIT', hostname: 'LT-0123' }),
    candidates: [asset('A1', datto('d-123a', { serialNumber: 'PF2SPLIT' })), asset('A2', wsus('w-123', { fqdn: 'lt-0123.corp.example.local' }))],
    manual: { forbiddenAssetIds: ['A1'] },
    assetId: 'A2',
    rule: 'HOSTNAME',
    values: { hostname: 'LT-0123' },
    conflicts: ['asset A1 excluded: forbidden by a manual split'],
  },
  {
    name: 'all-zero Entra id is ignored: no false match on other zero ids',
    device: intune('i-124', { azureAdDeviceId: AAD_ZERO, serialNumber: 'PF2ZERO1' }),
    candidates: [asset('A1', datto('d-124', { azureAdDeviceId: AAD_ZERO, serialNumber: 'PF2ZERO2' }))],
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: [],
  },
  {
    name: 'all-zero Entra id is ignored: no false conflict against a real id, serial matches',
    device: intune('i-125', { azureAdDeviceId: AAD_ZERO, serialNumber: 'PF2ZERO3' }),
    candidates: [asset('A1', datto('d-125', { azureAdDeviceId: AAD_1, serialNumber: 'PF2ZERO3' }))],
    assetId: 'A1',
    rule: 'SERIAL_NUMBER',
    values: { serialNumber: 'PF2ZERO3' },
    conflicts: [],
  },
  {
    name: 'two devices in the same tool with the same hostname stay separate',
    device: datto('d-126b', { hostname: 'KIOSK' }),
    candidates: [asset('A1', datto('d-126a', { hostname: 'KIOSK' }))],
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: [`asset A1 rejected for HOSTNAME: it already has source d-126a from connector ${DATTO}`],
  },
  {
    name: 'USB-C dock MAC shared by two laptops is ambiguous; hostname decides',
    device: wsus('w-127', { macAddresses: ['A0:CE:C8:11:22:33'], fqdn: 'lt-0127b.corp.example.local' }),
    candidates: [
      asset('A1', datto('d-127a', { macAddresses: ['A0CEC8112233'], hostname: 'LT-0127A' })),
      asset('A2', intune('i-127b', { macAddresses: ['a0:ce:c8:11:22:33'], hostname: 'LT-0127B' })),
    ],
    assetId: 'A2',
    rule: 'HOSTNAME',
    values: { hostname: 'LT-0127B' },
    conflicts: ['MAC_ADDRESS A0CEC8112233 is ambiguous: matches assets A1, A2'],
  },
  {
    name: '"localhost" hostnames never match',
    device: datto('d-128', { hostname: 'localhost', fqdn: 'localhost.localdomain' }),
    candidates: [asset('A1', intune('i-128', { hostname: 'LOCALHOST' }))],
    assetId: null,
    rule: 'NEW',
    values: {},
    conflicts: [],
  },
  {
    name: "re-resolution ignores the device's own previous snapshot on the asset",
    device: intune('i-129', { hostname: 'LT-0129' }),
    candidates: [asset('A1', intune('i-129', { hostname: 'LT-0129' }), datto('d-129', { hostname: 'LT-0129' }))],
    assetId: 'A1',
    rule: 'HOSTNAME',
    values: { hostname: 'LT-0129' },
    conflicts: [],
  },
];

describe('resolveIdentity', () => {
  it('has at least 20 real-life cases', () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
  });

  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const result = resolveIdentity(row.device, row.candidates, row.manual);
    expect(result).toEqual({
      assetId: row.assetId,
      matchedBy: { rule: row.rule, values: row.values },
      conflicts: row.conflicts,
    });
  });

  it.each(rows.map((r) => [r.name, r] as const))('is independent of candidate order: %s', (_name, row) => {
    const reversed = [...row.candidates].reverse().map((a) => ({ ...a, sources: [...a.sources].reverse() }));
    expect(resolveIdentity(row.device, reversed, row.manual)).toEqual(resolveIdentity(row.device, row.candidates, row.manual));
  });

  it('a pin that is also forbidden is ignored and recorded', () => {
    const result = resolveIdentity(datto('d-200', { serialNumber: 'PF2PIN01' }), [asset('A1', intune('i-200', { serialNumber: 'PF2PIN01' }))], {
      pinnedAssetId: 'A1',
      forbiddenAssetIds: ['A1'],
    });
    expect(result).toEqual({
      assetId: null,
      matchedBy: { rule: 'NEW', values: {} },
      conflicts: ['pinned asset A1 ignored: it is also forbidden by a manual split', 'asset A1 excluded: forbidden by a manual split'],
    });
  });

  it('does not mutate its inputs', () => {
    const row = rows.find((r) => r.name.startsWith('re-imaged'))!;
    const snapshot = JSON.stringify([row.device, row.candidates]);
    resolveIdentity(row.device, row.candidates, row.manual);
    expect(JSON.stringify([row.device, row.candidates])).toBe(snapshot);
  });
});
