/** A WSUS snapshot (SUSDB row sets) → records: states, KBs, CVEs, times, groups and approvals. */
import { checkEnvelope, EnvelopeError, WsusEnvelope } from '../../../connectors/wsus';
import { mapSnapshot, susdbTime } from '../../../connectors/wsus/mapping';

const C1 = '1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const C2 = '2f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const G_ALL = 'a0000000-0000-0000-0000-000000000000';
const G_SERVERS = 'b0000000-0000-0000-0000-000000000001';
const U_SEP = 'e4a1c9d2-7b3f-4c5e-9a8d-1b2c3d4e5f60'; // KB5042881, Server 2022 September 2024 (x64)
const U_SEP_ARM = 'e4a1c9d2-7b3f-4c5e-9a8d-1b2c3d4e5f61'; // the same KB, another variant
const U_DEF = 'f4a1c9d2-7b3f-4c5e-9a8d-1b2c3d4e5f62'; // a definition update without CVEs
const U_OLD = '04a1c9d2-7b3f-4c5e-9a8d-1b2c3d4e5f63'; // declined

function envelope(over: Partial<WsusEnvelope['rows']> = {}): WsusEnvelope {
  return {
    format: 'patchgraph-wsus-snapshot', version: 1, server: { id: 'srv-1', name: 'wsus01.corp.example' }, generatedAt: '2026-11-02T03:00:00Z',
    rows: {
      computerTargets: [
        { ComputerTargetId: C1, Name: 'FS01.corp.example', IPAddress: '10.10.5.21', LastSyncResult: 1, LastSyncTime: '2026-11-02T02:14:07', LastReportedStatusTime: '2026-11-02 02:20:44.123', ClientVersion: '10.0.20348.2655', Make: 'Dell Inc.', Model: 'PowerEdge R650', OSBuildNumber: 20348 },
        { ComputerTargetId: C2, Name: 'old01.corp.example', LastSyncResult: 2, LastSyncTime: '1753-01-01T00:00:00', LastReportedStatusTime: null, ClientVersion: '10.0.20348.2582', OSBuildNumber: 20348 },
      ],
      targetGroups: [{ ComputerTargetGroupId: G_ALL, ParentTargetGroupId: null, Name: 'All Computers' }, { ComputerTargetGroupId: G_SERVERS, ParentTargetGroupId: G_ALL, Name: 'Servers' }],
      groupMemberships: [
        { ComputerTargetId: C1, ComputerTargetGroupId: G_ALL, IsExplicitMember: 0 },
        { ComputerTargetId: C1, ComputerTargetGroupId: G_SERVERS, IsExplicitMember: 1 },
      ],
      updates: [
        { UpdateId: U_SEP, DefaultTitle: '2024-09 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems (KB5042881)', KnowledgebaseArticle: '5042881', MsrcSeverity: 'Critical', CreationDate: '2024-09-10T17:00:00', IsDeclined: false, ClassificationTitle: 'Security Updates', ProductTitles: ['Windows Server 2022'] },
        { UpdateId: U_SEP_ARM, DefaultTitle: '2024-09 Cumulative Update (ARM64) (KB5042881)', KnowledgebaseArticle: 'KB5042881', MsrcSeverity: 'Critical', CreationDate: '2024-09-10T17:00:00', IsDeclined: 0, ClassificationTitle: 'Security Updates' },
        { UpdateId: U_DEF, DefaultTitle: 'Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.421.1)', KnowledgebaseArticle: '2267602', MsrcSeverity: null, CreationDate: '2026-11-01T08:00:00', IsDeclined: 0, ClassificationTitle: 'Definition Updates' },
        { UpdateId: U_OLD, DefaultTitle: 'An old superseded update', KnowledgebaseArticle: '4000001', CreationDate: '2019-01-08T17:00:00', IsDeclined: 1, ClassificationTitle: 'Updates' },
      ],
      installations: [[C1, U_SEP, 2], [C1, U_SEP_ARM, 5], [C1, U_DEF, 4], [C1, U_OLD, 2], [C2, U_SEP, 6], [C2, U_DEF, 0], [C2, U_SEP_ARM, 1]],
      approvals: [
        { UpdateApprovalId: 'c0000000-0000-0000-0000-000000000001', UpdateId: U_SEP, ComputerTargetGroupId: G_SERVERS, Action: 'Install', CreationDate: '2024-09-11T09:30:00', AdministratorName: 'CORP\\wsus-admin' },
        { UpdateApprovalId: 'c0000000-0000-0000-0000-000000000002', UpdateId: U_OLD, ComputerTargetGroupId: G_SERVERS, Action: 'Install', CreationDate: '2019-01-09T09:30:00' },
      ],
      ...over,
    },
  };
}
const map = (e = envelope(), targetGroups: 'sites' | 'ignore' = 'sites') => mapSnapshot(checkEnvelope(e), { targetGroups, staleAfterDays: 30 });

describe('WSUS snapshot mapping', () => {
  it('maps computers: FQDN, build from the client version, UTC times without offset, 1753-01-01 as never, group as site', () => {
    const { devices } = map();
    const fs01 = devices.find((d) => d.externalId === C1)!;
    expect(fs01).toMatchObject({ fqdn: 'fs01.corp.example', osName: 'Windows Server 2022', osBuild: '20348.2655', manufacturer: 'Dell Inc.', model: 'PowerEdge R650', vendorSite: 'Servers', vendorSiteId: G_SERVERS, inactive: false });
    expect(fs01.lastCheckInAt!.toISOString()).toBe('2026-11-02T02:20:44.123Z');
    expect(fs01.attributes).toMatchObject({ lastSyncResult: 'succeeded', targetGroup: 'Servers', wsusServer: 'wsus01.corp.example' });
    const old = devices.find((d) => d.externalId === C2)!;
    expect(old).toMatchObject({ lastCheckInAt: null, inactive: true, vendorSite: null });
    expect(map(envelope(), 'ignore').devices.find((d) => d.externalId === C1)!.vendorSite).toBeNull();
  });

  it('maps installation states (2 missing, 5 failed, 6 pending reboot, 4 installed, 0 unknown), drops 1 and declined updates, and merges the variants of one KB by urgency', () => {
    const states = Object.fromEntries(map().patchStates.map((s) => [`${s.deviceExternalId === C1 ? 'fs01' : 'old01'} ${s.updateKey}`, s.state]));
    expect(states).toEqual({
      'fs01 microsoft:KB5042881': 'FAILED', // x64 missing (2), ARM64 failed (5): the failure is what needs attention
      'fs01 microsoft:KB2267602': 'INSTALLED',
      'old01 microsoft:KB5042881': 'PENDING_REBOOT',
      'old01 microsoft:KB2267602': 'UNKNOWN',
    });
    expect(new Set(map().patchStates.map((s) => s.evidence))).toEqual(new Set(['REPORTED']));
  });

  it('keys updates by KB with or without the prefix, and takes CVEs and supersedence from Microsoft data, since WSUS stores no CVE ids', () => {
    const { updates } = map();
    expect(updates.map((u) => u.key).sort()).toEqual(['microsoft:KB2267602', 'microsoft:KB5042881']);
    const sep = updates.find((u) => u.key === 'microsoft:KB5042881')!;
    expect(sep).toMatchObject({ kb: 'KB5042881', classification: 'SECURITY', severity: 'CRITICAL', supersedes: ['KB5041160'], products: ['Windows Server 2022'] });
    expect(sep.releasedAt.toISOString()).toBe('2024-09-10T17:00:00.000Z');
    expect(sep.fixes!.length).toBe(39);
    expect(sep.fixes!.map((f) => f.cveId)).toContain('CVE-2024-38063'); // TCP/IP remote code execution, CVSS 9.8
    expect(updates.find((u) => u.key === 'microsoft:KB2267602')).toMatchObject({ classification: 'DEFINITION', severity: 'UNSPECIFIED', fixes: undefined });
  });

  it('keeps approvals as evidence (who, which update, which group, when), not those of declined updates', () => {
    expect(map().approvals).toEqual([
      { externalId: 'c0000000-0000-0000-0000-000000000001', updateKey: 'microsoft:KB5042881', group: 'Servers', action: 'Install', approvedAt: new Date('2024-09-11T09:30:00Z'), approvedBy: 'CORP\\wsus-admin' },
    ]);
  });

  it.each([
    ['a state naming a computer it does not list', { installations: [['9f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b', U_SEP, 2]] }, /installations\/0 names computer 9f0e2d3c/],
    ['a state naming an update it does not list', { installations: [[C1, '94a1c9d2-7b3f-4c5e-9a8d-1b2c3d4e5f60', 2]] }, /installations\/0 names update 94a1c9d2/],
  ] as const)('refuses a snapshot with %s', (_name, over, message) => {
    expect(() => map(envelope(over as never))).toThrow(EnvelopeError);
    expect(() => map(envelope(over as never))).toThrow(message);
  });
});

describe('the envelope check', () => {
  it.each([
    ['an unknown version', { version: 2 }, 'UNKNOWN_ENVELOPE_VERSION', /envelope version 2 is not one this server reads/],
    ['another format', { format: 'something-else' }, 'SCHEMA_VIOLATION', /\/format must be equal to constant/],
    ['a state outside 0–6', { rows: { ...envelope().rows, installations: [[C1, U_SEP, 9]] } }, 'SCHEMA_VIOLATION', /\/rows\/installations\/0\/2 must be <= 6/],
    ['a computer without an id', { rows: { ...envelope().rows, computerTargets: [{ Name: 'x' }] } }, 'SCHEMA_VIOLATION', /\/rows\/computerTargets\/0 must have required property 'ComputerTargetId'/],
  ])('refuses %s with a message saying where', (_name, over, code, message) => {
    const error = (() => {
      try {
        checkEnvelope({ ...envelope(), ...over });
      } catch (err) {
        return err as EnvelopeError;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(EnvelopeError);
    expect(error!.code).toBe(code);
    expect(error!.message).toMatch(message);
  });

  it('reads SUSDB times as UTC and both "never" forms as null', () => {
    expect(susdbTime('2026-11-02T03:14:07', 'x')!.toISOString()).toBe('2026-11-02T03:14:07.000Z');
    expect(susdbTime('2026-11-02 03:14:07.5', 'x')!.toISOString()).toBe('2026-11-02T03:14:07.500Z');
    expect(susdbTime('1753-01-01T00:00:00', 'x')).toBeNull();
    expect(susdbTime(null, 'x')).toBeNull();
  });
});
