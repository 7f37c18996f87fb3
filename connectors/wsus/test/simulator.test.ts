import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { createServer, IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import schema from '../envelope.schema.json';
import {
  ALL_COMPUTERS_ID, ComputerSpec, SUSDB_NEVER, UNASSIGNED_COMPUTERS_ID, WsusSimulator, WsusSnapshot, WsusSnapshotRows, WsusUpdateRow,
} from '../simulator';
import { MICROSOFT_CATALOG } from '../../shared/microsoft/microsoft-catalog';

/** The simulator checked on its own: against the envelope schema and the bundled catalog, never through connector code. */
const NOW = new Date('2026-11-23T13:00:00Z');
const HOUR = 3_600_000;
const SUSDB_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/;
const MISSING = [2, 3, 5, 6];

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

function expectValid(snapshot: unknown): void {
  // Through JSON, as the server receives it.
  const ok = validate(JSON.parse(JSON.stringify(snapshot)));
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
}

const kbDigits = (kb: string | null) => (kb ?? '').replace(/^KB/i, '');

/** From the catalog itself: the KBs that fix `build` ("22631"), with the revision each brings. */
function catalogFixes(build: number): Array<{ kb: string; revision: number }> {
  return MICROSOFT_CATALOG.updates.flatMap((u) =>
    Object.values(u.fixedBuilds)
      .map((b) => b.split('.').map(Number))
      .filter(([, , b]) => b === build)
      .map(([, , , revision]) => ({ kb: kbDigits(u.kb), revision })),
  );
}

/** Each computer's states for the catalog's cumulative updates of its own release, with the revision that fixes each. */
function cumulativeStates(rows: WsusSnapshotRows, computerId: string, build: number): Array<{ revision: number; state: number }> {
  const fixes = new Map(catalogFixes(build).map((f) => [f.kb, f.revision]));
  const kbOf = new Map(rows.updates.map((u) => [u.UpdateId, kbDigits(u.KnowledgebaseArticle)]));
  return rows.installations
    .filter(([c, u, state]) => c === computerId && fixes.has(kbOf.get(u)!) && state !== 1)
    .map(([, u, state]) => ({ revision: fixes.get(kbOf.get(u)!)!, state }));
}

const rowsOf = <T>(list: T[], key: (row: T) => string, id: string) => list.filter((row) => key(row) === id);

describe('WSUS simulator snapshots', () => {
  const sim = new WsusSimulator({ now: NOW });
  const snapshot = sim.snapshot();
  const { rows } = snapshot;

  it('validates against the envelope schema, default and with not-applicable rows', () => {
    expect(snapshot.format).toBe('patchgraph-wsus-snapshot');
    expect(snapshot.version).toBe(1);
    expect(snapshot.generatedAt).toBe(NOW.toISOString());
    expect(snapshot.server).toEqual({ id: sim.serverId, name: 'wsus01.corp.example', version: expect.any(String) });
    expectValid(snapshot);
    expectValid(new WsusSimulator({ now: NOW, seed: 9, omitNotApplicable: false }).snapshot());
  });

  it('has the default sizes and a consistent set of rows', () => {
    expect(rows.computerTargets).toHaveLength(40);
    expect(rows.updates).toHaveLength(60);
    const computers = new Set(rows.computerTargets.map((c) => c.ComputerTargetId));
    const updates = new Set(rows.updates.map((u) => u.UpdateId));
    const groups = new Set(rows.targetGroups.map((g) => g.ComputerTargetGroupId));
    expect(computers.size).toBe(40);
    expect(updates.size).toBe(60);
    for (const [c, u] of rows.installations) {
      expect(computers.has(c)).toBe(true);
      expect(updates.has(u)).toBe(true);
    }
    for (const m of rows.groupMemberships) expect(computers.has(m.ComputerTargetId) && groups.has(m.ComputerTargetGroupId)).toBe(true);
    const declined = new Set(rows.updates.filter((u) => u.IsDeclined === true || u.IsDeclined === 1).map((u) => u.UpdateId));
    for (const a of rows.approvals) {
      expect(updates.has(a.UpdateId) && !declined.has(a.UpdateId)).toBe(true);
      expect(groups.has(a.ComputerTargetGroupId)).toBe(true);
    }
    // One row per computer and update at most, as the view gives it.
    expect(new Set(rows.installations.map(([c, u]) => `${c}/${u}`)).size).toBe(rows.installations.length);
  });

  it('reports every State 0–6 when not-applicable rows are kept, and none of State 1 by default', () => {
    const full = new WsusSimulator({ now: NOW, omitNotApplicable: false }).snapshot();
    expect([...new Set(full.rows.installations.map(([, , s]) => s))].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(full.collector.includesNotApplicable).toBe(true);
    expect(rows.installations.some(([, , s]) => s === 1)).toBe(false);
    expect([...new Set(rows.installations.map(([, , s]) => s))].sort()).toEqual([0, 2, 3, 4, 5, 6]);
    // Leaving State 1 out drops only those rows.
    expect(full.rows.installations.filter(([, , s]) => s !== 1)).toEqual(rows.installations);
  });

  it('writes SUSDB times (UTC, no offset) with both forms of "never"', () => {
    const times = [
      ...rows.computerTargets.flatMap((c) => [c.LastSyncTime, c.LastReportedStatusTime]),
      ...rows.updates.flatMap((u) => [u.CreationDate, u.ArrivalDate]),
      ...rows.approvals.map((a) => a.CreationDate),
    ];
    for (const t of times) {
      if (t === null || t === SUSDB_NEVER) continue;
      expect(t).toMatch(SUSDB_TIME);
      expect(Date.parse(`${t}Z`)).toBeLessThanOrEqual(NOW.getTime());
    }
    expect(SUSDB_NEVER).toBe('1753-01-01T00:00:00');
    expect(rows.computerTargets.some((c) => c.LastSyncTime === null)).toBe(true);
    expect(rows.computerTargets.some((c) => c.LastReportedStatusTime === SUSDB_NEVER)).toBe(true);
    // Most computers synchronised within the day, some weeks ago.
    const age = (c: (typeof rows.computerTargets)[number]) => NOW.getTime() - Date.parse(`${c.LastSyncTime}Z`);
    const synced = rows.computerTargets.filter((c) => c.LastSyncTime !== null);
    expect(synced.filter((c) => age(c) < 24 * HOUR).length).toBeGreaterThan(rows.computerTargets.length / 2);
    expect(synced.some((c) => age(c) > 14 * 24 * HOUR)).toBe(true);
    expect(new Set(rows.computerTargets.map((c) => c.LastSyncResult))).toEqual(new Set([0, 1, 2]));
  });

  it('has a computer that never reported, with State 0 for everything', () => {
    const never = rows.computerTargets.find((c) => c.LastSyncTime === null)!;
    const states = rowsOf(rows.installations, ([c]) => c, never.ComputerTargetId).map(([, , s]) => s);
    expect(states).toHaveLength(rows.updates.length);
    expect(new Set(states)).toEqual(new Set([0]));
    expect(never.LastSyncResult).toBe(0);
  });

  it('names and describes computers as WSUS does', () => {
    for (const c of rows.computerTargets) {
      expect(c.Name).toMatch(/^[a-z0-9-]+\.corp\.example$/);
      expect(c.ComputerTargetId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(c).toMatchObject({ OSMajorVersion: 10, OSMinorVersion: 0, OSArchitecture: 'AMD64' });
    }
    const builds = new Set(rows.computerTargets.map((c) => c.OSBuildNumber));
    for (const b of [20348, 19045, 22631, 26100]) expect(builds.has(b)).toBe(true);
    const makes = new Set(rows.computerTargets.map((c) => c.Make));
    expect(makes.has('Dell Inc.') || makes.has('HPE')).toBe(true);
    expect(rows.computerTargets.some((c) => c.Make === 'Microsoft Corporation' && c.Model === 'Virtual Machine')).toBe(true);
  });

  it("reports the Windows Update agent's version as ClientVersion: the servicing base's build, the OS's revision", () => {
    // Releases delivered as an enablement package run their base release's agent: Windows 10 22H2 (19045) reports
    // 10.0.19041.x, Windows 11 23H2 (22631) 10.0.22621.x, 25H2 (26200) 10.0.26100.x. Written out here rather than
    // read from the simulator, so that a simulator that echoes OSBuildNumber fails.
    const agentBuild: Record<number, number> = { 20348: 20348, 19045: 19041, 22621: 22621, 22631: 22621, 26100: 26100, 26200: 26100 };
    for (const c of rows.computerTargets) {
      const [major, minor, build, revision] = c.ClientVersion!.split('.').map(Number);
      expect({ os: c.OSBuildNumber, agent: [major, minor, build] }).toEqual({ os: c.OSBuildNumber, agent: [10, 0, agentBuild[c.OSBuildNumber!]] });
      expect(revision).toBeGreaterThan(0);
    }
    const windows10 = rows.computerTargets.filter((c) => c.OSBuildNumber === 19045);
    expect(windows10.length).toBeGreaterThan(0);
    for (const c of windows10) expect(c.ClientVersion).toMatch(/^10\.0\.19041\.\d+$/);
    // The facts a test reads back keep the OS's build: OSBuildNumber with the agent's revision.
    expect(sim.computers.map((c) => c.osBuild)).toEqual(rows.computerTargets.map((c) => `${c.OSBuildNumber}.${c.ClientVersion!.split('.')[3]}`));
  });

  it('puts each computer explicitly in one group and implicitly in All Computers', () => {
    const all = rows.targetGroups.find((g) => g.Name === 'All Computers')!;
    expect(all).toEqual({ ComputerTargetGroupId: ALL_COMPUTERS_ID, ParentTargetGroupId: null, Name: 'All Computers' });
    expect(rows.targetGroups.map((g) => g.Name)).toEqual(['All Computers', 'Unassigned Computers', 'Servers', 'Workstations', 'Pilot']);
    for (const g of rows.targetGroups.slice(1)) expect(g.ParentTargetGroupId).toBe(ALL_COMPUTERS_ID);
    const used = new Set<string>();
    for (const c of rows.computerTargets) {
      const memberships = rowsOf(rows.groupMemberships, (m) => m.ComputerTargetId, c.ComputerTargetId);
      expect(memberships).toHaveLength(2);
      expect(memberships.filter((m) => m.IsExplicitMember === true)).toHaveLength(1);
      expect(memberships.find((m) => m.IsExplicitMember === false)?.ComputerTargetGroupId).toBe(ALL_COMPUTERS_ID);
      used.add(memberships.find((m) => m.IsExplicitMember === true)!.ComputerTargetGroupId);
    }
    expect(used.has(UNASSIGNED_COMPUTERS_ID)).toBe(true);
    expect(used.size).toBe(4);
  });

  it('lists every real cumulative update of the catalog, once per release, under its KB', () => {
    const variants = MICROSOFT_CATALOG.updates.flatMap((u) => u.products.map((p) => `${kbDigits(u.kb)} ${p}`));
    const cumulative = rows.updates.filter((u) => MICROSOFT_CATALOG.updates.some((c) => kbDigits(c.kb) === kbDigits(u.KnowledgebaseArticle)));
    expect(cumulative).toHaveLength(variants.length);
    for (const u of cumulative) {
      const c = MICROSOFT_CATALOG.updates.find((x) => kbDigits(x.kb) === kbDigits(u.KnowledgebaseArticle))!;
      expect(u.DefaultTitle).toMatch(new RegExp(`^${c.releasedAt.slice(0, 7)} Cumulative Update for .+ for x64-based Systems \\(KB${kbDigits(c.kb)}\\)$`));
      expect(u).toMatchObject({ ClassificationTitle: 'Security Updates', MsrcSeverity: c.severity[0] + c.severity.slice(1).toLowerCase(), CreationDate: c.releasedAt.slice(0, 23) });
    }
    expect(rows.updates.find((u) => kbDigits(u.KnowledgebaseArticle) === '5043076' && /23H2/.test(u.DefaultTitle))?.DefaultTitle)
      .toBe('2024-09 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5043076)');
  });

  it('writes KBs with and without "KB", invents none that meet the catalog, and has declined and other kinds of update', () => {
    const kbs = rows.updates.map((u) => u.KnowledgebaseArticle).filter((k): k is string => k !== null);
    expect(kbs.some((k) => /^KB\d{7}$/.test(k))).toBe(true);
    expect(kbs.some((k) => /^\d{7}$/.test(k))).toBe(true);
    const catalog = new Set(MICROSOFT_CATALOG.updates.map((u) => kbDigits(u.kb)));
    for (const k of kbs.map(kbDigits).filter((k) => !catalog.has(k))) expect(k).toMatch(/^5099\d{3}$/);
    const classifications = new Set(rows.updates.map((u) => u.ClassificationTitle));
    for (const c of ['Security Updates', 'Critical Updates', 'Definition Updates', 'Updates', 'Update Rollups', 'Drivers']) expect(classifications.has(c)).toBe(true);
    expect(rows.updates.some((u) => u.ClassificationTitle === 'Definition Updates' && u.MsrcSeverity === 'Unspecified')).toBe(true);
    expect(rows.updates.some((u) => u.ClassificationTitle === 'Definition Updates' && u.MsrcSeverity === null)).toBe(true);
    expect(rows.updates.some((u) => u.IsDeclined === true)).toBe(true);
    expect(rows.updates.some((u) => u.IsDeclined === 1)).toBe(true);
    expect(rows.updates.some((u) => u.IsDeclined === 0)).toBe(true);
  });

  it('approves to Pilot first, then to the other groups, with Uninstall and NotApproved examples', () => {
    const groupId = (name: string) => rows.targetGroups.find((g) => g.Name === name)!.ComputerTargetGroupId;
    const actions = new Set(rows.approvals.map((a) => a.Action));
    expect(actions).toEqual(new Set(['Install', 'Uninstall', 'NotApproved']));
    const arrival = new Map(rows.updates.map((u) => [u.UpdateId, u.ArrivalDate!]));
    for (const a of rows.approvals) expect(a.CreationDate! >= arrival.get(a.UpdateId)!).toBe(true);
    const staged = rows.updates.filter((u) => {
      const pilot = rows.approvals.find((a) => a.UpdateId === u.UpdateId && a.ComputerTargetGroupId === groupId('Pilot'));
      const broad = rows.approvals.find((a) => a.UpdateId === u.UpdateId && [groupId('Servers'), groupId('Workstations')].includes(a.ComputerTargetGroupId) && a.Action === 'Install');
      return pilot && broad && pilot.CreationDate! < broad.CreationDate!;
    });
    expect(staged.length).toBeGreaterThan(5);
    expect(rows.approvals.some((a) => a.AdministratorName === 'CORP\\wsus-admin')).toBe(true);
    expect(rows.approvals.some((a) => a.AdministratorName === null)).toBe(true);
  });

  it('derives cumulative update states from the build: installed at or past the fixed build, missing before it', () => {
    const big = new WsusSimulator({ now: NOW, computers: 300, seed: 4 });
    const bigRows = big.rows();
    let atLatest = 0;
    const behind = new Set<number>();
    for (const c of bigRows.computerTargets) {
      if (c.LastReportedStatusTime === SUSDB_NEVER) continue;
      const revision = Number(c.ClientVersion!.split('.')[3]);
      const states = cumulativeStates(bigRows, c.ComputerTargetId, c.OSBuildNumber!);
      expect(states).toHaveLength(catalogFixes(c.OSBuildNumber!).length);
      for (const { revision: fixed, state } of states) {
        if (revision >= fixed) expect(state).toBe(4);
        else expect(MISSING).toContain(state);
        if (revision < fixed) behind.add(state);
      }
      if (states.length > 0 && revision === Math.max(...states.map((s) => s.revision))) atLatest++;
    }
    expect(atLatest).toBeGreaterThan(10);
    expect([...behind].sort()).toEqual(MISSING);
  });

  it('has, in the default fleet, a computer at the newest fixed build with every cumulative update installed and one behind it', () => {
    const latest = sim.computers.find((c) => c.osBuild === '22631.6649')!;
    expect(cumulativeStates(rows, latest.id, 22631).map((s) => s.state)).toEqual([4, 4, 4]);
    // Between the August and September 2024 builds: August installed, September and February 2026 missing.
    const between = sim.computers.find((c) => /^22631\.(40[4-9]\d|41[0-6]\d)$/.test(c.osBuild))!;
    const states = cumulativeStates(rows, between.id, 22631).sort((a, b) => a.revision - b.revision).map((s) => s.state);
    expect(states[0]).toBe(4);
    expect(MISSING).toContain(states[1]);
    expect(MISSING).toContain(states[2]);
  });

  it('gives rows() and installationRows() in the snapshot\'s own order', () => {
    expect(sim.rows()).toEqual(rows);
    expect(sim.installationRows()).toEqual(rows.installations.map(([ComputerTargetId, UpdateId, State]) => ({ ComputerTargetId, UpdateId, State })));
    expect(JSON.parse(gunzipSync(sim.gzipSnapshot()).toString('utf8'))).toEqual(snapshot);
  });
});

describe('WSUS simulator determinism', () => {
  const options = { now: NOW, seed: 42, computers: 60, updates: 90 };

  it('gives byte-identical snapshots for the same seed and options, and a different server for another seed', () => {
    const a = new WsusSimulator(options);
    const b = new WsusSimulator(options);
    expect(JSON.stringify(a.snapshot())).toBe(JSON.stringify(b.snapshot()));
    expect(a.gzipSnapshot().equals(b.gzipSnapshot())).toBe(true);
    const c = new WsusSimulator({ ...options, seed: 43 });
    expect(c.serverId).not.toBe(a.serverId);
    expect(JSON.stringify(c.snapshot())).not.toBe(JSON.stringify(a.snapshot()));
  });

  it('stays identical through the same advances and removals', () => {
    const run = () => {
      const s = new WsusSimulator(options);
      s.advance(2 * HOUR);
      s.removeComputer();
      s.advance(30 * 60_000);
      return JSON.stringify(s.snapshot());
    };
    expect(run()).toBe(run());
  });

  it('keeps the cumulative updates\' ids the same on every server (they come from Microsoft)', () => {
    const variants = MICROSOFT_CATALOG.updates.reduce((n, u) => n + u.products.length, 0);
    const ids = (seed: number) => new WsusSimulator({ now: NOW, seed, updates: variants }).rows().updates.map((u) => u.UpdateId);
    expect(ids(1)).toHaveLength(variants);
    expect(ids(1)).toEqual(ids(2));
  });
});

describe('WSUS simulator over time', () => {
  it('advance(): only the returned computers change; they install or fail; one update is declined', () => {
    const sim = new WsusSimulator({ now: NOW, seed: 5 });
    const before = sim.snapshot();
    const { changedComputerIds } = sim.advance(2 * HOUR);
    const after = sim.snapshot();
    expect(after.generatedAt).toBe(new Date(NOW.getTime() + 2 * HOUR).toISOString());
    expect(changedComputerIds.length).toBeGreaterThanOrEqual(2);
    expect(changedComputerIds.length).toBeLessThanOrEqual(4);
    expect(new Set(changedComputerIds).size).toBe(changedComputerIds.length);

    const ofComputer = (s: WsusSnapshot, id: string) => ({
      target: s.rows.computerTargets.find((c) => c.ComputerTargetId === id),
      memberships: rowsOf(s.rows.groupMemberships, (m) => m.ComputerTargetId, id),
      installations: rowsOf(s.rows.installations, ([c]) => c, id),
    });
    let newFailures = 0;
    let installedAll = 0;
    const declinedAfter = new Set(after.rows.updates.filter((u) => u.IsDeclined === true || u.IsDeclined === 1).map((u) => u.UpdateId));
    for (const c of before.rows.computerTargets) {
      const [b, a] = [ofComputer(before, c.ComputerTargetId), ofComputer(after, c.ComputerTargetId)];
      if (!changedComputerIds.includes(c.ComputerTargetId)) {
        expect(a).toEqual(b);
        continue;
      }
      expect(a).not.toEqual(b);
      expect(a.target!.LastSyncTime! > b.target!.LastSyncTime!).toBe(true);
      expect(Date.parse(`${a.target!.LastSyncTime}Z`)).toBeLessThanOrEqual(NOW.getTime() + 2 * HOUR);
      const was = new Map(b.installations.map(([, u, s]) => [u, s]));
      newFailures += a.installations.filter(([, u, s]) => s === 5 && [2, 3].includes(was.get(u)!)).length;
      if (a.installations.every(([, u, s]) => declinedAfter.has(u) || !MISSING.includes(s))) installedAll++;
    }
    expect(newFailures).toBe(1);
    expect(installedAll).toBe(changedComputerIds.length - 1);

    const newlyDeclined = after.rows.updates.filter((u, i) => u.IsDeclined !== before.rows.updates[i].IsDeclined);
    expect(newlyDeclined).toHaveLength(1);
    expect(after.rows.approvals.some((a) => a.UpdateId === newlyDeclined[0].UpdateId)).toBe(false);
    expectValid(after);
  });

  it('advance(): an installing computer moves to the newest fixed build of its release', () => {
    const sim = new WsusSimulator({ now: NOW, seed: 5 });
    const before = new Map(sim.computers.map((c) => [c.id, c]));
    const { changedComputerIds } = sim.advance(HOUR);
    const moved = sim.computers.filter((c) => changedComputerIds.includes(c.id) && c.osBuild !== before.get(c.id)!.osBuild);
    for (const c of moved) {
      const [build, revision] = c.osBuild.split('.').map(Number);
      expect(revision).toBe(Math.max(...catalogFixes(build).map((f) => f.revision)));
      expect(cumulativeStates(sim.rows(), c.id, build).every((s) => s.state === 4)).toBe(true);
    }
  });

  it('removeComputer(): the computer and all its rows are gone, nothing else changes', () => {
    const sim = new WsusSimulator({ now: NOW, seed: 6 });
    const before = sim.rows();
    const id = sim.removeComputer();
    const after = sim.rows();
    expect(before.computerTargets.some((c) => c.ComputerTargetId === id)).toBe(true);
    expect(sim.computers.some((c) => c.id === id)).toBe(false);
    expect(after.computerTargets).toEqual(before.computerTargets.filter((c) => c.ComputerTargetId !== id));
    expect(after.groupMemberships).toEqual(before.groupMemberships.filter((m) => m.ComputerTargetId !== id));
    expect(after.installations).toEqual(before.installations.filter(([c]) => c !== id));
    expect(after.updates).toEqual(before.updates);
    expect(after.approvals).toEqual(before.approvals);
  });
});

describe('WSUS simulator with a given fleet', () => {
  const specs: ComputerSpec[] = [
    { id: '1f0e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b', name: 'fs01.corp.example', group: 'Servers', osBuild: '20348.4773', make: 'Dell Inc.', model: 'PowerEdge R650', ipAddress: '10.10.5.21' },
    { id: '2a1b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', name: 'ws-0142.corp.example', group: 'Branch Office', osBuild: '22631.4169', lastSyncTime: new Date('2026-11-22T08:00:00Z') },
    { id: '3b2c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e', name: 'ws-0143.corp.example', group: 'Unassigned Computers', osBuild: '10.0.26100.1742', lastSyncTime: null },
  ];

  it('serves exactly the given computers, in their groups, with states from their builds', () => {
    const sim = new WsusSimulator({ now: NOW, fleet: { computers: specs } });
    const rows = sim.rows();
    expect(rows.computerTargets.map((c) => [c.ComputerTargetId, c.Name, c.OSBuildNumber, c.ClientVersion])).toEqual([
      [specs[0].id, 'fs01.corp.example', 20348, '10.0.20348.4773'],
      [specs[1].id, 'ws-0142.corp.example', 22631, '10.0.22621.4169'], // 23H2 runs 22H2's update agent
      [specs[2].id, 'ws-0143.corp.example', 26100, '10.0.26100.1742'],
    ]);
    expect(rows.computerTargets[0]).toMatchObject({ Make: 'Dell Inc.', Model: 'PowerEdge R650', IPAddress: '10.10.5.21' });
    expect(rows.computerTargets[1].LastSyncTime).toBe('2026-11-22T08:00:00.000');
    expect(rows.computerTargets[2]).toMatchObject({ LastSyncTime: null, LastReportedStatusTime: SUSDB_NEVER });
    expect(rows.targetGroups.map((g) => g.Name)).toEqual(['All Computers', 'Unassigned Computers', 'Servers', 'Workstations', 'Pilot', 'Branch Office']);
    const explicit = (id: string) => rows.groupMemberships.find((m) => m.ComputerTargetId === id && m.IsExplicitMember === true)!.ComputerTargetGroupId;
    expect(explicit(specs[1].id)).toBe(rows.targetGroups.find((g) => g.Name === 'Branch Office')!.ComputerTargetGroupId);
    expect(explicit(specs[2].id)).toBe(UNASSIGNED_COMPUTERS_ID);
    expect(cumulativeStates(rows, specs[0].id, 20348).map((s) => s.state)).toEqual([4, 4, 4]);
    const ws = cumulativeStates(rows, specs[1].id, 22631).sort((a, b) => a.revision - b.revision).map((s) => s.state);
    expect(ws.slice(0, 2)).toEqual([4, 4]);
    expect(MISSING).toContain(ws[2]);
    expect(new Set(rowsOf(rows.installations, ([c]) => c, specs[2].id).map(([, , s]) => s))).toEqual(new Set([0]));
    expectValid(sim.snapshot());
  });

  it('keeps a computer given `lacks` up to date but for the updates it selects', () => {
    const edgeSince = NOW.getTime() - 14 * 24 * HOUR;
    const spec: ComputerSpec = { ...specs[1], osBuild: '22631.6649', lacks: (u) => u.kind === 'edge' && u.released.getTime() > edgeSince };
    const rows = new WsusSimulator({ now: NOW, fleet: { computers: [spec] } }).rows();
    const updates = new Map(rows.updates.map((u) => [u.UpdateId, u]));
    const states = rowsOf(rows.installations, ([c]) => c, spec.id).map(([, u, state]) => ({ update: updates.get(u)!, state }));
    const lacked = (u: WsusUpdateRow) => u.DefaultTitle.startsWith('Microsoft Edge') && Date.parse(`${u.CreationDate}Z`) > edgeSince;
    // Of what it has reported on (updates that arrived since its last report are State 0 yet), only the Edge
    // releases of the last 14 days are not installed; the default mix of updates always has some.
    const reported = states.filter((s) => s.state !== 0);
    expect(reported.filter((s) => s.state !== 4).map((s) => [s.update.DefaultTitle, s.state])).toEqual(reported.filter((s) => lacked(s.update)).map((s) => [s.update.DefaultTitle, 2]));
    expect(reported.filter((s) => lacked(s.update)).length).toBeGreaterThan(0);
    // The February 2026 build has every cumulative update of its release.
    expect(cumulativeStates(rows, spec.id, 22631).map((s) => s.state)).toEqual([4, 4, 4]);
  });

  it('refuses an id that is not a GUID, and the same id twice', () => {
    expect(() => new WsusSimulator({ now: NOW, fleet: { computers: [{ ...specs[0], id: 'fs01' }] } })).toThrow(/not a GUID/);
    expect(() => new WsusSimulator({ now: NOW, fleet: { computers: [specs[0], specs[0]] } })).toThrow(/twice/);
  });
});

describe('WSUS simulator at scale', () => {
  it('builds and gzips 2000 computers × 300 updates', () => {
    const sim = new WsusSimulator({ now: NOW, computers: 2000, updates: 300 });
    const gzip = sim.gzipSnapshot();
    const snapshot = JSON.parse(gunzipSync(gzip).toString('utf8')) as WsusSnapshot;
    expect(snapshot.rows.computerTargets).toHaveLength(2000);
    expect(snapshot.rows.updates).toHaveLength(300);
    expect(snapshot.rows.groupMemberships).toHaveLength(4000);
    const perComputer = new Map<string, number>();
    for (const [c] of snapshot.rows.installations) perComputer.set(c, (perComputer.get(c) ?? 0) + 1);
    expect(perComputer.size).toBe(2000);
    // Each computer has rows for what applies to it: well over the updates for every Windows, well under all 300.
    expect(snapshot.rows.installations.length).toBeGreaterThan(2000 * 100);
    expect(snapshot.rows.installations.length).toBeLessThan(2000 * 300);
    expect(gzip.length).toBeLessThan(gunzipSync(gzip).length / 5);
    expectValid(snapshot);
  });
});

describe('WSUS simulator upload', () => {
  it('POSTs the gzip snapshot with the collector\'s headers and returns the answer', async () => {
    const received: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders; body: Buffer }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
        if (req.url === '/refuse') {
          res.writeHead(401, { 'content-type': 'text/plain' }).end('unknown key');
          return;
        }
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: true }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const sim = new WsusSimulator({ now: NOW, computers: 12, updates: 30 });
      const answer = await sim.upload(`${origin}/api/wsus/snapshots`, 'pgk_secret');
      expect(answer).toEqual({ status: 202, body: { accepted: true } });
      const [req] = received;
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/api/wsus/snapshots');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['content-encoding']).toBe('gzip');
      expect(req.headers.authorization).toBe('Bearer pgk_secret');
      expect(req.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      expect(JSON.parse(gunzipSync(req.body).toString('utf8'))).toEqual(sim.snapshot());

      const refused = await sim.upload(`${origin}/refuse`, 'wrong', Buffer.from('not gzip'));
      expect(refused).toEqual({ status: 401, body: 'unknown key' });
      expect(received[1].body.toString()).toBe('not gzip');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
