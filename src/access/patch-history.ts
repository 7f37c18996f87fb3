import { DataSource } from 'typeorm';
import { toDate } from '../compliance/evaluation';
import { NotFoundError, UserInputError } from '../errors';
import { toGlobalId } from '../graphql/types/global-id';
import { PatchHistoryFilter } from '../reports/patch-history-filter';
import { PatchHistoryRequest, RequestFields } from '../reports/patch-history-request';
import { PatchHistorySource } from '../reports/patch-history-source';
import { Verification, verifyReport } from '../reports/verify-report';
import { Clock } from '../util/clock';
import { ComplianceAccess, ResolvedPolicy } from './compliance';
import { TenantScope } from './tenant-scope';
import { sqlTime } from '../db/sql-time';

/**
 * The patch history report within a principal's tenants: a request is resolved here into the filter a report is
 * generated (and later regenerated) from, with every id checked against the scope. An id the principal may not see
 * is answered exactly like one that does not exist.
 */
export class PatchHistoryAccess {
  constructor(private readonly dataSource: DataSource, readonly scope: TenantScope, private readonly clock: Clock) {}

  async resolve(r: PatchHistoryRequest, fields: RequestFields): Promise<{ filter: PatchHistoryFilter; policy: ResolvedPolicy | null }> {
    const now = this.clock.now();
    if (r.tenantId) await this.requireVisible('tenant', [r.tenantId], 'Tenant');
    if (r.siteIds) await this.requireVisible('site', r.siteIds, 'Site');
    if (r.assetIds) await this.requireVisible('asset', r.assetIds, 'Asset');
    const knownAt = await this.knownAt(r.knownAt, now, fields.knownAt);
    if (knownAt < r.from) throw new UserInputError(fields.knownAt, `is before ${fields.from}: nothing recorded by ${knownAt.toISOString()} happened in the period`);
    let policy: ResolvedPolicy | null = null;
    if (r.policy !== null) {
      try {
        policy = await new ComplianceAccess(this.dataSource, this.scope).policy(r.policy, knownAt);
      } catch (err) {
        if (err instanceof UserInputError) throw new UserInputError(fields.policy, err.message.replace(/^policy: /, ''));
        throw err;
      }
    }
    const tenantIds = r.tenantId ? [r.tenantId] : this.scope.all ? null : this.scope.allowedIds();
    const filter: PatchHistoryFilter = {
      tenantIds, from: r.from, to: r.to, knownAt, siteIds: r.siteIds, assetIds: r.assetIds, kbs: r.kbs, cveIds: r.cveIds,
      severities: r.severities, transitions: r.transitions, policy: policy?.key ?? null,
    };
    return { filter, policy };
  }

  /**
   * The rows of a resolved filter, within the filter's own tenants (which resolve() checked against the scope), read
   * `batchSize` at a time: a page asks for what it shows and one more.
   */
  source(filter: PatchHistoryFilter, policy: ResolvedPolicy | null, batchSize?: number): Promise<PatchHistorySource> {
    const scope = filter.tenantIds === null ? TenantScope.allTenants() : TenantScope.only(filter.tenantIds);
    return PatchHistorySource.open(this.dataSource, scope, filter, policy ?? null, { batchSize });
  }

  /** Regenerates the report recorded with this SHA-256, if the principal may see every tenant it covers. */
  verify(sha256: string, file?: () => AsyncIterable<Buffer>): Promise<Verification> {
    return verifyReport(this.dataSource, sha256, (f) => this.mayRead(f), file);
  }

  /** Whether the principal may see every tenant a recorded report covers (a report over all tenants needs all). */
  mayRead(filter: PatchHistoryFilter): boolean {
    return filter.tenantIds === null ? this.scope.all : filter.tenantIds.every((id) => this.scope.allows(id));
  }

  /**
   * knownAt, given or by default. A report must not claim to know what may still be recorded: events carry the time
   * their sync began applying, and a sync still applying commits them later, so knownAt may be neither in the future
   * nor after the start of a sync that holds its lease now. Omitted, it is now, or just before such a sync.
   */
  private async knownAt(given: Date | null, now: Date, field: string): Promise<Date> {
    if (given && given > now) throw new UserInputError(field, `is in the future (now is ${now.toISOString()}): a report can only describe what has been recorded`);
    const params: unknown[] = [sqlTime(now)];
    let scopeCond = '';
    if (!this.scope.all) {
      const ids = this.scope.allowedIds();
      scopeCond = `AND (ci.tenantId IS NULL${ids.length ? ` OR ci.tenantId IN (${ids.map(() => '?').join(', ')})` : ''})`;
      params.push(...ids);
    }
    const [row] = await this.dataSource.query(
      `SELECT MIN(l.acquiredAt) AS startedAt FROM sync_lock l JOIN connector_instance ci ON ci.id = l.connectorInstanceId WHERE l.expiresAt >= ? ${scopeCond}`,
      params,
    );
    const running = row?.startedAt ? toDate(row.startedAt) : null;
    const safe = running && running <= now ? new Date(running.getTime() - 1) : now;
    if (!given) return safe;
    if (given > safe) {
      throw new UserInputError(field, `is after ${safe.toISOString()}: a sync that began then is still being written, so what was recorded by ${given.toISOString()} is not final yet; give an earlier time, wait for the sync, or leave ${field} out`);
    }
    return given;
  }

  private async requireVisible(field: 'tenant' | 'site' | 'asset', ids: readonly string[], type: 'Tenant' | 'Site' | 'Asset'): Promise<void> {
    if (ids.length === 0) return;
    const table = field;
    const tenantColumn = field === 'tenant' ? 'id' : 'tenantId';
    const rows: Array<{ id: string; tenantId: string }> = await this.dataSource.query(
      `SELECT id, ${tenantColumn} AS tenantId FROM ${table} WHERE id IN (${ids.map(() => '?').join(', ')})`,
      [...ids],
    );
    const visible = new Set(rows.filter((r) => this.scope.allows(r.tenantId)).map((r) => r.id));
    const missing = ids.find((id) => !visible.has(id));
    if (missing !== undefined) throw new NotFoundError(type, toGlobalId(type, missing));
  }
}
