import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { TenantScope } from '../access/tenant-scope';
import { NOT_REMEDIATED_STATES, PatchStateValue } from '../entities/enums';
import { heldFact, heldFactJoin } from '../catalog/facts-as-of';
import { assetClassSql } from './asset-class';
import { servicingOf, supportAt, SupportAt } from './lifecycle';
import { PolicyDefinition } from './policy-definition';
import { AdvisoryFacts, clockStartsAtFirstSeen, CveFacts, RuleTerm, ruleTerms, UpdateFacts } from './rule-terms';
import { JsonColumn, SqlDialect, sqlDialect } from './sql-dialect';
import { StatePath, statePathFor } from './current-state';
import { supersessionPairs } from './supersession';
import { sqlTime } from '../db/sql-time';

/** A compliance question: one policy, the world at `asOf`, as patchgraph had recorded it by `knownAt`. */
export interface ComplianceQuestion {
  policyKey: string;
  policy: PolicyDefinition;
  asOf: Date;
  knownAt: Date;
  tenantId?: string;
  siteId?: string;
  /** Only assets whose tenant (or site) had the policy assigned at `asOf`. */
  assignedOnly: boolean;
  /** Only these assets (kept answers evaluate again the assets that changed since they were computed). */
  assetIds?: readonly string[];
}

/** A CVE's facts as held at knownAt, with the intel version each came from (null: the bundled catalog or a connector). */
export interface HeldCveFacts extends CveFacts {
  cvssSourceId: string | null;
  kevSourceId: string | null;
  epssSourceId: string | null;
}

/** A catalog entry as the evaluation reads it: the facts its rules test, its KB and the KBs it supersedes. */
export type CatalogUpdate = UpdateFacts & { kb: string | null; supersedes: string[]; cves: HeldCveFacts[] };

/** Ranks of an asset's status: the worst of its findings and device rules decides. */
export const STATUS_RANK = { COMPLIANT: 1, EXEMPT: 2, DUE_SOON: 3, UNVERIFIED: 4, NON_COMPLIANT: 5 } as const;
export type ComplianceStatusName = keyof typeof STATUS_RANK;
export const STATUS_BY_RANK = Object.fromEntries(Object.entries(STATUS_RANK).map(([k, v]) => [v, k])) as Record<number, ComplianceStatusName>;

const TERM_COLUMNS: readonly JsonColumn[] = [
  { name: 'ruleId', key: 'r', type: 'id' }, { name: 'updateId', key: 'u', type: 'id' }, { name: 'assetClass', key: 'c', type: 'text' },
  { name: 'clockStartAt', key: 's', type: 'timestamp' }, { name: 'dueAt', key: 'd', type: 'timestamp' }, { name: 'allowanceSeconds', key: 'a', type: 'integer' },
];

/** Rule terms by their inputs (policy, catalog facts, advisories), shared by the requests of the process. */
const TERMS = new LRUCache<string, RuleTerm[]>({ max: 64 });

/** A JSON array of `{ a: assetId }` as rows of one column, assetId. */
export const ASSET_ID_COLUMNS: readonly JsonColumn[] = [{ name: 'assetId', key: 'a', type: 'id' }];

/** A placeholder binder: each call appends its value to `params` and returns `?`, so values bind in text order. */
function binder(params: unknown[]): (v: unknown) => string {
  return (v) => {
    params.push(v);
    return '?';
  };
}

const SUPERSEDER_COLUMNS: readonly JsonColumn[] = [{ name: 'updateId', key: 'u', type: 'id' }, { name: 'supersederId', key: 's', type: 'id' }];

/** The rule terms as one JSON parameter: a broad rule over a large catalog is thousands of rows. */
function termsJson(terms: readonly RuleTerm[]): string {
  return JSON.stringify(terms.map((t) => ({
    r: t.ruleId, u: t.updateId, c: t.assetClass ?? undefined, s: t.clockStartAt ? sqlTime(t.clockStartAt) : undefined,
    d: t.dueAt ? sqlTime(t.dueAt) : undefined, a: t.allowanceSeconds ?? undefined,
  })));
}

/**
 * The evaluation as SQL common table expressions over the stored evidence, so counts and pages are answered by the
 * database (aggregates, keyset pages) and never by loading a fleet into JavaScript. Only the catalog's facts (a few
 * hundred updates) and the OS releases in scope are read into code, to compute due dates exactly.
 *
 * - The state of an (asset, update) at `asOf` is the last event, in the order patchgraph recorded them, whose
 *   vendor-reported time (else observed time) is at or before `asOf`, among events recorded by `knownAt`. Of an
 *   asset's sources, as for effective evidence: a current one first (not stale or inactive, or still checking in
 *   after `asOf`: a re-imaged machine's old record does not outvote its new one), then per-KB REPORTED evidence
 *   before DERIVED, then the freshest.
 * - A finding is an update in a rule's scope that the asset lacks at `asOf`; it is NON_COMPLIANT once its due time
 *   has passed, DUE_SOON within the policy's warning window, EXEMPT while a risk exception covers it.
 * - An asset without any per-KB evidence (device posture only, as Datto RMM gives) is UNVERIFIED for finding rules:
 *   posture cannot show that a particular fix is installed.
 */
export class ComplianceEvaluation {
  private prepared?: Promise<{ sql: string; params: unknown[] }>;
  private facts?: Promise<CatalogUpdate[]>;
  private firstSeen?: Promise<Set<string>>;
  private path?: Promise<StatePath>;
  private ruleTerms?: Promise<RuleTerm[]>;

  /**
   * `forcePath` pins how states at asOf are read (tests compare the two); by default the question decides
   * (current-state.ts): a question about now reads the stored current states, any other replays the events.
   */
  constructor(private readonly dataSource: DataSource, readonly scope: TenantScope, readonly question: ComplianceQuestion, private readonly forcePath?: StatePath) {}

  /** How this evaluation reads the state at asOf: 'current' (patch_state) or 'replay' (patch_event). */
  statePath(): Promise<StatePath> {
    this.path ??= this.forcePath ? Promise.resolve(this.forcePath) : statePathFor(this.dataSource, this.scope, this.question);
    return this.path;
  }

  /** The CTEs every answer starts from: `ranked` holds one row per (asset, reason) with its status rank. */
  prepare(): Promise<{ sql: string; params: unknown[] }> {
    this.prepared ??= this.build();
    return this.prepared;
  }

  private async build(): Promise<{ sql: string; params: unknown[] }> {
    const q = this.question;
    const asOf = sqlTime(q.asOf);
    const knownAt = sqlTime(q.knownAt);
    const params: unknown[] = [];
    const p = binder(params);
    const tenantCond = this.tenantCondition(p);

    const open = NOT_REMEDIATED_STATES.map((s) => `'${s}'`).join(', ');
    const terms = await this.terms();
    const superseders = terms.length ? supersessionPairs(await this.updateFacts(), terms.map((t) => t.updateId)) : [];
    const unsupported = await this.unsupportedOs();
    const current = (await this.statePath()) === 'current';

    // scope_assets: the assets asked about that patchgraph knew by knownAt and a source had seen by asOf.
    // Read by every part of the evaluation: SQLite materializes it once for the current states' path, where each
    // part is a probe per row, instead of computing it again inside each (the replay's plans are left as they were).
    let sql = `WITH scope_assets AS ${current ? this.dialect.materialized : ''} (
      SELECT a.id AS assetId, a.tenantId, a.siteId, a.hostname, a.osName, a.osBuild, a.osVersion, a.esuUntil, a.lastSeenAt, ${assetClassSql('a')} AS assetClass
      FROM asset a
      WHERE ${tenantCond('a.tenantId')} ${q.siteId ? `AND a.siteId = ${p(q.siteId)}` : ''}${q.assetIds ? `
        AND a.id IN (SELECT assetId FROM (${this.dialect.jsonRows(p(JSON.stringify(q.assetIds.map((a) => ({ a })))), ASSET_ID_COLUMNS)}) asked)` : ''}
        AND a.createdAt <= ${p(knownAt)}
        AND EXISTS (SELECT 1 FROM source_device sd0 WHERE sd0.assetId = a.id AND COALESCE(sd0.enrolledAt, sd0.firstSeenAt) <= ${p(asOf)})`;
    if (q.assignedOnly) {
      sql += `
        AND EXISTS (SELECT 1 FROM policy_assignment pa WHERE pa.policyKey = ${p(q.policyKey)} AND pa.tenantId = a.tenantId
          AND (pa.siteId IS NULL OR pa.siteId = a.siteId) AND pa.assignedAt <= ${p(asOf)} AND pa.assignedAt <= ${p(knownAt)}
          AND (pa.removedAt IS NULL OR pa.removedAt > ${p(asOf)} OR pa.removedAt > ${p(knownAt)}))`;
    }
    sql += `
    ),
    events AS (
      SELECT sd.assetId, pe.sourceDeviceId, pe.updateId, pe.toState, pe.observedAt, pe.id, COALESCE(pe.reportedAt, pe.observedAt) AS at
      FROM patch_event pe
      JOIN source_device sd ON sd.id = pe.sourceDeviceId
      JOIN scope_assets sa ON sa.assetId = sd.assetId
      WHERE ${tenantCond('pe.tenantId')} AND pe.observedAt <= ${p(knownAt)} AND COALESCE(pe.reportedAt, pe.observedAt) <= ${p(asOf)}
    ),${current ? `
    current_state AS (
      -- Each row's state is its last event's (statePathFor made sure no later event exists), its summary what the
      -- replay reads from the history.
      SELECT sd.assetId, ps.sourceDeviceId, ps.updateId, ps.state AS toState, ps.lastEventAt AS at, ps.firstOpenAt, ps.evidence
      FROM patch_state ps
      JOIN source_device sd ON sd.id = ps.sourceDeviceId
      JOIN scope_assets sa ON sa.assetId = sd.assetId
      WHERE ${tenantCond('ps.tenantId')}
    ),
    source_state AS (
      SELECT cs.assetId, cs.sourceDeviceId, cs.updateId, cs.toState, cs.at, cs.evidence,
        ROW_NUMBER() OVER (PARTITION BY cs.assetId, cs.updateId ORDER BY
          CASE WHEN (sd.stale = 0 AND sd.inactive = 0) OR COALESCE(sd.lastCheckInAt, sd.lastSeenAt) >= ${p(asOf)} THEN 0 ELSE 1 END,
          CASE WHEN cs.evidence = 'REPORTED' THEN 0 ELSE 1 END, cs.at DESC, cs.sourceDeviceId) AS pick
      FROM current_state cs
      JOIN source_device sd ON sd.id = cs.sourceDeviceId
    ),` : `
    last_event AS (
      SELECT e.*, ROW_NUMBER() OVER (PARTITION BY e.sourceDeviceId, e.updateId ORDER BY e.observedAt DESC, e.id DESC) AS rn FROM events e
    ),
    source_state AS (
      SELECT le.assetId, le.sourceDeviceId, le.updateId, le.toState, le.at, COALESCE(ps.evidence, 'DERIVED') AS evidence,
        ROW_NUMBER() OVER (PARTITION BY le.assetId, le.updateId ORDER BY
          CASE WHEN (sd.stale = 0 AND sd.inactive = 0) OR COALESCE(sd.lastCheckInAt, sd.lastSeenAt) >= ${p(asOf)} THEN 0 ELSE 1 END,
          CASE WHEN ps.evidence = 'REPORTED' THEN 0 ELSE 1 END, le.at DESC, le.sourceDeviceId) AS pick
      FROM last_event le
      JOIN source_device sd ON sd.id = le.sourceDeviceId
      LEFT JOIN patch_state ps ON ps.sourceDeviceId = le.sourceDeviceId AND ps.updateId = le.updateId
      WHERE le.rn = 1
    ),`}
    asset_state AS (
      SELECT assetId, sourceDeviceId, updateId, toState, at, evidence FROM source_state WHERE pick = 1
    ),
    first_missing AS (${current ? `
      SELECT cs.assetId, cs.updateId, MIN(cs.firstOpenAt) AS at FROM current_state cs WHERE cs.firstOpenAt IS NOT NULL GROUP BY cs.assetId, cs.updateId` : `
      SELECT e.assetId, e.updateId, MIN(e.at) AS at FROM events e WHERE e.toState IN (${open}) GROUP BY e.assetId, e.updateId`}
    ),
    terms AS ${this.dialect.materialized} (
      ${this.dialect.jsonRows(p(termsJson(terms)), TERM_COLUMNS)}
    ),${superseders.length ? `
    superseders AS ${current ? this.dialect.materialized : ''} (
      ${this.dialect.jsonRows(p(JSON.stringify(superseders.map((x) => ({ u: x.updateId, s: x.supersederId })))), SUPERSEDER_COLUMNS)}
    ),` : ''}${current ? `
    open_state AS ${this.dialect.materialized} (
      ${this.openStateSql(p, tenantCond, asOf, open, superseders.length > 0)}
    ),
    findings AS (
      SELECT s.assetId, s.tenantId, s.siteId, s.updateId, s.sourceDeviceId, s.ruleId, s.toState, s.evidence, s.firstMissingAt,
        COALESCE(s.termClockStartAt, s.firstMissingAt) AS clockStartAt,
        COALESCE(s.termDueAt, ${this.dialect.addSeconds('s.firstMissingAt', 's.allowanceSeconds')}) AS dueAt,
        ${this.exceptionSql(p, 's.tenantId', 's.siteId', asOf, knownAt)} AS exceptionId
      FROM open_state s
    ),` : `
    findings AS (
      SELECT s.assetId, sa.tenantId, sa.siteId, s.updateId, s.sourceDeviceId, t.ruleId, s.toState, s.evidence, fm.at AS firstMissingAt,
        COALESCE(t.clockStartAt, fm.at) AS clockStartAt,
        COALESCE(t.dueAt, ${this.dialect.addSeconds('fm.at', 't.allowanceSeconds')}) AS dueAt,
        ${this.exceptionSql(p, 'sa.tenantId', 'sa.siteId', asOf, knownAt)} AS exceptionId
      FROM asset_state s
      JOIN scope_assets sa ON sa.assetId = s.assetId
      JOIN terms t ON t.updateId = s.updateId AND (t.assetClass IS NULL OR t.assetClass = sa.assetClass)
      LEFT JOIN first_missing fm ON fm.assetId = s.assetId AND fm.updateId = s.updateId
      WHERE s.toState IN (${open})${superseders.length ? `
        AND NOT EXISTS (${this.supersededSql(p, asOf, knownAt)})` : ''}
    ),`}
    finding_status AS (
      SELECT f.*, CASE
        WHEN f.exceptionId IS NOT NULL THEN ${STATUS_RANK.EXEMPT}
        WHEN f.dueAt IS NULL THEN ${STATUS_RANK.COMPLIANT}
        WHEN f.dueAt <= ${p(asOf)} THEN ${STATUS_RANK.NON_COMPLIANT}
        WHEN f.dueAt <= ${p(sqlTime(new Date(q.asOf.getTime() + q.policy.dueSoonHours * 3_600_000)))} THEN ${STATUS_RANK.DUE_SOON}
        ELSE ${STATUS_RANK.COMPLIANT} END AS statusRank
      FROM findings f
    ),
    ranked AS (
      SELECT sa.assetId, ${STATUS_RANK.COMPLIANT} AS statusRank, 'BASE' AS reason FROM scope_assets sa
      UNION ALL SELECT fs.assetId, fs.statusRank, 'FINDING' FROM finding_status fs`;
    // Each row of ranked besides BASE and FINDING: a status rank and reason for the assets in scope where `cond` holds.
    // `cond` binds its parameters where it is called, so each use of it must call it at its place in the text.
    const deviceRows: Array<{ rank: number; reason: string; cond: () => string }> = [];
    if (q.policy.findingRules.length > 0) {
      // Posture alone (or no patch data at all) cannot show a particular fix is in place. An asset has a state at asOf
      // exactly when one of its sources has an event in events; asked of patch_event (a few probes of
      // ix_patch_event_source_update per asset) rather than of asset_state, which MariaDB would compute a second time,
      // window functions and all, for this reference.
      // From the current states, a probe of uq_patch_state_source_update per source: each stands for its events. The
      // probe is nested per source: as one NOT EXISTS over the join, MariaDB turned it into an anti-join against the
      // materialized join of every source with every one of its states (all the fleet's states, for each request).
      deviceRows.push({ rank: STATUS_RANK.UNVERIFIED, reason: 'NO_PER_UPDATE_EVIDENCE', cond: () => this.noEvidenceCond(p, current) });
    }
    for (const rule of q.policy.deviceRules) {
      const rank = STATUS_RANK[rule.outcome];
      if (rule.kind === 'NOT_HEARD_FROM') {
        // The last check-in known; one after asOf means the device was still reporting then.
        deviceRows.push({ rank, reason: 'NOT_HEARD_FROM', cond: () => `sa.lastSeenAt < ${p(sqlTime(new Date(q.asOf.getTime() - rule.days * 86_400_000)))}` });
      } else if (rule.kind === 'UNSUPPORTED_OS') {
        // Surely unsupported fails the rule; an unknown edition between the two dates cannot be verified either way.
        for (const [support, reason, outcomeRank] of [['UNSUPPORTED', 'UNSUPPORTED_OS', rank], ['EDITION_UNKNOWN', 'OS_EDITION_UNKNOWN', STATUS_RANK.UNVERIFIED]] as const) {
          const combos = unsupported.filter((u) => u.support === support);
          if (combos.length === 0) continue;
          deviceRows.push({
            rank: outcomeRank, reason, cond: () => `(${combos
              .map((u) => `(COALESCE(sa.osName, '') = ${p(u.osName ?? '')} AND COALESCE(sa.osBuild, '') = ${p(u.osBuild ?? '')} AND COALESCE(sa.osVersion, '') = ${p(u.osVersion ?? '')} AND COALESCE(${this.dialect.dateText('sa.esuUntil')}, '') = ${p(u.esuUntil ?? '')})`)
              .join(' OR ')})`,
          });
        }
      } else if (rule.kind === 'NO_PATCH_POLICY') {
        deviceRows.push({ rank, reason: 'NO_PATCH_POLICY', cond: () => this.noPatchPolicyCond(p) });
      }
    }
    for (const row of deviceRows) {
      sql += `
      UNION ALL SELECT sa.assetId, ${row.rank}, '${row.reason}' FROM scope_assets sa WHERE ${row.cond()}`;
    }
    // From the current states, an asset's status is its worst device rule, in one pass over the assets in scope,
    // beside its findings, where ranked reads the assets once per rule (MariaDB merges scope_assets into each read,
    // source probe and all) and writes a row per asset and rule to sort. The same MAX: a rule's rank counts where
    // its condition holds, and the worst of those is the first to hold from the worst down.
    const worstFirst = [...new Set(deviceRows.map((r) => r.rank))].sort((a, b) => b - a);
    const deviceRank = () => (worstFirst.length === 0 ? `${STATUS_RANK.COMPLIANT}` : `CASE ${worstFirst
      .map((rank) => `WHEN ${deviceRows.filter((r) => r.rank === rank).map((r) => r.cond()).join(' OR ')} THEN ${rank}`)
      .join(' ')} ELSE ${STATUS_RANK.COMPLIANT} END`);
    sql += `
    ),
    asset_status AS (${current ? `
      SELECT r.assetId, MAX(r.statusRank) AS statusRank FROM (
        SELECT sa.assetId, ${deviceRank()} AS statusRank FROM scope_assets sa
        UNION ALL SELECT fs.assetId, fs.statusRank FROM finding_status fs
      ) r GROUP BY r.assetId` : `
      SELECT r.assetId, MAX(r.statusRank) AS statusRank FROM ranked r GROUP BY r.assetId`}
    )`;
    return { sql, params };
  }

  /** The tenant condition on `column` as a WHERE clause with its own parameters, for statements outside the CTEs. */
  tenantFilter(column: string): { where: string; params: unknown[] } {
    const params: unknown[] = [];
    return { where: this.tenantCondition(binder(params))(column), params };
  }

  /** `column` holds a tenant of the question: one the scope sees, and the question's tenant if it names one. */
  private tenantCondition(p: (v: unknown) => string): (column: string) => string {
    return (column) => {
      const parts: string[] = [];
      if (!this.scope.all) parts.push(this.scope.allowedIds().length ? `${column} IN (${this.scope.allowedIds().map((id) => p(id)).join(', ')})` : '1 = 0');
      if (this.question.tenantId) parts.push(`${column} = ${p(this.question.tenantId)}`);
      return parts.length ? parts.join(' AND ') : '1 = 1';
    };
  }

  /** The asset `sa` has no per-update evidence at asOf: no state of any of its sources (no event, when replaying). */
  private noEvidenceCond(p: (v: unknown) => string, current: boolean): string {
    const tenantCond = this.tenantCondition(p);
    const knownAt = sqlTime(this.question.knownAt);
    const asOf = sqlTime(this.question.asOf);
    return current ? `NOT EXISTS (SELECT 1 FROM source_device sd1 WHERE sd1.assetId = sa.assetId
          AND EXISTS (SELECT 1 FROM patch_state ps1 WHERE ps1.sourceDeviceId = sd1.id AND ${tenantCond('ps1.tenantId')}))` : `NOT EXISTS (SELECT 1 FROM source_device sd1 JOIN patch_event pe1 ON pe1.sourceDeviceId = sd1.id
          WHERE sd1.assetId = sa.assetId AND ${tenantCond('pe1.tenantId')} AND pe1.observedAt <= ${p(knownAt)} AND COALESCE(pe1.reportedAt, pe1.observedAt) <= ${p(asOf)})`;
  }

  /** A source of the asset `sa` had no patch policy at asOf: its last posture event then says NO_POLICY. */
  private noPatchPolicyCond(p: (v: unknown) => string): string {
    return `EXISTS (
        SELECT 1 FROM source_device sd WHERE sd.assetId = sa.assetId AND (
          SELECT ppe.toStatus FROM patch_posture_event ppe WHERE ppe.sourceDeviceId = sd.id AND ppe.observedAt <= ${p(sqlTime(this.question.knownAt))} AND ppe.observedAt <= ${p(sqlTime(this.question.asOf))}
          ORDER BY ppe.observedAt DESC, ppe.id DESC LIMIT 1) = 'NO_POLICY')`;
  }

  /**
   * For kept answers (kept-answers.ts): each asset in scope with what its device rules read besides its own columns,
   * as flags (1 or 0), and each finding with its times. Run after the CTEs with the returned parameters.
   */
  keptSelects(): { assets: string; assetParams: unknown[]; findings: string } {
    const assetParams: unknown[] = [];
    const p = binder(assetParams);
    const current = true;
    // Each flag only where a rule of the policy reads it: the probes are most of this statement's time.
    const policy = this.question.policy;
    const noEvidence = policy.findingRules.length > 0 ? `CASE WHEN ${this.noEvidenceCond(p, current)} THEN 1 ELSE 0 END` : '0';
    const noPatchPolicy = policy.deviceRules.some((r) => r.kind === 'NO_PATCH_POLICY') ? `CASE WHEN ${this.noPatchPolicyCond(p)} THEN 1 ELSE 0 END` : '0';
    const assets = `SELECT sa.assetId, sa.lastSeenAt, sa.osName, sa.osBuild, sa.osVersion, sa.esuUntil, ${noEvidence} AS noEvidence,
        ${noPatchPolicy} AS noPatchPolicy FROM scope_assets sa`;
    const findings = 'SELECT assetId, updateId, ruleId, dueAt, clockStartAt, firstMissingAt, exceptionId FROM findings';
    return { assets, assetParams, findings };
  }

  /** The lowest id of a risk exception in force at asOf covering a finding of `s` (an asset and update) in `tenant`'s `site`. */
  private exceptionSql(p: (v: unknown) => string, tenant: string, site: string, asOf: string, knownAt: string): string {
    const q = this.question;
    return `(SELECT MIN(re.id) FROM risk_exception re WHERE re.tenantId = ${tenant}
          AND (re.siteId IS NULL OR re.siteId = ${site}) AND (re.assetId IS NULL OR re.assetId = s.assetId)
          AND (re.updateId IS NULL OR re.updateId = s.updateId) AND (re.policyKey IS NULL OR re.policyKey = ${p(q.policyKey)})
          AND (re.cveId IS NULL OR EXISTS (SELECT 1 FROM update_vulnerability uv JOIN vulnerability v ON v.id = uv.vulnerabilityId WHERE uv.updateId = s.updateId AND v.cveId = re.cveId))
          AND re.validFrom <= ${p(asOf)} AND re.expiresAt > ${p(asOf)} AND re.createdAt <= ${p(knownAt)}
          AND (re.revokedAt IS NULL OR re.revokedAt > ${p(asOf)} OR re.revokedAt > ${p(knownAt)}))`;
  }

  /**
   * An update the asset lacks is fixed all the same when an update superseding it is installed: the last event at
   * asOf of one of the asset's sources for a superseding entry is INSTALLED. Asked per finding through
   * ix_patch_event_source_update, so its cost follows the findings, not the fleet.
   */
  private supersededSql(p: (v: unknown) => string, asOf: string, knownAt: string): string {
    const held = (alias: string) => `${alias}.observedAt <= ${p(knownAt)} AND COALESCE(${alias}.reportedAt, ${alias}.observedAt) <= ${p(asOf)}`;
    return `SELECT 1 FROM superseders x
          JOIN source_device sdx ON sdx.assetId = s.assetId
          JOIN patch_event px ON px.sourceDeviceId = sdx.id AND px.updateId = x.supersederId
          WHERE x.updateId = s.updateId AND px.toState = '${PatchStateValue.INSTALLED}' AND ${held('px')}
            AND NOT EXISTS (SELECT 1 FROM patch_event py WHERE py.sourceDeviceId = px.sourceDeviceId AND py.updateId = px.updateId AND ${held('py')}
              AND (py.observedAt > px.observedAt OR (py.observedAt = px.observedAt AND py.id > px.id)))`;
  }

  /**
   * The findings' side of asset_state from the current states, one row per open state and rule term of its update:
   * an asset's state of an update in the policy's terms that is open, where no other source of the asset has a state
   * of it that the pick in source_state puts first (current source, REPORTED, latest, lowest source id: a total order,
   * so this is the row ROW_NUMBER numbers 1), and no superseding update is installed. It starts from the terms and
   * reads each update's open states from ix_patch_state_update, then probes each one's few rivals
   * (uq_patch_state_source_update), instead of numbering every state of the fleet; first_missing likewise becomes a
   * probe per open state. Closed picks make no finding, so nothing else is needed here. Driven by the terms, a row
   * never looks its term up (SQLite read the 250 terms of a broad rule through for every finding), and the CTE is
   * materialized on SQLite so that firstMissingAt, read three times by findings, is probed once. CROSS JOIN keeps
   * SQLite, which has no statistics, to that order (MariaDB reads it as a plain join and finds an order itself).
   * A question about a few named assets (kept answers evaluating what changed) starts from them instead: their
   * sources' states through the source's index, so its cost follows those assets, not the fleet's open states.
   */
  private openStateSql(p: (v: unknown) => string, tenantCond: (column: string) => string, asOf: string, open: string, superseded: boolean): string {
    const currentRank = (sd: string) => `CASE WHEN (${sd}.stale = 0 AND ${sd}.inactive = 0) OR COALESCE(${sd}.lastCheckInAt, ${sd}.lastSeenAt) >= ${p(asOf)} THEN 0 ELSE 1 END`;
    const evidenceRank = (ps: string) => `CASE WHEN ${ps}.evidence = 'REPORTED' THEN 0 ELSE 1 END`;
    // Template parts are evaluated left to right, so placeholders are bound in the order they appear.
    const select = `SELECT sd.assetId, sa.tenantId, sa.siteId, ps.sourceDeviceId, ps.updateId, ps.state AS toState, ps.evidence,
        t.ruleId, t.clockStartAt AS termClockStartAt, t.dueAt AS termDueAt, t.allowanceSeconds,
        (SELECT MIN(o.firstOpenAt) FROM source_device so CROSS JOIN patch_state o
          WHERE so.assetId = sd.assetId AND o.sourceDeviceId = so.id AND o.updateId = ps.updateId AND ${tenantCond('o.tenantId')}) AS firstMissingAt
      ${this.question.assetIds ? `FROM scope_assets sa
      CROSS JOIN source_device sd
      CROSS JOIN patch_state ps
      JOIN terms t ON t.updateId = ps.updateId
      WHERE sd.assetId = sa.assetId AND ps.sourceDeviceId = sd.id` : `FROM terms t
      CROSS JOIN patch_state ps
      JOIN source_device sd ON sd.id = ps.sourceDeviceId
      JOIN scope_assets sa ON sa.assetId = sd.assetId
      WHERE ps.updateId = t.updateId`} AND ps.state IN (${open}) AND ${tenantCond('ps.tenantId')}
        AND (t.assetClass IS NULL OR t.assetClass = sa.assetClass)`;
    const rivals = `
        AND NOT EXISTS (SELECT 1 FROM source_device sd2 CROSS JOIN patch_state p2
          WHERE sd2.assetId = sd.assetId AND sd2.id <> ps.sourceDeviceId AND p2.sourceDeviceId = sd2.id AND p2.updateId = ps.updateId AND ${tenantCond('p2.tenantId')}
            AND (${currentRank('sd2')} < ${currentRank('sd')} OR (${currentRank('sd2')} = ${currentRank('sd')}
              AND (${evidenceRank('p2')} < ${evidenceRank('ps')} OR (${evidenceRank('p2')} = ${evidenceRank('ps')}
                AND (p2.lastEventAt > ps.lastEventAt OR (p2.lastEventAt = ps.lastEventAt AND sd2.id < ps.sourceDeviceId)))))))`;
    // The few superseding entries of the update first, then each one's state on the asset's sources: a superseding
    // entry's stored state is its last event's.
    const installedSuperseder = superseded ? `
        AND NOT EXISTS (SELECT 1 FROM superseders x CROSS JOIN source_device sdx CROSS JOIN patch_state px
          WHERE x.updateId = ps.updateId AND sdx.assetId = sd.assetId AND px.sourceDeviceId = sdx.id AND px.updateId = x.supersederId
            AND px.state = '${PatchStateValue.INSTALLED}')` : '';
    return select + rivals + installedSuperseder;
  }

  /** The engine's date arithmetic, for answers that add their own (kpis.ts). */
  get dialect(): SqlDialect {
    return sqlDialect(this.dataSource);
  }

  /** The same question about these assets alone, read from the current states. */
  only(assetIds: readonly string[]): ComplianceEvaluation {
    const alone = new ComplianceEvaluation(this.dataSource, this.scope, { ...this.question, assetIds }, 'current');
    // The same asOf and knownAt: the same catalog facts and rule terms, read once for both.
    alone.facts = this.updateFacts();
    alone.ruleTerms = this.terms();
    return alone;
  }

  /**
   * Everything besides the evidence that the findings depend on, as text: the policy, its rule terms (release and due
   * dates, advisories in force at asOf), the superseding pairs, and the severity and CVEs of each update in the terms.
   * Kept answers computed under other text are computed again.
   */
  async keptInputs(): Promise<string> {
    const terms = await this.terms();
    const facts = await this.updateFacts();
    const ids = new Set(terms.map((t) => t.updateId));
    // Each update's severity (the findings' counts by severity) and CVEs (what an exception naming a CVE covers).
    const updates = facts.filter((u) => ids.has(u.id)).map((u) => [u.id, u.severity, u.cves.map((c) => c.cveId).sort()]).sort();
    const superseders = terms.length ? supersessionPairs(facts, [...ids]) : [];
    return JSON.stringify({ policy: this.question.policy, terms: termsJson(terms), superseders, updates });
  }

  /** The same question about another time, as recorded by the same knownAt: one point of a daily series. */
  at(asOf: Date): ComplianceEvaluation {
    return new ComplianceEvaluation(this.dataSource, this.scope, { ...this.question, asOf }, this.forcePath);
  }

  /** Runs `select` (which may read every CTE above, asset_status included) after the CTEs. */
  async run<T = Record<string, unknown>>(select: string, extraParams: unknown[] = []): Promise<T[]> {
    const { sql, params } = await this.prepare();
    return this.dataSource.query(`${sql}\n${select}`, [...params, ...extraParams]);
  }

  private terms(): Promise<RuleTerm[]> {
    this.ruleTerms ??= this.readTerms();
    return this.ruleTerms;
  }

  private async readTerms(): Promise<RuleTerm[]> {
    if (this.question.policy.findingRules.length === 0) return [];
    const updates = await this.updateFacts();
    const advisories = (await this.dataSource.query('SELECT authority, noticeAt, cveIds, kbs FROM advisory WHERE noticeAt <= ? AND createdAt <= ?', [sqlTime(this.question.asOf), sqlTime(this.question.knownAt)]))
      .map((a: { authority: string; noticeAt: string | Date; cveIds: string; kbs: string }): AdvisoryFacts => ({
        authority: a.authority, noticeAt: toDate(a.noticeAt), cveIds: JSON.parse(a.cveIds), kbs: JSON.parse(a.kbs),
      }));
    // The same policy over the same catalog and advisories has the same terms: computed once (calendar arithmetic in
    // the policy's time zone over every update), then reused by every request asking it.
    const key = hash('sha1', JSON.stringify([this.question.policy, updates, advisories]));
    let terms = TERMS.get(key);
    if (!terms) TERMS.set(key, (terms = ruleTerms(this.question.policy, updates, advisories)));
    return terms;
  }

  /**
   * The catalog's updates with their CVEs (shared entries and those of the tenants in scope), each CVE's facts as
   * patchgraph held them at knownAt (vulnerability_fact), so a KEV due date or score changed since leaves an old
   * answer as it was. A CVE linked after knownAt is not in it; facts recorded only later read as first recorded, and
   * a CVE without recorded history (written around the catalog writers) as it is now.
   */
  /** Whether a finding of `ruleId` over `updateId` counts from when the update was first seen (clockStartsAtFirstSeen). */
  async clockStartsAtFirstSeen(ruleId: string, updateId: string): Promise<boolean> {
    const rule = this.question.policy.findingRules.find((r) => r.id === ruleId);
    if (!rule) return false;
    this.firstSeen ??= this.updateFacts().then((facts) => new Set(facts.filter((u) => u.releasedAtSource === 'FIRST_SEEN').map((u) => u.id)));
    return clockStartsAtFirstSeen(rule, { releasedAtSource: (await this.firstSeen).has(updateId) ? 'FIRST_SEEN' : undefined });
  }

  updateFacts(): Promise<CatalogUpdate[]> {
    this.facts ??= this.readUpdateFacts();
    return this.facts;
  }

  private async readUpdateFacts(): Promise<CatalogUpdate[]> {
    const owners = this.scope.all ? null : ['shared', ...this.scope.allowedIds()];
    const ownerCond = owners ? `u.owner IN (${owners.map(() => '?').join(', ')})` : '1 = 1';
    const knownAt = sqlTime(this.question.knownAt);
    const rows: Array<Record<string, any>> = await this.dataSource.query(
      `SELECT u.id, u.kb, u.supersedes, u.severity, u.classification, u.releasedAt, u.releasedAtSource, v.cveId, ${heldFact('severity')} AS cveSeverity,
         ${['cvssBaseScore', 'kevDateAdded', 'kevDueDate', 'epssScore', 'cvssSourceId', 'kevSourceId', 'epssSourceId'].map((c) => `${heldFact(c)} AS ${c}`).join(', ')},
         ${heldFact('kevRansomware')} AS ransomware
       FROM software_update u
       LEFT JOIN update_vulnerability uv ON uv.updateId = u.id AND uv.createdAt <= ?
       LEFT JOIN vulnerability v ON v.id = uv.vulnerabilityId
       ${heldFactJoin()}
       WHERE ${ownerCond}`,
      [knownAt, knownAt, ...(owners ?? [])],
    );
    const byId = new Map<string, CatalogUpdate>();
    for (const r of rows) {
      let u = byId.get(r.id);
      if (!u) {
        u = { id: r.id, kb: r.kb ?? null, supersedes: parseKbs(r.supersedes), severity: r.severity, classification: r.classification, releasedAt: r.releasedAt ? toDate(r.releasedAt) : null,
          releasedAtSource: r.releasedAtSource, cves: [] };
        byId.set(r.id, u);
      }
      if (!r.cveId) continue;
      u.cves.push({
        cveId: r.cveId, severity: r.cveSeverity, cvss: r.cvssBaseScore === null ? null : Number(r.cvssBaseScore),
        kevDateAdded: dateOnly(r.kevDateAdded), kevDueDate: dateOnly(r.kevDueDate), ransomware: Boolean(Number(r.ransomware)), epss: r.epssScore === null ? null : Number(r.epssScore),
        cvssSourceId: r.cvssSourceId ?? null, kevSourceId: r.kevSourceId ?? null, epssSourceId: r.epssSourceId ?? null,
      });
    }
    return [...byId.values()];
  }

  /** The OS combinations in scope that were (or may have been) out of servicing at asOf: read as a GROUP BY, decided in code. */
  private async unsupportedOs(): Promise<Array<{ osName: string | null; osBuild: string | null; osVersion: string | null; esuUntil: string | null; support: SupportAt }>> {
    if (!this.question.policy.deviceRules.some((r) => r.kind === 'UNSUPPORTED_OS')) return [];
    const { where, params } = this.tenantFilter('a.tenantId');
    const combos: Array<{ osName: string | null; osBuild: string | null; osVersion: string | null; esuUntil: unknown }> = await this.dataSource.query(
      `SELECT a.osName, a.osBuild, a.osVersion, a.esuUntil FROM asset a WHERE ${where} GROUP BY a.osName, a.osBuild, a.osVersion, a.esuUntil`,
      params,
    );
    return combos
      .map((c) => {
        const esuUntil = dateOnly(c.esuUntil);
        return { ...c, esuUntil, support: supportAt(servicingOf(c.osName, c.osBuild, c.osVersion), esuUntil, this.question.asOf) };
      })
      .filter((c) => c.support !== 'SUPPORTED');
  }
}

/** A DATETIME as the driver returns it: a Date (mysql2) or the stored UTC text (SQLite). */
export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

/** The supersedes column (simple-json text) as a list of KBs. */
function parseKbs(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  try {
    const list = JSON.parse(String(value ?? '[]'));
    return Array.isArray(list) ? list.map(String) : [];
  } catch {
    return [];
  }
}

/** A DATE column as YYYY-MM-DD, whichever way the driver returns it. */
export function dateOnly(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}
