/**
 * The compliance dashboard as one would write it by hand in SQL for one known fleet, without patchgraph's engine: the
 * baseline `npm run bench` compares the GraphQL request with, and the reference test/integration/
 * compliance-dashboard.test.ts holds the engine to.
 *
 * Same semantics, written directly: the state of each (source, update) at asOf is its last event recorded by knownAt
 * whose reported (else observed) time is at or before asOf; per asset a current source wins (not stale or inactive,
 * or still checking in after asOf), then REPORTED evidence, then the freshest.
 * Due dates come straight from the catalog in SQL (release + 14 days for Cyber Essentials, the earliest KEV due date
 * for BOD 22-01), and the device rules are spelt out for the releases this fleet runs. It knows only the two
 * policies the bench asks about, every tenant (an MSP-wide key) and no advisories.
 */
import { DataSource } from 'typeorm';
import { sqlTime } from '../../src/db/sql-time';

export type BaselinePolicy = 'cyber-essentials-v3.3' | 'cisa-bod-22-01';

const RANK = { COMPLIANT: 1, EXEMPT: 2, DUE_SOON: 3, UNVERIFIED: 4, NON_COMPLIANT: 5 } as const;
const STATUS = Object.fromEntries(Object.entries(RANK).map(([k, v]) => [v, k])) as Record<number, keyof typeof RANK>;
const STATUSES = Object.keys(RANK) as Array<keyof typeof RANK>;
const AGE_BANDS = [['0-7 days', 0, 7], ['8-14 days', 7, 14], ['15-30 days', 14, 30], ['31-90 days', 30, 90], ['over 90 days', 90, null]] as const;

/** The dashboard's answer in the shape the GraphQL request returns it, sorted so two answers compare with toEqual. */
export interface Dashboard {
  assetCount: number;
  byStatus: Array<{ status: string; count: number }>;
  byTenant: Array<{ tenant: string; byStatus: Array<{ status: string; count: number }> }>;
  openFindingsBySeverity: Array<{ severity: string; status: string; count: number }>;
  openFindingsByAge: Array<{ band: string; count: number }>;
  worstAssets: Array<{ hostname: string; overdueUpdates: number }>;
}

/** The GraphQL request a portal's MSP dashboard sends. */
export const DASHBOARD_QUERY = `query Dashboard($policy: String!, $asOf: DateTimeISO) {
  compliance(policy: $policy, asOf: $asOf) {
    assetCount
    byStatus { status count }
    byTenant { tenant { name } byStatus { status count } }
    openFindingsBySeverity { severity status count }
    openFindingsByAge { band count }
    worstAssets(first: 10) { asset { hostname } overdueUpdates }
  }
}`;

/** The first page of the portal's asset list: the worst assets first, each with its findings' updates. */
export const ASSET_PAGE_QUERY = `query AssetPage($policy: String!, $first: Int!) {
  compliance(policy: $policy) {
    assets(first: $first) { totalCount nodes { asset { hostname } status reasons findings { update { kb } status dueAt } } }
  }
}`;

/** A page of the asset list as both sides can give it: each asset's host name and status, and its findings' KBs. */
export type AssetPage = Array<{ hostname: string; status: string; kbs: string[] }>;

/** A GraphQL answer to ASSET_PAGE_QUERY in the comparable shape. */
export function assetPageOf(compliance: any): AssetPage {
  return compliance.assets.nodes.map((n: any) => ({
    hostname: n.asset.hostname, status: n.status, kbs: [...new Set<string>(n.findings.map((f: any) => f.update.kb))].sort(),
  }));
}

/** A GraphQL answer to DASHBOARD_QUERY in the comparable shape. */
export function dashboardOf(compliance: any): Dashboard {
  return {
    assetCount: compliance.assetCount,
    byStatus: compliance.byStatus,
    byTenant: compliance.byTenant.map((t: any) => ({ tenant: t.tenant.name, byStatus: t.byStatus })).sort((a: any, b: any) => a.tenant.localeCompare(b.tenant)),
    openFindingsBySeverity: [...compliance.openFindingsBySeverity].sort(bySeverityStatus),
    openFindingsByAge: compliance.openFindingsByAge,
    worstAssets: compliance.worstAssets.map((w: any) => ({ hostname: w.asset.hostname, overdueUpdates: w.overdueUpdates })),
  };
}

const bySeverityStatus = (a: { severity: string; status: string }, b: { severity: string; status: string }) =>
  a.severity.localeCompare(b.severity) || a.status.localeCompare(b.status);


/** The three hand-written statements: assets by tenant and status, open findings by severity, status and age, the worst ten. */
export class DashboardBaseline {
  constructor(private readonly ds: DataSource) {}

  private get mysql(): boolean {
    return this.ds.options.type !== 'better-sqlite3';
  }

  /** Every (asset, update) finding with its status rank and clock start, and every asset with its status rank. */
  private ctes(policy: BaselinePolicy, asOf: Date, knownAt: Date, now: boolean): { sql: string; params: unknown[] } {
    const my = this.mysql;
    const t = (d: Date) => (my ? `CAST('${sqlTime(d)}' AS DATETIME(3))` : `'${sqlTime(d)}'`);
    const AS_OF = t(asOf);
    const KNOWN = t(knownAt);
    const SOON = t(new Date(asOf.getTime() + 72 * 3_600_000));
    const due = policy === 'cyber-essentials-v3.3'
      // Critical or Important by the vendor or any fixed CVE, CVSS 7+, or unrated: due 14 days after release. (London
      // calendar days; the fleet's releases are all 14 days clear of a change of UK clocks, so 14 x 24 hours.)
      ? `SELECT u.id AS updateId, u.releasedAt AS startAt, ${my ? 'DATE_ADD(u.releasedAt, INTERVAL 14 DAY)' : "strftime('%Y-%m-%d %H:%M:%f', u.releasedAt, '+14 days')"} AS dueAt
         FROM software_update u
         WHERE u.severity IN ('CRITICAL', 'IMPORTANT')
           OR EXISTS (SELECT 1 FROM update_vulnerability uv JOIN vulnerability v ON v.id = uv.vulnerabilityId
                      WHERE uv.updateId = u.id AND (v.severity IN ('CRITICAL', 'IMPORTANT') OR v.cvssBaseScore >= 7))
           OR (u.severity NOT IN ('MODERATE', 'LOW') AND NOT EXISTS (SELECT 1 FROM update_vulnerability uv JOIN vulnerability v ON v.id = uv.vulnerabilityId
                      WHERE uv.updateId = u.id AND (v.severity IN ('CRITICAL', 'IMPORTANT', 'MODERATE', 'LOW') OR v.cvssBaseScore IS NOT NULL)))`
      // In KEV: due by the end of the earliest due date of the CVEs it fixes; its clock starts when CISA added it.
      : `SELECT uv.updateId, ${my ? 'TIMESTAMP(MIN(v.kevDateAdded))' : "MIN(v.kevDateAdded) || ' 00:00:00.000'"} AS startAt,
           ${my ? "TIMESTAMP(MIN(v.kevDueDate), '23:59:59.999')" : "MIN(v.kevDueDate) || ' 23:59:59.999'"} AS dueAt
         FROM update_vulnerability uv JOIN vulnerability v ON v.id = uv.vulnerabilityId
         WHERE v.kevDueDate IS NOT NULL GROUP BY uv.updateId`;
    // Cyber Essentials' device rules for the releases in this fleet (ESU extends each): Windows 10 22H2 ended
    // 2025-10-14; Windows 11 23H2 Home/Pro 2025-11-11, Enterprise/Education 2026-11-10, and with no edition named it
    // is unverifiable between the two; 24H2 Home/Pro 2026-10-13. And 14 days without a check-in.
    const day = `'${asOf.toISOString().slice(0, 10)}'`;
    const esuOver = `(a.esuUntil IS NULL OR a.esuUntil < ${day})`;
    const enterprise = "(a.osName LIKE '%Enterprise%' OR a.osName LIKE '%Education%')";
    const homePro = "(a.osName LIKE '% Pro%' OR a.osName LIKE '% Home%')";
    const endOfServicing = `CASE WHEN a.osBuild LIKE '19045.%' THEN '2025-10-14'
        WHEN a.osBuild LIKE '22631.%' AND ${homePro} THEN '2025-11-11'
        WHEN a.osBuild LIKE '22631.%' THEN '2026-11-10'
        WHEN a.osBuild LIKE '26100.%' AND a.osName NOT LIKE '%Server%' AND NOT ${enterprise} THEN '2026-10-13' END`;
    const deviceRules = policy === 'cyber-essentials-v3.3'
      ? `UNION ALL SELECT a.id, ${RANK.NON_COMPLIANT} FROM scoped a WHERE ${endOfServicing} < ${day} AND ${esuOver}
         UNION ALL SELECT a.id, ${RANK.UNVERIFIED} FROM scoped a WHERE a.osBuild LIKE '22631.%' AND NOT ${homePro} AND NOT ${enterprise}
           AND '2025-11-11' < ${day} AND ${day} <= '2026-11-10' AND ${esuOver}
         UNION ALL SELECT a.id, ${RANK.UNVERIFIED} FROM scoped a WHERE a.lastSeenAt < ${t(new Date(asOf.getTime() - 14 * 86_400_000))}`
      : '';
    const cur = (sd: string) => `CASE WHEN (${sd}.stale = 0 AND ${sd}.inactive = 0) OR COALESCE(${sd}.lastCheckInAt, ${sd}.lastSeenAt) >= ${AS_OF} THEN 0 ELSE 1 END`;
    const rep = (ps: string) => `CASE WHEN ${ps}.evidence = 'REPORTED' THEN 0 ELSE 1 END`;
    const sql = `WITH scoped AS (
        SELECT a.* FROM asset a WHERE a.createdAt <= ${KNOWN}
          AND EXISTS (SELECT 1 FROM source_device s WHERE s.assetId = a.id AND COALESCE(s.enrolledAt, s.firstSeenAt) <= ${AS_OF})
      ),
      last_event AS (${now ? `
        -- Asked about now: each (source, update)'s last event is its stored state, its time the summary the sync keeps.
        SELECT sd.assetId, ps.sourceDeviceId, ps.updateId, ps.state AS toState, ps.lastEventAt AS at, 1 AS rn
        FROM patch_state ps JOIN source_device sd ON sd.id = ps.sourceDeviceId` : `
        SELECT sd.assetId, pe.sourceDeviceId, pe.updateId, pe.toState, COALESCE(pe.reportedAt, pe.observedAt) AS at,
          ROW_NUMBER() OVER (PARTITION BY pe.sourceDeviceId, pe.updateId ORDER BY pe.observedAt DESC, pe.id DESC) AS rn
        FROM patch_event pe JOIN source_device sd ON sd.id = pe.sourceDeviceId
        WHERE pe.observedAt <= ${KNOWN} AND COALESCE(pe.reportedAt, pe.observedAt) <= ${AS_OF}`}
      ),
      chosen AS (${now ? `
        -- Only an open pick makes a finding: the open states no other source of the asset outranks (current source,
        -- REPORTED, latest, lowest id), each checked against its asset's few other sources.
        SELECT sd.assetId, ps.updateId, ps.state AS toState, 1 AS pick
        FROM patch_state ps JOIN source_device sd ON sd.id = ps.sourceDeviceId
        WHERE ps.state IN ('MISSING', 'FAILED', 'PENDING_REBOOT') AND NOT EXISTS (
          SELECT 1 FROM source_device s2 CROSS JOIN patch_state p2
          WHERE s2.assetId = sd.assetId AND s2.id <> sd.id AND p2.sourceDeviceId = s2.id AND p2.updateId = ps.updateId
            AND (${cur('s2')} < ${cur('sd')} OR (${cur('s2')} = ${cur('sd')} AND (${rep('p2')} < ${rep('ps')} OR (${rep('p2')} = ${rep('ps')}
              AND (p2.lastEventAt > ps.lastEventAt OR (p2.lastEventAt = ps.lastEventAt AND s2.id < sd.id)))))))` : `
        SELECT le.assetId, le.updateId, le.toState,
          ROW_NUMBER() OVER (PARTITION BY le.assetId, le.updateId ORDER BY
            CASE WHEN (sd.stale = 0 AND sd.inactive = 0) OR COALESCE(sd.lastCheckInAt, sd.lastSeenAt) >= ${AS_OF} THEN 0 ELSE 1 END,
            CASE WHEN ps.evidence = 'REPORTED' THEN 0 ELSE 1 END, le.at DESC, le.sourceDeviceId) AS pick
        FROM last_event le JOIN source_device sd ON sd.id = le.sourceDeviceId
          LEFT JOIN patch_state ps ON ps.sourceDeviceId = le.sourceDeviceId AND ps.updateId = le.updateId
        WHERE le.rn = 1
      `}
      ),
      due AS (${due}),
      -- Which entry supersedes which, by the KBs each lists (one step: the bundled catalog holds no longer chain).
      supersession AS (
        SELECT old.id AS updateId, sup.id AS supersederId FROM software_update sup
        ${my ? "JOIN JSON_TABLE(sup.supersedes, '$[*]' COLUMNS (kb VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$')) j" : 'JOIN json_each(sup.supersedes) j'}
        JOIN software_update old ON old.kb = ${my ? 'j.kb' : 'j.value'} WHERE sup.kb <> old.kb
      ),
      superseded AS (
        SELECT DISTINCT le.assetId, x.updateId FROM last_event le JOIN supersession x ON x.supersederId = le.updateId
        WHERE le.rn = 1 AND le.toState = 'INSTALLED'
      ),
      findings AS (
        SELECT a.id AS assetId, a.hostname, c.updateId, d.startAt, CASE
          WHEN EXISTS (SELECT 1 FROM risk_exception re WHERE re.tenantId = a.tenantId AND (re.siteId IS NULL OR re.siteId = a.siteId)
              AND (re.assetId IS NULL OR re.assetId = a.id) AND (re.updateId IS NULL OR re.updateId = c.updateId)
              AND (re.policyKey IS NULL OR re.policyKey = '${policy}')
              AND (re.cveId IS NULL OR EXISTS (SELECT 1 FROM update_vulnerability uv JOIN vulnerability v ON v.id = uv.vulnerabilityId WHERE uv.updateId = c.updateId AND v.cveId = re.cveId))
              AND re.validFrom <= ${AS_OF} AND re.expiresAt > ${AS_OF} AND re.createdAt <= ${KNOWN}
              AND (re.revokedAt IS NULL OR re.revokedAt > ${AS_OF} OR re.revokedAt > ${KNOWN})) THEN ${RANK.EXEMPT}
          WHEN d.dueAt <= ${AS_OF} THEN ${RANK.NON_COMPLIANT}
          WHEN d.dueAt <= ${SOON} THEN ${RANK.DUE_SOON}
          ELSE ${RANK.COMPLIANT} END AS statusRank
        FROM chosen c JOIN scoped a ON a.id = c.assetId JOIN due d ON d.updateId = c.updateId
        WHERE c.pick = 1 AND c.toState IN ('MISSING', 'FAILED', 'PENDING_REBOOT')
          -- Not when an update superseding it is installed: one of the asset's sources last said so by asOf.
          AND NOT EXISTS (SELECT 1 FROM superseded sp WHERE sp.assetId = c.assetId AND sp.updateId = c.updateId)
      ),
      asset_status AS (
        SELECT r.assetId, MAX(r.statusRank) AS statusRank FROM (
          SELECT a.id AS assetId, ${RANK.COMPLIANT} AS statusRank FROM scoped a
          UNION ALL SELECT f.assetId, f.statusRank FROM findings f
          UNION ALL SELECT a.id, ${RANK.UNVERIFIED} FROM scoped a WHERE NOT EXISTS (${now
            ? 'SELECT 1 FROM source_device s CROSS JOIN patch_state ps WHERE s.assetId = a.id AND ps.sourceDeviceId = s.id'
            : 'SELECT 1 FROM chosen c WHERE c.assetId = a.id'})
          ${deviceRules}
        ) r GROUP BY r.assetId
      )`;
    return { sql, params: [] };
  }

  /**
   * The asset list's first page: the assets worst status first, then by host name and id, and their findings' KBs.
   * Two statements: the page, then the findings of its assets.
   */
  async assetPage(policy: BaselinePolicy, asOf: Date, knownAt: Date, now: boolean, first: number): Promise<AssetPage> {
    const { sql } = this.ctes(policy, asOf, knownAt, now);
    const page: Array<{ id: string; hostname: string; statusRank: number }> = await this.ds.query(
      `${sql} SELECT a.id, a.hostname, s.statusRank FROM asset_status s JOIN asset a ON a.id = s.assetId ORDER BY s.statusRank DESC, a.hostname, a.id LIMIT ${Math.trunc(first)}`,
    );
    const findings: Array<{ assetId: string; kb: string }> = page.length ? await this.ds.query(
      `${sql} SELECT DISTINCT f.assetId, u.kb FROM findings f JOIN software_update u ON u.id = f.updateId WHERE f.assetId IN (${page.map(() => '?').join(', ')})`,
      page.map((r) => r.id),
    ) : [];
    return page.map((r) => ({
      hostname: r.hostname, status: STATUS[Number(r.statusRank)], kbs: findings.filter((f) => f.assetId === r.id).map((f) => f.kb).sort(),
    }));
  }

  /**
   * `now`: the question is about the present (asOf = knownAt, after every event recorded), so the states are read
   * from patch_state, as one would write it knowing that; otherwise replayed from the events.
   */
  async dashboard(policy: BaselinePolicy, asOf: Date, knownAt: Date, now = false): Promise<Dashboard> {
    const { sql } = this.ctes(policy, asOf, knownAt, now);
    const bandParams: unknown[] = [];
    const bandCase = AGE_BANDS.map(([label, from, to]) => {
      bandParams.push(sqlTime(new Date(asOf.getTime() - from * 86_400_000)));
      if (to === null) return `WHEN f.startAt <= ${this.mysql ? 'CAST(? AS DATETIME(3))' : '?'} THEN '${label}'`;
      bandParams.push(sqlTime(new Date(asOf.getTime() - to * 86_400_000)));
      return `WHEN f.startAt <= ${this.mysql ? 'CAST(? AS DATETIME(3))' : '?'} AND f.startAt > ${this.mysql ? 'CAST(? AS DATETIME(3))' : '?'} THEN '${label}'`;
    }).join(' ');

    const [tenantRows, findingRows, worstRows] = await Promise.all([
      this.ds.query(`${sql} SELECT tn.name AS tenant, s.statusRank, COUNT(*) AS n FROM asset_status s JOIN asset a ON a.id = s.assetId JOIN tenant tn ON tn.id = a.tenantId GROUP BY tn.name, s.statusRank`),
      this.ds.query(`${sql} SELECT u.severity, f.statusRank, CASE ${bandCase} ELSE 'not started' END AS band, COUNT(*) AS n
        FROM findings f JOIN software_update u ON u.id = f.updateId GROUP BY u.severity, f.statusRank, band`, bandParams),
      this.ds.query(`${sql} SELECT f.hostname, COUNT(*) AS n FROM findings f WHERE f.statusRank = ${RANK.NON_COMPLIANT}
        GROUP BY f.assetId, f.hostname ORDER BY n DESC, f.hostname, f.assetId LIMIT 10`),
    ]) as [Array<{ tenant: string; statusRank: number; n: number }>, Array<{ severity: string; statusRank: number; band: string; n: number }>, Array<{ hostname: string; n: number }>];

    const counts = (rows: Array<{ statusRank: number; n: number }>) => STATUSES.map((status) => ({
      status, count: rows.filter((r) => Number(r.statusRank) === RANK[status]).reduce((sum, r) => sum + Number(r.n), 0),
    }));
    const tenants = [...new Set(tenantRows.map((r) => r.tenant))].sort((a, b) => a.localeCompare(b));
    const severity = new Map<string, { severity: string; status: string; count: number }>();
    const bands = new Map<string, number>();
    for (const r of findingRows) {
      const key = `${r.severity}/${r.statusRank}`;
      const entry = severity.get(key) ?? { severity: r.severity, status: STATUS[Number(r.statusRank)], count: 0 };
      entry.count += Number(r.n);
      severity.set(key, entry);
      bands.set(r.band, (bands.get(r.band) ?? 0) + Number(r.n));
    }
    return {
      assetCount: tenantRows.reduce((sum, r) => sum + Number(r.n), 0),
      byStatus: counts(tenantRows),
      byTenant: tenants.map((tenant) => ({ tenant, byStatus: counts(tenantRows.filter((r) => r.tenant === tenant)) })),
      openFindingsBySeverity: [...severity.values()].sort(bySeverityStatus),
      openFindingsByAge: AGE_BANDS.map(([band]) => ({ band, count: bands.get(band) ?? 0 })),
      worstAssets: worstRows.map((r) => ({ hostname: r.hostname, overdueUpdates: Number(r.n) })),
    };
  }
}
