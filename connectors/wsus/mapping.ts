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
 * - a snapshot must be consistent: a state naming a computer or update it does not list is an error.
 */
import { MICROSOFT_CATALOG } from '../../src/catalog/microsoft-catalog';
import { fixesOf, severityOf } from '../../src/catalog/microsoft-fixes';
import type { ApprovalRecord, ClassificationValue, DeviceRecord, PatchStateRecord, PatchStateValue, UpdateRecord, VulnerabilityRecord } from '../sdk/contract';
import { parseWindowsVersion, releaseName, windowsName } from '../sdk/windows-builds';
import { EnvelopeError, UpdateRow, WsusEnvelope } from './envelope';

/** How target groups are used: as the devices' sites (matched by name, or mapped for an MSP-wide instance), or not. */
export type TargetGroupUse = 'sites' | 'ignore';

export interface MappedSnapshot {
  generatedAt: Date;
  devices: DeviceRecord[];
  updates: UpdateRecord[];
  patchStates: PatchStateRecord[];
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

const truthy = (v: boolean | number | null | undefined) => v === true || v === 1;

/** The bundled Microsoft data by KB: what WSUS cannot say about an update (its CVEs, what it supersedes). */
function microsoftData(): Map<string, { fixes: VulnerabilityRecord[]; supersedes: string[] }> {
  return new Map(MICROSOFT_CATALOG.updates.map((u) => [u.kb, { supersedes: u.supersedes, fixes: fixesOf(u) }]));
}

function updateKeyOf(u: UpdateRow): string {
  const kb = normaliseKb(u.KnowledgebaseArticle);
  return kb ? `microsoft:${kb}` : `wsus:${u.UpdateId.toLowerCase()}`;
}

export function mapSnapshot(envelope: WsusEnvelope, options: { targetGroups: TargetGroupUse; staleAfterDays: number }): MappedSnapshot {
  const rows = envelope.rows;
  const generatedAt = new Date(envelope.generatedAt);
  const groups = new Map(rows.targetGroups.map((g) => [g.ComputerTargetGroupId.toLowerCase(), g]));

  // A computer's site: the custom group it is an explicit member of (WSUS also lists the built-in ones).
  const siteOf = new Map<string, { id: string; name: string }>();
  for (const m of rows.groupMemberships) {
    const group = groups.get(m.ComputerTargetGroupId.toLowerCase());
    if (!group || BUILT_IN_GROUPS.has(group.Name.trim().toLowerCase())) continue;
    const computer = m.ComputerTargetId.toLowerCase();
    if (!siteOf.has(computer) || truthy(m.IsExplicitMember)) siteOf.set(computer, { id: group.ComputerTargetGroupId.toLowerCase(), name: group.Name.trim() });
  }

  const devices: DeviceRecord[] = rows.computerTargets.map((c) => {
    const id = c.ComputerTargetId.toLowerCase();
    const windows = parseWindowsVersion(c.ClientVersion);
    const lastCheckInAt = susdbTime(c.LastReportedStatusTime, `computer ${c.Name}: LastReportedStatusTime`) ?? susdbTime(c.LastSyncTime, `computer ${c.Name}: LastSyncTime`);
    const site = options.targetGroups === 'sites' ? siteOf.get(id) : undefined;
    const attributes: Record<string, string | null> = {
      lastSyncResult: c.LastSyncResult === 1 ? 'succeeded' : c.LastSyncResult === 2 ? 'failed' : c.LastSyncResult === 0 ? 'unknown' : null,
      osArchitecture: c.OSArchitecture ?? null,
      windowsRelease: windows ? releaseName(windows) : null,
      wsusServer: envelope.server.name,
      targetGroup: siteOf.get(id)?.name ?? null,
    };
    return {
      externalId: id,
      fqdn: c.Name.trim().toLowerCase(),
      manufacturer: c.Make ?? null,
      model: c.Model ?? null,
      osName: windows ? windowsName(windows) : c.OSBuildNumber ? `Windows (build ${c.OSBuildNumber})` : null,
      osVersion: c.ClientVersion ?? null,
      osBuild: windows ? `${windows.build}.${windows.revision}` : c.OSBuildNumber ? String(c.OSBuildNumber) : null,
      lastCheckInAt,
      inactive: lastCheckInAt === null || generatedAt.getTime() - lastCheckInAt.getTime() > options.staleAfterDays * 86_400_000,
      vendorSite: site?.name ?? null,
      vendorSiteId: site?.id ?? null,
      attributes: Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== null)),
    };
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

  const states = new Map<string, PatchStateRecord>();
  rows.installations.forEach(([computerId, updateId, code], i) => {
    const computer = computerId.toLowerCase();
    const update = updateId.toLowerCase();
    if (!computers.has(computer)) throw new EnvelopeError('SCHEMA_VIOLATION', `/rows/installations/${i} names computer ${computerId}, which is not in computerTargets`);
    if (declined.has(update)) return;
    const key = keyOfUpdate.get(update);
    if (!key) throw new EnvelopeError('SCHEMA_VIOLATION', `/rows/installations/${i} names update ${updateId}, which is not in updates`);
    const state = STATE[code];
    if (!state) return;
    const id = `${computer}\u0000${key}`;
    const current = states.get(id);
    if (current && URGENCY[current.state] >= URGENCY[state]) return;
    states.set(id, { deviceExternalId: computer, updateKey: key, state, evidence: 'REPORTED' });
  });

  const approvals: ApprovalRecord[] = [];
  for (const a of rows.approvals) {
    const key = keyOfUpdate.get(a.UpdateId.toLowerCase());
    const group = groups.get(a.ComputerTargetGroupId.toLowerCase());
    if (!key || !group) continue; // an approval of a declined update, or for a group since deleted
    approvals.push({
      externalId: a.UpdateApprovalId.toLowerCase(), updateKey: key, group: group.Name.trim(), action: a.Action.trim(),
      approvedAt: susdbTime(a.CreationDate, `approval ${a.UpdateApprovalId}: CreationDate`), approvedBy: a.AdministratorName?.trim() || null,
    });
  }
  return { generatedAt, devices, updates: [...updates.values()], patchStates: [...states.values()], approvals };
}
