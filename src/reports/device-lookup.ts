import { DataSource } from 'typeorm';
import { assetClassSql } from '../compliance/asset-class';
import { escapeText } from './formats/csv';
import { GlobalIdWriter } from './formats/global-id-writer';
import { ReportLookups } from './report-lookups';

/** What a report's row shows of the source device that saw the event, and of the asset the device belongs to. */
export interface DeviceFacts {
  assetId: string | null;
  connectorInstanceId: string | null;
  assetClass: string;
  /** The CSV cells site, assetId, hostname, serialNumber, as csv.ts writes them, in UTF-8 (copied into row after row). */
  csvCells: Buffer;
}

/** Devices held at most: a few MB, whatever the fleet (a tenant can have 50,000 assets). */
export const DEFAULT_DEVICE_CAPACITY = 20_000;
const IN_CHUNK = 500;

/**
 * The source devices (and their assets) a streamed report's rows name, read by id a slice at a time rather than
 * joined to every event: the joins were half of SQLite's time per row (two index searches and five more values a
 * row), and a device is named by every one of its events. Bounded: when a slice's devices do not fit beside those
 * held, everything held is let go and the slice's devices are read afresh, so a fleet larger than the capacity costs
 * one read of the slice's devices per slice (what the join cost, in a few statements) and never more memory.
 */
export class DeviceLookup {
  private readonly devices = new Map<string, DeviceFacts>();
  private readonly assetIds = new GlobalIdWriter('Asset');
  /** How many times the held devices were let go to make room (tests read it). */
  evictions = 0;

  constructor(private readonly dataSource: DataSource, private readonly lookups: ReportLookups, private readonly capacity = DEFAULT_DEVICE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`device capacity must be a positive integer, not ${capacity}`);
  }

  get(id: string): DeviceFacts | undefined {
    return this.devices.get(id);
  }

  /** Makes every device of `ids` available to get(), until the next load. */
  async load(ids: readonly string[]): Promise<void> {
    // Most slices name only devices held already: checked before any set of the slice's ids is made.
    if (ids.every((id) => this.devices.has(id))) return;
    const wanted = new Set(ids);
    if (wanted.size > this.capacity) throw new RangeError(`a slice names ${wanted.size} devices, more than the lookup's capacity of ${this.capacity}`);
    let missing: string[] = [];
    for (const id of wanted) if (!this.devices.has(id)) missing.push(id);
    if (missing.length === 0) return;
    if (this.devices.size + missing.length > this.capacity) {
      this.devices.clear();
      this.evictions += 1;
      missing = [...wanted];
    }
    for (let i = 0; i < missing.length; i += IN_CHUNK) {
      const chunk = missing.slice(i, i + IN_CHUNK);
      const rows: Array<Record<string, unknown>> = await this.dataSource.query(
        `SELECT sd.id, sd.assetId, sd.connectorInstanceId, a.siteId,
           COALESCE(a.hostname, sd.hostname) AS hostname, CASE WHEN a.id IS NULL THEN sd.serialNumber ELSE a.serialNumber END AS serialNumber,
           ${assetClassSql('a')} AS assetClass
         FROM source_device sd LEFT JOIN asset a ON a.id = sd.assetId
         WHERE sd.id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      await this.lookups.load({ tenantIds: [], siteIds: rows.map((r) => str(r.siteId)), connectorIds: rows.map((r) => str(r.connectorInstanceId)), updateIds: [] });
      for (const r of rows) {
        const assetId = str(r.assetId);
        this.devices.set(String(r.id), {
          assetId,
          connectorInstanceId: str(r.connectorInstanceId),
          assetClass: str(r.assetClass) ?? 'WORKSTATION',
          csvCells: Buffer.from(`${cell(this.lookups.site(str(r.siteId)))},${assetId ? this.assetIds.of(assetId) : ''},${cell(r.hostname)},${cell(r.serialNumber)}`, 'utf8'),
        });
      }
    }
  }
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const cell = (v: unknown): string => (v === null || v === undefined || v === '' ? '' : escapeText(String(v)));
