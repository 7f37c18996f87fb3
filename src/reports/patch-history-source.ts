import { DataSource } from 'typeorm';
import { TenantScope } from '../access/tenant-scope';
import { assetClassSql } from '../compliance/asset-class';
import { toDate } from '../compliance/evaluation';
import { sqlTime } from '../db/sql-time';
import { PatchStateValue } from '../entities/enums';
import { PolicyDefinition } from '../compliance/policy-definition';
import { UserInputError } from '../errors';
import { toGlobalId } from '../graphql/types/global-id';
import { PatchHistoryFilter } from './patch-history-filter';
import { PatchHistoryRow } from './patch-history-row';
import { transitionCondition, transitionOf, TRANSITIONS } from './patch-transition';
import { AssetUpdate, DueVerdict, PolicyDue } from './policy-due';
import { EventStream, SLICE_ROWS } from './event-stream';
import { DEFAULT_DEVICE_CAPACITY, DeviceLookup } from './device-lookup';
import { ReportLookups } from './report-lookups';
import { ChangeAttribution } from './change-attribution';

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

export interface ReadOptions {
  /** Rows per statement; a page reads what it shows (and one more), not a whole batch. */
  batchSize?: number;
  /**
   * Asks for the next batch as soon as a batch arrives, so the database reads it while this one is completed and
   * written out. For a reader that takes every row (a report); a page would pay for a batch it never shows.
   */
  readAhead?: boolean;
}

/**
 * The event's time as the period reads it: the vendor-reported time, or the observed time when the vendor reported
 * none or a later one (a device clock ahead of ours). Never after observedAt, so a period that starts at `from` can
 * skip, by the index, every event observed before `from`.
 */
const EVENT_AT = 'CASE WHEN pe.reportedAt IS NOT NULL AND pe.reportedAt < pe.observedAt THEN pe.reportedAt ELSE pe.observedAt END';

interface RawRow {
  id: string;
  observedAt: unknown;
  reportedAt: unknown;
  fromState: PatchStateValue | null;
  toState: PatchStateValue;
  syncRunId: string | null;
  updateId: string;
  assetId: string | null;
  connectorInstanceId: string | null;
  siteId: string | null;
  hostname: string | null;
  serialNumber: string | null;
  evidence: string;
  assetClass?: string | null;
}

/**
 * Where each column is in a streamed row's array (PatchHistorySource.streamedSlices). ix_patch_event_tenant_observed
 * carries each of them, so the statement reads that index alone: a column added here belongs in it too.
 */
export const STREAMED = { id: 0, observedAt: 1, reportedAt: 2, fromState: 3, toState: 4, syncRunId: 5, updateId: 6, sourceDeviceId: 7, evidence: 8 } as const;
/** The streamed statement's columns, made from STREAMED so that the positions and the SELECT cannot drift apart. */
const STREAMED_COLUMNS = (Object.keys(STREAMED) as Array<keyof typeof STREAMED>).sort((a, b) => STREAMED[a] - STREAMED[b]).map((c) => `pe.${c}`).join(', ');

/** A slice of streamed rows of one tenant, with what completes them loaded. */
export interface StreamedSlice {
  tenantId: string;
  rows: unknown[][];
  /** With a policy: its verdicts, by "assetId updateId"; null without one. */
  verdicts: Map<string, DueVerdict> | null;
  devices: DeviceLookup;
  lookups: ReportLookups;
  changes: ChangeAttribution;
}

/**
 * The patch history report's one row source: every format reads its rows from here. Rows come in report order —
 * tenant id, then observed time, then event id, the order of the index ix_patch_event_tenant_observed — read by
 * keyset in batches, one tenant at a time, so a million rows cost the same memory as a thousand and every statement
 * is an index range scan. The statement reads the event (with the evidence kind recorded on it), its device and
 * asset; the names it refers to (tenant, site, connector, catalog entry and its CVEs) come from ReportLookups. The
 * tenant scope of the principal is applied to every statement, on top of the filter.
 */
export class PatchHistorySource {
  private readonly lookups: ReportLookups;
  private readonly changes: ChangeAttribution;

  private constructor(
    private readonly dataSource: DataSource,
    private readonly scope: TenantScope,
    readonly filter: PatchHistoryFilter,
    private readonly policyDue: PolicyDue | null,
    private readonly batchSize: number,
    private readonly readAhead: boolean,
  ) {
    this.lookups = new ReportLookups(dataSource, filter.knownAt);
    this.changes = new ChangeAttribution(dataSource, filter.knownAt);
  }

  static async open(
    dataSource: DataSource, scope: TenantScope, filter: PatchHistoryFilter, policy: { key: string; definition: PolicyDefinition } | null, options: ReadOptions = {},
  ): Promise<PatchHistorySource> {
    const due = policy ? await PolicyDue.prepare(dataSource, scope, policy, filter.knownAt) : null;
    const batchSize = Math.max(1, Math.trunc(options.batchSize ?? DEFAULT_BATCH_SIZE));
    return new PatchHistorySource(dataSource, scope, filter, due, batchSize, options.readAhead ?? false);
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
      let ahead: Promise<RawRow[]> | null = null;
      for (;;) {
        const raw: RawRow[] = await (ahead ?? this.batch(tenantId, cursor));
        ahead = null;
        const full = raw.length === this.batchSize;
        if (full) {
          const last = raw[raw.length - 1];
          cursor = { tenantId, observedAt: dbTime(last.observedAt), eventId: last.id };
          if (this.readAhead) {
            ahead = this.batch(tenantId, cursor);
            // Awaited on the next turn; a reader that stops first leaves it unread, and its failure unreported.
            ahead.catch(() => undefined);
          }
        }
        if (raw.length > 0) yield* await this.complete(tenantId, raw);
        if (!full) break;
      }
    }
  }

  /** How many rows the report has (over every tenant of it). */
  async count(): Promise<number> {
    const tenants = await this.tenantIds();
    if (tenants.length === 0) return 0;
    const { where, params } = this.conditions();
    const [row] = await this.dataSource.query(
      `SELECT COUNT(*) AS n FROM patch_event pe ${JOINS} WHERE pe.tenantId IN (${tenants.map(() => '?').join(', ')}) AND ${where}`,
      [...tenants, ...params],
    );
    return Number(row.n);
  }

  /**
   * The filter's conditions (all but tenant and position), over JOINS (or, not joined, over patch_event alone). Filters on the catalog entry (KB, severity,
   * CVE, the policy's scope) select update ids; a CVE counts only through links recorded by knownAt.
   */
  private conditions(afterCursor = false, joined = true): { where: string; params: unknown[] } {
    const f = this.filter;
    const params: unknown[] = [sqlTime(f.knownAt), sqlTime(f.from), sqlTime(f.to)];
    const parts = ['pe.observedAt <= ?', `${EVENT_AT} >= ?`, `${EVENT_AT} < ?`, transitionCondition('pe', f.transitions ?? TRANSITIONS)];
    // The index's lower bound: from, or the cursor (which is past it). Given both, SQLite seeks by `from` and filters
    // by the cursor, and every batch rescans the tenant's events from the period's start.
    if (!afterCursor) {
      parts.unshift('pe.observedAt >= ?');
      params.unshift(sqlTime(f.from));
    }
    const inList = (column: string, values: readonly string[] | null, select = (marks: string) => marks) => {
      if (values === null) return;
      if (values.length === 0) {
        parts.push('1 = 0');
        return;
      }
      parts.push(`${column} IN (${select(values.map(() => '?').join(', '))})`);
      params.push(...values);
    };
    if (joined) {
      inList('a.siteId', f.siteIds);
      inList('sd.assetId', f.assetIds);
    } else {
      // The same devices, chosen by a subquery, for a statement over patch_event alone.
      const devices = (where: string) => (marks: string) => `SELECT sd.id FROM source_device sd LEFT JOIN asset a ON a.id = sd.assetId WHERE ${where} IN (${marks})`;
      inList('pe.sourceDeviceId', f.siteIds, devices('a.siteId'));
      inList('pe.sourceDeviceId', f.assetIds, devices('sd.assetId'));
    }
    inList('pe.updateId', f.kbs, (marks) => `SELECT u.id FROM software_update u WHERE u.kb IN (${marks})`);
    inList('pe.updateId', f.severities, (marks) => `SELECT u.id FROM software_update u WHERE u.severity IN (${marks})`);
    // The subquery's knownAt bound comes before its CVE ids, which inList adds.
    if (f.cveIds !== null && f.cveIds.length > 0) params.push(sqlTime(f.knownAt));
    inList('pe.updateId', f.cveIds, (marks) => `SELECT uv.updateId FROM update_vulnerability uv JOIN vulnerability v ON v.id = uv.vulnerabilityId WHERE uv.createdAt <= ? AND v.cveId IN (${marks})`);
    inList('pe.updateId', this.policyDue ? this.policyDue.updateIds : null);
    return { where: parts.join(' AND '), params };
  }

  /**
   * The next rows after `after`, in (observedAt, id) order. A sync's events share one observedAt, so "after the cursor"
   * is read as two index ranges, each a plain seek on both engines: the rest of the cursor's observedAt by id, then
   * what was observed later. (As one condition, `(observedAt, id) > cursor` or its OR form, MariaDB reads by tenant
   * from the start and filters, and every batch rereads what the earlier ones returned.)
   */
  private async batch(tenantId: string, after: RowPosition | null): Promise<RawRow[]> {
    if (!after) return this.select(tenantId, false, '', [], this.batchSize);
    const same = await this.select(tenantId, true, 'AND pe.observedAt = ? AND pe.id > ?', [after.observedAt, after.eventId], this.batchSize);
    if (same.length === this.batchSize) return same;
    return [...same, ...(await this.select(tenantId, true, 'AND pe.observedAt > ?', [after.observedAt], this.batchSize - same.length))];
  }

  private select(tenantId: string, afterCursor: boolean, position: string, positionParams: unknown[], limit: number): Promise<RawRow[]> {
    const { where, params } = this.conditions(afterCursor);
    return this.dataSource.query(
      `SELECT ${this.columns()}
       FROM patch_event pe
       ${JOINS}
       WHERE pe.tenantId = ? AND ${where} ${position}
       ORDER BY pe.observedAt, pe.id
       LIMIT ${Math.trunc(limit)}`,
      [tenantId, ...params, ...positionParams],
    );
  }

  /** The row's columns, in the order of RAW (a streamed row is an array in this order). */
  private columns(): string {
    return `pe.id, pe.observedAt, pe.reportedAt, pe.fromState, pe.toState, pe.syncRunId, pe.updateId, sd.assetId, sd.connectorInstanceId, a.siteId,
         COALESCE(a.hostname, sd.hostname) AS hostname, CASE WHEN a.id IS NULL THEN sd.serialNumber ELSE a.serialNumber END AS serialNumber,
         pe.evidence
         ${this.policyDue ? `, ${assetClassSql('a')} AS assetClass` : ''}`;
  }

  /**
   * Every row, in report order, as slices of value arrays (indexed by STREAMED) read by one statement per tenant over
   * patch_event alone, each slice with the devices, names, change records and policy verdicts it refers to loaded:
   * for a reader that takes every row and writes it out at once (the CSV export), where building each row as an
   * object, and joining each event to its device and asset, cost more than reading it.
   */
  async *streamedSlices(stream: EventStream, deviceCapacity = DEFAULT_DEVICE_CAPACITY): AsyncGenerator<StreamedSlice> {
    const devices = new DeviceLookup(this.dataSource, this.lookups, deviceCapacity);
    for (const tenantId of await this.tenantIds()) {
      const { where, params } = this.conditions(false, false);
      const sql = `SELECT ${STREAMED_COLUMNS} FROM patch_event pe WHERE pe.tenantId = ? AND ${where} ORDER BY pe.observedAt, pe.id`;
      for await (const rows of stream.slices(sql, [tenantId, ...params], Math.min(deviceCapacity, SLICE_ROWS))) {
        await devices.load(rows.map((r) => String(r[STREAMED.sourceDeviceId])));
        await this.lookups.load({ tenantIds: [tenantId], siteIds: [], connectorIds: [], updateIds: rows.map((r) => r[STREAMED.updateId] as string) });
        let verdicts: Map<string, DueVerdict> | null = null;
        if (this.policyDue) {
          const pairs: AssetUpdate[] = [];
          for (const r of rows) {
            const device = devices.get(String(r[STREAMED.sourceDeviceId]));
            if (device?.assetId) pairs.push({ assetId: device.assetId, updateId: r[STREAMED.updateId] as string, assetClass: device.assetClass });
          }
          verdicts = await this.policyDue.verdicts(pairs);
        }
        await this.changes.load(tenantId);
        yield { tenantId, rows, verdicts, devices, lookups: this.lookups, changes: this.changes };
      }
    }
  }

  /** Adds what the batch's statement does not carry: the names it refers to, CVE facts and the policy verdicts. */
  private async complete(tenantId: string, raw: RawRow[]): Promise<PositionedRow[]> {
    await this.lookups.load({
      tenantIds: [tenantId], siteIds: raw.map((r) => r.siteId), connectorIds: raw.map((r) => r.connectorInstanceId), updateIds: raw.map((r) => r.updateId),
    });
    const verdicts = this.policyDue
      ? await this.policyDue.verdicts(raw.filter((r) => r.assetId).map((r) => ({ assetId: r.assetId!, updateId: r.updateId, assetClass: r.assetClass ?? 'WORKSTATION' })))
      : null;
    const tenant = this.lookups.tenant(tenantId);
    await this.changes.load(tenantId);
    return raw.map((r) => {
      const verdict = verdicts && r.assetId ? verdicts.get(`${r.assetId} ${r.updateId}`) : undefined;
      const update = this.lookups.update(r.updateId);
      const connector = this.lookups.connector(r.connectorInstanceId);
      const row: PatchHistoryRow = {
        eventId: toGlobalId('PatchEvent', r.id),
        tenant,
        site: this.lookups.site(r.siteId ?? null),
        assetId: r.assetId ? toGlobalId('Asset', r.assetId) : null,
        hostname: r.hostname ?? null,
        serialNumber: r.serialNumber ?? null,
        kb: update.kb,
        updateTitle: update.title,
        classification: update.classification,
        severity: update.severity,
        cves: update.cves,
        transition: transitionOf(r.fromState, r.toState)!,
        fromState: r.fromState ?? null,
        toState: r.toState,
        reportedAt: r.reportedAt === null || r.reportedAt === undefined ? null : isoTime(r.reportedAt),
        observedAt: isoTime(r.observedAt),
        sourceTool: connector.kind,
        connectorName: connector.name,
        syncRunId: r.syncRunId ? toGlobalId('SyncRun', r.syncRunId) : null,
        evidence: r.evidence,
        changeRecord: this.changes.of(tenantId, r.assetId ?? null, r.updateId, toDate(r.observedAt)),
        policyDueAt: verdict?.dueAt ? verdict.dueAt.toISOString() : null,
        policyDueMet: verdict ? verdict.met : null,
      };
      return { row, position: { tenantId, observedAt: dbTime(r.observedAt), eventId: r.id } };
    });
  }
}

const JOINS = `LEFT JOIN source_device sd ON sd.id = pe.sourceDeviceId
       LEFT JOIN asset a ON a.id = sd.assetId`;

const SQLITE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;

/** A stored timestamp as ISO 8601 UTC text; SQLite's stored text is rearranged rather than parsed (a million rows). */
export function isoTime(value: unknown): string {
  if (typeof value === 'string' && SQLITE_TIME.test(value)) return `${value.slice(0, 10)}T${value.slice(11)}Z`;
  return toDate(value).toISOString();
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
