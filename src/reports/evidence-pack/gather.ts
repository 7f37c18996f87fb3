import { DataSource } from 'typeorm';
import { ComplianceAccess } from '../../access/compliance';
import { TenantScope } from '../../access/tenant-scope';
import { StatusCount } from '../../compliance/compliance-report';
import { ComplianceStatusName, toDate } from '../../compliance/evaluation';
import { verifyAuditChain, ChainVerification } from '../../audit/verify-chain';
import { toGlobalId } from '../../graphql/types/global-id';
import { PackBudget } from './pack-limit';
import { EvidencePackAsk } from './request';
import { sqlTime } from '../../db/sql-time';

export interface PackAsset {
  /** The API's global id. */
  assetId: string;
  key: string;
  hostname: string;
  site: string | null;
  status: ComplianceStatusName;
  reasons: string[];
}

export interface PackFinding {
  assetId: string;
  hostname: string;
  kb: string | null;
  updateTitle: string;
  severity: string;
  cves: Array<{ cveId: string; cvss: number | null; kev: boolean }>;
  ruleId: string;
  status: ComplianceStatusName;
  state: string;
  clockStartAt: Date | null;
  /** The clock starts at release, but no source dated the update: clockStartAt is when a sync first saw it. */
  clockStartFirstSeen: boolean;
  dueAt: Date | null;
  /** Whole hours past the due time at asOf, for a finding that is NON_COMPLIANT. */
  overdueHours: number | null;
  evidence: string;
  /** The risk exception that exempts it, by global id. */
  exceptionId: string | null;
}

export interface PackException {
  id: string;
  site: string | null;
  hostname: string | null;
  kb: string | null;
  cveId: string | null;
  policyKey: string | null;
  owner: string;
  reason: string;
  compensatingControl: string | null;
  validFrom: Date;
  expiresAt: Date;
  createdAt: Date;
  createdBy: string;
  findingsCovered: number;
}

export interface PackChange {
  reference: string;
  type: string;
  /** The state recorded by knownAt (from the change's audit events): a later transition does not alter the pack. */
  state: string;
  title: string;
  risk: string;
  kbs: string[];
  plannedStart: Date;
  plannedEnd: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  requestedBy: string;
  approvedBy: string[];
  createdAt: Date;
}

export interface PackChainVerification {
  chainKey: string;
  from: Date;
  to: Date;
  ok: boolean;
  auditEventsChecked: number;
  runsChecked: number;
  eventsChecked: number;
  unsealedEvents: number;
  /** The last event of the tenant's chain recorded by knownAt. */
  headAtKnownAt: { seq: number; hash: string; occurredAt: Date } | null;
  breaks: Array<{ reason: string; seq: number | null; message: string }>;
}

/** Everything a pack shows, read once; the PDF and the CSVs are written from this alone. */
export interface EvidencePackData {
  ask: EvidencePackAsk;
  tenantName: string;
  generatedBy: string;
  statusCounts: StatusCount[];
  assets: PackAsset[];
  findings: PackFinding[];
  exceptions: PackException[];
  changes: PackChange[];
  chain: PackChainVerification;
}

const PAGE = 500;
const time = (v: unknown) => (v === null || v === undefined ? null : toDate(v));
const inList = (ids: readonly string[]) => ids.map(() => '?').join(', ');

/**
 * Reads what a pack shows for one tenant, all of it as recorded by knownAt: compliance and findings from the compliance
 * engine (ComplianceAccess, so the answer is the `compliance` query's), risk exceptions and change records created by
 * then (a change's state from its audit events up to then), and the tenant's audit chain verified over the period.
 * Only the verification reads the present: it recomputes the stored chain, so a chain edited since shows. Every row
 * read is taken from `budget`, which stops the gathering (ReportTooLargeError) at the pack's limit.
 */
export async function gatherEvidence(dataSource: DataSource, ask: EvidencePackAsk, generatedBy: string, budget: PackBudget): Promise<EvidencePackData> {
  const scope = TenantScope.only([ask.tenantId]);
  const [{ name: tenantName }] = await dataSource.query('SELECT name FROM tenant WHERE id = ?', [ask.tenantId]);
  const { report } = await new ComplianceAccess(dataSource, scope).report({
    policyKey: ask.policy.key, asOf: ask.asOf, knownAt: ask.knownAt, tenantId: ask.tenantId, siteId: null, assignedOnly: false,
  });
  const statusCounts = await report.statusCounts();

  const sites = new Map<string, string>((await dataSource.query('SELECT id, name FROM site WHERE tenantId = ?', [ask.tenantId])).map((r: any) => [r.id, r.name]));
  const assets: PackAsset[] = [];
  const findings: PackFinding[] = [];
  const facts = new Map((await report.evaluation.updateFacts()).map((u) => [u.id, u]));
  const titles = new Map<string, string>();
  for (let after: { statusRank: number; hostname: string; assetId: string } | null = null; ;) {
    const page = await report.assets(PAGE, after, null);
    if (page.length === 0) break;
    const rows = await report.findings(page.map((a) => a.assetId));
    const missing = [...new Set(rows.map((f) => f.updateId))].filter((id) => !titles.has(id));
    if (missing.length) {
      for (const r of await dataSource.query(`SELECT id, title FROM software_update WHERE id IN (${inList(missing)})`, missing)) titles.set(r.id, r.title);
    }
    for (const a of page) {
      const own = rows.filter((r) => r.assetId === a.assetId);
      budget.take('assets', 1);
      budget.take('findings', own.length);
      assets.push({ assetId: toGlobalId('Asset', a.assetId), key: a.assetId, hostname: a.hostname, site: a.siteId ? (sites.get(a.siteId) ?? null) : null, status: a.status, reasons: a.reasons });
      for (const f of own) {
        const u = facts.get(f.updateId);
        const overdue = f.status === 'NON_COMPLIANT' && f.dueAt && f.dueAt < ask.asOf ? Math.floor((ask.asOf.getTime() - f.dueAt.getTime()) / 3_600_000) : null;
        findings.push({
          assetId: a.assetId, hostname: a.hostname, kb: u?.kb ?? null, updateTitle: titles.get(f.updateId) ?? '', severity: u?.severity ?? '',
          cves: (u?.cves ?? []).map((c) => ({ cveId: c.cveId, cvss: c.cvss, kev: c.kevDateAdded !== null })).sort((x, y) => (x.cveId < y.cveId ? -1 : x.cveId > y.cveId ? 1 : 0)),
          ruleId: f.ruleId, status: f.status, state: f.state, clockStartAt: f.clockStartAt,
          clockStartFirstSeen: await report.evaluation.clockStartsAtFirstSeen(f.ruleId, f.updateId), dueAt: f.dueAt, overdueHours: overdue, evidence: f.evidence, exceptionId: f.exceptionId && toGlobalId('RiskException', f.exceptionId),
        });
      }
    }
    if (page.length < PAGE) break;
    const last = page[page.length - 1];
    after = { statusRank: rankOf(last.status), hostname: last.hostname, assetId: last.assetId };
  }

  const exceptions = await exceptionsInForce(dataSource, ask, sites, findings);
  budget.take('exceptions', exceptions.length);
  const changes = await changesInPeriod(dataSource, ask);
  budget.take('changeRecords', changes.length);
  return { ask, tenantName, generatedBy, statusCounts, assets, findings, exceptions, changes, chain: await chainOverPeriod(dataSource, ask) };
}

const RANKS: Record<ComplianceStatusName, number> = { COMPLIANT: 1, EXEMPT: 2, DUE_SOON: 3, UNVERIFIED: 4, NON_COMPLIANT: 5 };
const rankOf = (s: ComplianceStatusName) => RANKS[s];

/** In force at asOf as the compliance engine judges it (evaluation.ts): created by knownAt, a revocation counted once recorded. */
async function exceptionsInForce(dataSource: DataSource, ask: EvidencePackAsk, sites: Map<string, string>, findings: PackFinding[]): Promise<PackException[]> {
  const asOf = sqlTime(ask.asOf);
  const known = sqlTime(ask.knownAt);
  const rows: any[] = await dataSource.query(
    `SELECT re.*, a.hostname, u.kb FROM risk_exception re
     LEFT JOIN asset a ON a.id = re.assetId LEFT JOIN software_update u ON u.id = re.updateId
     WHERE re.tenantId = ? AND re.validFrom <= ? AND re.expiresAt > ? AND re.createdAt <= ?
       AND (re.revokedAt IS NULL OR re.revokedAt > ? OR re.revokedAt > ?)
       AND (re.policyKey IS NULL OR re.policyKey = ?)
     ORDER BY re.expiresAt, re.id`,
    [ask.tenantId, asOf, asOf, known, asOf, known, ask.policy.key],
  );
  return rows.map((r) => ({
    id: toGlobalId('RiskException', r.id), site: r.siteId ? (sites.get(r.siteId) ?? null) : null, hostname: r.hostname ?? null, kb: r.kb ?? null,
    cveId: r.cveId ?? null, policyKey: r.policyKey ?? null, owner: r.owner, reason: r.reason, compensatingControl: r.compensatingControl ?? null,
    validFrom: toDate(r.validFrom), expiresAt: toDate(r.expiresAt), createdAt: toDate(r.createdAt), createdBy: r.createdBy,
    findingsCovered: findings.filter((f) => f.exceptionId === toGlobalId('RiskException', r.id)).length,
  }));
}

/**
 * Change records of the tenant recorded by knownAt that were open at some time in the period: raised before asOf and
 * not finished (as known at knownAt) before from.
 */
async function changesInPeriod(dataSource: DataSource, ask: EvidencePackAsk): Promise<PackChange[]> {
  const known = sqlTime(ask.knownAt);
  const rows: any[] = await dataSource.query(
    `SELECT * FROM change_request WHERE tenantId = ? AND createdAt <= ? AND createdAt < ?
       AND (finishedAt IS NULL OR finishedAt >= ? OR finishedAt > ?)
     ORDER BY createdAt, reference`,
    [ask.tenantId, known, sqlTime(ask.asOf), sqlTime(ask.from), known],
  );
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const events: any[] = await dataSource.query(
    `SELECT targetId, action, data FROM audit_event WHERE chainKey = ? AND targetType = 'ChangeRequest' AND targetId IN (${inList(ids)}) AND occurredAt <= ?
     ORDER BY seq`,
    [ask.tenantId, ...ids, known],
  );
  const stateAt = new Map<string, string>();
  for (const e of events) {
    const to = (JSON.parse(e.data) as { to?: string }).to;
    if (e.action === 'change.create') stateAt.set(e.targetId, stateAt.get(e.targetId) ?? 'DRAFT');
    else if (typeof to === 'string') stateAt.set(e.targetId, to);
  }
  const approvals: any[] = await dataSource.query(
    `SELECT changeId, approvedBy FROM change_approval WHERE changeId IN (${inList(ids)}) AND approvedAt <= ? ORDER BY approvedAt, id`, [...ids, known],
  );
  const updateIds = [...new Set(rows.flatMap((r) => JSON.parse(r.updateIds) as string[]))];
  const kbs = new Map<string, string>(updateIds.length
    ? (await dataSource.query(`SELECT id, kb, title FROM software_update WHERE id IN (${inList(updateIds)})`, updateIds)).map((u: any) => [u.id, u.kb ?? u.title])
    : []);
  const until = (v: unknown) => {
    const t = time(v);
    return t && t <= ask.knownAt ? t : null;
  };
  return rows.map((r) => ({
    reference: r.reference, type: r.type, state: stateAt.get(r.id) ?? r.state, title: r.title, risk: r.risk,
    kbs: (JSON.parse(r.updateIds) as string[]).map((id) => kbs.get(id) ?? id),
    plannedStart: toDate(r.plannedStart), plannedEnd: toDate(r.plannedEnd), startedAt: until(r.startedAt), finishedAt: until(r.finishedAt),
    requestedBy: r.requestedBy, approvedBy: approvals.filter((a) => a.changeId === r.id).map((a) => a.approvedBy), createdAt: toDate(r.createdAt),
  }));
}

/** The tenant's chain verified from `from` to asOf, with the head as it stood at knownAt (the live head moves on). */
async function chainOverPeriod(dataSource: DataSource, ask: EvidencePackAsk): Promise<PackChainVerification> {
  const v: ChainVerification = await verifyAuditChain(dataSource, ask.tenantId, { from: ask.from, to: ask.asOf });
  const [head] = await dataSource.query('SELECT seq, hash, occurredAt FROM audit_event WHERE chainKey = ? AND occurredAt <= ? ORDER BY seq DESC LIMIT 1', [ask.tenantId, sqlTime(ask.knownAt)]);
  return {
    chainKey: v.chainKey, from: ask.from, to: ask.asOf, ok: v.ok, auditEventsChecked: v.auditEventsChecked, runsChecked: v.runsChecked,
    eventsChecked: v.eventsChecked, unsealedEvents: v.unsealedEvents,
    headAtKnownAt: head ? { seq: Number(head.seq), hash: head.hash, occurredAt: toDate(head.occurredAt) } : null,
    breaks: v.breaks.map((b) => ({ reason: b.reason, seq: b.seq, message: b.message })),
  };
}
