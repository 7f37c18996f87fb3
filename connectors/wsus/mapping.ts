/**
 * A WSUS snapshot → records. WSUS reports each update's state per computer (evidence REPORTED), which is the
 * per-KB view the other tools lack. Rules, in one place:
 * - installation state 0–6: 2 not installed and 3 downloaded are MISSING, 5 FAILED, 6 PENDING_REBOOT, 4 INSTALLED,
 *   0 UNKNOWN (no status yet); 1 not applicable is not stored;
 * - declined updates are not required: neither they nor their states are reported;
 * - KB numbers come with or without "KB"; updates with a KB are keyed like every other source ("microsoft:KB…"), so
 *   WSUS and Intune name the same cumulative update; the x64/ARM64 variants of one KB merge into one;
 * - WSUS stores no CVE ids: a KB's CVEs come from Microsoft's security update data (src/catalog);
 * - SUSDB times are UTC without an offset; NULL and 1753-01-01 mean never;
 * - the OS build is OSBuildNumber; ClientVersion is the Windows Update agent's version, which only lends its
 *   revision (see {@link computerOs});
 * - a snapshot must be consistent: a state naming a computer or update it does not list is an error.
 */
import { MICROSOFT_CATALOG } from '../shared/microsoft/microsoft-catalog';
import { fixesOf, severityOf } from '../shared/microsoft/microsoft-fixes';
import type { ApprovalRecord, ClassificationValue, DeviceRecord, PatchStateRecord, PatchStateValue, UpdateRecord, VulnerabilityRecord } from '../sdk/contract';
import { parseWindowsVersion, releaseName, WindowsBuild, windowsName } from '../sdk/windows-builds';
import { deviceStates, DeviceStatesBatch } from '../sdk/device-states';
import { recordsOf } from '../sdk/record-batch';
import { forEachSliced, timeSlicer, TimeSlicer } from '../sdk/time-slices';
import { ComputerTargetRow, EnvelopeError, installationsOf, UpdateRow, WsusEnvelope } from './envelope';
import { caseFolded, installationColumnsOf, InstallationRows } from './installation-columns';

/** How target groups are used: as the devices' sites (matched by name, or mapped for an MSP-wide instance), or not. */
export type TargetGroupUse = 'sites' | 'ignore';

export interface MappedSnapshot {
  generatedAt: Date;
  devices: DeviceRecord[];
  updates: UpdateRecord[];
  /**
   * The states, computer by computer, made as they are read: a full snapshot has some 240,000, and the engine keeps
   * the ones it reads anyway, so building them all up front held them twice. Iterable once: what it has generated
   * is let go as it goes.
   */
  patchStates: Iterable<PatchStateRecord>;
  /** The same states as one `deviceStates` item per computer, for the engine: no object per state. Either is read once. */
  stateLists: Iterable<DeviceStatesBatch>;
  approvals: ApprovalRecord[];
}

const STATE: Record<number, PatchStateValue | null> = { 0: 'UNKNOWN', 1: null, 2: 'MISSING', 3: 'MISSING', 4: 'INSTALLED', 5: 'FAILED', 6: 'PENDING_REBOOT' };
/** When two variants of one KB report differently on a computer, the one that needs attention wins. */
const URGENCY: Record<PatchStateValue, number> = { FAILED: 6, PENDING_REBOOT: 5, MISSING: 4, UNKNOWN: 3, INSTALLED: 2, NOT_APPLICABLE: 1 };

const CLASSIFICATION: Record<string, ClassificationValue> = {
  'security updates': 'SECURITY',
  'critical updates': 'CRITICAL',
  'update rollups': 'UPDATE_ROLLUP',
  'feature packs': 'FEATURE_PACK',
  'service packs': 'SERVICE_PACK',
  'definition updates': 'DEFINITION',
  drivers: 'DRIVER',
  updates: 'UPDATE',
};

const BUILT_IN_GROUPS = new Set(['all computers', 'unassigned computers']);
const NEVER = /^1753-01-01/;

/** SUSDB time (UTC, no offset) → Date; null and 1753-01-01 → null. */
export function susdbTime(value: string | null | undefined, what: string): Date | null {
  if (value === null || value === undefined || value === '' || NEVER.test(value)) return null;
  const text = value.trim().replace(' ', 'T');
  const at = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  if (Number.isNaN(at.getTime())) throw new EnvelopeError('SCHEMA_VIOLATION', `${what}: "${value.slice(0, 40)}" is not a SUSDB date`);
  return at;
}

export function normaliseKb(value: string | null | undefined): string | null {
  const digits = (value ?? '').trim().replace(/^kb/i, '');
  return /^\d{5,8}$/.test(digits) ? `KB${digits}` : null;
}

/**
 * Releases shipped as an enablement package on an earlier one keep running that one's binaries, the Windows Update
 * agent among them: a Windows 10 22H2 machine reports OSBuildNumber 19045 and ClientVersion 10.0.19041.x, Windows 11
 * 23H2 reports 22631 and 10.0.22621.x. One cumulative update brings every release of a family to the same revision
 * (KB5043076 is 22621.4169 and 22631.4169, KB5077181 26100.7840 and 26200.7840), so an agent of the same family is
 * as good a witness of the revision as one of the same build. Server 2022 (20348) and 24H2 (26100) are families of
 * their own here; Windows Server 2025 shares 26100 with 24H2 and needs no entry.
 */
const SERVICING_BASE: Readonly<Record<number, number>> = {
  18363: 18362, // Windows 10 1909 on 1903
  19042: 19041, // Windows 10 20H2, 21H1, 21H2 and 22H2 on 2004
  19043: 19041,
  19044: 19041,
  19045: 19041,
  22631: 22621, // Windows 11 23H2 on 22H2
  26200: 26100, // Windows 11 25H2 on 24H2
};
const servicingBase = (build: number): number => SERVICING_BASE[build] ?? build;

/** Windows 10's first build: a row without OSMajorVersion but with a build at least this is Windows 10 or later. */
const FIRST_WINDOWS_10_BUILD = 10240;

const positive = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null);

export interface ComputerOs {
  osName: string | null;
  /** "10.0.19045.4894": the OS's version, built from the OS columns (and the agent's revision where it applies). */
  osVersion: string | null;
  /** "19045.4894", or "19045" when the revision is not known. */
  osBuild: string | null;
  /** "Windows 10 22H2". */
  windowsRelease: string | null;
}

/**
 * A computer's operating system from its vComputerTarget row. SUSDB has no OS revision (UBR) column, and
 * ClientVersion is the Windows Update agent's version, not the OS's: on releases serviced as part of a family it
 * names the family's base build (19041 on Windows 10 22H2). So the build always comes from OSBuildNumber. The
 * agent's revision is the only witness of the UBR SUSDB has, and it is taken only on Windows 10 and later (where
 * the agent is serviced by the OS's cumulative updates; Windows 8.1's agent 7.9.9600.x is versioned on its own)
 * and only when the agent's build is of the OS's servicing family. Otherwise the bare build is reported: a
 * revision of another release would place the computer at a patch level it is not at.
 */
export function computerOs(c: Pick<ComputerTargetRow, 'ClientVersion' | 'OSMajorVersion' | 'OSMinorVersion' | 'OSBuildNumber'>): ComputerOs {
  const build = positive(c.OSBuildNumber);
  if (build === null) return { osName: null, osVersion: null, osBuild: null, windowsRelease: null };
  const major = c.OSMajorVersion ?? (build >= FIRST_WINDOWS_10_BUILD ? 10 : null);
  const minor = c.OSMinorVersion ?? (major === 10 ? 0 : null);
  const agent = parseWindowsVersion(c.ClientVersion);
  const revision = major === 10 && agent?.major === 10 && servicingBase(agent.build) === servicingBase(build) ? agent.revision : null;
  const windows: WindowsBuild | null = major === 10 ? { major: 10, minor: minor ?? 0, build, revision: revision ?? 0 } : null;
  return {
    osName: windows ? windowsName(windows) : `Windows (build ${build})`,
    osVersion: major !== null && minor !== null ? [major, minor, build, ...(revision !== null ? [revision] : [])].join('.') : null,
    osBuild: revision !== null ? `${build}.${revision}` : String(build),
    windowsRelease: windows ? releaseName(windows) : null,
  };
}

const truthy = (v: boolean | number | null | undefined) => v === true || v === 1;

/** The bundled Microsoft data by KB: what WSUS cannot say about an update (its CVEs, what it supersedes). */
function microsoftData(): Map<string, { fixes: VulnerabilityRecord[]; supersedes: string[] }> {
  return new Map(MICROSOFT_CATALOG.updates.map((u) => [u.kb, { supersedes: u.supersedes, fixes: fixesOf(u) }]));
}

function updateKeyOf(u: UpdateRow): string {
  const kb = normaliseKb(u.KnowledgebaseArticle);
  return kb ? `microsoft:${kb}` : `wsus:${u.UpdateId.toLowerCase()}`;
}

/**
 * The records of a checked snapshot. A full one has some 365,000 installation rows: they are checked and planned in
 * slices, with turns of the event loop between them (`slicer`, by default every SLICE_BUDGET_MS), to the same records
 * as in one pass; the states are made when they are read, one computer after another (the engine sorts each
 * device's states for its digest and asks no order across devices).
 */
export async function mapSnapshot(envelope: WsusEnvelope, options: { targetGroups: TargetGroupUse; staleAfterDays: number; slicer?: TimeSlicer }): Promise<MappedSnapshot> {
  const slicer = options.slicer ?? timeSlicer();
  const rows = envelope.rows;
  const generatedAt = new Date(envelope.generatedAt);
  const groups = new Map(rows.targetGroups.map((g) => [g.ComputerTargetGroupId.toLowerCase(), g]));

  // A computer's site: the custom group it is an explicit member of (WSUS also lists the built-in ones).
  const siteOf = new Map<string, { id: string; name: string }>();
  await forEachSliced(rows.groupMemberships, slicer, (m) => {
    const group = groups.get(m.ComputerTargetGroupId.toLowerCase());
    if (!group || BUILT_IN_GROUPS.has(group.Name.trim().toLowerCase())) return;
    const computer = m.ComputerTargetId.toLowerCase();
    if (!siteOf.has(computer) || truthy(m.IsExplicitMember)) siteOf.set(computer, { id: group.ComputerTargetGroupId.toLowerCase(), name: group.Name.trim() });
  });

  const devices: DeviceRecord[] = [];
  await forEachSliced(rows.computerTargets, slicer, (c) => {
    const id = c.ComputerTargetId.toLowerCase();
    const os = computerOs(c);
    const lastCheckInAt = susdbTime(c.LastReportedStatusTime, `computer ${c.Name}: LastReportedStatusTime`) ?? susdbTime(c.LastSyncTime, `computer ${c.Name}: LastSyncTime`);
    const site = options.targetGroups === 'sites' ? siteOf.get(id) : undefined;
    const attributes: Record<string, string | null> = {
      lastSyncResult: c.LastSyncResult === 1 ? 'succeeded' : c.LastSyncResult === 2 ? 'failed' : c.LastSyncResult === 0 ? 'unknown' : null,
      osArchitecture: c.OSArchitecture ?? null,
      windowsRelease: os.windowsRelease,
      // Kept as what it is: the agent's version, which on 22H2 or 23H2 names another build than the OS's.
      windowsUpdateAgentVersion: c.ClientVersion?.trim() || null,
      wsusServer: envelope.server.name,
      targetGroup: siteOf.get(id)?.name ?? null,
    };
    devices.push({
      externalId: id,
      fqdn: c.Name.trim().toLowerCase(),
      manufacturer: c.Make ?? null,
      model: c.Model ?? null,
      osName: os.osName,
      osVersion: os.osVersion,
      osBuild: os.osBuild,
      lastCheckInAt,
      inactive: lastCheckInAt === null || generatedAt.getTime() - lastCheckInAt.getTime() > options.staleAfterDays * 86_400_000,
      vendorSite: site?.name ?? null,
      vendorSiteId: site?.id ?? null,
      attributes: Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== null)),
    });
  });
  const computers = new Set(devices.map((d) => d.externalId));

  const microsoft = microsoftData();
  const keyOfUpdate = new Map<string, string>();
  const updates = new Map<string, UpdateRecord>();
  for (const u of rows.updates) {
    if (truthy(u.IsDeclined)) continue;
    const key = updateKeyOf(u);
    keyOfUpdate.set(u.UpdateId.toLowerCase(), key);
    if (updates.has(key)) continue; // another variant (x64/ARM64) of the same KB
    const kb = normaliseKb(u.KnowledgebaseArticle);
    const releasedAt = susdbTime(u.CreationDate, `update ${u.UpdateId}: CreationDate`) ?? susdbTime(u.ArrivalDate, `update ${u.UpdateId}: ArrivalDate`);
    if (!releasedAt) throw new EnvelopeError('SCHEMA_VIOLATION', `update ${u.UpdateId} has neither CreationDate nor ArrivalDate`);
    const known = kb ? microsoft.get(kb) : undefined;
    updates.set(key, {
      key, kb, title: u.DefaultTitle.trim(), vendor: 'Microsoft', products: u.ProductTitles ?? [],
      classification: CLASSIFICATION[(u.ClassificationTitle ?? '').trim().toLowerCase()] ?? 'OTHER', severity: severityOf(u.MsrcSeverity), releasedAt,
      supersedes: known?.supersedes ?? [], fixes: known?.fixes,
    });
  }
  const declined = new Set(rows.updates.filter((u) => truthy(u.IsDeclined)).map((u) => u.UpdateId.toLowerCase()));

  const plan = await planStates(installationsOf(rows), slicer, computers, declined, keyOfUpdate);

  const approvals: ApprovalRecord[] = [];
  await forEachSliced(rows.approvals, slicer, (a) => {
    const key = keyOfUpdate.get(a.UpdateId.toLowerCase());
    const group = groups.get(a.ComputerTargetGroupId.toLowerCase());
    if (!key || !group) return; // an approval of a declined update, or for a group since deleted
    approvals.push({
      externalId: a.UpdateApprovalId.toLowerCase(), updateKey: key, group: group.Name.trim(), action: a.Action.trim(),
      approvedAt: susdbTime(a.CreationDate, `approval ${a.UpdateApprovalId}: CreationDate`), approvedBy: a.AdministratorName?.trim() || null,
    });
  });
  const states = statesOnce(plan);
  return { generatedAt, devices, updates: [...updates.values()], patchStates: states.records, stateLists: states.lists, approvals };
}

/**
 * The installation rows that become states, a number each, per computer in the order the rows first name them:
 * the update key's index times CODE_RANGE plus the installation state. 365,000 rows (two 36-character ids and an
 * array each) are held as one small number each until their computer's states are made.
 */
interface StatePlan {
  keys: string[];
  rowsOf: Map<string, number[]>;
}

/** Installation states are 0-6: a planned row is its key's index times this, plus its state. */
const CODE_RANGE = 8;

/** What an update id's rows become: a key's index in the plan, or one of these. */
const DECLINED = -1;
const UNLISTED = -2;

/**
 * Checks every row names a listed computer and update, as the one pass that made the states did, and plans them.
 * Each distinct id is lowercased and resolved once (caseFolded), so a row costs a few numbers, not two strings
 * lowercased and looked up.
 */
async function planStates(installations: InstallationRows, slicer: TimeSlicer, computers: Set<string>, declined: Set<string>, keyOfUpdate: Map<string, string>): Promise<StatePlan> {
  const columns = await installationColumnsOf(installations, slicer);
  const computerNames = caseFolded(columns.computerIds);
  const updateNames = caseFolded(columns.updateIds);
  const listed = computerNames.names.map((computer) => computers.has(computer));
  const keys: string[] = [];
  const indexOfKey = new Map<string, number>();
  const keyIndexOf = updateNames.names.map((update) => {
    if (declined.has(update)) return DECLINED;
    const key = keyOfUpdate.get(update);
    if (!key) return UNLISTED;
    let index = indexOfKey.get(key);
    if (index === undefined) indexOfKey.set(key, (index = keys.push(key) - 1));
    return index;
  });
  const computerOf = columns.computerPlaces;
  const updateOf = columns.updatePlaces;
  const stateOf = columns.stateCodes;
  // By computer, in the order the rows first name each one with a state to keep.
  const plannedOf: Array<number[] | undefined> = new Array(computerNames.names.length);
  const order: number[] = [];
  for (let i = 0; i < columns.length; i++) {
    if (slicer.due()) await slicer.turn();
    const computer = computerNames.fold[computerOf[i]];
    if (!listed[computer]) throw new EnvelopeError('SCHEMA_VIOLATION', `/rows/installations/${i} names computer ${columns.computerId(i)}, which is not in computerTargets`);
    const index = keyIndexOf[updateNames.fold[updateOf[i]]];
    if (index === DECLINED) continue;
    if (index === UNLISTED) throw new EnvelopeError('SCHEMA_VIOLATION', `/rows/installations/${i} names update ${columns.updateId(i)}, which is not in updates`);
    const code = stateOf[i];
    if (!STATE[code]) continue;
    let planned = plannedOf[computer];
    if (!planned) {
      plannedOf[computer] = planned = [];
      order.push(computer);
    }
    planned.push(index * CODE_RANGE + code);
  }
  return { keys, rowsOf: new Map(order.map((computer) => [computerNames.names[computer], plannedOf[computer]!])) };
}

/**
 * A computer's states: the variants of one KB folded into the most urgent, in the order its rows first name each
 * key, exactly as one pass over all the rows gave them; as records or as one list per computer, whichever is read
 * first (once). Each computer's plan is dropped once its states are made.
 */
function statesOnce(plan: StatePlan): { records: Iterable<PatchStateRecord>; lists: Iterable<DeviceStatesBatch> } {
  let taken = false;
  const take = () => {
    // A second pass would find the plan spent and quietly yield nothing: refused instead.
    if (taken) throw new Error('the states of a mapped WSUS snapshot are generated once; map the snapshot again to read them again');
    taken = true;
    return generateLists(plan);
  };
  return {
    records: { *[Symbol.iterator]() {
      for (const list of take()) yield* recordsOf(list);
    } },
    lists: { [Symbol.iterator]: take },
  };
}

function* generateLists(plan: StatePlan): Generator<DeviceStatesBatch> {
  for (const [computer, planned] of plan.rowsOf) {
    plan.rowsOf.delete(computer);
    const stateOfKey = new Map<number, PatchStateValue>();
    for (const row of planned) {
      const index = Math.floor(row / CODE_RANGE);
      const state = STATE[row % CODE_RANGE]!;
      const current = stateOfKey.get(index);
      if (current === undefined || URGENCY[state] > URGENCY[current]) stateOfKey.set(index, state);
    }
    const keys = new Array<string>(stateOfKey.size);
    const states = new Array<PatchStateValue>(stateOfKey.size);
    let at = 0;
    for (const [index, state] of stateOfKey) {
      keys[at] = plan.keys[index];
      states[at++] = state;
    }
    yield deviceStates(computer, keys, states, 'REPORTED');
  }
}
