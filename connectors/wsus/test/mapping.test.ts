/** A WSUS snapshot (SUSDB row sets) → records: states, KBs, CVEs, times, groups and approvals. */
import { checkEnvelope, EnvelopeError, WsusEnvelope } from '..';
import type { ComputerTargetRow } from '../envelope';
import type { PatchStateRecord } from '../../sdk/contract';
import { computerOs, mapSnapshot, normaliseKb, susdbTime } from '../mapping';
import { WsusSimulator } from '../simulator';

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
/** The records, with the states made (the mapping makes them as they are read). */
const map = async (e = envelope(), targetGroups: 'sites' | 'ignore' = 'sites') => {
  const mapped = await mapSnapshot(await checkEnvelope(e), { targetGroups, staleAfterDays: 30 });
  return { ...mapped, patchStates: [...mapped.patchStates] };
};

describe('WSUS snapshot mapping', () => {
  it('maps computers: FQDN, build from OSBuildNumber, UTC times without offset, 1753-01-01 as never, group as site', async () => {
    const { devices } = await map();
    const fs01 = devices.find((d) => d.externalId === C1)!;
    expect(fs01).toMatchObject({ fqdn: 'fs01.corp.example', osName: 'Windows Server 2022', osBuild: '20348.2655', manufacturer: 'Dell Inc.', model: 'PowerEdge R650', vendorSite: 'Servers', vendorSiteId: G_SERVERS, inactive: false });
    expect(fs01.lastCheckInAt!.toISOString()).toBe('2026-11-02T02:20:44.123Z');
    expect(fs01.attributes).toMatchObject({ lastSyncResult: 'succeeded', targetGroup: 'Servers', wsusServer: 'wsus01.corp.example' });
    const old = devices.find((d) => d.externalId === C2)!;
    expect(old).toMatchObject({ lastCheckInAt: null, inactive: true, vendorSite: null });
    expect((await map(envelope(), 'ignore')).devices.find((d) => d.externalId === C1)!.vendorSite).toBeNull();
  });

  it('maps installation states (2 missing, 5 failed, 6 pending reboot, 4 installed, 0 unknown), drops 1 and declined updates, and merges the variants of one KB by urgency', async () => {
    const states = Object.fromEntries((await map()).patchStates.map((s) => [`${s.deviceExternalId === C1 ? 'fs01' : 'old01'} ${s.updateKey}`, s.state]));
    expect(states).toEqual({
      'fs01 microsoft:KB5042881': 'FAILED', // x64 missing (2), ARM64 failed (5): the failure is what needs attention
      'fs01 microsoft:KB2267602': 'INSTALLED',
      'old01 microsoft:KB5042881': 'PENDING_REBOOT',
      'old01 microsoft:KB2267602': 'UNKNOWN',
    });
    expect(new Set((await map()).patchStates.map((s) => s.evidence))).toEqual(new Set(['REPORTED']));
  });

  it('keys updates by KB with or without the prefix, and takes CVEs and supersedence from Microsoft data, since WSUS stores no CVE ids', async () => {
    const { updates } = await map();
    expect(updates.map((u) => u.key).sort()).toEqual(['microsoft:KB2267602', 'microsoft:KB5042881']);
    const sep = updates.find((u) => u.key === 'microsoft:KB5042881')!;
    expect(sep).toMatchObject({ kb: 'KB5042881', classification: 'SECURITY', severity: 'CRITICAL', supersedes: ['KB5041160'], products: ['Windows Server 2022'] });
    expect(sep.releasedAt!.toISOString()).toBe('2024-09-10T17:00:00.000Z');
    expect(sep.fixes!.length).toBe(39);
    expect(sep.fixes!.map((f) => f.cveId)).toContain('CVE-2024-38063'); // TCP/IP remote code execution, CVSS 9.8
    expect(updates.find((u) => u.key === 'microsoft:KB2267602')).toMatchObject({ classification: 'DEFINITION', severity: 'UNSPECIFIED', fixes: undefined });
  });

  it('keeps approvals as evidence (who, which update, which group, when), not those of declined updates', async () => {
    expect((await map()).approvals).toEqual([
      { externalId: 'c0000000-0000-0000-0000-000000000001', updateKey: 'microsoft:KB5042881', group: 'Servers', action: 'Install', approvedAt: new Date('2024-09-11T09:30:00Z'), approvedBy: 'CORP\\wsus-admin' },
    ]);
  });

  it.each([
    ['a state naming a computer it does not list', { installations: [['9f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b', U_SEP, 2]] }, /installations\/0 names computer 9f0e2d3c/],
    ['a state naming an update it does not list', { installations: [[C1, '94a1c9d2-7b3f-4c5e-9a8d-1b2c3d4e5f60', 2]] }, /installations\/0 names update 94a1c9d2/],
  ] as const)('refuses a snapshot with %s', async (_name, over, message) => {
    await expect(map(envelope(over as never))).rejects.toThrow(EnvelopeError);
    await expect(map(envelope(over as never))).rejects.toThrow(message);
  });
});

/**
 * The states as one pass over every installation row gives them, the way the mapping made them before it made them
 * computer by computer as they are read: per computer and update key the most urgent report, in the order the rows
 * first name each pair; declined updates and "not applicable" (1) left out.
 */
function statesInOnePass(e: WsusEnvelope): PatchStateRecord[] {
  const value: Record<number, PatchStateRecord['state'] | null> = { 0: 'UNKNOWN', 1: null, 2: 'MISSING', 3: 'MISSING', 4: 'INSTALLED', 5: 'FAILED', 6: 'PENDING_REBOOT' };
  const urgency = ['NOT_APPLICABLE', 'INSTALLED', 'UNKNOWN', 'MISSING', 'PENDING_REBOOT', 'FAILED'];
  const live = e.rows.updates.filter((u) => u.IsDeclined !== true && u.IsDeclined !== 1);
  const keyOf = new Map(live.map((u) => [u.UpdateId.toLowerCase(), normaliseKb(u.KnowledgebaseArticle) ? `microsoft:${normaliseKb(u.KnowledgebaseArticle)}` : `wsus:${u.UpdateId.toLowerCase()}`]));
  const states = new Map<string, PatchStateRecord>();
  for (const [computerId, updateId, code] of e.rows.installations) {
    const key = keyOf.get(updateId.toLowerCase());
    const state = value[code];
    if (!key || !state) continue;
    const pair = `${computerId.toLowerCase()} ${key}`;
    const current = states.get(pair);
    if (current && urgency.indexOf(current.state) >= urgency.indexOf(state)) continue;
    states.set(pair, { deviceExternalId: computerId.toLowerCase(), updateKey: key, state, evidence: 'REPORTED' });
  }
  return [...states.values()];
}

/** Grouped by device, keeping each device's own order (the engine compares a device's list, not the run's order). */
const byDevice = (states: PatchStateRecord[]) => [...states].sort((a, b) => (a.deviceExternalId < b.deviceExternalId ? -1 : a.deviceExternalId > b.deviceExternalId ? 1 : 0));

describe('the states of a snapshot, made as they are read', () => {
  it('are the records one pass over all the rows gives, with declined updates and merged KB variants', async () => {
    const wsus = new WsusSimulator({ computers: 80, updates: 60, seed: 12, now: new Date('2026-11-02T09:00:00Z') });
    wsus.advance(3_600_000); // declines an update, so some rows name a declined one
    const e = JSON.parse(JSON.stringify(wsus.snapshot())) as WsusEnvelope;
    expect(e.rows.updates.some((u) => u.IsDeclined === true || u.IsDeclined === 1)).toBe(true);
    const expected = statesInOnePass(e);
    expect(expected.length).toBeGreaterThan(2000);
    expect(expected.length).toBeLessThan(e.rows.installations.length);
    const made = [...(await mapSnapshot(await checkEnvelope(e), { targetGroups: 'sites', staleAfterDays: 30 })).patchStates];
    expect(byDevice(made)).toEqual(byDevice(expected));
  });

  it('are made once: a second pass is refused rather than quietly empty', async () => {
    const { patchStates } = await mapSnapshot(await checkEnvelope(envelope()), { targetGroups: 'sites', staleAfterDays: 30 });
    expect([...patchStates]).toHaveLength(4);
    expect(() => [...patchStates]).toThrow(/generated once/);
  });
});

/**
 * vComputerTarget rows as SUSDB holds them. ClientVersion is the Windows Update agent's version: on Windows 10
 * 22H2 and Windows 11 23H2 (enablement packages on 2004 and 22H2) it names the base build, 19041 and 22621, while
 * OSBuildNumber names the release. The revisions are real patch levels of the bundled catalog: KB5043064 brings
 * Windows 10 22H2 to 19045.4894, KB5043076 Windows 11 23H2 to 22631.4169, KB5042881 Server 2022 to 20348.2700,
 * KB5077181 Windows 11 25H2 to 26200.7840.
 */
function computer(id: string, name: string, os: Pick<ComputerTargetRow, 'ClientVersion' | 'OSMajorVersion' | 'OSMinorVersion' | 'OSBuildNumber'>): ComputerTargetRow {
  return {
    ComputerTargetId: id, Name: name, IPAddress: '10.20.1.17', LastSyncResult: 1, LastSyncTime: '2026-11-02T01:12:40.217', LastReportedStatusTime: '2026-11-02T01:14:03.903',
    OSArchitecture: 'AMD64', Make: 'HP', Model: 'HP EliteBook 840 G8 Notebook PC', BiosName: 'T37 Ver. 01.17.00', BiosVersion: 'HPQOEM - 0', OSServicePackMajorNumber: 0, OSDefaultUILanguage: 'en-GB',
    ...os,
  };
}
const W10 = '3c2d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f';
const W11 = '4d3e5f6a-7b8c-4d9e-8f1a-2b3c4d5e6f7a';
const SRV = '5e4f6a7b-8c9d-4e0f-9a2b-3c4d5e6f7a8b';
const W25 = '6f5a7b8c-9d0e-4f1a-8b3c-4d5e6f7a8b9c';
const SUSDB_COMPUTERS = [
  computer(W10, 'ws-0212.corp.example', { OSMajorVersion: 10, OSMinorVersion: 0, OSBuildNumber: 19045, ClientVersion: '10.0.19041.4894' }),
  computer(W11, 'ws-0318.corp.example', { OSMajorVersion: 10, OSMinorVersion: 0, OSBuildNumber: 22631, ClientVersion: '10.0.22621.4169' }),
  computer(SRV, 'fs02.corp.example', { OSMajorVersion: 10, OSMinorVersion: 0, OSBuildNumber: 20348, ClientVersion: '10.0.20348.2700' }),
  computer(W25, 'ws-0440.corp.example', { OSMajorVersion: 10, OSMinorVersion: 0, OSBuildNumber: 26200, ClientVersion: '10.0.26100.7840' }),
];

describe("a computer's OS: the build from OSBuildNumber, never from the update agent's ClientVersion", () => {
  const devices = async () => new Map((await map(envelope({ computerTargets: SUSDB_COMPUTERS, groupMemberships: [], installations: [] }))).devices.map((d) => [d.externalId, d]));

  it('reports Windows 10 22H2 as build 19045 although its agent says 10.0.19041, with the revision of the agent', async () => {
    const d = (await devices()).get(W10)!;
    expect(d).toMatchObject({ osName: 'Windows 10', osVersion: '10.0.19045.4894', osBuild: '19045.4894' });
    expect(d.attributes).toMatchObject({ windowsRelease: 'Windows 10 22H2', windowsUpdateAgentVersion: '10.0.19041.4894' });
  });

  it('reports Windows 11 23H2 as build 22631 although its agent says 10.0.22621', async () => {
    const d = (await devices()).get(W11)!;
    expect(d).toMatchObject({ osName: 'Windows 11', osVersion: '10.0.22631.4169', osBuild: '22631.4169' });
    expect(d.attributes).toMatchObject({ windowsRelease: 'Windows 11 23H2', windowsUpdateAgentVersion: '10.0.22621.4169' });
  });

  it('reports Server 2022 and Windows 11 25H2 (agent of 24H2, 26100) at their own builds', async () => {
    expect((await devices()).get(SRV)!).toMatchObject({ osName: 'Windows Server 2022', osVersion: '10.0.20348.2700', osBuild: '20348.2700', attributes: expect.objectContaining({ windowsRelease: 'Windows Server 2022' }) });
    expect((await devices()).get(W25)!).toMatchObject({ osName: 'Windows 11', osVersion: '10.0.26200.7840', osBuild: '26200.7840', attributes: expect.objectContaining({ windowsRelease: 'Windows 11 25H2' }) });
  });

  it.each([
    ['an agent of another servicing family', { OSMajorVersion: 10, OSMinorVersion: 0, OSBuildNumber: 22631, ClientVersion: '10.0.19041.4894' }, { osName: 'Windows 11', osVersion: '10.0.22631', osBuild: '22631', windowsRelease: 'Windows 11 23H2' }],
    ['no agent version', { OSMajorVersion: 10, OSMinorVersion: 0, OSBuildNumber: 19045, ClientVersion: null }, { osName: 'Windows 10', osVersion: '10.0.19045', osBuild: '19045', windowsRelease: 'Windows 10 22H2' }],
    // Windows 8.1's agent is versioned on its own (7.9.9600.x): its revision is not the OS's.
    ['Windows Server 2012 R2, whose agent is 7.9', { OSMajorVersion: 6, OSMinorVersion: 3, OSBuildNumber: 9600, ClientVersion: '7.9.9600.18970' }, { osName: 'Windows (build 9600)', osVersion: '6.3.9600', osBuild: '9600', windowsRelease: null }],
    // Registered but never reported its details: the agent's 19041 would be the wrong build for a 22H2 machine.
    ['no OSBuildNumber', { OSMajorVersion: null, OSMinorVersion: null, OSBuildNumber: null, ClientVersion: '10.0.19041.4894' }, { osName: null, osVersion: null, osBuild: null, windowsRelease: null }],
  ] as const)('gives the bare build, without a revision the agent cannot vouch for, with %s', (_name, row, expected) => {
    expect(computerOs(row)).toEqual(expected);
  });
});

describe('the envelope check', () => {
  it.each([
    ['an unknown version', { version: 2 }, 'UNKNOWN_ENVELOPE_VERSION', /envelope version 2 is not one this server reads/],
    ['another format', { format: 'something-else' }, 'SCHEMA_VIOLATION', /\/format must be equal to constant/],
    ['a state outside 0–6', { rows: { ...envelope().rows, installations: [[C1, U_SEP, 9]] } }, 'SCHEMA_VIOLATION', /\/rows\/installations\/0\/2 must be <= 6/],
    ['a computer without an id', { rows: { ...envelope().rows, computerTargets: [{ Name: 'x' }] } }, 'SCHEMA_VIOLATION', /\/rows\/computerTargets\/0 must have required property 'ComputerTargetId'/],
  ])('refuses %s with a message saying where', async (_name, over, code, message) => {
    const error = await (async () => {
      try {
        await checkEnvelope({ ...envelope(), ...over });
      } catch (err) {
        return err as EnvelopeError;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(EnvelopeError);
    expect(error!.code).toBe(code);
    expect(error!.message).toMatch(message);
  });

  it('reads SUSDB times as UTC and both "never" forms as null', async () => {
    expect(susdbTime('2026-11-02T03:14:07', 'x')!.toISOString()).toBe('2026-11-02T03:14:07.000Z');
    expect(susdbTime('2026-11-02 03:14:07.5', 'x')!.toISOString()).toBe('2026-11-02T03:14:07.500Z');
    expect(susdbTime('1753-01-01T00:00:00', 'x')).toBeNull();
    expect(susdbTime(null, 'x')).toBeNull();
  });
});
