/**
 * Kept compliance answers: what a question about now needs of each asset, held in memory between requests as times,
 * never as statuses, so the answer for any later `now` is computed exactly in code; each asset is evaluated again
 * only when it has changed.
 *
 * An MSP's dashboard asks the same question (a policy, now) again and again. Evaluated from the stored states, it
 * probes every asset and every open state each time: about a second at 50,000 assets on SQLite, several on MariaDB.
 * Kept, a request reads a revision per asset and computes the counts in code.
 *
 * What is kept, per asset: whether it was in scope, its own columns the device rules read (last check-in, operating
 * system, ESU), whether it had per-update evidence and a source without a patch policy, and each finding with its due
 * time, clock start, first detection and whether an exception covered it. Statuses, due soon, age bands, "not heard
 * from" and end of servicing are decided per request from those times and the request's `now`.
 *
 * When kept answers are used, and when they are computed again (a request that cannot use them is evaluated live):
 * - only for a question about now read from the current states (the same guard as the live path, statePathFor), with
 *   asOf equal to knownAt, not limited to assigned assets;
 * - each asset is kept at the revision it had when it was evaluated. refreshAssets raises the revision of every asset
 *   whose sources, their freshness or their states change (the same funnel that keeps `patch_state.effective` right),
 *   and the asset's compliance settings raise it too. A request reads every revision in scope first; assets whose
 *   revision moved, new assets and assets gone are evaluated again or dropped. Tenant and site are read fresh;
 * - the policy, its rule terms (catalog facts, intel, advisories in force), supersedence and severities are compared
 *   as text (`ComplianceEvaluation.keptInputs`), and the risk exceptions in scope as rows: any difference evaluates
 *   everything again;
 * - the answers hold until the first time anything they decided at the time of computing could decide otherwise: an
 *   exception's start, end or revocation; a stale or inactive source's last check-in, which counts it as current
 *   until then; a source's enrolment or posture event dated in the future. From then on, or for a `now` before they
 *   were computed, everything is evaluated again.
 * Kept answers are held per policy and scope, least recently used first out, within a bound on rows.
 */
import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { sqlTime } from '../db/sql-time';
import type { AssetStatusRow } from './compliance-report';
import { ASSET_ID_COLUMNS, ComplianceEvaluation, dateOnly, STATUS_BY_RANK, STATUS_RANK, toDate } from './evaluation';
import { servicingOf, supportAt, SupportAt } from './lifecycle';

interface KeptFinding {
  updateId: string;
  dueAt: number | null;
  /** COALESCE(clockStartAt, firstMissingAt): when the finding's clock started, for its age. */
  startedAt: number | null;
  exempt: boolean;
}

interface KeptOs {
  osName: string | null;
  osBuild: string | null;
  osVersion: string | null;
  esuUntil: string | null;
}

const NO_OS: KeptOs = { osName: null, osBuild: null, osVersion: null, esuUntil: null };

interface KeptAsset {
  revision: number;
  /** In the question's scope when evaluated (created and enrolled by then); kept either way, with its revision. */
  inScope: boolean;
  lastSeenAt: number;
  /** Shared by every asset of the same operating system and ESU: support is decided once per request for each. */
  os: KeptOs;
  noEvidence: boolean;
  noPatchPolicy: boolean;
  findings: KeptFinding[];
}

/** One policy and scope's kept answers. */
interface Kept {
  inputs: string;
  exceptions: string;
  /** The `now` they were computed at, and the first at which they may no longer hold. */
  from: number;
  until: number;
  /** Per tenant in scope: its assetsRevision when its assets' revisions were read, and those assets. */
  tenants: Map<string, { revision: number; heads: AssetHead[] }>;
  assets: Map<string, KeptAsset>;
  /** The asset page's order, read when a page is first asked of these answers (see KeptView.page). */
  order?: HostOrder;
}

/**
 * The assets in scope in the asset page's order within a status: by host name as the database collates it (which code
 * cannot reproduce for every engine and collation), then id.
 */
interface HostOrder {
  ids: string[];
  hostnames: string[];
  position: Map<string, number>;
}

/** An asset in scope as a request reads it: its revision, and where it belongs now. */
interface AssetHead {
  id: string;
  revision: number;
  tenantId: string;
  siteId: string | null;
}

/** Re-evaluating more than this share of the kept assets costs about what evaluating all of them does. */
const PARTIAL_SHARE = 0.25;
/** About 200 bytes an asset or finding: a few hundred MB at the bound. */
const MAX_ROWS = 2_000_000;

const stores = new WeakMap<DataSource, KeptAnswers>();

/** The kept answers of this process for one database. */
export function keptAnswersOf(dataSource: DataSource): KeptAnswers {
  let store = stores.get(dataSource);
  if (!store) stores.set(dataSource, (store = new KeptAnswers(dataSource)));
  return store;
}

/** The kept answers of one process and database, per policy and scope. */
export class KeptAnswers {
  private readonly cache = new LRUCache<string, Kept>({
    maxSize: MAX_ROWS,
    sizeCalculation: (k) => Math.max(1, k.assets.size + [...k.assets.values()].reduce((n, a) => n + a.findings.length, 0)),
  });
  /** Requests for the same key wait for each other: one computes, the next reuses. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly dataSource: DataSource) {}

  /** The answers of `evaluation` from what is kept, brought up to date; null when the question must be evaluated live. */
  async view(evaluation: ComplianceEvaluation): Promise<KeptView | null> {
    const q = evaluation.question;
    if (q.assignedOnly || q.assetIds || q.asOf.getTime() !== q.knownAt.getTime()) return null;
    if ((await evaluation.statePath()) !== 'current') return null;
    const scope = evaluation.scope;
    const key = JSON.stringify({ policy: q.policyKey, all: scope.all, tenants: scope.allowedIds().sort(), tenant: q.tenantId ?? null, site: q.siteId ?? null });
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.refreshed(key, evaluation));
    this.locks.set(key, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === run) this.locks.delete(key);
    }
  }

  private async refreshed(key: string, evaluation: ComplianceEvaluation): Promise<KeptView> {
    const now = evaluation.question.asOf.getTime();
    const inputs = await evaluation.keptInputs();
    const exceptions = await this.exceptions(evaluation);
    // Revisions first, then what they stand for: what is kept is never newer than the revision it is kept at.
    const revisions = await this.tenantRevisions(evaluation);
    const held = this.cache.get(key);
    let kept: Kept;
    if (!held || held.inputs !== inputs || held.exceptions !== exceptions.digest || now < held.from || now >= held.until) {
      kept = await this.everything(evaluation, revisions, inputs, exceptions.digest);
    } else {
      const moved = [...revisions].filter(([id, revision]) => held.tenants.get(id)?.revision !== revision).map(([id]) => id);
      const gone = [...held.tenants.keys()].filter((id) => !revisions.has(id));
      if (moved.length === 0 && gone.length === 0) return new KeptView(this.dataSource, evaluation, held);
      const tenants = new Map(held.tenants);
      for (const id of gone) tenants.delete(id);
      const heads = await this.heads(evaluation, moved);
      for (const id of moved) tenants.set(id, { revision: revisions.get(id)!, heads: [] });
      for (const h of heads) tenants.get(h.tenantId)!.heads.push(h);
      const stale = heads.filter((h) => held.assets.get(h.id)?.revision !== h.revision);
      if (stale.length > PARTIAL_SHARE * Math.max(held.assets.size, 1)) {
        kept = await this.everything(evaluation, revisions, inputs, exceptions.digest);
      } else {
        // A new map and a new entry: a request still reading the previous one keeps reading what it started with.
        const assets = new Map(held.assets);
        // Assets no tenant in scope holds any more (removed, moved out of the site or the scope) are dropped.
        const present = new Set(heads.map((h) => h.id));
        for (const id of [...gone, ...moved]) for (const h of held.tenants.get(id)?.heads ?? []) if (!present.has(h.id)) assets.delete(h.id);
        if (stale.length > 0) for (const [id, asset] of await this.evaluate(evaluation.only(stale.map((h) => h.id)), stale)) assets.set(id, asset);
        kept = { ...held, tenants, assets, order: undefined };
      }
    }
    kept.until = Math.min(kept.until, exceptions.until, await this.boundary(evaluation));
    this.cache.set(key, kept);
    return new KeptView(this.dataSource, evaluation, kept);
  }

  /** Everything evaluated afresh. */
  private async everything(evaluation: ComplianceEvaluation, revisions: Map<string, number>, inputs: string, exceptions: string): Promise<Kept> {
    const heads = await this.heads(evaluation, [...revisions.keys()]);
    const tenants = new Map([...revisions].map(([id, revision]) => [id, { revision, heads: [] as AssetHead[] }]));
    for (const h of heads) tenants.get(h.tenantId)?.heads.push(h);
    return { inputs, exceptions, from: evaluation.question.asOf.getTime(), until: Infinity, tenants, assets: await this.evaluate(evaluation, heads) };
  }

  /** The tenants in the question's scope, each with its assetsRevision. */
  private async tenantRevisions(evaluation: ComplianceEvaluation): Promise<Map<string, number>> {
    const { where, params } = evaluation.tenantFilter('t.id');
    const rows: Array<{ id: string; assetsRevision: number | string }> = await this.dataSource.query(`SELECT t.id, t.assetsRevision FROM tenant t WHERE ${where}`, params);
    return new Map(rows.map((r) => [r.id, Number(r.assetsRevision)]));
  }

  /** The assets of these tenants (in the question's site), each with its revision. */
  private async heads(evaluation: ComplianceEvaluation, tenantIds: readonly string[]): Promise<AssetHead[]> {
    if (tenantIds.length === 0) return [];
    const siteId = evaluation.question.siteId;
    const rows: Array<{ id: string; revision: number | string; tenantId: string; siteId: string | null }> = await this.dataSource.query(
      `SELECT a.id, a.revision, a.tenantId, a.siteId FROM asset a WHERE a.tenantId IN (${tenantIds.map(() => '?').join(', ')})${siteId ? ' AND a.siteId = ?' : ''}`,
      siteId ? [...tenantIds, siteId] : [...tenantIds],
    );
    return rows.map((r) => ({ id: r.id, revision: Number(r.revision), tenantId: r.tenantId, siteId: r.siteId ?? null }));
  }

  /** Evaluates the assets of `heads` that `evaluation` covers: what each kept asset holds. */
  private async evaluate(evaluation: ComplianceEvaluation, heads: readonly AssetHead[]): Promise<Map<string, KeptAsset>> {
    const { assets, assetParams, findings } = evaluation.keptSelects();
    // Sent together: on MariaDB each runs on a connection of its own, both cores at once (SQLite runs one, then the other).
    const [assetRows, findingRows] = await Promise.all([
      evaluation.run<Record<string, any>>(assets, assetParams),
      evaluation.run<Record<string, any>>(findings),
    ]);
    const time = (v: unknown) => (v === null || v === undefined ? null : toDate(v).getTime());
    const out = new Map<string, KeptAsset>();
    for (const h of heads) {
      out.set(h.id, { revision: h.revision, inScope: false, lastSeenAt: 0, os: NO_OS, noEvidence: false, noPatchPolicy: false, findings: [] });
    }
    const systems = new Map<string, KeptOs>();
    const osOf = (r: Record<string, any>): KeptOs => {
      const os = { osName: r.osName ?? null, osBuild: r.osBuild ?? null, osVersion: r.osVersion ?? null, esuUntil: dateOnly(r.esuUntil) };
      const key = JSON.stringify(os);
      let shared = systems.get(key);
      if (!shared) systems.set(key, (shared = os));
      return shared;
    };
    for (const r of assetRows) {
      const a = out.get(r.assetId);
      // Created after the heads were read: left out, and evaluated at the next request, where its revision is new.
      if (!a) continue;
      Object.assign(a, {
        inScope: true, lastSeenAt: time(r.lastSeenAt) ?? 0, os: osOf(r), noEvidence: Number(r.noEvidence) === 1, noPatchPolicy: Number(r.noPatchPolicy) === 1,
      });
    }
    for (const r of findingRows) {
      const a = out.get(r.assetId);
      if (!a?.inScope) continue;
      a.findings.push({ updateId: r.updateId, dueAt: time(r.dueAt), startedAt: time(r.clockStartAt) ?? time(r.firstMissingAt), exempt: r.exceptionId !== null && r.exceptionId !== undefined });
    }
    return out;
  }

  /**
   * The risk exceptions of the question's tenants as text, and the first time after now at which one starts, ends
   * or is revoked: until then each finding's exemption stays what it was.
   */
  private async exceptions(evaluation: ComplianceEvaluation): Promise<{ digest: string; until: number }> {
    const { where, params } = evaluation.tenantFilter('re.tenantId');
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT re.id, re.tenantId, re.siteId, re.assetId, re.updateId, re.policyKey, re.cveId, re.validFrom, re.expiresAt, re.createdAt, re.revokedAt
       FROM risk_exception re WHERE ${where} ORDER BY re.id`,
      params,
    );
    const now = evaluation.question.asOf.getTime();
    let until = Infinity;
    for (const r of rows) {
      for (const t of [r.validFrom, r.expiresAt, r.createdAt, r.revokedAt]) {
        if (t === null || t === undefined) continue;
        const at = toDate(t).getTime();
        // A bound equal to now already counts one way; the next one after now decides again.
        if (at > now) until = Math.min(until, at);
      }
    }
    return { digest: JSON.stringify(rows.map((r) => Object.values(r).map((v) => (v instanceof Date ? v.toISOString() : v)))), until };
  }

  /**
   * The first time after now at which a source of the question's tenants could count otherwise than it did: a stale
   * or inactive source counts as current while its last check-in is at or after now; a source counts from its
   * enrolment; a posture event counts from its time. Past that time kept answers are evaluated again.
   */
  private async boundary(evaluation: ComplianceEvaluation): Promise<number> {
    const now = sqlTime(evaluation.question.asOf);
    const { where, params } = evaluation.tenantFilter('sd.tenantId');
    const assets = evaluation.tenantFilter('a.tenantId');
    const posture = evaluation.question.policy.deviceRules.some((r) => r.kind === 'NO_PATCH_POLICY');
    const [row]: Array<{ checkIn: unknown; enrolled: unknown; created: unknown; posture: unknown }> = await this.dataSource.query(
      `SELECT
         (SELECT MIN(COALESCE(sd.lastCheckInAt, sd.lastSeenAt)) FROM source_device sd WHERE ${where} AND (sd.stale = 1 OR sd.inactive = 1) AND COALESCE(sd.lastCheckInAt, sd.lastSeenAt) >= ?) AS checkIn,
         (SELECT MIN(COALESCE(sd.enrolledAt, sd.firstSeenAt)) FROM source_device sd WHERE ${where} AND COALESCE(sd.enrolledAt, sd.firstSeenAt) > ?) AS enrolled,
         (SELECT MIN(a.createdAt) FROM asset a WHERE ${assets.where} AND a.createdAt > ?) AS created,
         ${posture ? `(SELECT MIN(ppe.observedAt) FROM patch_posture_event ppe JOIN source_device sd ON sd.id = ppe.sourceDeviceId WHERE ${where} AND ppe.observedAt > ?)` : 'NULL'} AS posture`,
      [...params, now, ...params, now, ...assets.params, now, ...(posture ? [...params, now] : [])],
    );
    const at = (v: unknown) => (v === null || v === undefined ? Infinity : toDate(v).getTime());
    // Current while its check-in is at or after now: so until just after that check-in.
    return Math.min(at(row.checkIn) + 1, at(row.enrolled), at(row.created), at(row.posture));
  }
}

/** An asset in scope at one request's `now`: where it belongs, its status, and per update its open findings. */
interface Judged {
  head: AssetHead;
  asset: KeptAsset;
  rank: number;
  /** Per update with findings: the worst status over the rules, and the earliest clock start. */
  updates: Map<string, { rank: number; startedAt: number | null }> | null;
}

/** Kept answers read at one request's `now`, each asset judged once for all its answers. */
export class KeptView {
  private judged?: Judged[];
  private deviceRules?: DeviceRules;

  constructor(private readonly dataSource: DataSource, private readonly evaluation: ComplianceEvaluation, private readonly kept: Kept) {}

  /** Assets in scope by tenant or site and status, in key order (no key first) then status. */
  statusRows(column: 'tenantId' | 'siteId'): Array<{ k: string | null; statusRank: number; n: number }> {
    const counts = new Map<string | null, number[]>();
    for (const j of this.judge()) {
      const k = j.head[column];
      let byRank = counts.get(k);
      if (!byRank) counts.set(k, (byRank = [0, 0, 0, 0, 0, 0]));
      byRank[j.rank] += 1;
    }
    const keys = [...counts.keys()].sort((a, b) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1));
    return keys.flatMap((k) => counts.get(k)!.flatMap((n, statusRank) => (n > 0 ? [{ k, statusRank, n }] : [])));
  }

  /** Open findings, one per asset and update, by the update's severity, status and age band. */
  async findingCounts(band: (startedAt: number | null) => string): Promise<Array<{ severity: string; statusRank: number; band: string; n: number }>> {
    const severity = new Map((await this.evaluation.updateFacts()).map((u) => [u.id, u.severity]));
    const counts = new Map<string, { severity: string; statusRank: number; band: string; n: number }>();
    for (const j of this.judge()) {
      if (!j.updates) continue;
      for (const [updateId, f] of j.updates) {
        const row = { severity: severity.get(updateId)!, statusRank: f.rank, band: band(f.startedAt), n: 0 };
        const id = `${row.severity}\u0000${row.statusRank}\u0000${row.band}`;
        const counted = counts.get(id) ?? row;
        counted.n += 1;
        counts.set(id, counted);
      }
    }
    return [...counts.values()];
  }

  /** The assets with the most overdue updates, then by host name and id as the database orders them. */
  async worst(limit: number): Promise<Array<{ assetId: string; n: number }>> {
    const overdue: Array<{ assetId: string; n: number }> = [];
    for (const j of this.judge()) {
      if (!j.updates) continue;
      let n = 0;
      for (const f of j.updates.values()) if (f.rank === STATUS_RANK.NON_COMPLIANT) n += 1;
      if (n > 0) overdue.push({ assetId: j.head.id, n });
    }
    overdue.sort((a, b) => b.n - a.n);
    if (overdue.length === 0) return [];
    // Ties are ordered by host name in the engine's collation, as the live answer orders them: asked of the
    // database for the assets that can be on the list (always, so a request's statements do not depend on ties).
    const cut = overdue[Math.min(limit, overdue.length) - 1].n;
    const candidates = overdue.filter((o) => o.n >= cut);
    const ids = JSON.stringify(candidates.map((c) => ({ a: c.assetId })));
    const order: Array<{ id: string }> = await this.dataSource.query(
      `SELECT a.id FROM asset a WHERE a.id IN (SELECT assetId FROM (${this.evaluation.dialect.jsonRows('?', ASSET_ID_COLUMNS)}) asked) ORDER BY a.hostname, a.id`,
      [ids],
    );
    const place = new Map(order.map((r, i) => [r.id, i]));
    return candidates.sort((a, b) => b.n - a.n || place.get(a.assetId)! - place.get(b.assetId)!).slice(0, limit);
  }

  /** Every asset in scope judged at now: its worst device rule or finding, and its findings per update. */
  private judge(): Judged[] {
    if (this.judged) return this.judged;
    const q = this.evaluation.question;
    const now = q.asOf.getTime();
    const dueSoon = now + q.policy.dueSoonHours * 3_600_000;
    // A finding's status at now, as finding_status decides it.
    const findingRank = (f: KeptFinding) => (f.exempt ? STATUS_RANK.EXEMPT : f.dueAt === null ? STATUS_RANK.COMPLIANT
      : f.dueAt <= now ? STATUS_RANK.NON_COMPLIANT : f.dueAt <= dueSoon ? STATUS_RANK.DUE_SOON : STATUS_RANK.COMPLIANT);
    const rules = this.rules();
    const judged: Judged[] = [];
    for (const { heads } of this.kept.tenants.values()) {
      for (const head of heads) {
        const asset = this.kept.assets.get(head.id);
        if (!asset?.inScope) continue;
        let rank = rules.rank(asset);
        let updates: Judged['updates'] = null;
        if (asset.findings.length > 0) {
          updates = new Map();
          for (const f of asset.findings) {
            const r = findingRank(f);
            rank = Math.max(rank, r);
            const prior = updates.get(f.updateId);
            if (!prior) updates.set(f.updateId, { rank: r, startedAt: f.startedAt });
            else {
              prior.rank = Math.max(prior.rank, r);
              if (f.startedAt !== null && (prior.startedAt === null || f.startedAt < prior.startedAt)) prior.startedAt = f.startedAt;
            }
          }
        }
        judged.push({ head, asset, rank, updates });
      }
    }
    this.judged = judged;
    return judged;
  }

  /**
   * A page of the assets in scope, worst status first, then by host name and id as the database orders them: the live
   * page's keyset (compliance-report.ts) over the kept statuses. Null when the cursor's asset is not where the cursor
   * says (gone, or renamed since): only the database can place a host name it no longer holds, so the page is
   * evaluated live.
   */
  async page(first: number, after: { statusRank: number; hostname: string; assetId: string } | null, statuses: readonly number[] | null): Promise<AssetStatusRow[] | null> {
    const order = await this.hostOrder();
    let afterAt = -1;
    if (after) {
      afterAt = order.position.get(after.assetId) ?? -1;
      if (afterAt < 0 || order.hostnames[afterAt] !== after.hostname) return null;
    }
    const byId = new Map(this.judge().map((j) => [j.head.id, j]));
    const wanted = statuses && new Set(statuses);
    // One pass in host-name order, each asset into its status's list; the page is read from the worst list down.
    const byRank: Array<Array<{ judged: Judged; at: number }>> = [[], [], [], [], [], []];
    for (let at = 0; at < order.ids.length; at++) {
      const j = byId.get(order.ids[at]);
      if (!j || (wanted && !wanted.has(j.rank))) continue;
      if (after && (j.rank > after.statusRank || (j.rank === after.statusRank && at <= afterAt))) continue;
      byRank[j.rank].push({ judged: j, at });
    }
    const rows: AssetStatusRow[] = [];
    for (let rank = byRank.length - 1; rank >= 0 && rows.length < first; rank--) {
      for (const { judged: j, at } of byRank[rank].slice(0, first - rows.length)) {
        rows.push({ assetId: j.head.id, tenantId: j.head.tenantId, siteId: j.head.siteId, hostname: order.hostnames[at], status: STATUS_BY_RANK[j.rank], reasons: this.reasonsOf(j) });
      }
    }
    return rows;
  }

  /** The kinds of rows that gave an asset its status, as the live page names them (each rule's, or FINDING). */
  private reasonsOf(j: Judged): string[] {
    const reasons = new Set<string>();
    this.rules().each(j.asset, (rank, reason) => {
      if (rank === j.rank) reasons.add(reason);
    });
    if (j.updates && [...j.updates.values()].some((u) => u.rank === j.rank)) reasons.add('FINDING');
    return [...reasons].sort();
  }

  /** The asset page's order, read from the database once per kept answers (again after any change to them). */
  private async hostOrder(): Promise<HostOrder> {
    if (this.kept.order) return this.kept.order;
    const { where, params } = this.evaluation.tenantFilter('a.tenantId');
    const siteId = this.evaluation.question.siteId;
    const rows: Array<{ id: string; hostname: string }> = await this.dataSource.query(
      `SELECT a.id, a.hostname FROM asset a WHERE ${where}${siteId ? ' AND a.siteId = ?' : ''} ORDER BY a.hostname, a.id`,
      siteId ? [...params, siteId] : params,
    );
    const order: HostOrder = { ids: rows.map((r) => r.id), hostnames: rows.map((r) => r.hostname), position: new Map(rows.map((r, i) => [r.id, i])) };
    this.kept.order = order;
    return order;
  }

  private rules(): DeviceRules {
    return (this.deviceRules ??= new DeviceRules(this.evaluation.question));
  }
}

/**
 * The policy's device rules at one request's `now`, as the evaluation's `ranked` rows decide them: each asset's worst
 * and, for a page, which of them gave it its status. Thresholds and each operating system's support are decided once.
 */
class DeviceRules {
  private readonly noEvidence: boolean;
  private readonly notHeard: Array<{ before: number; rank: number }>;
  /** The worst outcome of the rules of each kind; 0 where the policy has none. */
  private readonly noPolicy: number;
  private readonly unsupported: number;
  private readonly osRanks = new Map<KeptOs, { rank: number; reason: string } | null>();

  constructor(private readonly question: ComplianceEvaluation['question']) {
    const rules = question.policy.deviceRules;
    const now = question.asOf.getTime();
    this.noEvidence = question.policy.findingRules.length > 0;
    this.notHeard = rules.flatMap((r) => (r.kind === 'NOT_HEARD_FROM' ? [{ before: now - r.days * 86_400_000, rank: STATUS_RANK[r.outcome] }] : []));
    this.noPolicy = Math.max(0, ...rules.flatMap((r) => (r.kind === 'NO_PATCH_POLICY' ? [STATUS_RANK[r.outcome]] : [])));
    this.unsupported = Math.max(0, ...rules.flatMap((r) => (r.kind === 'UNSUPPORTED_OS' ? [STATUS_RANK[r.outcome]] : [])));
  }

  /** Each rule that holds for the asset, with the rank it gives. */
  each(asset: KeptAsset, visit: (rank: number, reason: string) => void): void {
    if (this.noEvidence && asset.noEvidence) visit(STATUS_RANK.UNVERIFIED, 'NO_PER_UPDATE_EVIDENCE');
    for (const r of this.notHeard) if (asset.lastSeenAt < r.before) visit(r.rank, 'NOT_HEARD_FROM');
    if (this.noPolicy > 0 && asset.noPatchPolicy) visit(this.noPolicy, 'NO_PATCH_POLICY');
    const os = this.unsupported > 0 ? this.osRule(asset.os) : null;
    if (os) visit(os.rank, os.reason);
  }

  /** The asset's worst device rule; COMPLIANT where none holds. */
  rank(asset: KeptAsset): number {
    let worst: number = STATUS_RANK.COMPLIANT;
    this.each(asset, (rank) => {
      if (rank > worst) worst = rank;
    });
    return worst;
  }

  /** Per operating system (shared objects), what the servicing rule says of it at now. */
  private osRule(os: KeptOs): { rank: number; reason: string } | null {
    let rule = this.osRanks.get(os);
    if (rule === undefined) {
      const support: SupportAt = supportAt(servicingOf(os.osName, os.osBuild, os.osVersion), os.esuUntil, this.question.asOf);
      rule = support === 'UNSUPPORTED' ? { rank: this.unsupported, reason: 'UNSUPPORTED_OS' } : support === 'EDITION_UNKNOWN' ? { rank: STATUS_RANK.UNVERIFIED, reason: 'OS_EDITION_UNKNOWN' } : null;
      this.osRanks.set(os, rule);
    }
    return rule;
  }
}
