import { SelectQueryBuilder } from 'typeorm';
import { placeholders } from '../db/entity-rows';
import { SourceDevice, UnattachedRecord } from '../entities';
import { UnattachedReason } from '../entities/enums';
import { Finder, FinderDeps } from './finder';
import { Ordering, Page, PageArgs, paginate } from './keyset';
import { inList } from './sql-lists';

export interface UnattachedFilter {
  connectorInstanceIds?: string[] | null;
  tenantIds?: string[] | null;
  reasons?: UnattachedReason[] | null;
}

/** One record a source returned that is not a current source of any asset, from either table that holds one. */
export interface UnattachedRow {
  id: string;
  reason: UnattachedReason;
  connectorInstanceId: string;
  tenantId: string | null;
  externalId: string;
  hostname: string | null;
  vendorSite: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  /** The stored source device, for a record imported before and stale or deleted since; null otherwise. */
  sourceDevice: SourceDevice | null;
}

// One name for both orderings: a cursor says where the merged list stands, whichever table its row came from.
const ORDER_NAME = 'unattached.lastSeenAt.DESC';
const byLastSeen = <T extends { lastSeenAt: Date }>(alias: string): Ordering<T> => ({
  name: ORDER_NAME, column: `${alias}.lastSeenAt`, idColumn: `${alias}.id`, direction: 'DESC', value: (r) => r.lastSeenAt, kind: 'date',
});
const DEVICES_BY_LAST_SEEN = byLastSeen<SourceDevice>('sd');
const RECORDS_BY_LAST_SEEN = byLastSeen<UnattachedRecord>('ur');

/** Newest first, then the id descending: the order both tables are paged in. */
const newestFirst = (a: UnattachedRow, b: UnattachedRow): number =>
  b.lastSeenAt.getTime() - a.lastSeenAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

const SOURCE_DEVICE_REASONS = [UnattachedReason.STALE, UnattachedReason.DELETED_IN_SOURCE];
const RECORD_REASONS = [UnattachedReason.DELETED_IN_SOURCE, UnattachedReason.UNMAPPED_SITE, UnattachedReason.IGNORED_SITE];

export class SourceDeviceFinder extends Finder<SourceDevice> {
  constructor(deps: FinderDeps) {
    super(deps, SourceDevice, 'sd', 'tenantId');
  }

  /** Source devices of each asset, for the Asset.sources loader. */
  async byAssetIds(assetIds: readonly string[]): Promise<SourceDevice[]> {
    if (assetIds.length === 0) return [];
    return this.select(
      (c) => [{ sql: `${c('assetId')} IN (${placeholders(assetIds.length)})`, parameters: assetIds }],
      [['firstSeenAt', 'ASC'], ['id', 'ASC']],
    );
  }

  /**
   * Records a source returned that are not, or no longer, a current source of an asset: stale source devices
   * (missing from a complete read, or deleted at the source) and the unattached records the engine kept. An
   * unattached record of an MSP-wide instance has no tenant, so the scope shows it only to a principal that sees
   * every tenant; a tenant-limited principal sees its tenants' stale devices and unattached records, nothing else.
   */
  async unattached(filter: UnattachedFilter, args: PageArgs): Promise<Page<UnattachedRow>> {
    // Each table is paged with the same ordering and cursor, then the two pages are merged: a row the merge leaves
    // out lies beyond this page in both tables, so no row is skipped or repeated.
    const [devices, records] = await Promise.all([
      paginate(this.staleDevices(filter), DEVICES_BY_LAST_SEEN, args, this.deps.limits),
      paginate(this.records(filter), RECORDS_BY_LAST_SEEN, args, this.deps.limits),
    ]);
    const cursors = new Map<UnattachedRow, string>();
    const merged = [
      ...devices.rows.map((d) => tagged(cursors, fromDevice(d), devices.cursorOf(d))),
      ...records.rows.map((r) => tagged(cursors, fromRecord(r), records.cursorOf(r))),
    ].sort(newestFirst);
    const backward = args.last != null || (args.first == null && !!args.before && !args.after);
    const size = (backward ? args.last : args.first) ?? this.deps.limits.defaultPageSize;
    const overflow = merged.length > size;
    const rows = backward ? merged.slice(Math.max(0, merged.length - size)) : merged.slice(0, size);
    return {
      rows,
      cursorOf: (row) => cursors.get(row)!,
      hasNextPage: backward ? devices.hasNextPage || records.hasNextPage : overflow || devices.hasNextPage || records.hasNextPage,
      hasPreviousPage: backward ? overflow || devices.hasPreviousPage || records.hasPreviousPage : devices.hasPreviousPage || records.hasPreviousPage,
    };
  }

  async countUnattached(filter: UnattachedFilter): Promise<number> {
    const [devices, records] = await Promise.all([this.staleDevices(filter).getCount(), this.records(filter).getCount()]);
    return devices + records;
  }

  private staleDevices(filter: UnattachedFilter): SelectQueryBuilder<SourceDevice> {
    const qb = this.query().andWhere('sd.stale = :stale', { stale: true });
    if (filter.connectorInstanceIds) qb.andWhere('sd.connectorInstanceId IN (:...ciIds)', { ciIds: inList(filter.connectorInstanceIds) });
    if (filter.tenantIds) qb.andWhere('sd.tenantId IN (:...tenantIds)', { tenantIds: inList(filter.tenantIds) });
    if (filter.reasons) {
      const reasons = filter.reasons.filter((r) => SOURCE_DEVICE_REASONS.includes(r));
      if (reasons.length === 0) return qb.andWhere('1 = 0');
      if (reasons.length === 1) qb.andWhere('sd.deletedInSource = :deleted', { deleted: reasons[0] === UnattachedReason.DELETED_IN_SOURCE });
    }
    return qb;
  }

  private records(filter: UnattachedFilter): SelectQueryBuilder<UnattachedRecord> {
    // The same scope as every finder's, on a column that may be null: null (an MSP-wide instance's record) passes
    // only for a principal that sees all tenants.
    const qb = this.deps.scope.apply(this.deps.dataSource.createQueryBuilder(UnattachedRecord, 'ur'), 'ur.tenantId');
    if (filter.connectorInstanceIds) qb.andWhere('ur.connectorInstanceId IN (:...urCiIds)', { urCiIds: inList(filter.connectorInstanceIds) });
    if (filter.tenantIds) qb.andWhere('ur.tenantId IN (:...urTenantIds)', { urTenantIds: inList(filter.tenantIds) });
    if (filter.reasons) {
      const reasons = filter.reasons.filter((r) => RECORD_REASONS.includes(r));
      if (reasons.length === 0) return qb.andWhere('1 = 0');
      qb.andWhere('ur.reason IN (:...urReasons)', { urReasons: reasons });
    }
    return qb;
  }
}

function tagged(cursors: Map<UnattachedRow, string>, row: UnattachedRow, cursor: string): UnattachedRow {
  cursors.set(row, cursor);
  return row;
}

function fromDevice(d: SourceDevice): UnattachedRow {
  return {
    id: d.id, reason: d.deletedInSource ? UnattachedReason.DELETED_IN_SOURCE : UnattachedReason.STALE, connectorInstanceId: d.connectorInstanceId,
    tenantId: d.tenantId, externalId: d.externalId, hostname: d.hostname, vendorSite: d.vendorSite, firstSeenAt: d.firstSeenAt, lastSeenAt: d.lastSeenAt,
    sourceDevice: d,
  };
}

function fromRecord(r: UnattachedRecord): UnattachedRow {
  return {
    id: r.id, reason: r.reason, connectorInstanceId: r.connectorInstanceId, tenantId: r.tenantId, externalId: r.externalId, hostname: r.hostname,
    vendorSite: r.vendorSite, firstSeenAt: r.firstSeenAt, lastSeenAt: r.lastSeenAt, sourceDevice: null,
  };
}
