import { DataSource } from 'typeorm';
import { TenantScope } from '../access/tenant-scope';
import { assetClassSql } from '../compliance/asset-class';
import { sqlTime, toDate } from '../compliance/evaluation';
import { PatchStateValue } from '../entities/enums';
import { PolicyDefinition } from '../compliance/policy-definition';
import { UserInputError } from '../errors';
import { toGlobalId } from '../graphql/types/global-id';
import { CveFactsReader } from './cve-facts';
import { PatchHistoryFilter } from './patch-history-filter';
import { PatchHistoryRow } from './patch-history-row';
import { transitionCondition, transitionOf, TRANSITIONS } from './patch-transition';
import { PolicyDue } from './policy-due';

/** Where a page of rows starts: strictly after this event, in report order (tenant, observed time, event id). */
export interface RowPosition {
  tenantId: string;
  /** observedAt as the database compares it (UTC text with milliseconds). */
  observedAt: string;
  eventId: string;
}

export interface PositionedRow {
  row: PatchHistoryRow;
  position: RowPosition;
}

/** Rows read per statement: enough to make the per-statement cost vanish, few enough to keep memory flat. */
export const DEFAULT_BATCH_SIZE = 2000;

/**
 * The event's time as the period reads it: the vendor-reported time, or the observed time when the vendor reported
 * none or a later one (a device clock ahead of ours). Never after observedAt, so a period that starts at `from` can
 * skip, by the index, every event observed before `from`.
 */
const EVENT_AT = 'CASE WHEN pe.reportedAt IS NOT NULL AND pe.reportedAt < pe.observedAt THEN pe.reportedAt ELSE pe.observedAt END';

interface RawRow {
  id: string;
  tenantId: string;
  observedAt: unknown;
  reportedAt: unknown;
  fromState: PatchStateValue | null;
  toState: PatchStateValue;
  syncRunId: string | null;
  updateId: string;
  tenantName: string;
  siteName: string | null;
  assetId: string | null;
  hostname: string | null;
  serialNumber: string | null;
  kb: string | null;
  updateTitle: string | null;
  classification: string | null;
  severity: string | null;
  connectorKind: string | null;
  connectorName: string | null;
  evidence: string | null;
  assetClass?: string | null;
}

/**
 * The patch history report's one row source: every format reads its rows from here. Rows come in report order —
 * tenant id, then observed time, then event id, the order of the index ix_patch_event_tenant_observed — read by
 * keyset in batches, one tenant at a time, so a million rows cost the same memory as a thousand and every statement
 * is an index range scan. The tenant scope of the principal is applied to every statement, on top of the filter.
 */
export class PatchHistorySource {
  private readonly cves: CveFactsReader;

  private constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TenantScope,
    readonly filter: PatchHistoryFilter,
    private readonly policyDue: PolicyDue | null,
    private readonly batchSize: number,
  ) {
    this.cves = new CveFactsReader(dataSource, filter.knownAt);
  }

  static async open(
    dataSource: DataSource, scope: TenantScope, filter: PatchHistoryFilter, policy: { key: string; definition: PolicyDefinition } | null, batchSize = DEFAULT_BATCH_SIZE,
  ): Promise<PatchHistorySource> {
    const due = policy ? await PolicyDue.prepare(dataSource, scope, policy, filter.knownAt) : null;
    return new PatchHistorySource(dataSource, scope, filter, due, batchSize);
  }

  /** The tenants the rows come from, in report order: the filter's (or all known by knownAt) that the scope allows. */
  async tenantIds(): Promise<string[]> {
    let ids = this.filter.tenantIds;
    if (ids === null) {
      const rows: Array<{ id: string }> = await this.dataSource.query('SELECT id FROM tenant WHERE createdAt <= ? ORDER BY id', [sqlTime(this.filter.knownAt)]);
      ids = rows.map((r) => r.id);
    }
    return [...ids].filter((id) => this.scope.allows(id)).sort();
  }

  /** Every row after `after` (from the first when null), in report order. */
  async *rows(after: RowPosition | null = null): AsyncGenerator<PositionedRow> {
    for (const tenantId of await this.tenantIds()) {
      if (after && tenantId < after.tenantId) continue;
      let cursor = after && tenantId === after.tenantId ? after : null;
      for (;;) {
        const raw = await this.batch(tenantId, cursor);
        if (raw.length === 0) break;
        yield* await this.complete(raw);
        const last = raw[raw.length - 1];
        cursor = { tenantId, observedAt: dbTime(last.observedAt), eventId: last.id };
        if (raw.length < this.batchSize) break;
      }
    }
  }

  /** How many rows the report has (over every tenant of it). */
  async count(): Promise<number> {
    const tenants = await this.tenantIds();
    if (tenants.length === 0) return 0;
    const { where, params } = this.conditions();
    const [row] = await this.dataSource.query(
      `SELECT COUNT(*) AS n FROM patch_event pe ${this.joins()} WHERE pe.tenantId IN (${tenants.map(() => '?').join(', ')}) AND ${where}`,
      [...tenants, ...params],
    );
    return Number(row.n);
  }

  private joins(): string {
    return `LEFT JOIN source_device sd ON sd.id = pe.sourceDeviceId
      LEFT JOIN asset a ON a.id = sd.assetId
      LEFT JOIN software_update u ON u.id = pe.updateId`;
  }

  /** The filter's conditions (all but tenant and position), over the joins above. */
  private conditions(): { where: string; params: unknown[] } {
    const f = this.filter;
    const params: unknown[] = [sqlTime(f.knownAt), sqlTime(f.from), sqlTime(f.from), sqlTime(f.to)];
    const parts = ['pe.observedAt <= ?', 'pe.observedAt >= ?', `${EVENT_AT} >= ?`, `${EVENT_AT} < ?`, transitionCondition('pe', f.transitions ?? TRANSITIONS)];
    const inList = (column: string, values: readonly string[] | null) => {
      if (values === null) return;
      if (values.length === 0) {
        parts.push('1 = 0');
        return;
      }
      parts.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    inList('a.siteId', f.siteIds);
    inList('sd.assetId', f.assetIds);
    inList('u.kb', f.kbs);
    inList('u.severity', f.severities);
    inList('pe.updateId', this.policyDue ? this.policyDue.updateIds : null);
    if (f.cveIds !== null) {
      parts.push(f.cveIds.length === 0 ? '1 = 0'
        : `EXISTS (SELECT 1 FROM update_vulnerability uv JOIN vulnerability v ON v.id = uv.vulnerabilityId WHERE uv.updateId = pe.updateId AND v.cveId IN (${f.cveIds.map(() => '?').join(', ')}))`);
      params.push(...f.cveIds);
    }
    return { where: parts.join(' AND '), params };
  }

  private async batch(tenantId: string, after: RowPosition | null): Promise<RawRow[]> {
    const { where, params } = this.conditions();
    // observedAt >= the cursor's bounds the index range; the OR only filters within its first value.
    const position = after ? 'AND pe.observedAt >= ? AND (pe.observedAt > ? OR pe.id > ?)' : '';
    const positionParams = after ? [after.observedAt, after.observedAt, after.eventId] : [];
    return this.dataSource.query(
      `SELECT pe.id, pe.tenantId, pe.observedAt, pe.reportedAt, pe.fromState, pe.toState, pe.syncRunId, pe.updateId,
         t.name AS tenantName, s.name AS siteName, sd.assetId,
         COALESCE(a.hostname, sd.hostname) AS hostname, CASE WHEN a.id IS NULL THEN sd.serialNumber ELSE a.serialNumber END AS serialNumber,
         u.kb, u.title AS updateTitle, u.classification, u.severity, ci.kind AS connectorKind, ci.name AS connectorName,
         COALESCE(ps.evidence, 'DERIVED') AS evidence
         ${this.policyDue ? `, ${assetClassSql('a')} AS assetClass` : ''}
       FROM patch_event pe
       JOIN tenant t ON t.id = pe.tenantId
       ${this.joins()}
       LEFT JOIN site s ON s.id = a.siteId
       LEFT JOIN connector_instance ci ON ci.id = sd.connectorInstanceId
       LEFT JOIN patch_state ps ON ps.sourceDeviceId = pe.sourceDeviceId AND ps.updateId = pe.updateId
       WHERE pe.tenantId = ? AND ${where} ${position}
       ORDER BY pe.observedAt, pe.id
       LIMIT ${Math.trunc(this.batchSize)}`,
      [tenantId, ...params, ...positionParams],
    );
  }

  /** Adds what the batch's statement does not carry: CVE facts (cached per update) and the policy verdicts. */
  private async complete(raw: RawRow[]): Promise<PositionedRow[]> {
    const cves = await this.cves.forUpdates(raw.map((r) => r.updateId));
    const verdicts = this.policyDue
      ? await this.policyDue.verdicts(raw.filter((r) => r.assetId).map((r) => ({ assetId: r.assetId!, updateId: r.updateId, assetClass: r.assetClass ?? 'WORKSTATION' })))
      : null;
    return raw.map((r) => {
      const verdict = verdicts && r.assetId ? verdicts.get(`${r.assetId} ${r.updateId}`) : undefined;
      const row: PatchHistoryRow = {
        eventId: toGlobalId('PatchEvent', r.id),
        tenant: r.tenantName,
        site: r.siteName ?? null,
        assetId: r.assetId ? toGlobalId('Asset', r.assetId) : null,
        hostname: r.hostname ?? null,
        serialNumber: r.serialNumber ?? null,
        kb: r.kb ?? null,
        updateTitle: r.updateTitle ?? '',
        classification: r.classification ?? '',
        severity: r.severity ?? '',
        cves: cves.get(r.updateId) ?? [],
        transition: transitionOf(r.fromState, r.toState)!,
        fromState: r.fromState ?? null,
        toState: r.toState,
        reportedAt: r.reportedAt === null || r.reportedAt === undefined ? null : toDate(r.reportedAt).toISOString(),
        observedAt: toDate(r.observedAt).toISOString(),
        sourceTool: r.connectorKind ?? '',
        connectorName: r.connectorName ?? '',
        syncRunId: r.syncRunId ? toGlobalId('SyncRun', r.syncRunId) : null,
        evidence: r.evidence ?? 'DERIVED',
        changeRecord: null,
        policyDueAt: verdict?.dueAt ? verdict.dueAt.toISOString() : null,
        policyDueMet: verdict ? verdict.met : null,
      };
      return { row, position: { tenantId: r.tenantId, observedAt: dbTime(r.observedAt), eventId: r.id } };
    });
  }
}

/** A timestamp as the database compares it: the stored text on SQLite, the UTC text of a Date on MariaDB. */
function dbTime(value: unknown): string {
  return value instanceof Date ? sqlTime(value) : String(value);
}

/** Encodes a position for a GraphQL cursor, tied to the knownAt it was read at. */
export function encodePosition(p: RowPosition, knownAt: Date): string {
  return Buffer.from(JSON.stringify(['patchHistory', p.tenantId, p.observedAt, p.eventId, knownAt.toISOString()]), 'utf8').toString('base64url');
}

export function decodePosition(cursor: string, field: string): { position: RowPosition; knownAt: Date } {
  try {
    const [name, tenantId, observedAt, eventId, knownAt] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const at = new Date(knownAt);
    if (name === 'patchHistory' && [tenantId, observedAt, eventId].every((v) => typeof v === 'string') && !Number.isNaN(at.getTime())) {
      return { position: { tenantId, observedAt, eventId }, knownAt: at };
    }
  } catch {
    // refused below
  }
  throw new UserInputError(field, 'is not a cursor this API issued');
}
